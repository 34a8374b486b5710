"""The large-LR family: dynamics units, and every claim at quick size with its control."""

from functools import partial

import jax.numpy as jnp
import numpy as np
import pytest

import theorylab
from theorylab.core.golden import check_golden
from theorylab.core.claims import SlopeCheck
from theorylab.large_lr import dynamics as dyn

GOLDEN = __import__("pathlib").Path(__file__).parent / "golden" / "slopes.json"


def test_exact_sharpness_at_a_minimiser():
    loss = partial(dyn.factor_loss, mu=1.0, n=2)
    z = jnp.array([2.0, 0.0, 0.5, 0.0])  # x = (2, 0), y = (0.5, 0): x^T y = 1
    assert float(dyn.sharpness(loss, z)) == pytest.approx(4.25, rel=1e-12)


def test_gd_flags_divergence_instead_of_nan():
    loss = partial(dyn.ell_loss, kind="quadratic")
    tr = dyn.gd(loss, jnp.array([10.0, 0.2]), 5.0, 200)
    assert bool(tr.diverged)
    assert np.all(np.isfinite(np.asarray(tr.z)))


def test_unknown_loss_is_a_clear_error():
    with pytest.raises(ValueError, match="loss"):
        dyn.ell("cubic", 1.0)


@pytest.fixture(scope="module")
def verdicts():
    return {v.claim_id: v for v in theorylab.verify(["large_lr"], size="quick")}


CLAIMS = [c.id for c in theorylab.claims("large_lr")]


@pytest.mark.parametrize("cid", CLAIMS)
def test_claim_passes_and_control_is_rejected(verdicts, cid):
    v = verdicts[cid]
    assert v.check_passed, v.sentence
    assert v.control_rejected is True, v.controls
    assert v.passed


def test_critical_rate_golden_slope(verdicts):
    """Pinned slope (tolerance from the seed CI, at least 0.01)."""
    v = verdicts["large_lr.critical_rate"]
    ok, msg = check_golden(GOLDEN, v.claim_id, v.measured, v.ci, size="quick", seeds=16)
    assert ok, msg


def test_critical_rate_check_rejects_a_planted_wrong_exponent():
    """The twin: the real measurement, through the claim's own check kind and tolerance, must
    fail against a wrong exponent (-0.6, or -0.4) and pass against the true one."""
    from theorylab.core.verify import _context

    claim = theorylab.claims("large_lr.critical_rate")[0]
    m = claim.measure(_context(claim, "quick", None, None, False))
    assert claim.check.evaluate(m).passed
    for wrong in (-0.6, -0.4):
        twin = SlopeCheck(predicted=wrong, side=claim.check.side, tol=claim.check.tol,
                          window=claim.check.window)
        assert not twin.evaluate(m).passed
