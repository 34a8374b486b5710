"""The rank-one family: the model and dynamics against independent numpy oracles, the
expectation identity by Monte Carlo, bad inputs, and every claim at quick size with its control."""


import jax
import jax.numpy as jnp
import numpy as np
import pytest

import theorylab
from theorylab import rank_one as r1
from theorylab.core import sweep as sweep_mod
from theorylab.rank_one import simulations as sims

KEY = jax.random.PRNGKey(11)


def test_instance_is_a_rank_one_signal_plus_symmetric_noise_of_the_stated_variance():
    d, sigma, n = 48, 0.7, 64
    insts = jax.vmap(lambda k: r1.instance(k, d, sigma, jnp.float64))(jax.random.split(KEY, n))
    Ys, Y = np.asarray(insts.Y_star), np.asarray(insts.Y)
    assert np.allclose(Y, np.swapaxes(Y, 1, 2))
    assert np.all(np.linalg.matrix_rank(Ys[:4]) == 1)
    E = Y - Ys
    off = E[:, ~np.eye(d, dtype=bool)]
    diag = E[:, np.eye(d, dtype=bool)]
    # 64 * 48 * 47 off-diagonal draws (half independent): the variance is known to ~1%
    assert abs(off.var() / sigma**2 - 1) < 0.03
    assert abs(diag.var() / (2 * sigma**2) - 1) < 0.06
    # the noise spectrum's edge is 2 sigma sqrt(d)
    top = np.linalg.eigvalsh(E).max(1)
    assert abs(np.median(top) / (2 * sigma * np.sqrt(d)) - 1) < 0.1


def test_soft_threshold_and_mse_against_numpy():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(7, 7))
    Y = (A + A.T) / 2
    lam, V = np.linalg.eigh(Y)
    for c in (0.0, 0.5, 2.0):
        ref = V @ np.diag(np.maximum(lam - c, 0)) @ V.T
        np.testing.assert_allclose(np.asarray(r1.soft_threshold(jnp.asarray(Y), c)), ref, atol=1e-12)
    Ys = np.outer(rng.normal(size=7), rng.normal(size=7))
    assert float(r1.mse(jnp.asarray(Y), jnp.asarray(Ys))) == pytest.approx(((Y - Ys) ** 2).sum() / 49)


def test_unperturbed_run_is_plain_gd():
    """xi = 0: the scan reproduces a numpy GD loop step for step (float32 rounding), and its
    average is over the block ends after ``average_from`` steps (110, 120, ..., 200 here)."""
    d, steps, eta = 12, 200, 0.02
    inst = r1.instance(KEY, d, 0.5)
    X0 = 0.01 * np.asarray(jax.random.normal(jax.random.fold_in(KEY, 1), (d, d)), np.float32)
    run = r1.perturbed_gd(KEY, inst.Y, inst.Y_star, jnp.asarray(X0), jnp.float32(eta), jnp.float32(0.0),
                          jnp.float32(0.0), steps=steps, record_every=10, average_from=100)
    X, Y = X0.astype(np.float64), np.asarray(inst.Y, np.float64)
    trace, window = [], []
    for k in range(steps):
        X = X - eta * (X @ X.T - Y) @ X
        if (k + 1) % 10 == 0:
            trace.append(((X @ X.T - np.asarray(inst.Y_star)) ** 2).sum() / d**2)
            if k + 1 > 100:
                window.append(X @ X.T)
    np.testing.assert_allclose(np.asarray(run.last), X @ X.T, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.asarray(run.mse_trace), trace, rtol=1e-3)
    assert len(window) == 10
    np.testing.assert_allclose(np.asarray(run.average), np.mean(window, 0), rtol=1e-4, atol=1e-4)
    assert not bool(run.diverged)


def test_expected_perturbed_gradient_by_monte_carlo():
    """E_W grad F(X + W) = (X X^T - Y) X + (2d + 1) xi^2 X (the symbolic check's numbers)."""
    d, xi, n = 5, 0.3, 200_000
    rng = np.random.default_rng(1)
    X = rng.normal(size=(d, d))
    A = rng.normal(size=(d, d))
    Y = A + A.T
    W = xi * rng.normal(size=(n, d, d))
    Z = X + W
    G = np.einsum("nij,nkj,nkl->nil", Z, Z, Z) - Y @ Z
    mean, se = G.mean(0), G.std(0) / np.sqrt(n)
    want = (X @ X.T - Y) @ X + (2 * d + 1) * xi**2 * X
    assert np.all(np.abs(mean - want) < 5 * se + 1e-12)
    # and the shift is really there: without it the mean is many standard errors away
    assert np.abs((mean - (X @ X.T - Y) @ X) / se).max() > 20


def test_gd_reaches_the_positive_part_and_perturbed_gd_the_soft_threshold():
    o = r1.recover(KEY, 24, 0.5, seeds=3, horizon=30)
    np.testing.assert_allclose(o["mse_last"], o["mse_gd_limit"], rtol=0.02)
    p = r1.recover(KEY, 24, 0.5, kappa=2.5, seeds=3, eta0=0.1, horizon=10)
    err = np.abs(p["spectrum_avg"] - p["spectrum_soft"]) / p["lambda_1"][:, None]
    assert err.max() < 0.03
    # the same key draws the same instances whatever the method (paired seeds)
    np.testing.assert_array_equal(o["mse_gd_limit"], p["mse_gd_limit"])
    assert np.all(p["mse_avg"] < o["mse_last"])


def test_seeds_in_threads_give_the_same_numbers():
    keys = jax.random.split(KEY, 5)
    st, dy = {"d": 12, "steps": 60}, sims.dynamic(0.5, 2.5)
    one = sweep_mod.run_keys(sims.recovery, st, dy, keys, threads=1)
    two = sweep_mod.run_keys(sims.recovery, st, dy, keys, threads=2)
    for k in one:
        np.testing.assert_array_equal(one[k], two[k])


def test_a_diverging_run_is_recorded_not_raised():
    o = r1.recover(KEY, 16, 0.5, seeds=2, eta0=5.0, steps=100)
    assert o["diverged"].all() and not np.isfinite(o["mse_last"]).any()


def test_one_compile_serves_gd_and_every_kappa():
    sw = sweep_mod.Sweep("test.rank_one.compile", 3)
    st = {"d": 8, "steps": 40}
    before = sum(v for k, v in sweep_mod.TRACE_COUNTS.items() if "recovery" in k[0])
    sw.run(sims.recovery, [(st, sims.dynamic(0.5, 0.0, eta0=0.5)), (st, sims.dynamic(0.5, 2.5)),
                           (st, sims.dynamic(0.5, 1.0, kappa_end=0.5))], seeds=2)
    after = sum(v for k, v in sweep_mod.TRACE_COUNTS.items() if "recovery" in k[0])
    assert after - before == 1


@pytest.mark.parametrize("kwargs, name", [
    ({"d": 1, "sigma": 1.0}, "d"),
    ({"d": 8.0, "sigma": 1.0}, "d"),
    ({"d": 8, "sigma": -0.1}, "sigma"),
    ({"d": 8, "sigma": float("nan")}, "sigma"),
    ({"d": 8, "sigma": 1.0, "kappa": 0.0}, "kappa"),
    ({"d": 8, "sigma": 1.0, "kappa": -2.0}, "kappa"),
    ({"d": 8, "sigma": 1.0, "eta0": float("inf")}, "eta0"),
    ({"d": 8, "sigma": 1.0, "eta0": float("nan")}, "eta0"),
    ({"d": 8, "sigma": 1.0, "eta0": -0.1}, "eta0"),
    ({"d": 8, "sigma": 1.0, "steps": 0}, "steps"),
    ({"d": 8, "sigma": 1.0, "kappa_end": 2.0}, "kappa_end"),
    ({"d": 8, "sigma": 1.0, "seeds": 0}, "seeds"),
    ({"d": 8, "sigma": 0.0}, "sigma"),  # the default run length is in units of 1/sigma
    ({"d": 8, "sigma": 1.0, "horizon": 0.0}, "horizon"),
])
def test_bad_inputs_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}:"):
        r1.recover(KEY, **kwargs)


def test_noise_free_instance_with_explicit_steps_is_fine():
    o = r1.recover(KEY, 8, 0.0, steps=300)
    assert o["mse_last"][0] < 1e-6  # sigma = 0: GD recovers u u^T exactly


# ----------------------------------------------------------------------------------------
# Every claim and control at quick size
# ----------------------------------------------------------------------------------------
FAMILY = "rank_one"  # its substrate tests run in the family's precision (conftest)
CLAIMS = [c.id for c in theorylab.claims("rank_one")]


def test_family_covers_the_issue():
    assert set(CLAIMS) == {"rank_one.gd_flat_in_d", "rank_one.perturbed_inverse_d",
                           "rank_one.sigma_squared", "rank_one.soft_threshold",
                           "rank_one.gap_grows_with_d"}


def test_simulations_draw_instance_and_start_in_float32():
    """The simulations draw the instance and the start in float32 (the module's precision
    argument). `theorylab mutate rank_one` found that drawing the start X0 in float16
    (simulations.py:69) moves no claim beyond its tolerance (a small random start quantised to
    1e-3 is still a small random start), so this substrate test is what notices it."""
    inst, X0, _ = sims._instance_and_start(jax.random.PRNGKey(0), 8, 0.1)
    assert all(a.dtype == jnp.float32 for a in (*inst, X0)), [a.dtype for a in (*inst, X0)]
