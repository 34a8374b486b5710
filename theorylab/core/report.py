"""``theorylab report DIR``: a Markdown report from a stored results.json and/or calibration.json."""

from __future__ import annotations

import json
from pathlib import Path

from .results import atomic_write_text


def fmt_number(x, spec: str = ".3g") -> str:
    """A recorded number in ``spec``; JSON stores infinities as the strings "inf" and "-inf"
    (an interval unbounded on one side), which print as such."""
    try:
        return format(float(x), spec)
    except (TypeError, ValueError):
        return str(x)


def _fmt(x):
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.4g}"
    if isinstance(x, dict):
        return ", ".join(f"{k}: {v}" for k, v in x.items())
    return str(x)


def _prov_line(prov: dict) -> str:
    return (f"theorylab {prov.get('version')} (commit {prov.get('git_commit')}), JAX "
            f"{prov.get('jax_version')} on {prov.get('backend')} ({', '.join(prov.get('devices', []))}"
            f"{', ' + prov['device_kind'] if prov.get('device_kind') not in (None, 'cpu') else ''}), "
            f"{prov.get('cpu_count')} CPUs{' (' + prov['cpu_model'] + ')' if prov.get('cpu_model') else ''}, size `{prov.get('size')}`, {prov.get('time_utc')}.")


def _control_cell(c: dict) -> str:
    ctrls = c.get("controls") or []
    if not ctrls:
        return "-"
    if all(x.get("rejected") for x in ctrls):
        return "rejected"
    return "NOT rejected (" + ", ".join(f"{x['name']}: {x.get('outcome')}" for x in ctrls
                                        if not x.get("rejected")) + ")"


def results_section(res: dict) -> list[str]:
    prov = res.get("provenance", {})
    lines = ["## Verdicts", "", _prov_line(prov)]
    if prov.get("root"):
        lines.append(f"Root seed set {prov['root']} (0 is the default).")
    claims = res["claims"]
    counts = {s: sum(c["status"] == s for c in claims) for s in ("passed", "failed", "inconclusive", "skipped")}
    lines += ["", ", ".join(f"{n} {s}" for s, n in counts.items()) + "."]
    ev = res.get("evidence")
    if ev:
        lines.append(f"The {ev['claims_run']} claims run rest on {ev['independent']} independent sweeps; "
                     "claims that read the same data count once:")
        lines += [f"- {', '.join(f'`{i}`' for i in g)}" for g in ev["shared"]]
        if "theorem" in ev:
            from .verify import evidence_text

            text = evidence_text(ev)
            lines += ["", text[0].upper() + text[1:] + "."]
    lines += ["", "| claim | tag | predicted | measured | CI | control | verdict | wall |",
              "|---|---|---|---|---|---|---|---|"]
    for c in claims:
        ci = c.get("ci")
        ci_s = f"{fmt_number(ci[0])}..{fmt_number(ci[1])}" if ci else "-"
        wall = f"{c['wall_s']:.0f} s" if c.get("wall_s") else "-"
        tag = c.get("tag", "-") + (", code check" if c.get("evidence") == "code" else "") + (
            ", derived" if c.get("derived_from") else "")
        lines.append(f"| `{c['id']}` | {tag} | {_fmt(c.get('predicted'))} | "
                     f"{_fmt(c.get('measured'))} | {ci_s} | {_control_cell(c)} | **{c['status']}** | {wall} |")
    for c in claims:
        lines += ["", f"### `{c['id']}` -- {c.get('title', '')}", ""]
        if c.get("statement"):
            lines.append(f"*Statement* [{c.get('tag')}], {c.get('source')}: {c['statement']}")
            lines.append("")
        lines.append(f"*Verdict*: {c['status']}. {c.get('sentence', '')}")
        if c.get("uncertainty"):
            lines.append(f"*Uncertainty*: {c['uncertainty']}.")
        run = c.get("run")
        if run and c.get("status") != "skipped":
            lines.append(f"*Run*: {c.get('wall_s', 0):.1f} s on {run.get('device_kind') or run.get('device')} "
                         f"({run.get('backend')}), commit {run.get('git_commit')}, code {run.get('code')}, "
                         f"JAX {run.get('jax_version')}, {run.get('time_utc')}.")
        if (c.get("info") or {}).get("calibration"):
            lines.append(f"*Calibration*: {c['info']['calibration']}")
        alts = c.get("alternatives") or {}
        if alts:
            lines.append("*Declared alternatives*: " + "; ".join(
                f"{a}: {'excluded' if ok else 'not excluded' if ok is False else 'no fit'}"
                for a, ok in alts.items()) + ".")
        for ctl in c.get("controls", []):
            lines.append(f"- control `{ctl['name']}` ({ctl['description']}): "
                         f"{'rejected' if ctl['rejected'] else 'NOT rejected'} ({ctl.get('outcome')}) "
                         f"-- {ctl['sentence']}")
        if c.get("figure"):
            lines += ["", f"![{c['id']}]({c['figure']})"]
    return lines


def _in_last_run(doc: dict) -> set:
    """The claims of a calibration file that its last ``calibrate`` call selected (the file's
    ``roots`` and provenance are that call's; the other claims were kept from earlier calls)."""
    sels = doc.get("provenance", {}).get("selectors")
    if not sels:
        return set(doc.get("claims", {}))
    try:
        from .registry import all_claims

        family = {c.id: c.family for c in all_claims()}
    except Exception:  # a family that no longer loads: match ids and id prefixes only
        family = {}
    return {cid for cid in doc.get("claims", {})
            if any(cid == s or cid.startswith(s + ".") or family.get(cid) == s for s in sels)}


def calibration_rates(doc: dict) -> tuple[str, str]:
    """A sentence on the roots and the Markdown table of a calibration file's rates. Each claim
    is counted over its own roots: those of the last call for the claims it ran, every stored
    root for the claims kept from earlier calls (one file is often filled family by family, on
    different roots)."""
    from .calibrate import table

    prov = doc.get("provenance", {})
    roots = doc.get("roots", [])
    claims = doc.get("claims", {})
    last = _in_last_run(doc)
    kept = {cid: c for cid, c in claims.items() if cid not in last}
    lines = table({**doc, "claims": {}}, markdown=True).splitlines()  # the header
    for cid, entry in claims.items():  # in the file's order, each over its own roots
        one = {**doc, "claims": {cid: entry}, **({} if cid in last else {"roots": []})}
        lines += table(one, markdown=True).splitlines()[2:]
    span = f"{roots[0]}..{roots[-1]} ({len(roots)} fresh seed sets)" if roots else ""
    if not roots:
        head = ""
    elif all(_span(e) == _span({"runs": {r: 0 for r in roots}}) for e in kept.values()):
        head = f"Roots {span}, wall time {prov.get('wall_s')} s" + (
            " (the last call's, which ran " + _names(last) + "; the other claims were kept from "
            "earlier calls on the same roots)." if kept else ".")
    else:
        groups: dict = {}
        for cid, e in kept.items():
            groups.setdefault(_span(e), []).append(cid)
        head = (f"The last call ran {_names(last)} on roots {span} in {prov.get('wall_s')} s (the "
                "provenance above is its own); the other claims were kept from earlier calls, each "
                "counted over every root it was run on: "
                + "; ".join(f"{sp}: {_names(cs)}" for sp, cs in groups.items()) + ".")
    return head, "\n".join(lines)


def _names(ids) -> str:
    ids = sorted(ids)
    return ", ".join(f"`{c}`" for c in ids) if len(ids) <= 5 else f"{len(ids)} claims"


def calibration_section(doc: dict) -> list[str]:
    head, rows = calibration_rates(doc)
    return ["## Calibration over fresh root seeds", "", _prov_line(doc.get("provenance", {})), head,
            "", "Each claim's pass rate (one minus its false-fail rate), each control's rejection "
            "rate (the check's power against that nearby setting) and each declared alternative's "
            "exclusion rate, with Wilson 95% intervals.", "", rows]


def _span(entry: dict) -> str:
    rs = sorted(int(r) for r in entry.get("runs", {}))
    return f"roots {rs[0]}..{rs[-1]} ({len(rs)})" if rs else "no roots"


def _calibration_paths(out_dir: Path) -> list[Path]:
    """calibration.json in the folder, and in its immediate subfolders (``gpu_full.sh
    --calibrate`` writes DIR/calibration/)."""
    own = out_dir / "calibration.json"
    return ([own] if own.exists() else []) + sorted(out_dir.glob("*/calibration.json"))


def write_report(out_dir, html: bool = False) -> Path:
    """report.md (and with ``html`` a self-contained report.html) from the folder's
    results.json and every calibration.json in it or in a subfolder."""
    out_dir = Path(out_dir)
    res_path, cals = out_dir / "results.json", _calibration_paths(out_dir)
    if not res_path.exists() and not cals:
        raise ValueError(f"DIR: no results.json or calibration.json in {out_dir} or its subfolders")
    res = json.loads(res_path.read_text()) if res_path.exists() else None
    cal_docs = [(c, json.loads(c.read_text())) for c in cals]
    lines = ["# theorylab report"]
    if res is not None:
        lines += [""] + results_section(res)
    for path, doc in cal_docs:
        section = calibration_section(doc)
        if path.parent != out_dir:
            section.insert(2, f"From `{path.relative_to(out_dir)}`.")
        lines += [""] + section
    md = atomic_write_text(out_dir / "report.md", "\n".join(lines) + "\n")
    if html:
        return atomic_write_text(out_dir / "report.html", html_page(out_dir, res, cal_docs))
    return md


# ----------------------------------------------------------------------------------------------
# HTML: one self-contained page (figures embedded), built from the same JSON
# ----------------------------------------------------------------------------------------------
_CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.passed{color:#11632b;font-weight:bold}.failed{color:#a4161a;font-weight:bold}
.inconclusive{color:#9c6500;font-weight:bold}.skipped{color:#666}img{max-width:100%;border:1px solid #eee}
section{border-top:1px solid #ddd;margin-top:1.5em}code{background:#f6f6f6;padding:0 2px}.prov{color:#555;font-size:0.9em}"""


def _e(x) -> str:
    import html

    return html.escape(str(x), quote=True)


def _figure_tag(out_dir: Path, rel) -> str:
    import base64

    if not rel:
        return ""
    f = out_dir / rel
    if not f.is_file():
        return f"<p><em>figure {_e(rel)} not found</em></p>"
    mime = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg"}.get(f.suffix.lower())
    if mime is None:
        return f"<p>figure: {_e(rel)}</p>"
    data = base64.b64encode(f.read_bytes()).decode()
    return f'<figure><img alt="{_e(rel)}" src="data:{mime};base64,{data}"><figcaption>{_e(rel)}</figcaption></figure>'


def _claim_html(out_dir: Path, c: dict) -> list[str]:
    st = c.get("status", "?")
    h = [f'<section id="{_e(c["id"])}"><h3><code>{_e(c["id"])}</code> {_e(c.get("title", ""))}</h3>']
    if c.get("statement"):
        h.append(f"<p><em>Statement</em> [{_e(c.get('tag'))}], {_e(c.get('source'))}: {_e(c['statement'])}</p>")
    h.append(f'<p><em>Verdict</em>: <span class="{_e(st)}">{_e(st)}</span>. {_e(c.get("sentence", ""))}</p>')
    if c.get("uncertainty"):
        h.append(f"<p><em>Uncertainty</em>: {_e(c['uncertainty'])}.</p>")
    alts = c.get("alternatives") or {}
    if alts:
        h.append("<p><em>Declared alternatives</em>: " + "; ".join(
            f"{_e(a)}: {'excluded' if ok else 'not excluded' if ok is False else 'no fit'}" for a, ok in alts.items()) + ".</p>")
    ctrls = c.get("controls") or []
    if ctrls:
        h.append("<ul>" + "".join(
            f"<li>control <code>{_e(x['name'])}</code> ({_e(x.get('description', ''))}): "
            f"<strong>{'rejected' if x.get('rejected') else 'NOT rejected'}</strong> ({_e(x.get('outcome'))}) "
            f"&mdash; {_e(x.get('sentence', ''))}</li>" for x in ctrls) + "</ul>")
    run = c.get("run")
    if run and st != "skipped":
        h.append(f"<p class=\"prov\">Run: {c.get('wall_s', 0):.1f} s on {_e(run.get('device_kind') or run.get('device'))} "
                 f"({_e(run.get('backend'))}), commit {_e(run.get('git_commit'))}, code {_e(run.get('code'))}, "
                 f"JAX {_e(run.get('jax_version'))}, {_e(run.get('time_utc'))}.</p>")
    h.append(_figure_tag(out_dir, c.get("figure")))
    h.append("</section>")
    return h


def _md_table_html(md: str) -> str:
    """Our own Markdown table (calibrate.table(markdown=True): a header, a rule, rows split by
    ' | ') as an HTML table."""
    rows = [r.strip().strip("|").split(" | ") for r in md.splitlines() if r.startswith("|")]
    head, body = rows[0], rows[2:]
    out = ["<table><tr>" + "".join(f"<th>{_e(x.strip())}</th>" for x in head) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{_e(x.strip().strip('`'))}</td>" for x in r) + "</tr>" for r in body]
    return "".join(out) + "</table>"


def html_page(out_dir: Path, res: dict | None, cal_docs: list) -> str:
    """The report as one HTML page: verdict table, each claim's sentence, controls,
    alternatives, provenance and figure (embedded as data URIs), and each calibration table."""
    h = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
         "<title>theorylab report</title>", f"<style>{_CSS}</style></head><body>", "<h1>theorylab report</h1>"]
    if res is not None:
        prov = res.get("provenance", {})
        claims = res["claims"]
        counts = {s: sum(c["status"] == s for c in claims) for s in ("passed", "failed", "inconclusive", "skipped")}
        h += ["<h2>Verdicts</h2>", f'<p class="prov">{_e(_prov_line(prov))}</p>',
              "<p>" + ", ".join(f"{n} {s}" for s, n in counts.items()) + ".</p>",
              "<table><tr><th>claim</th><th>tag</th><th>predicted</th><th>measured</th><th>CI</th>"
              "<th>control</th><th>verdict</th><th>wall</th></tr>"]
        for c in claims:
            ci = c.get("ci")
            ci_s = f"{fmt_number(ci[0])}..{fmt_number(ci[1])}" if ci else "-"
            wall = f"{c['wall_s']:.0f} s" if c.get("wall_s") else "-"
            h.append(f'<tr><td><a href="#{_e(c["id"])}"><code>{_e(c["id"])}</code></a></td><td>{_e(c.get("tag", "-"))}</td>'
                     f"<td>{_e(_fmt(c.get('predicted')))}</td><td>{_e(_fmt(c.get('measured')))}</td><td>{_e(ci_s)}</td>"
                     f'<td>{_e(_control_cell(c))}</td><td class="{_e(c["status"])}">{_e(c["status"])}</td><td>{wall}</td></tr>')
        h.append("</table>")
        for c in claims:
            h += _claim_html(out_dir, c)
    for path, doc in cal_docs:
        head, rows = calibration_rates(doc)
        h += ["<h2>Calibration over fresh root seeds</h2>",
              f"<p class=\"prov\">{_e(_prov_line(doc.get('provenance', {})))} From "
              f"<code>{_e(path.relative_to(out_dir))}</code>. {_e(head.replace('`', ''))}</p>",
              "<p>Each claim's pass rate, each control's rejection rate and each declared alternative's "
              "exclusion rate, with Wilson 95% intervals.</p>", _md_table_html(rows)]
    h.append("</body></html>")
    return "\n".join(h) + "\n"


# ----------------------------------------------------------------------------------------------
# The terminal table of `theorylab verify`
# ----------------------------------------------------------------------------------------------
#: the widest line of the verdict table (the claim ids and the verdicts are never cut)
TABLE_WIDTH = 100


def _short(x, what: str) -> str:
    """A predicted or measured value for a table cell: a number in 3 significant digits; a dict
    (a limit check's bands or values, one per quantity) as its count, its entries being in the
    claim's sentence."""
    if x is None:
        return "-"
    if isinstance(x, dict):
        return f"{len(x)} {what}" if len(x) != 1 else f"1 {what[:-1]}"
    try:
        return f"{float(x):.3g}"
    except (TypeError, ValueError):
        return str(x)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(width - 1, 0)] + "…"


def verdict_table(verdicts, width: int = TABLE_WIDTH) -> str:
    """Plain-text table of verdicts (claim, predicted, measured [CI], control, verdict) no wider
    than ``width`` columns where the claim ids allow it: a limit check's bands and values show as
    their count (``verify`` prints them in each claim's sentence below the table), the control
    column says only whether every control was rejected, and a measured cell still too wide is
    cut with an ellipsis. Claim ids and verdicts are never cut."""
    rows = [("claim", "predicted", "measured [CI]", "control", "verdict")]
    long_values = False
    for v in verdicts:
        meas = _short(v.measured, "values")
        if v.ci is not None and v.measured is not None and not isinstance(v.measured, dict):
            meas += f" [{float(v.ci[0]):.3g}, {float(v.ci[1]):.3g}]"
        long_values |= isinstance(v.predicted, dict) or isinstance(v.measured, dict)
        ctrl = "-" if not v.controls else "rejected" if v.control_rejected else "NOT rejected"
        rows.append((v.claim_id, _short(v.predicted, "limits"), meas, ctrl, v.status.upper()))
    w = [max(len(r[i]) for r in rows) for i in range(5)]
    spare = width - 2 * 4 - w[0] - w[1] - w[3] - w[4]
    if w[2] > spare:
        w[2] = max(spare, len(rows[0][2]))
        rows = [r[:2] + (_fit(r[2], w[2]),) + r[3:] for r in rows]
    lines = ["  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * wi for wi in w))
    if long_values:
        lines.append("(a limit check's bands and measured values are in its sentence below)")
    return "\n".join(lines)
