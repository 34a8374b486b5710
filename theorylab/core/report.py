"""``theorylab report DIR``: a Markdown report from a stored results.json."""

from __future__ import annotations

from pathlib import Path

from .results import atomic_write_text, load_results


def _fmt(x):
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.4g}"
    if isinstance(x, dict):
        return ", ".join(f"{k}: {v}" for k, v in x.items())
    return str(x)


def write_report(out_dir) -> Path:
    out_dir = Path(out_dir)
    res = load_results(out_dir)
    prov = res.get("provenance", {})
    lines = ["# theorylab report", ""]
    lines.append(f"theorylab {prov.get('version')} (commit {prov.get('git_commit')}), JAX "
                 f"{prov.get('jax_version')} on {prov.get('backend')} ({', '.join(prov.get('devices', []))}), "
                 f"size `{prov.get('size')}`, {prov.get('time_utc')}.")
    lines += ["", "| claim | tag | predicted | measured | CI | control | verdict |",
              "|---|---|---|---|---|---|---|"]
    for c in res["claims"]:
        ci = c.get("ci")
        ci_s = f"{ci[0]:.3g}..{ci[1]:.3g}" if ci else "-"
        ctrl = {None: "-", True: "rejected", False: "NOT rejected"}[c.get("control_rejected")]
        lines.append(f"| `{c['id']}` | {c.get('tag', '-')} | {_fmt(c.get('predicted'))} | "
                     f"{_fmt(c.get('measured'))} | {ci_s} | {ctrl} | **{c['status']}** |")
    for c in res["claims"]:
        lines += ["", f"## `{c['id']}` -- {c.get('title', '')}", ""]
        if c.get("statement"):
            lines.append(f"*Statement* [{c.get('tag')}], {c.get('source')}: {c['statement']}")
            lines.append("")
        lines.append(f"*Verdict*: {c['status']}. {c.get('sentence', '')}")
        for ctl in c.get("controls", []):
            lines.append(f"- control `{ctl['name']}` ({ctl['description']}): "
                         f"{'rejected' if ctl['rejected'] else 'NOT rejected'} -- {ctl['sentence']}")
        if c.get("figure"):
            lines += ["", f"![{c['id']}]({c['figure']})"]
    return atomic_write_text(out_dir / "report.md", "\n".join(lines) + "\n")
