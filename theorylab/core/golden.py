"""Golden-slope regression: pin each measured slope so a wrong exponent cannot slip by.

A one-sided check against a loose bound cannot tell a rate of -0.5 from -0.7. The golden file
can: it stores the slope measured at quick size with fixed keys, and a tolerance derived from
the seed-to-seed spread (the bootstrap CI half-width, at least ``min_tol``). Tests compare new
measurements with it. Values are only rewritten on purpose, with ``THEORYLAB_REGEN_GOLDEN=1``.

File format (JSON, one object per file, keys are claim ids)::

    {"large_lr.critical_rate": {"slope": -0.5012, "tolerance": 0.012, "ci": [-0.51, -0.49],
                                "size": "quick", "seeds": 4, "version": "0.1.0"}}
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .results import atomic_write_json

REGEN_ENV = "THEORYLAB_REGEN_GOLDEN"


def regenerating() -> bool:
    return os.environ.get(REGEN_ENV, "") not in ("", "0", "false", "no")


def check_golden(path, claim_id: str, slope: float, ci, *, size: str, seeds: int,
                 min_tol: float = 0.01) -> tuple[bool, str]:
    """Compare ``slope`` with the pinned value. Returns (ok, message).

    With ``THEORYLAB_REGEN_GOLDEN=1`` the entry is (re)written and the comparison passes.
    A missing entry fails (with instructions), so a new slope claim cannot go unpinned.
    """
    from theorylab import __version__

    path = Path(path)
    data = json.loads(path.read_text()) if path.exists() else {}
    half = (ci[1] - ci[0]) / 2 if ci is not None else 0.0
    if regenerating():
        data[claim_id] = {"slope": round(float(slope), 5), "tolerance": round(max(float(half), min_tol), 5),
                          "ci": [round(float(ci[0]), 5), round(float(ci[1]), 5)] if ci else None,
                          "size": size, "seeds": seeds, "version": __version__}
        atomic_write_json(path, dict(sorted(data.items())))
        return True, f"regenerated {claim_id}: slope {slope:.4f}"
    if claim_id not in data:
        return False, (f"{claim_id}: no golden slope in {path}; run the tests once with "
                       f"{REGEN_ENV}=1 to pin it on purpose")
    g = data[claim_id]
    diff = abs(slope - g["slope"])
    ok = diff <= g["tolerance"]
    return ok, (f"{claim_id}: slope {slope:.4f} vs golden {g['slope']:.4f} "
                f"(|diff| {diff:.4f} {'<=' if ok else '>'} tolerance {g['tolerance']:.4f})")
