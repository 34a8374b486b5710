"""Run claims: measure, check, run the controls, draw the figure, write results atomically."""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path
from typing import Optional, Sequence

from . import plot
from .claims import (SIZES, Claim, Context, IdentityCheck, LimitCheck, Measurement,
                     PointwiseCheck, SlopeCheck, Verdict, select)
from .results import atomic_write_json, provenance
from .sweep import Sweep


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "theorylab"


def _context(claim: Claim, size: str, seeds: Optional[int], cache_dir, progress) -> Context:
    n = claim.seeds[size] if seeds is None else seeds
    sweep = Sweep(claim.id, claim.root_seed,
                  cache_dir=None if cache_dir is None else Path(cache_dir) / "cells" / claim.id,
                  progress=progress)
    return Context(claim.id, size, n, dict(claim.sizes[size]), claim.root_seed, sweep)


def default_figure(claim: Claim, m: Measurement, v: Verdict, path: Path, pdf: bool) -> str:
    """The standard figure for the claim's check kind."""
    check = claim.check
    title = f"{claim.id}: {v.status}"
    if isinstance(check, SlopeCheck):
        fig, _ = plot.loglog_figure(m.x, m.y, fit=v.fit, predicted=check.predicted,
                                    bound_latex=claim.bound.latex() if claim.bound else "",
                                    title=title, log_x=check.log_x,
                                    xlabel=m.info.get("xlabel", "x"), ylabel=m.info.get("ylabel", "y"))
    elif isinstance(check, PointwiseCheck):
        fig, _ = plot.ratio_figure(m.values, m.reference, m.mask, title=title, rel_slack=check.rel_slack)
    elif isinstance(check, IdentityCheck):
        scales = {n: m.reference[n + "_scale"] for n in m.values if n + "_scale" in m.reference}
        fig, _ = plot.error_figure(m.values, m.reference, m.mask, rtol=check.rtol, title=title,
                                   scales=scales)
    elif isinstance(check, LimitCheck):
        fig, _ = plot.interval_figure(m.values, check.intervals, m.mask, title=title)
    else:  # pragma: no cover
        return ""
    return plot.save(fig, path, pdf)


def run_claim(claim: Claim, size: str = "quick", *, seeds: Optional[int] = None,
              cache_dir=None, out_dir=None, pdf: bool = False,
              progress: Optional[bool] = None) -> Verdict:
    """Run one claim and its controls at ``size``. Never raises for a simulation's outcome.

    A claim that needs the full size is reported as skipped at quick size, with the reason.
    """
    if size not in SIZES:
        raise ValueError(f"size: must be one of {SIZES}, got {size!r}")
    if seeds is not None and seeds < 1:
        raise ValueError(f"seeds: must be at least 1, got {seeds}")
    kind = claim.check.kind
    if size == "quick" and claim.needs_full:
        return Verdict(claim.id, kind, "skipped", None, sentence=f"skipped at quick size: {claim.needs_full}")
    t0 = time.perf_counter()
    ctx = _context(claim, size, seeds, cache_dir, progress)
    try:
        m = claim.measure(ctx)
        r = claim.check.evaluate(m)
    except Exception as e:  # an error in a claim is that claim's failure, not the run's
        tb = traceback.format_exc(limit=3)
        return Verdict(claim.id, kind, "failed", False, sentence=f"error while measuring: {e!r}",
                       info={"traceback": tb}, wall_s=time.perf_counter() - t0)
    controls = []
    for c in claim.controls:
        cctx = _context(claim, size, seeds, cache_dir, progress)
        cctx.sweep.claim_id = f"{claim.id}/{c.name}"
        try:
            cm = c.measure(cctx)
            cr = (c.check or claim.check).evaluate(cm)
            controls.append({"name": c.name, "description": c.description, "rejected": not cr.passed,
                             "measured": cr.measured, "sentence": cr.sentence})
        except Exception as e:
            controls.append({"name": c.name, "description": c.description, "rejected": False,
                             "measured": None, "sentence": f"error while measuring control: {e!r}"})
    control_rejected = None if not controls else all(c["rejected"] for c in controls)
    ok = r.passed and control_rejected is not False
    sentence = r.sentence
    if control_rejected is False:
        sentence += "; a negative control was NOT rejected, so the check has no power here"
    v = Verdict(claim.id, kind, "passed" if ok else "failed", r.passed, r.predicted, r.measured,
                r.ci, r.tolerance, r.resolution, sentence, control_rejected, controls, r.fit,
                info={**m.info, "sweep": dict(ctx.sweep.stats),
                      "cell_wall_s": [round(w, 4) for w in ctx.sweep.wall.values()]})
    if out_dir is not None:
        path = Path(out_dir) / "figures" / claim.id.replace(".", "__")
        try:
            if claim.figure is not None:
                v.figure = claim.figure(m, v, claim, path, pdf)
            else:
                v.figure = default_figure(claim, m, v, path, pdf)
        except Exception as e:  # a broken figure must not lose the verdict
            v.info["figure_error"] = repr(e)
    v.wall_s = time.perf_counter() - t0
    return v


def verify(selectors: Sequence[str] = (), size: str = "quick", *, seeds: Optional[int] = None,
           out_dir=None, cache_dir=None, pdf: bool = False, progress: Optional[bool] = None,
           echo=None) -> list[Verdict]:
    """Run the selected claims (all when empty). Writes ``out_dir/results.json`` after each
    claim (atomically), so an interrupted run keeps what it finished."""
    claims = select(selectors)
    if size not in SIZES:
        raise ValueError(f"size: must be one of {SIZES}, got {size!r}")
    prov = provenance(size=size, seeds_override=seeds, selectors=list(selectors))
    verdicts: list[Verdict] = []
    for claim in claims:
        if echo:
            echo(f"running {claim.id} ...")
        v = run_claim(claim, size, seeds=seeds, cache_dir=cache_dir, out_dir=out_dir, pdf=pdf,
                      progress=progress)
        verdicts.append(v)
        if out_dir is not None:
            write_results(out_dir, verdicts, claims, prov)
    return verdicts


def write_results(out_dir, verdicts: Sequence[Verdict], claims: Sequence[Claim], prov: dict) -> Path:
    by_id = {c.id: c for c in claims}
    entries = []
    for v in verdicts:
        d = v.to_dict()
        c = by_id.get(v.claim_id)
        if c is not None:
            d.update(title=c.title, statement=c.statement, source=c.source, tag=c.tag,
                     bound=None if c.bound is None else str(c.bound.expr))
        if d.get("figure"):
            d["figure"] = os.path.relpath(d["figure"], out_dir)
        entries.append(d)
    return atomic_write_json(Path(out_dir) / "results.json", {"provenance": prov, "claims": entries})


def table(verdicts: Sequence[Verdict]) -> str:
    """Plain-text table: claim, predicted, measured +- CI, control, verdict."""
    def fmt(x):
        if x is None:
            return "-"
        if isinstance(x, float):
            return f"{x:.3g}"
        if isinstance(x, dict):
            return ", ".join(f"{k}∈[{v[0]:g},{v[1]:g}]" if isinstance(v, (list, tuple)) else f"{k}={v:g}"
                             for k, v in x.items())
        return str(x)

    rows = [("claim", "predicted", "measured [CI]", "control", "verdict")]
    for v in verdicts:
        meas = fmt(v.measured)
        if v.ci is not None and v.measured is not None:
            meas += f" [{v.ci[0]:.3g}, {v.ci[1]:.3g}]"
        ctrl = {None: "-", True: "rejected", False: "NOT rejected"}[v.control_rejected]
        rows.append((v.claim_id, fmt(v.predicted), meas, ctrl, v.status.upper()))
    w = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w[i]) for i, c in enumerate(r)) for r in rows]
    lines.insert(1, "  ".join("-" * wi for wi in w))
    return "\n".join(lines)
