"""Calibration: rerun claims and their controls over fresh root seed sets.

A verdict from one root seed set is an anecdote. ``calibrate`` reruns each selected claim on
roots ``1..R`` (root 0 is the default every claim is developed on, so it is left out) and
reports, per claim:

* how often it passed, was inconclusive or failed -- the pass rate is one minus the false-fail
  rate of the claim's test when the theorem holds;
* per control, how often it was rejected -- the power of the check against that nearby setting;
* per declared alternative exponent, how often the slope CI excluded it -- the power against
  that modelling error;

each with a Wilson 95% interval (``scipy.stats.binomtest``). ``calibration.json`` is rewritten
atomically after every (claim, root), so an interrupted run keeps every finished root and a rerun
resumes from it; the cell cache makes repeated cells free.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Optional, Sequence

from .claims import SIZES, Verdict, select
from .results import atomic_write_json, code_fingerprint, provenance

FORMAT = "theorylab-calibration/1"


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson 95% interval of a proportion k/n (scipy); (0, 1) when n = 0."""
    from scipy import stats

    if n < 1:
        return (0.0, 1.0)
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=0.95, method="wilson")
    return (float(ci.low), float(ci.high))


def record(v: Verdict) -> dict:
    """What calibration keeps of one verdict: a projection of its one serialiser,
    :meth:`Verdict.to_dict` (the same data ``results.json`` and ``report`` read)."""
    d = v.to_dict()
    controls = {}
    for c in d["controls"]:
        res = c.get("result") or {}
        controls[c["name"]] = {"outcome": c["outcome"], "rejected": c["rejected"],
                               "measured": _num(c["measured"]),
                               "series": {n: s["outcome"] for n, s in (res.get("series") or {}).items()},
                               "counts": res.get("counts")}
    return {
        "status": d["status"], "outcome": d["outcome"], "measured": _num(d["measured"]),
        "ci": d["ci"], "controls": controls, "alternatives": d["alternatives"],
        # per series: its outcome and its number with its CI (a slope's fit, or a constancy
        # check's max/min ratio)
        "series": {n: {"outcome": s["outcome"], "ci": s.get("ci"),
                       **{k: _num(s[k]) for k in ("slope", "ratio") if k in s}}
                   for n, s in d["series"].items()},
        "counts": d["counts"], "sentence": d["sentence"], "wall_s": round(v.wall_s, 3),
    }


def _num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def _rate(k: int, n: int) -> dict:
    lo, hi = wilson(k, n)
    return {"count": k, "of": n, "rate": (k / n) if n else None, "wilson95": [lo, hi]}


def summarize(runs: dict) -> dict:
    """Rates with Wilson intervals from ``{root: record}`` of one claim."""
    recs = [r for r in runs.values() if r["status"] != "skipped"]
    n = len(recs)
    out = {"roots": n}
    for s in ("passed", "inconclusive", "failed"):
        out[s] = _rate(sum(r["status"] == s for r in recs), n)
    out["check_outcome"] = {o: sum(r["outcome"] == o for r in recs)
                            for o in ("passed", "inconclusive", "failed", "error")}
    ctrl_names = sorted({c for r in recs for c in r["controls"]})
    out["controls"] = {}
    for c in ctrl_names:
        rs = [r["controls"][c] for r in recs if c in r["controls"]]
        out["controls"][c] = {**_rate(sum(x["rejected"] for x in rs), len(rs)),
                              "outcomes": {o: sum(x["outcome"] == o for x in rs)
                                           for o in ("passed", "inconclusive", "failed", "error")},
                              "failed_in_some_series_only": sum(x["outcome"] == "failed" and not x["rejected"]
                                                                for x in rs)}
    alt_names = sorted({a for r in recs for a in r["alternatives"]})
    out["alternatives"] = {a: _rate(sum(bool(r["alternatives"].get(a)) for r in recs), n)
                           for a in alt_names}
    return out


def _load(path: Path, meta: dict) -> tuple[dict, dict]:
    """``({claim: {root: record}}, {claim: stored entry})`` from an earlier calibration.json
    of the same size, seed count and version; runs made by other code are dropped (each run
    stores the fingerprint of core and its family)."""
    if not path.exists():
        return {}, {}
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}, {}
    if old.get("format") != FORMAT or old.get("meta") != meta:
        return {}, {}  # another size, seed count or version: start afresh
    claims = old.get("claims", {})
    return ({cid: {int(r): rec for r, rec in c.get("runs", {}).items()} for cid, c in claims.items()},
            claims)


@dataclasses.dataclass(frozen=True)
class RootTask:
    """One (claim, root) of a calibration, as plain data an executor can ship to a worker."""

    claim_id: str
    root: int
    size: str
    seeds: Optional[int]
    cache_dir: Optional[str]
    force: bool
    progress: Optional[bool] = False


def run_root(task: RootTask) -> dict:
    """Run one claim on one root (in whichever process the executor chose): its record."""
    from .verify import resolve_claim, run_claim

    v = run_claim(resolve_claim(task.claim_id), task.size, seeds=task.seeds,
                  cache_dir=task.cache_dir, progress=task.progress, root=task.root, force=task.force)
    return record(v)


def calibrate(selectors: Sequence[str], roots: int, *, size: str = "quick",
              seeds: Optional[int] = None, out_dir=None, cache_dir=None,
              echo=None, progress: Optional[bool] = False, first_root: int = 1,
              force: bool = False, executor=None) -> dict:
    """Run the selected claims on roots ``first_root .. first_root + roots - 1`` and summarise.

    Writes ``out_dir/calibration.json`` after each (claim, root) when ``out_dir`` is given and
    resumes from it. Each (claim, root) is one task for ``executor`` (in this process by
    default; on a Dask cluster the roots run in parallel, each in one worker, and are written
    as they finish). Claims of the file that are not selected are kept as they are, so one
    file can be filled family by family. Returns the calibration document.
    """
    from theorylab import __version__

    from .verify import check_out_dir

    if isinstance(roots, bool) or not isinstance(roots, int) or roots < 1:
        raise ValueError(f"--roots: must be a positive integer, got {roots!r}")
    if size not in SIZES:
        raise ValueError(f"size: must be one of {SIZES}, got {size!r}")
    claims = select(selectors)
    out = None if out_dir is None else check_out_dir(out_dir)
    meta = {"size": size, "seeds_override": seeds, "version": __version__, "force": force}
    wanted = list(range(first_root, first_root + roots))
    path = None if out is None else out / "calibration.json"
    runs, kept = ({}, {}) if path is None else _load(path, meta)
    codes = {c.id: code_fingerprint(c.package) for c in claims}
    for c in claims:  # runs of this claim made by other code are not evidence about this code
        runs[c.id] = {r: x for r, x in runs.get(c.id, {}).items() if x.get("code") == codes[c.id]}
    selected = {c.id for c in claims}
    from .executors import describe

    prov = provenance(size=size, seeds_override=seeds, selectors=list(selectors),
                      executor=describe(executor))
    t_start = time.perf_counter()
    doc: dict = {}

    def write():
        nonlocal doc
        entries = {cid: e for cid, e in kept.items() if cid not in selected}
        entries.update({c.id: {"tag": c.tag, "kind": c.check.kind, "needs_full": c.needs_full,
                               "code": codes[c.id],
                               "runs": {str(r): rec for r, rec in sorted(runs.get(c.id, {}).items())},
                               "summary": summarize({r: x for r, x in runs.get(c.id, {}).items()
                                                     if r in wanted})}
                        for c in claims if runs.get(c.id)})
        doc = {"format": FORMAT, "meta": meta, "roots": wanted,
               "provenance": {**prov, "wall_s": round(time.perf_counter() - t_start, 1)},
               "claims": dict(sorted(entries.items()))}
        if path is not None:
            atomic_write_json(path, doc)

    total = len(claims) * roots
    done = sum(r in runs.get(c.id, {}) for c in claims for r in wanted)
    pending = [RootTask(c.id, r, size, seeds, None if cache_dir is None else str(Path(cache_dir).resolve()),
                        force, progress)
               for c in claims for r in wanted if r not in runs.setdefault(c.id, {})]
    if executor is not None and getattr(executor, "name", "") != "in-process":
        # root by root: workers start on different claims, so each program is compiled once
        # and read by the others from the shared compilation cache
        pending.sort(key=lambda t: (t.root, t.claim_id))

    def finished(k: int, rec: dict) -> None:
        nonlocal done
        t = pending[k]
        runs[t.claim_id][t.root] = {**rec, "code": codes[t.claim_id]}
        done += 1
        write()
        if echo:
            echo(f"[{done}/{total}] {t.claim_id} root {t.root}: {rec['status']}"
                 + "".join(f"; {name} {'rejected' if c['rejected'] else c['outcome']}"
                           for name, c in rec.get("controls", {}).items())
                 + f" ({rec.get('wall_s', 0.0):.1f}s)")

    from .executors import InProcessExecutor

    (executor or InProcessExecutor()).run(run_root, pending, finished)
    write()
    return doc


def table(doc: dict, markdown: bool = False) -> str:
    """One row per claim (pass rate) and per control (rejection rate) and per alternative
    (exclusion rate), with Wilson 95% intervals."""
    def rate(x):
        lo, hi = x["wilson95"]
        return f"{x['count']}/{x['of']} [{lo:.2f}, {hi:.2f}]"

    rows = [("claim / control / alternative", "what is counted", "rate [Wilson 95%]", "other outcomes")]
    roots = set(doc.get("roots", []))
    for cid, c in doc["claims"].items():
        # recomputed from the stored runs, so the table follows the current counting rules
        s = summarize({int(r): rec for r, rec in c["runs"].items() if not roots or int(r) in roots})
        if not s["roots"]:
            rows.append((cid, "skipped at this size", "-", c.get("needs_full") or ""))
            continue
        rows.append((cid, "claim passed", rate(s["passed"]),
                     f"inconclusive {s['inconclusive']['count']}, failed {s['failed']['count']}"))
        for name, x in s["controls"].items():
            o = x["outcomes"]
            other = [f"{k} {v}" for k, v in o.items() if v and k != "failed"]
            if x["failed_in_some_series_only"]:
                other.append(f"failed in some series only {x['failed_in_some_series_only']}")
            rows.append((f"  control {name}", "rejected", rate(x), ", ".join(other)))
        for name, x in s["alternatives"].items():
            rows.append((f"  alternative {name}", "excluded by the CI", rate(x), ""))
    if markdown:
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        for r in rows[1:]:
            first = r[0].strip()
            first = f"`{first}`" if not first.startswith(("control", "alternative")) else "↳ " + first
            lines.append("| " + " | ".join((first,) + r[1:]) + " |")
        return "\n".join(lines)
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(x.ljust(w[i]) for i, x in enumerate(r)) for r in rows]
    lines.insert(1, "  ".join("-" * wi for wi in w))
    return "\n".join(lines)
