"""The large-LR family: dynamics units, and every claim at quick size with its control."""

from functools import partial

import jax.numpy as jnp
import numpy as np
import pytest

import theorylab
from theorylab.core.claims import SlopeCheck
from theorylab.large_lr import dynamics as dyn


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


FAMILY = "large_lr"  # its substrate tests run in the family's precision (conftest)


def test_critical_rate_excludes_near_misses_too(theorylab_measure):
    """Beyond the declared alternatives: the real measurement, through the claim's own check
    kind and tolerance, fails against exponents only 0.1 away (-0.6 and -0.4)."""
    claim = theorylab.claims("large_lr.critical_rate")[0]
    m = theorylab_measure(claim.id)
    assert claim.check.evaluate(m).passed
    for wrong in (-0.6, -0.4):
        twin = SlopeCheck(predicted=wrong, side=claim.check.side, tol=claim.check.tol,
                          window=claim.check.window)
        assert twin.evaluate(m).outcome == "failed"


def test_mlp_layers_are_affine_with_their_biases():
    """A substrate test: each layer of the progressive-sharpening MLP adds its bias (hidden
    layers inside the tanh, the output layer outside). `theorylab mutate large_lr` found that
    dropping the output bias moves no claim beyond its tolerance (the sharpness at the edge of
    stability does not depend on it), so this test is what notices it."""
    import jax.numpy as jnp
    import numpy as np

    from theorylab.large_lr import mlp

    x = jnp.ones((3, 2), jnp.float32)
    zero = [(jnp.zeros((2, 4), jnp.float32), jnp.full((4,), 0.5, jnp.float32)),
            (jnp.zeros((4, 1), jnp.float32), jnp.full((1,), 0.25, jnp.float32))]
    np.testing.assert_allclose(np.asarray(mlp.forward(zero, x)), 0.25)
    one = [(jnp.zeros((2, 4), jnp.float32), jnp.full((4,), 0.5, jnp.float32)),
           (jnp.ones((4, 1), jnp.float32), jnp.zeros((1,), jnp.float32))]
    np.testing.assert_allclose(np.asarray(mlp.forward(one, x)), 4 * np.tanh(0.5), rtol=1e-6)


def test_mlp_data_are_teacher_plus_label_noise_in_float32():
    """A substrate test of the progressive-sharpening data: float32 inputs and targets, targets a
    tanh teacher plus N(0, 0.1^2) label noise. `theorylab mutate large_lr` found that scaling
    or dropping the label noise, or drawing the data in float16, moves no claim beyond its
    tolerance (the sharpness at the edge of stability settles at 2/eta whatever the data), so
    this test is what notices them."""
    import numpy as np

    from theorylab.large_lr import mlp

    n, d_in = 20000, 3
    x, y = mlp.make_data(7, n, d_in)
    assert x.dtype == np.float32 and y.dtype == np.float32 and x.shape == (n, d_in) and y.shape == (n, 1)
    rng = np.random.default_rng(7)  # the same draws, in order: inputs, teacher, noise
    rng.standard_normal((n, d_in))
    w1 = rng.standard_normal((d_in, 16)) / np.sqrt(d_in)
    w2 = rng.standard_normal((16, 1)) * 2.0 / np.sqrt(16)
    resid = y.astype(np.float64) - np.tanh(x.astype(np.float64) @ w1) @ w2
    assert 0.097 < resid.std() < 0.103, resid.std()  # 0.1 +- 3 standard errors (0.0005 each)
