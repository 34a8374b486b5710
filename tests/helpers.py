"""Shared pieces of the family test modules: run a family once, judge its verdicts, pin slopes."""

from pathlib import Path

import theorylab
from theorylab.core.golden import check_golden

GOLDEN = Path(__file__).parent / "golden" / "slopes.json"


def family_verdicts(family: str, cache) -> dict:
    """Every claim of ``family`` at quick size (cells cached under ``cache``), by id."""
    return {v.claim_id: v for v in theorylab.verify([family], size="quick", cache_dir=cache)}


def assert_passed_with_control_rejected(v) -> None:
    """Passed under the CI rule: the check's whole CI (or every instance) inside its band, and
    every control's own verdict *failed*."""
    assert v.outcome == "passed", v.sentence
    assert v.control_rejected is True, [(c.name, c.outcome, c.sentence) for c in v.controls]
    assert v.status == "passed", v.sentence


def _min_tol(claim, slope: float) -> float:
    # Geometric rates are small numbers (-0.02 for block PMD): pin them to 5% of their size
    # rather than to the absolute 0.01 that suits log-log exponents.
    return 0.01 if claim.check.log_x else max(0.05 * abs(slope), 1e-4)


def assert_slopes_pinned(v) -> None:
    """Golden pins of a slope claim and of its controls (tolerance: the seed-bootstrap CI
    half-width, at least 0.01, or 5% of a geometric rate). A series is pinned as ``id:series``,
    a control as ``id/control[:series]``. Pins regress the code; they are not evidence, so a
    claim's pin must lie inside its band and a control's outside it."""
    claim = theorylab.claims(v.claim_id)[0]
    seeds = claim.seeds["quick"]
    results = [(v.claim_id, v.series, True)] + [
        (f"{v.claim_id}/{c.name}", c.result.series, False) for c in v.controls if c.result is not None]
    for pid_base, series, inside in results:
        for name, s in series.items():
            assert s.fit is not None, f"{pid_base}:{name} has no fit"
            pid = f"{pid_base}:{name}" if name else pid_base
            lo, hi = s.band
            assert (lo <= s.slope <= hi) == inside, (
                f"{pid}: slope {s.slope:.4f} {'outside' if inside else 'inside'} the band [{lo}, {hi}]")
            ok, msg = check_golden(GOLDEN, pid, s.slope, s.ci, size="quick", seeds=seeds,
                                   min_tol=_min_tol(claim, s.slope))
            assert ok, msg


def assert_excludes_declared_alternatives(v) -> None:
    """Power, not just a pass: the claim declares at least one plausible wrong exponent, and the
    CI of the real measurement excludes every one of them in every series."""
    assert v.alternatives, f"{v.claim_id} declares no alternative exponent"
    for name, s in v.series.items():
        for a in s.alternatives:
            assert a.excluded, f"{v.claim_id}:{name} cannot tell the slope from {a.name}: {s.sentence}"


def assert_skipped_with_reason(v) -> None:
    """A claim whose evidence needs the full size is skipped at quick size, with its reason."""
    claim = theorylab.claims(v.claim_id)[0]
    assert v.status == "skipped" and claim.needs_full in v.sentence


def assert_not_failed_at_quick_size(cid: str, cache) -> None:
    """A claim moved to the full size because quick size leaves it inconclusive still runs its
    measurement and check here, as a regression of the code path: at quick size it must come out
    passed or inconclusive, never failed or without a fit."""
    from theorylab.core.verify import context

    claim = theorylab.claims(cid)[0]
    r = claim.check.evaluate(claim.measure(context(claim, "quick", None, cache)))
    assert r.outcome in ("passed", "inconclusive"), r.sentence
