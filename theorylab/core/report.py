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


def calibration_section(doc: dict) -> list[str]:
    from .calibrate import table

    prov = doc.get("provenance", {})
    roots = doc.get("roots", [])
    lines = ["## Calibration over fresh root seeds", "", _prov_line(prov),
             f"Roots {roots[0]}..{roots[-1]} ({len(roots)} fresh seed sets), wall time "
             f"{prov.get('wall_s')} s." if roots else "",
             "", "Each claim's pass rate (one minus its false-fail rate), each control's rejection "
             "rate (the check's power against that nearby setting) and each declared alternative's "
             "exclusion rate, with Wilson 95% intervals.", "", table(doc, markdown=True)]
    return lines


def write_report(out_dir) -> Path:
    out_dir = Path(out_dir)
    res_path, cal_path = out_dir / "results.json", out_dir / "calibration.json"
    if not res_path.exists() and not cal_path.exists():
        raise ValueError(f"DIR: no results.json or calibration.json in {out_dir}")
    lines = ["# theorylab report"]
    if res_path.exists():
        lines += [""] + results_section(json.loads(res_path.read_text()))
    if cal_path.exists():
        lines += [""] + calibration_section(json.loads(cal_path.read_text()))
    return atomic_write_text(out_dir / "report.md", "\n".join(lines) + "\n")
