"""Run claims: measure, check, run the controls, draw the figure, write results atomically."""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path
from typing import Optional, Sequence

from . import plot
from .claims import SIZES, Claim, Context, ControlResult, Measurement, Verdict, select
from .results import atomic_write_json, provenance
from .sweep import Sweep


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "theorylab"


def context(claim: Claim, size: str = "quick", seeds: Optional[int] = None, cache_dir=None,
            progress: Optional[bool] = False, root: int = 0, executor=None) -> Context:
    """What ``claim.measure`` receives at ``size`` on root seed set ``root`` (cells cached under
    ``cache_dir`` when given, computed by ``executor``: in this process by default)."""
    n = claim.seeds[size] if seeds is None else seeds
    seed = claim.seed(root)
    sweep = Sweep(claim.id, seed,
                  cache_dir=None if cache_dir is None else Path(cache_dir).resolve() / "cells" / claim.id,
                  progress=progress, root=root, **({} if executor is None else {"executor": executor}))
    return Context(claim.id, size, n, dict(claim.sizes[size]), seed, sweep, root)


def check_out_dir(out_dir) -> Path:
    """Make sure ``out_dir`` can be written before any work starts (one-line ValueError)."""
    import tempfile

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out: {out} exists and is not a folder")
    if not out.parent.exists():
        raise ValueError(f"--out: the parent folder {out.parent} does not exist")
    try:
        out.mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-"):
            pass
    except OSError as e:
        raise ValueError(f"--out: {out} cannot be written ({e.strerror or e})") from None
    return out


def default_figure(claim: Claim, m: Measurement, v: Verdict, path: Path, pdf: bool) -> str:
    """The standard figure of the claim's check kind (drawn by the check itself)."""
    fig = claim.check.figure(m, v.result, title=f"{claim.id}: {v.status}",
                             bound_latex=claim.bound.latex() if claim.bound else "")
    return "" if fig is None else plot.save(fig, path, pdf)


def decide(outcome: str, controls: Sequence[ControlResult]) -> tuple[str, str]:
    """A claim's status from its check's outcome and its controls' (see :class:`Verdict`),
    with the reason when it is not the check's own outcome."""
    if outcome in ("failed", "error"):
        return "failed", "" if outcome == "failed" else "no evidence: the check could not be evaluated"
    passing = [c.name for c in controls if c.outcome == "passed"]
    errors = [c.name for c in controls if c.outcome == "error"]
    unsure = [c.name for c in controls if not c.rejected and c.outcome not in ("passed", "error")]
    if passing:
        return "failed", (f"control {', '.join(passing)} PASSED the same check: the check cannot tell "
                          "the claim from its control")
    if errors:
        return "failed", f"control {', '.join(errors)} could not be evaluated (an error is no rejection)"
    if outcome == "inconclusive":
        return "inconclusive", ""
    if unsure:
        return "inconclusive", (f"control {', '.join(unsure)} was not rejected (its CI straddles the band, "
                                "or only some of its series failed): the check cannot yet tell the claim "
                                "from it at this size")
    return "passed", ""


def skip_reason(claim: Claim, size: str, force: bool = False) -> str:
    """Why ``claim`` is not run at ``size`` on this backend ('' when it is run): a claim that
    needs the full size is skipped at quick size, one that needs a GPU at full size on a CPU."""
    if force:
        return ""
    if size == "quick" and claim.needs_full:
        return f"skipped at quick size: {claim.needs_full}"
    if size == "full" and claim.needs_gpu:
        import jax

        if jax.default_backend() == "cpu":
            return f"skipped at full size on a CPU: needs a GPU ({claim.needs_gpu})"
    return ""


def precision_of(claim: Claim):
    """The precision a claim runs in: ``x64(True/False)`` as its family declares, or a no-op
    for a claim outside every loaded family."""
    import contextlib

    from .precision import x64
    from .registry import family_of_claim

    fam = family_of_claim(claim)
    return contextlib.nullcontext() if fam is None else x64(fam.x64)


def resolve_claim(claim) -> Claim:
    """A Claim, given itself or its id (one-line ValueError when the id names no one claim)."""
    if isinstance(claim, Claim):
        return claim
    hit = [c for c in select([claim]) if c.id == claim]
    if not hit:
        raise ValueError(f"claim: {claim!r} is not one claim id")
    return hit[0]


def measure(claim, size: str = "quick", *, control: Optional[str] = None,
            seeds: Optional[int] = None, root: int = 0, cache_dir=None,
            progress: Optional[bool] = False, executor=None) -> Measurement:
    """Run a claim's simulation (or one of its controls', by name) at ``size`` on root seed set
    ``root`` and return the raw :class:`Measurement`, in the family's precision; judge it with
    ``claim.check.evaluate(m)`` (or the control's own check). ``claim``: a Claim or its id."""
    claim = resolve_claim(claim)
    if size not in SIZES:
        raise ValueError(f"size: must be one of {SIZES}, got {size!r}")
    fn = claim.measure
    ctx = context(claim, size, seeds, cache_dir, progress, root, executor)
    if control is not None:
        hit = [c for c in claim.controls if c.name == control]
        if not hit:
            raise ValueError(f"control: {claim.id} has no control {control!r} "
                             f"(it has: {', '.join(c.name for c in claim.controls) or 'none'})")
        fn = hit[0].measure
        ctx.sweep.claim_id = f"{claim.id}/{control}"
    with precision_of(claim):
        return fn(ctx)


def run_claim(claim: Claim, size: str = "quick", *, seeds: Optional[int] = None,
              cache_dir=None, out_dir=None, pdf: bool = False,
              progress: Optional[bool] = None, root: int = 0, force: bool = False,
              executor=None) -> Verdict:
    """Run one claim and its controls at ``size`` on root seed set ``root``, in the precision
    its family declares (restored afterwards). Never raises for a simulation's outcome.

    A claim that needs the full size is reported as skipped at quick size, with the reason,
    unless ``force`` (to see at quick size why it needs the full size).
    """
    claim = resolve_claim(claim)
    from .registry import check_definitions

    check_definitions([claim])
    with precision_of(claim):
        v = _run_claim(claim, size, seeds=seeds, cache_dir=cache_dir, out_dir=out_dir, pdf=pdf,
                       progress=progress, root=root, force=force, executor=executor)
    v.evidence, v.derived_from = claim.evidence, tuple(claim.derived_from)
    return v


def _run_claim(claim: Claim, size: str, *, seeds, cache_dir, out_dir, pdf, progress, root,
               force, executor) -> Verdict:
    if size not in SIZES:
        raise ValueError(f"size: must be one of {SIZES}, got {size!r}")
    if seeds is not None and seeds < 1:
        raise ValueError(f"seeds: must be at least 1, got {seeds}")
    kind = claim.check.kind
    why = skip_reason(claim, size, force)
    if why:
        return Verdict(claim.id, kind, "skipped", sentence=why, root=root)
    t0 = time.perf_counter()
    ctx = context(claim, size, seeds, cache_dir, progress, root, executor)
    try:
        m = claim.measure(ctx)
        r = claim.check.evaluate(m)
    except Exception as e:  # an error in a claim is that claim's failure, not the run's
        tb = traceback.format_exc(limit=3)
        return Verdict(claim.id, kind, "failed", sentence=f"error while measuring: {e!r}",
                       info={"traceback": tb}, wall_s=time.perf_counter() - t0, root=root)
    controls = []
    for c in claim.controls:
        cctx = context(claim, size, seeds, cache_dir, progress, root, executor)
        cctx.sweep.claim_id = f"{claim.id}/{c.name}"
        try:
            cm = c.measure(cctx)
            controls.append(ControlResult(c.name, c.description, (c.check or claim.check).evaluate(cm)))
        except Exception as e:
            controls.append(ControlResult(c.name, c.description, None,
                                          f"error while measuring control: {e!r}"))
    status, why = decide(r.outcome, controls)
    sentence = r.sentence + (f"; {why}" if why else "")
    v = Verdict(claim.id, kind, status, r, sentence, controls, root=root,
                sources=sorted(ctx.sweep.sources),
                info={**m.info, **({"calibration": claim.calibration} if claim.calibration else {}),
                      "sweep": dict(ctx.sweep.stats),
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
           echo=None, root: int = 0, force: bool = False, executor=None) -> list[Verdict]:
    """Run the selected claims (all when empty) on root seed set ``root``. Writes
    ``out_dir/results.json`` after each claim (atomically), so an interrupted run keeps what it
    finished; a rerun recomputes only the cells that are not cached.

    One folder can be filled by several runs (family by family, or CPU claims first): the
    entries of claims not selected now are kept when the earlier run had the same size, root
    and seed override. Each entry records the run it came from (commit, code fingerprint,
    backend, device, time).
    """
    claims = select(selectors)
    if size not in SIZES:
        raise ValueError(f"size: must be one of {SIZES}, got {size!r}")
    if out_dir is not None:
        check_out_dir(out_dir)
    from .executors import describe

    prov = provenance(size=size, seeds_override=seeds, selectors=list(selectors), root=root,
                      executor=describe(executor))
    kept = [] if out_dir is None else kept_entries(out_dir, prov, {c.id for c in claims})
    verdicts: list[Verdict] = []
    runs: dict = {}
    t_all = time.perf_counter()
    for i, claim in enumerate(claims, 1):
        skip = skip_reason(claim, size, force)
        if echo:
            echo(f"[{i}/{len(claims)}] {'skipping' if skip else 'running'} {claim.id}"
                 f"{' (' + skip.split(':')[0] + ')' if skip else ' ...'}")
        v = run_claim(claim, size, seeds=seeds, cache_dir=cache_dir, out_dir=out_dir, pdf=pdf,
                      progress=progress, root=root, force=force, executor=executor)
        verdicts.append(v)
        runs[claim.id] = run_record(prov, claim)
        if echo and not skip:
            echo(f"[{i}/{len(claims)}] {claim.id}: {v.status} in {v.wall_s:.1f} s "
                 f"({time.perf_counter() - t_all:.0f} s since the start)")
        if out_dir is not None:
            write_results(out_dir, verdicts, claims, prov, kept=kept, runs=runs)
    return verdicts


def run_record(prov: dict, claim: Claim) -> dict:
    """Where one claim's verdict came from: enough to tell runs in one folder apart."""
    from .registry import family_of_claim
    from .results import code_fingerprint

    fam = family_of_claim(claim)
    return {"git_commit": prov.get("git_commit"), "code": code_fingerprint(claim.package),
            "x64": None if fam is None else fam.x64,
            "backend": prov.get("backend"), "device": (prov.get("devices") or ["?"])[0],
            "device_kind": prov.get("device_kind"), "jax_version": prov.get("jax_version"),
            "time_utc": prov.get("time_utc")}


def kept_entries(out_dir, prov: dict, selected: set) -> list[dict]:
    """Entries of an earlier ``results.json`` in ``out_dir`` to keep: those of claims not
    selected now, when that run had the same size, root and seed override (else none)."""
    import json

    path = Path(out_dir) / "results.json"
    if not path.exists():
        return []
    try:
        old = json.loads(path.read_text())
        oprov = old["provenance"]
        entries = old["claims"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    if any(oprov.get(k) != prov.get(k) for k in ("size", "root", "seeds_override")):
        return []
    return [e for e in entries if isinstance(e, dict) and e.get("id") not in selected]


def write_results(out_dir, verdicts: Sequence[Verdict], claims: Sequence[Claim], prov: dict,
                  kept: Sequence[dict] = (), runs: Optional[dict] = None) -> Path:
    by_id = {c.id: c for c in claims}
    entries = list(kept)
    for v in verdicts:
        d = v.to_dict()
        c = by_id.get(v.claim_id)
        if c is not None:
            d.update(title=c.title, statement=c.statement, source=c.source, tag=c.tag,
                     bound=None if c.bound is None else str(c.bound.expr))
        if runs and v.claim_id in runs:
            d["run"] = runs[v.claim_id]
        if d.get("figure"):
            d["figure"] = os.path.relpath(d["figure"], out_dir)
        entries.append(d)
    entries.sort(key=lambda e: e.get("id", ""))
    return atomic_write_json(Path(out_dir) / "results.json",
                             {"provenance": prov, "claims": entries, "evidence": evidence(entries)})


def evidence(verdicts: Sequence) -> dict:
    """What the verdicts are evidence of, counted once each. Takes verdicts or their
    ``results.json`` entries.

    * Claims that measured the same shared sweep are one piece of evidence, not several: groups
      of claim ids by the data they read (``shared``), and the number of independent groups
      (``independent``) among the claims run.
    * ``theorem``: the claims run that are evidence about a theorem, excluding code checks and
      derived claims: how many ran, passed, and on how many independent sweeps they rest.
    * ``code``: the code checks run (``Claim.evidence == "code"``) and how many passed.
    * ``derived``: ``{id: [ids it is computed from]}`` for the derived claims run; they are
      reported, never counted as evidence again.
    """
    rows = []
    for v in verdicts:
        if isinstance(v, Verdict):
            rows.append((v.claim_id, v.status, v.sources, v.evidence, tuple(v.derived_from)))
        else:
            rows.append((v["id"], v["status"], v.get("sources") or [], v.get("evidence", "theorem"),
                         tuple(v.get("derived_from") or ())))
    parent = {row[0]: row[0] for row in rows}

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    owner: dict = {}
    for cid, _, sources, _, _ in rows:
        for src in map(tuple, sources):
            if src in owner:
                parent[find(cid)] = find(owner[src])
            else:
                owner[src] = cid
    groups: dict = {}
    theorem_groups: set = set()
    theorem = {"run": 0, "passed": 0}
    code = {"run": 0, "passed": 0, "ids": []}
    derived = {}
    for cid, status, _, kind, derived_from in rows:
        if status == "skipped":
            continue
        groups.setdefault(find(cid), []).append(cid)
        if derived_from:
            derived[cid] = list(derived_from)
        elif kind == "code":
            code["run"] += 1
            code["passed"] += status == "passed"
            code["ids"].append(cid)
        else:
            theorem["run"] += 1
            theorem["passed"] += status == "passed"
            theorem_groups.add(find(cid))
    theorem["independent"] = len(theorem_groups)
    shared = [sorted(g) for g in groups.values() if len(g) > 1]
    return {"claims_run": sum(len(g) for g in groups.values()), "independent": len(groups),
            "shared": sorted(shared), "theorem": theorem, "code": code, "derived": derived}


def evidence_text(ev: dict) -> str:
    """One paragraph: the theorem evidence, the code checks and the derived claims, counted apart."""
    t, c = ev["theorem"], ev["code"]
    text = (f"theorem evidence: {t['passed']} of {t['run']} claims passed, resting on "
            f"{t['independent']} independent sweeps; code checks (can fail only through a bug): "
            f"{c['passed']} of {c['run']} passed")
    if ev["derived"]:
        text += "; derived from other claims' data, not counted again: " + ", ".join(
            f"{d} (from {', '.join(src)})" for d, src in sorted(ev["derived"].items()))
    return text


def control_summary(v: Verdict) -> str:
    if not v.controls:
        return "-"
    if v.control_rejected:
        return "rejected"
    return "NOT rejected (" + ", ".join(f"{c.name}: {c.outcome}" for c in v.controls if not c.rejected) + ")"


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
        ctrl = control_summary(v)
        rows.append((v.claim_id, fmt(v.predicted), meas, ctrl, v.status.upper()))
    w = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w[i]) for i, c in enumerate(r)) for r in rows]
    lines.insert(1, "  ".join("-" * wi for wi in w))
    return "\n".join(lines)
