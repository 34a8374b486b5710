"""Assertions for test suites that check claims: theorylab's own and users'.

Use them with the pytest plugin (:mod:`theorylab.pytest_plugin`, loaded automatically once
theorylab is installed), which supplies verdicts and pin files as fixtures::

    from theorylab.testing import assert_passed, assert_alternatives_excluded

    def test_my_rate(theorylab_verdict, theorylab_pins):
        v = theorylab_verdict("sgd.rate_in_t")           # run once per session, cells cached
        assert_passed(v)                                 # passed, every control rejected
        assert_alternatives_excluded(v)                  # the CI excludes each declared wrong rate
        theorylab_pins.assert_pinned(v)                  # the fitted slope is where it was

They work without pytest too: each raises ``AssertionError`` with the verdict's sentence.
"""

from __future__ import annotations

from typing import Optional

from .core.claims import Claim, Verdict
from .core.pins import PinFile

__all__ = ["assert_passed", "assert_alternatives_excluded", "assert_skipped_with_reason",
           "assert_not_failed", "assert_pinned", "default_min_tol"]


def _claim(v: Verdict, claim: Optional[Claim]) -> Claim:
    if claim is not None:
        return claim
    from .core.verify import resolve_claim

    return resolve_claim(v.claim_id)


def assert_passed(v: Verdict) -> None:
    """Passed under the CI rule: the check's whole CI (or every instance) inside its band, and
    every control's own verdict *failed* (rejected)."""
    assert v.outcome == "passed", f"{v.claim_id}: {v.status}: {v.sentence}"
    assert v.controls, f"{v.claim_id}: no negative control ran, so a pass shows no power"
    assert v.control_rejected is True, (
        f"{v.claim_id}: control not rejected: "
        + "; ".join(f"{c.name} {c.outcome}: {c.sentence}" for c in v.controls if not c.rejected))
    assert v.status == "passed", f"{v.claim_id}: {v.status}: {v.sentence}"


def assert_not_failed(v: Verdict) -> None:
    """Passed or inconclusive (a claim whose evidence needs more seeds than a quick run has,
    still run as a regression of its code path): never failed, never without a fit."""
    assert v.status in ("passed", "inconclusive"), f"{v.claim_id}: {v.status}: {v.sentence}"


def assert_alternatives_excluded(v: Verdict) -> None:
    """Power, not just a pass: the claim declares at least one plausible wrong exponent, and the
    CI of the measurement excludes every one of them in every series."""
    assert v.alternatives, f"{v.claim_id} declares no alternative exponent"
    for name, s in v.series.items():
        for a in s.alternatives:
            assert a.excluded, f"{v.claim_id}:{name} cannot tell the slope from {a.name}: {s.sentence}"


def assert_skipped_with_reason(v: Verdict, claim: Optional[Claim] = None) -> None:
    """A claim whose evidence needs the full size is skipped at quick size, with its reason."""
    c = _claim(v, claim)
    assert v.status == "skipped", f"{v.claim_id}: expected skipped, got {v.status}: {v.sentence}"
    assert c.needs_full and c.needs_full in v.sentence, v.sentence


def default_min_tol(claim: Claim, slope: float) -> float:
    """The least pin tolerance: 0.01 for a log-log exponent; 5% of a geometric rate's size
    (rates such as -0.02 per iteration), at least 1e-4."""
    return 0.01 if getattr(claim.check, "log_x", True) else max(0.05 * abs(slope), 1e-4)


def assert_pinned(v: Verdict, pins: PinFile, claim: Optional[Claim] = None,
                  min_tol: Optional[float] = None, size: str = "", seeds: Optional[int] = None) -> None:
    """Every fitted slope of a slope verdict and of its controls matches its pin in ``pins``.
    A series is pinned as ``id:series``, a control as ``id/control[:series]``. Pins regress the
    code, they are not evidence: a claim's pinned slope must lie inside its band, a control's
    outside it (checked before pinning, so a wrong value is never pinned)."""
    c = _claim(v, claim)
    if seeds is None and size in c.seeds:
        seeds = c.seeds[size]
    assert v.series, f"{v.claim_id}: no fitted slope to pin ({v.status}: {v.sentence})"
    results = [(v.claim_id, v.series, True)] + [
        (f"{v.claim_id}/{ctl.name}", ctl.result.series, False)
        for ctl in v.controls if ctl.result is not None]
    failures = []
    for base, series, inside in results:
        for name, s in series.items():
            pid = f"{base}:{name}" if name else base
            assert s.fit is not None, f"{pid} has no fit"
            lo, hi = s.band
            assert (lo <= s.slope <= hi) == inside, (
                f"{pid}: slope {s.slope:.4f} {'outside' if inside else 'inside'} the band [{lo}, {hi}]")
            ok, msg = pins.check(pid, s.slope, s.ci, size=size, seeds=seeds,
                                 min_tol=default_min_tol(c, s.slope) if min_tol is None else min_tol)
            if not ok:
                failures.append(msg)
    assert not failures, "\n".join(failures)


def assert_measurement_pinned(claim, measure, pins) -> None:
    """Every number the claim's simulation and each of its controls hand to their checks
    (:func:`theorylab.core.pins.measurement_numbers`) is where ``pins`` (a
    :class:`~theorylab.core.pins.MeasurementPins`) holds it, within the tolerance its own
    seed-to-seed interval gives. ``measure(claim_id, control)`` returns a Measurement (the
    plugin's ``theorylab_measure``). Claims that need the full size are pinned at quick size too:
    their quick measurement is a regression of their code path."""
    from .core.claims import select
    from .core.pins import measurement_numbers
    from .core.registry import family_of_claim

    c = select([claim])[0] if isinstance(claim, str) else claim
    fam = family_of_claim(c)
    x64 = bool(fam.x64) if fam is not None else False
    moved = []
    for key, ctl in [(c.id, None)] + [(f"{c.id}/{k.name}", k.name) for k in c.controls]:
        moved += pins.check(key, measurement_numbers(measure(c.id, ctl)), x64)
    assert not moved, "\n".join(moved)
