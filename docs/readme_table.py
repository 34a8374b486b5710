"""The README's table of claims, generated from the recorded results (never typed by hand).

Reads the claims (id, tag, check, title), ``results/quick-root0/results.json`` (the quick run on
root 0), ``results/calibration-quick/calibration.json`` (20 fresh roots) and
``results/full-cpu/results.json`` (the full-size run at the final code, with the claims kept
apart in ``FULL_APART``; a claim they lack falls back to
``results/full-cpu-pre21/results.json``, the earlier run, marked) with
``results/calibration-full-cpu/calibration.json`` (fresh roots at full size, for the claims it
covers), and writes the table
between the markers ``<!-- claims-table:start -->`` and ``<!-- claims-table:end -->`` of
README.md; and the table of benchmark ratios, from ``results/benchmarks/*.json`` (each written
by ``python benchmarks/NAME.py --out results/benchmarks``), between
``<!-- benchmarks-table:start -->`` and ``<!-- benchmarks-table:end -->``.

    python docs/readme_table.py          # rewrite the table in README.md
    python docs/readme_table.py --check  # exit 1 when README.md's table is stale

``tests/test_readme.py`` runs the check.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- claims-table:start -->", "<!-- claims-table:end -->"
TARGET = 19  # of 20 roots
FULL, FULL_EARLIER = "results/full-cpu/results.json", "results/full-cpu-pre21/results.json"
#: full-size records of the final code kept in a folder of their own (their claim is not in
#: FULL): diffusion.distribution_recovery, recorded apart when `theorylab report` and `theorylab
#: docs` could not yet format its infinite interval
FULL_APART = ("results/full-cpu-distribution-recovery/results.json",)
CAL_FULL = "results/calibration-full-cpu/calibration.json"
#: full-size calibrations kept in a folder of their own (a claim too long for the family's run
#: of 10 roots): manifold.network_rate_in_n on fresh roots 6..10
CAL_FULL_APART = ("results/calibration-full-cpu-network/calibration.json",)
BENCH_START, BENCH_END = "<!-- benchmarks-table:start -->", "<!-- benchmarks-table:end -->"
GPU_START, GPU_END = "<!-- gpu-table:start -->", "<!-- gpu-table:end -->"
FULL_GPU = "results/full-gpu/results.json"
MUT_START, MUT_END = "<!-- mutation-table:start -->", "<!-- mutation-table:end -->"
MUTATION = "results/mutation"
BENCHMARKS = "results/benchmarks"


def _load(rel: str) -> dict:
    path = ROOT / rel
    return json.loads(path.read_text()) if path.exists() else {}


def _num(x) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    return f"{v:.3g}"


def _ci(ci) -> str:
    return "" if not ci else f" [{_num(ci[0])}, {_num(ci[1])}]"


def check_text(claim) -> str:
    c = claim.check
    kind = c.kind
    if kind == "slope":
        side = {"upper": "upper", "lower": "lower", "two-sided": "two-sided"}[c.side]
        return f"slope ({side}{', semi-log' if not c.log_x else ''})"
    tol = getattr(c, "tolerated", 0.0)
    return kind + (f" (tolerates {tol:g} of instances)" if tol else "")


def measured_text(e: dict | None) -> str:
    if e is None:
        return "not recorded"
    if e["status"] == "skipped":
        return "not measured (" + e["sentence"].split(":")[0] + ")"
    kind = e["kind"]
    if kind == "slope":
        series = e.get("series") or {}
        parts = [(f"{n}: " if n else "") + f"{_num(s['slope'])}{_ci(s['ci'])}" for n, s in series.items()]
        text = "; ".join(parts) or f"{_num(e['measured'])}{_ci(e['ci'])}"
    else:
        counts = e.get("counts") or {}
        what = {"pointwise": "worst ratio", "limit": "median", "identity": "max error",
                "constancy": "max/min ratio"}.get(kind, "measured")
        text = f"{what} {_num(e['measured'])}{_ci(e['ci']) if kind in ('limit', 'constancy') else ''}"
        if counts.get("counted") is not None:
            text += f", {counts['outside']} of {counts['counted']} instances outside"
    ctrls = e.get("controls") or []
    if ctrls:
        text += "; control " + ", ".join(f"{c['name']} {_num(c['measured'])}" for c in ctrls)
    return text


def _rate(x: dict) -> str:
    lo, hi = x["wilson95"]
    return f"{x['count']}/{x['of']} [{lo:.2f}, {hi:.2f}]"


def calibration_text(entry: dict | None) -> str:
    if not entry:
        return "not calibrated"
    s = entry["summary"]
    if not s.get("roots"):
        return "not calibrated at this size"
    other = [f"{k} {s[k]['count']}" for k in ("inconclusive", "failed") if s[k]["count"]]
    parts = [f"passed {_rate(s['passed'])}" + (f" ({', '.join(other)})" if other else "")]
    for name, x in s["controls"].items():
        parts.append(f"control {name} rejected {_rate(x)}")
    if s["alternatives"]:
        parts.append("alternatives excluded " + ", ".join(f"{x['count']}/{x['of']}" for x in s["alternatives"].values()))
    below = s["passed"]["count"] < TARGET * s["roots"] / 20 or any(
        x["count"] < TARGET * x["of"] / 20 for x in s["controls"].values())
    target = "the 19/20 target" if s["roots"] == 20 else f"the target of {TARGET} in 20"
    return "; ".join(parts) + (f" — **below {target}**" if below else "")


def _cal_cell(entry: dict | None, cid: str = "") -> str:
    text = calibration_text(entry)
    if text.startswith("not calibrated"):
        return text
    return "calibration " + _older(entry, cid) + text


def _older(cal: dict | None, cid: str) -> str:
    """A mark for a calibration entry whose runs were made by other code than the claim's now
    (its code fingerprint differs): its rates are not evidence about this code."""
    import theorylab
    from theorylab.core.results import code_fingerprint

    claim = next((c for c in theorylab.claims() if c.id == cid), None)
    if not cal or claim is None or cal.get("code") == code_fingerprint(claim.package):
        return ""
    return "*by older code, to be rerun:* "


def _current(e: dict) -> bool:
    """Whether a recorded entry was made by the code as it is now: its claim's package
    fingerprint (core, top-level modules and the claim's family) matches."""
    import theorylab
    from theorylab.core.results import code_fingerprint

    claim = next((c for c in theorylab.claims() if c.id == e["id"]), None)
    return claim is not None and (e.get("run") or {}).get("code") == code_fingerprint(claim.package)


def full_text(e: dict | None) -> str:
    if e is None:
        return "not run"
    if not _current(e):
        commit = ((e.get("run") or {}).get("git_commit") or "unknown")[:7]
        return f"*by older code ({commit}):* " + _full_text(e)
    return _full_text(e)


def _full_text(e: dict) -> str:
    if e["status"] == "skipped":
        return "skipped: " + e["sentence"].split(": ", 1)[-1]
    status = e["status"] if e["status"] == "passed" else f"**{e['status']}**"
    series = e.get("series") or {}
    if series:
        # each series' own number: a slope, or a constancy check's max/min ratio
        m = "; ".join((f"{n}: " if n else "") + f"{_num(s.get('slope', s.get('ratio')))}{_ci(s.get('ci'))}"
                      for n, s in series.items())
    else:
        m = f"measured {_num(e['measured'])}"
    ctrls = e.get("controls") or []
    rej = sum(bool(c.get("rejected")) for c in ctrls)
    return f"{status}: {m}; controls rejected {rej}/{len(ctrls)}; {_wall_text(e)}"


def _wall_text(e: dict) -> str:
    """The entry's wall time, and where the claim's cells came from when that run computed none
    of them (a wall time of cache reads is not the claim's cost; its controls' cells are not
    counted in the claim's sweep statistics)."""
    wall = e.get("wall_s") or 0
    t = f"{wall / 60:.0f} min" if wall >= 90 else f"{wall:.0f} s"
    stats = (e.get("info") or {}).get("sweep") or {}
    computed, cached, memo = (stats.get(k, 0) for k in ("computed", "cache_hits", "memo_hits"))
    if not computed and cached:
        return (f"{t} (the claim's {cached} cells read from the cell cache; their compute time "
                "is in the run's log)")
    if not computed and memo:
        return f"{t} (its shared sweep is charged to the claim that ran it first)"
    return t + (f" ({cached} cells from the cell cache)" if cached else "")


def _full_cell(full: dict | None, cal_full: dict | None, cid: str = "") -> str:
    """The full-size run on root 0, and the calibration over fresh roots at full size where
    one is recorded (claims that take 5 minutes or less at full size on 2 cores)."""
    text = full_text(full)
    if cal_full and cal_full.get("summary", {}).get("roots"):
        text += (f"; at full size over {cal_full['summary']['roots']} fresh roots: "
                 + _older(cal_full, cid) + calibration_text(cal_full))
    return text


def _row(c, q, cal, full, cal_full=None) -> str:
    status = "not recorded" if q is None else q["status"]
    if q is not None and q["status"] == "skipped":
        status = "skipped (needs full)"
    elif q is not None and q["status"] != "passed":
        status = f"**{status}**"
    tag = c.tag + (f"; derived from {', '.join(f'`{d}`' for d in c.derived_from)}, not counted again"
                   if c.derived_from else "")
    cells = [f"`{c.id}`", tag, check_text(c), c.title.replace("|", "\\|"),
             measured_text(q).replace("|", "\\|"),
             f"{status}; {_cal_cell(cal, c.id)}".replace("|", "\\|"),
             _full_cell(full, cal_full, c.id).replace("|", "\\|")]
    return "| " + " | ".join(cells) + " |"


def counts_text(claims, quick: dict, cal: dict) -> str:
    """How many claims of each kind passed at quick size on root 0 and met the calibration
    target, from the records (derived claims and code checks counted apart)."""
    def count(group):
        run = [c for c in group if c.id in quick and quick[c.id]["status"] != "skipped"]
        passed = sum(quick[c.id]["status"] == "passed" for c in run)
        summaries = [cal[c.id]["summary"] for c in group if (cal.get(c.id) or {}).get("summary", {}).get("roots")]
        target = sum(s["passed"]["count"] >= TARGET * s["roots"] / 20 for s in summaries)
        return (f"{len(group)} claim{'s' if len(group) != 1 else ''}; at quick size on root 0, "
                f"{passed} of the {len(run)} run passed ({len(group) - len(run)} need the full "
                f"size); {target} of the {len(summaries)} calibrated at quick size passed on at "
                "least 19 of 20 fresh roots")
    theorem = [c for c in claims if c.evidence == "theorem" and not c.derived_from]
    derived = [c for c in claims if c.derived_from]
    code = [c for c in claims if c.evidence == "code" and not c.derived_from]
    return "\n".join([f"- **Theorem evidence**: {count(theorem)}.",
                      f"- **Derived** from other claims' data (not counted again): {count(derived)}.",
                      f"- **Code checks** (they can fail only through a bug): {count(code)}."])


def table() -> str:
    sys.path.insert(0, str(ROOT))
    import theorylab

    quick = {e["id"]: e for e in _load("results/quick-root0/results.json").get("claims", [])}
    cal = _load("results/calibration-quick/calibration.json").get("claims", {})
    # the full-size run at the final code; claims it has not rerun yet fall back to the earlier
    # record (older code, the rules before issue 21), marked as such in their cell
    full = {e["id"]: e for e in _load(FULL_EARLIER).get("claims", [])}
    for rel in FULL_APART + (FULL,):
        full.update({e["id"]: e for e in _load(rel).get("claims", [])})
    cal_full = _load(CAL_FULL).get("claims", {})
    for rel in CAL_FULL_APART:
        cal_full.update(_load(rel).get("claims", {}))
    head = ("| claim | tag | check | what is checked | measured (quick, root 0) | status at quick size; "
            "calibration over 20 fresh roots (Wilson 95%) | full size, root 0, 2-core CPU "
            "(`results/full-cpu/`, `diffusion.distribution_recovery` in `results/full-cpu-distribution-recovery/`; "
            "entries of `results/full-cpu-pre21/`, by older code, marked); "
            "calibration at full size over fresh roots where recorded (`results/calibration-full-cpu/`; "
            "`manifold.network_rate_in_n` in `results/calibration-full-cpu-network/`) |")
    claims = sorted(theorylab.claims(), key=lambda c: (c.family, c.id.split(".")[0] != c.family, c.id))
    lines = [counts_text(claims, quick, cal), ""]
    for title, group in (("Theorem evidence", [c for c in claims if c.evidence == "theorem"]),
                         ("Code checks: they can fail only through a bug in the code, so they are "
                          "counted apart from the theorem evidence",
                          [c for c in claims if c.evidence == "code"])):
        lines += [f"**{title}**", "", head, "|---|---|---|---|---|---|---|"]
        lines += [_row(c, quick.get(c.id), cal.get(c.id), full.get(c.id), cal_full.get(c.id)) for c in group]
        lines.append("")
    return "\n".join(lines).rstrip()


def benchmarks_table() -> str:
    """One row per recorded benchmark: its command, each ratio (baseline time over the other
    version's, so above 1 means the second is faster), the machine and its load, the commit."""
    files = sorted((ROOT / BENCHMARKS).glob("*.json"))
    if not files:
        return f"No benchmark is recorded yet in `{BENCHMARKS}/`."
    lines = [f"Recorded in `{BENCHMARKS}/` (generated from those files; a ratio is the first "
             "version's time over the second's, so above 1 means the second is faster):", "",
             "| benchmark | command | ratios | machine (1-min load at start) | commit |", "|---|---|---|---|---|"]
    for f in files:
        rec = json.loads(f.read_text())
        prov = rec.get("provenance", {})
        ratios = "; ".join(f"{k} **{v:.3g}×**" for k, v in rec.get("ratios", {}).items())
        load = rec.get("load_at_start")
        machine = (f"{prov.get('cpu_count', '?')}-core {prov.get('cpu_model') or prov.get('device_kind', '?')}, "
                   f"{prov.get('backend', '?')}" + ("" if load is None else f" ({load:g})"))
        commit = (prov.get("git_commit") or "?")[:7] + (" (dirty)" if str(prov.get("git_commit", "")).endswith("+dirty") else "")
        lines.append(f"| `{f.stem}` | `{prov.get('command', '?')}` | {ratios} | {machine} | {commit} |")
    return "\n".join(lines)


def _val(e: dict) -> str:
    return "-" if e.get("measured") is None else f"{_num(e['measured'])}{_ci(e.get('ci'))}"


def gpu_table() -> str:
    """The claims recorded at full size on a GPU beside the same claims at full size on the CPU:
    verdict, measured value and wall time of each (said so where the cells were read from the
    cache or charged to another claim), and whether the GPU record is by the code of this checkout."""
    sys.path.insert(0, str(ROOT))
    from theorylab.core.results import code_fingerprint

    gpu = _load(FULL_GPU)
    if not gpu.get("claims"):
        return f"No claim is recorded on a GPU yet (`{FULL_GPU}`)."
    import theorylab

    by_id = {c.id: c for c in theorylab.claims()}
    cpu = {}
    for rel in FULL_APART + (FULL,):
        cpu.update({e["id"]: e for e in _load(rel).get("claims", [])})
    prov = gpu.get("provenance", {})
    lines = [f"Recorded in `{FULL_GPU}` ({prov.get('device_kind', '?')}, JAX {prov.get('jax_version', '?')}; "
             f"generated from that file and `{FULL}`): {len(gpu['claims'])} of {len(by_id)} claims.", "",
             "| claim | GPU verdict | GPU measured | GPU wall | CPU verdict | CPU measured | CPU wall |",
             "|---|---|---|---|---|---|---|"]
    for e in gpu["claims"]:
        c = by_id.get(e["id"])
        fresh = c is not None and (e.get("run") or {}).get("code") == code_fingerprint(c.package)
        ce = cpu.get(e["id"], {})
        cwall = _wall_text(ce) if ce.get("wall_s") else "-"
        lines.append(f"| `{e['id']}`{'' if fresh else ' (by older code)'} | {e['status']} | "
                     f"{_val(e)} | {_wall_text(e)} | {ce.get('status', '-')} | {_val(ce)} | {cwall} |")
    return "\n".join(lines)


def mutation_table() -> str:
    """One row per recorded mutation run (results/mutation/NAME/mutation.json): the family
    package, the substrate tests run on the mutants the claims missed, the mutants by class, the
    kill rate of the non-equivalent ones with its Wilson interval (and from the claims and pins
    alone), and the survivors."""
    files = sorted((ROOT / MUTATION).glob("*/mutation.json"))
    if not files:
        return f"No mutation run is recorded yet in `{MUTATION}/`."

    def rate(f, bold=True):
        ci = f.get("wilson95")
        if f.get("kill_rate") is None:
            return "-"
        r = f"{f['kill_rate']:.2f}"
        return f"{'**' + r + '**' if bold else r} [{ci[0]:.2f}, {ci[1]:.2f}]"

    lines = [f"Recorded in `{MUTATION}/` (generated from those files; quick size, root 0, pins "
             "`tests/golden/measurements.json`; *tests*: the family's test file, run on every mutant "
             "the claims and pins did not kill):", "",
             "| run | selectors | sites | mutants | tests | killed | survived | equivalent | "
             "kill rate [Wilson 95%] | claims and pins alone | commit |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    survivors = []
    sys.path.insert(0, str(ROOT))
    from theorylab.core.mutate import _fingerprint  # what a resumed mutation run must share

    for f in files:
        doc = json.loads(f.read_text())
        meta, prov = doc["meta"], doc.get("provenance", {})
        for pkg, fam in (doc.get("summary") or {}).get("families", {}).items():
            # a run whose mutants were made from other code than the family's now
            stale = (meta.get("code") or {}).get(pkg) not in (None, _fingerprint(pkg))
            done = sum(1 for r in doc["mutants"].values() if r.get("class"))
            alone = fam.get("claims_and_pins", fam)
            tests = " ".join(meta.get("tests") or []) or "-"
            lines.append(f"| `{f.parent.name}` | {' '.join(meta['selectors'])} | {meta['sites']} | "
                         f"{done} of {len(doc['mutants'])} | `{tests}` | {fam['killed']} | {fam['survived']} | "
                         f"{fam['equivalent']} | {rate(fam)} | {alone['killed']}/{alone['survived']}/"
                         f"{alone['equivalent']}: {rate(alone, False)} | {(prov.get('git_commit') or '?')[:7]}{' (by older code, to be rerun)' if stale else ''} |")
        survivors += [f"- `{f.parent.name}`: `{r['mutant']['module']}:{r['mutant']['line']}` "
                      f"{r['mutant']['operator']}: `{r['mutant']['before']}` -> `{r['mutant']['after']}`"
                      for r in doc["mutants"].values() if r.get("class") == "survived"]
    if survivors:
        lines += ["", f"Survivors (each answered in `{MUTATION}/SURVIVORS.md`: why it is harmless, or what "
                  "would notice it):", ""] + survivors
    return "\n".join(lines)


def _between(text: str, start: str, end: str, body: str) -> str:
    i, j = text.index(start), text.index(end)
    return text[:i] + start + "\n" + body + "\n" + text[j:]


def render(readme: str) -> str:
    readme = _between(readme, START, END, table())
    if BENCH_START in readme:
        readme = _between(readme, BENCH_START, BENCH_END, benchmarks_table())
    if MUT_START in readme:
        readme = _between(readme, MUT_START, MUT_END, mutation_table())
    if GPU_START in readme:
        readme = _between(readme, GPU_START, GPU_END, gpu_table())
    return readme


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="exit 1 when README.md's table is stale")
    args = p.parse_args(argv)
    path = ROOT / "README.md"
    old = path.read_text()
    new = render(old)
    if args.check:
        if new != old:
            print("README.md's claims or benchmarks table is stale: run python docs/readme_table.py",
                  file=sys.stderr)
            return 1
        return 0
    if new != old:
        path.write_text(new)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
