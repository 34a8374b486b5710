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
