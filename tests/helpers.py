"""Shared pieces of the family test modules: run a family once, judge its verdicts, pin slopes."""

from pathlib import Path

import theorylab
from theorylab.core.golden import check_golden

GOLDEN = Path(__file__).parent / "golden" / "slopes.json"


def family_verdicts(family: str, cache) -> dict:
    """Every claim of ``family`` at quick size (cells cached under ``cache``), by id."""
    return {v.claim_id: v for v in theorylab.verify([family], size="quick", cache_dir=cache)}


def assert_passed_with_control_rejected(v) -> None:
    assert v.check_passed, v.sentence
    assert v.control_rejected is True, v.controls
    assert v.passed


def assert_slopes_pinned(v, min_tol: float = 0.01) -> None:
    """Golden pins (tolerance: the seed-bootstrap CI half-width, at least ``min_tol``); a claim
    over several series pins each one as ``id:series``."""
    seeds = theorylab.claims(v.claim_id)[0].seeds["quick"]
    series = (v.fit or {}).get("series")
    pins = ({f"{v.claim_id}:{n}": (s["slope"], s["ci"]) for n, s in series.items()} if series
            else {v.claim_id: (v.measured, v.ci)})
    for pid, (slope, ci) in pins.items():
        ok, msg = check_golden(GOLDEN, pid, slope, ci, size="quick", seeds=seeds, min_tol=min_tol)
        assert ok, msg


def assert_rejects_a_wrong_exponent(v, cache) -> None:
    """The twin of a slope claim: its real measurement (from the cell cache), through the claim's
    own check, must pass as measured and fail once each series' predicted exponent is moved past
    its own fitted slope by the tolerance and the CI width, in the direction the check guards."""
    import dataclasses

    from theorylab.core.verify import _context

    claim = theorylab.claims(v.claim_id)[0]
    chk = claim.check
    m = claim.measure(_context(claim, "quick", None, cache, False))
    assert chk.evaluate(m).passed
    lo, hi = v.ci
    gap = chk.tol + (hi - lo)
    sign = -1.0 if chk.side == "upper" else 1.0

    def wrong(slope):
        return slope + sign * gap

    if m.series:
        fits = v.fit["series"]
        moved = dataclasses.replace(m, series={k: (s_[0], s_[1], wrong(fits[k]["slope"])) for k, s_ in m.series.items()})
        assert not chk.evaluate(moved).passed
    else:
        assert not dataclasses.replace(chk, predicted=wrong(v.measured)).evaluate(m).passed
