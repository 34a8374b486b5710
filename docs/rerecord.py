"""The commands that re-make a family's records, read off the records themselves.

Changing a family package changes the code fingerprint of every record of that family, so the
change lands with its re-records (see docs/designs.md). Which claims each record holds, at which
size and on which roots, is in the records; this prints, for one family, the ``theorylab``
commands that re-make them into a scratch copy of ``results/`` (``$R``), in the order they need
(full size first, then the calibrations, then the mutation run), with the claims and roots each
record has now. Nothing is run: copy the plan into a script, run it from a clean clone of the
commit that carries the change, and copy the records back.

    python docs/rerecord.py manifold            # the plan
    python docs/rerecord.py manifold --json     # the same as data

A mutation record may be the union of several samples (``run.log`` names each); the plan gives
the last run's command, and says so.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: (record folder, file, size, how its claims were run): the records a family change stales
RECORDS = (("full-cpu", "results.json", "full", "verify"),
           ("full-cpu-distribution-recovery", "results.json", "full", "verify"),
           ("quick-root0", "results.json", "quick", "verify"),
           ("calibration-quick", "calibration.json", "quick", "calibrate"),
           ("calibration-full-cpu", "calibration.json", "full", "calibrate"),
           ("calibration-full-cpu-network", "calibration.json", "full", "calibrate"),
           ("calibration-full-cpu-score-rate", "calibration.json", "full", "calibrate"),
           ("calibration-fresh", "calibration.json", "quick", "calibrate"))


def _family_of(cid: str, families: dict) -> str:
    return families.get(cid, cid.split(".")[0])


def _roots(runs) -> list[tuple[int, int]]:
    """Sorted roots as (first, count) runs of consecutive numbers."""
    out: list[list[int]] = []
    for r in sorted(int(x) for x in runs):
        if out and r == out[-1][0] + out[-1][1]:
            out[-1][1] += 1
        else:
            out.append([r, 1])
    return [(a, n) for a, n in out]


def plan(family: str, results: Path = REPO / "results") -> list[dict]:
    """One entry per command: ``record``, ``claims``, ``argv`` (after ``theorylab``), ``note``."""
    import theorylab

    families = {c.id: c.family for c in theorylab.claims()}
    if family not in set(families.values()):
        raise ValueError(f"family: unknown family {family!r} (known: {', '.join(sorted(set(families.values())))})")
    steps = []
    for folder, name, size, how in RECORDS:
        path = results / folder / name
        if not path.exists():
            continue
        doc = json.loads(path.read_text())
        if how == "verify":
            ids = [e["id"] for e in doc["claims"] if _family_of(e["id"], families) == family]
            if ids:
                argv = ["verify", *ids, "--size", size, "--out", f"$R/{folder}"]
                steps.append({"record": folder, "claims": ids, "argv": argv, "note": ""})
            continue
        force = bool(doc.get("meta", {}).get("force"))
        groups: dict = {}  # claims sharing their roots run in one calibrate call
        for cid, e in doc["claims"].items():
            if _family_of(cid, families) == family:
                groups.setdefault(tuple(_roots(e.get("runs", {}))), []).append(cid)
        for spans, ids in groups.items():
            for first, count in spans:
                argv = ["calibrate", *ids, "--size", size, "--roots", str(count), "--first-root", str(first),
                        *(["--run-full-only"] if force else []), "--out", f"$R/{folder}"]
                steps.append({"record": folder, "claims": ids, "argv": argv, "note": ""})
    mut = results / "mutation" / family / "mutation.json"
    if mut.exists():
        meta = json.loads(mut.read_text())["meta"]
        argv = ["mutate", *meta["selectors"], "--size", meta["size"], "--max", str(meta["max"]),
                "--seed", str(meta["seed"]), "--out", f"$R/mutation/{family}"]
        if meta.get("pins") and not str(meta["pins"]).startswith("the unmutated"):
            argv[-2:-2] = ["--pins", meta["pins"]]
        for t in meta.get("tests") or ():
            argv += ["--tests", t]
        log = (results / "mutation" / family / "run.log")
        samples = log.read_text().count("sample") if log.exists() else 0
        steps.append({"record": f"mutation/{family}", "claims": list(meta["selectors"]), "argv": argv,
                      "note": "the last run's command; run.log names any earlier sample of the union"
                      if samples else ""})
    return steps


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("family")
    p.add_argument("--json", action="store_true", help="the plan as JSON")
    a = p.parse_args(argv)
    try:
        steps = plan(a.family)
    except ValueError as e:
        print(f"rerecord: error: {e}", file=sys.stderr)
        return 2
    if a.json:
        print(json.dumps(steps, indent=1))
        return 0
    print(f"# re-make the records of family {a.family}: R is a scratch copy of results/")
    for s in steps:
        print(f"theorylab {' '.join(shlex.quote(x) if not x.startswith('$R') else x for x in s['argv'])}"
              + (f"   # {s['note']}" if s["note"] else ""))
    print(AFTER)
    return 0


#: what follows the records (printed after the plan)
AFTER = """# then, in the working tree:
#   copy the records back from $R (for a mutation run: mutation.json, report.md, run.log, run.txt)
#   python -m pytest tests/test_claims.py -k measurement --theorylab-regen-pins   # only for a measurement changed on purpose
#   theorylab docs diffusion large_lr manifold pmd rank_one --results results/full-cpu/results.json --out docs/claims.md
#   python docs/readme_table.py
#   results/full-gpu/ needs a GPU (benchmarks/gpu_full.sh); until then the README marks its entries by older code"""


if __name__ == "__main__":
    sys.exit(main())
