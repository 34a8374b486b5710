"""The manifold family: data and estimators against numpy oracles, network masking and early
stopping, bad inputs, and every claim at quick size with its control."""


import jax
import jax.numpy as jnp
import numpy as np
import pytest

import theorylab
from theorylab.manifold import data, estimators as est, network as net
from theorylab.manifold import simulations as sims

KEY = jax.random.PRNGKey(5)


@pytest.mark.parametrize("name", ["circle", "torus", "sphere"])
def test_points_lie_on_the_rotated_manifold_and_padding_is_zero(name):
    s = data.draw(KEY, name, n_max=300, n_test=50, D=9, D_max=12, beta=1.0, sigma=0.5)
    x = np.asarray(s.x, np.float64)
    assert np.abs(x[:, 9:]).max() == 0
    m = data.manifold(name)
    # an isometric embedding rotated by orthonormal columns keeps norms: |x| = |embedding|
    expected = {"circle": 1.0, "torus": np.sqrt(2.0), "sphere": 1.0}[name]
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), expected, rtol=1e-5)
    # the points span a subspace of dimension at most the embedding's
    assert np.linalg.matrix_rank(x, tol=1e-4) <= m.ambient


def test_frame_is_orthonormal_within_the_first_D_coordinates():
    Q = np.asarray(data.frame(KEY, 7, 20, 4), np.float64)
    np.testing.assert_allclose(Q.T @ Q, np.eye(4), atol=1e-6)
    assert np.abs(Q[7:]).max() == 0


@pytest.mark.parametrize("name", ["circle", "torus", "cube"])
def test_target_has_unit_variance_and_matches_a_direct_cosine_sum(name):
    t = data.target(KEY, name, 1.5)
    th = jax.random.uniform(jax.random.fold_in(KEY, 1), (20000, t.freqs.shape[1]), maxval=2 * np.pi)
    f = np.asarray(data.evaluate(t, th, None), np.float64)
    direct = np.cos(np.asarray(th, np.float64) @ np.asarray(t.freqs, np.float64).T
                    + np.asarray(t.phase, np.float64)) @ np.asarray(t.coef, np.float64)
    np.testing.assert_allclose(f[:200], direct[:200], atol=1e-5)
    assert abs(f.var() - 1) < 0.05  # exact in expectation; 20 000 points


def test_nested_samples_share_their_prefix_and_test_points_across_D():
    a = data.draw(KEY, "torus", n_max=200, n_test=30, D=5, D_max=16, beta=1.0, sigma=0.5)
    b = data.draw(KEY, "torus", n_max=200, n_test=30, D=16, D_max=16, beta=1.0, sigma=0.5)
    # the same intrinsic points and targets in both ambient dimensions: distances agree
    np.testing.assert_allclose(np.asarray(a.f), np.asarray(b.f))
    da, db = (np.asarray(est.sq_distances(s.x_test, s.x)) for s in (a, b))
    np.testing.assert_allclose(da, db, atol=1e-5)


def test_knn_and_nadaraya_watson_against_numpy_brute_force():
    s = data.draw(KEY, "circle", n_max=400, n_test=40, D=6, D_max=6, beta=1.0, sigma=0.5)
    x, y, xt, ft = (np.asarray(v, np.float64) for v in (s.x, s.y, s.x_test, s.f_test))
    ns = (100, 400)
    out = est.reference_errors(s, ns, 1.0, 1)
    for j, n in enumerate(ns):
        d2 = ((xt[:, None, :] - x[None, :n, :]) ** 2).sum(-1)
        k = float(np.asarray(out["k"])[j])  # fractional: the next neighbour weighs k - floor(k)
        assert k != int(k)
        whole = int(k)
        ranked = y[np.argsort(d2, axis=1, kind="stable")]
        knn = (ranked[:, :whole].sum(1) + (k - whole) * ranked[:, whole]) / k
        h = float(np.asarray(out["h"])[j])
        w = np.exp(-(d2 - d2.min(1, keepdims=True)) / (2 * h**2))
        nw = (w @ y[:n]) / w.sum(1)
        np.testing.assert_allclose(float(out["knn"][j]), ((knn - ft) ** 2).mean(), rtol=1e-4)
        np.testing.assert_allclose(float(out["nw"][j]), ((nw - ft) ** 2).mean(), rtol=1e-4)
    # the library's plain k-NN agrees too
    pred = np.asarray(est.knn_predict(s.x[:100], s.y[:100], s.x_test, k=5))
    d2 = ((xt[:, None, :] - x[None, :100, :]) ** 2).sum(-1)
    np.testing.assert_allclose(pred, y[np.argsort(d2, 1)[:, :5]].mean(1), rtol=1e-5)


def test_masked_network_equals_the_small_network():
    """Width and depth masks: the padded network computes what a network of the active size
    computes (hidden units beyond the width are zero; layers beyond the depth are skipped)."""
    p = net.init(KEY, 6, 16, 4, 6, 8)
    x = jax.random.normal(jax.random.fold_in(KEY, 2), (10, 6))
    y = net.forward(p, x, 8, 2)
    W1, b1 = p["hidden"][0]
    W2, b2 = p["hidden"][1]
    Wo, bo = p["out"]
    h = jax.nn.relu(x @ W1[:, :8] + b1[None, :8])
    h = jax.nn.relu(h @ W2[:8, :8] + b2[None, :8])
    np.testing.assert_allclose(np.asarray(y), np.asarray(h @ Wo[:8] + bo[None, :])[:, 0], rtol=1e-5, atol=1e-6)


def test_early_stopping_keeps_the_best_held_out_parameters():
    o = sims.fit_network(KEY, "circle", n=200, D=4, seeds=2, steps=300, lr=1e-2, eval_every=25)
    best = np.min(o["val_curve"], axis=1)
    # the initial parameters count too (they are kept when nothing beats them)
    np.testing.assert_allclose(o["val_mse"], np.minimum(best, o["val_mse"]), rtol=1e-6)
    assert np.all(o["width"] == np.ceil(net.WIDTH_CONST * 200 ** (1 / 3)))
    assert np.all(np.isfinite(o["test_mse"])) and not o["diverged"].any()


def test_a_user_manifold_can_be_registered_and_used():
    def helix_sample(key, n):  # a closed curve of length 2 pi sqrt(2) in R^3 (a circle, tilted)
        t = jax.random.uniform(key, (n,), maxval=2 * np.pi)
        pts = jnp.stack([jnp.cos(t), jnp.sin(t), jnp.cos(t)], -1)
        return pts, pts
    data.register_manifold("tilted_circle", 1, 3, helix_sample)
    s = data.sample(KEY, "tilted_circle", n=64, D=5, n_test=8)
    assert s.x.shape == (64, 5) and abs(float(np.var(np.asarray(s.f))) - 1) < 0.5


@pytest.mark.parametrize("kwargs, name", [
    ({"name": "circle", "n": 256, "D": 1}, "D"),
    ({"name": "torus", "n": 256, "D": 3}, "D"),
    ({"name": "klein_bottle", "n": 256, "D": 8}, "manifold"),
    ({"name": "circle", "n": 5, "D": 8}, "n"),
    ({"name": "circle", "n": 256, "D": 8, "beta": 0.0}, "beta"),
    ({"name": "circle", "n": 256, "D": 8, "beta": -1.0}, "beta"),
    ({"name": "circle", "n": 256, "D": 8, "sigma": -0.5}, "sigma"),
    ({"name": "circle", "n": 256, "D": 8, "lr": float("inf")}, "lr"),
    ({"name": "circle", "n": 256, "D": 8, "seeds": 0}, "seeds"),
])
def test_bad_inputs_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}:"):
        sims.fit_network(KEY, **kwargs)


def test_intrinsic_dimension_must_be_below_D_and_cube_is_not_a_manifold():
    with pytest.raises(ValueError, match="^d:"):
        data.check_data_params(d=3, D=3)
    with pytest.raises(ValueError, match="^ambient:"):
        data.register_manifold("bad", 2, 2, lambda k, n: None)
    with pytest.raises(ValueError, match="^manifold:"):
        data.manifold("cube")


# ----------------------------------------------------------------------------------------
# Every claim and control at quick size
# ----------------------------------------------------------------------------------------
FAMILY = "manifold"  # its substrate tests run in the family's precision (conftest)
CLAIMS = [c.id for c in theorylab.claims("manifold")]


def test_family_covers_the_issue():
    assert set(CLAIMS) == {"manifold.knn_rate_in_n", "manifold.kernel_rate_in_n",
                           "manifold.rate_ordered_by_d", "manifold.network_ambient_independence",
                           "manifold.network_rate_in_n"}


def test_cube_control_grows_at_least_threefold(theorylab_verdict):
    """The earlier bar for the far control: on cube data the network's MSE grows >= 3x over D
    (the lower end of the bootstrap CI of the max/min ratio); the near control (the torus plus
    ambient noise) grows less, but its whole CI lies over the claim's 1.5."""
    cs = {c.name: c for c in theorylab_verdict("manifold.network_ambient_independence").controls}
    assert set(cs) == {"cube", "torus_ambient_noise"}
    assert cs["cube"].measured >= 3.0, cs["cube"]
    assert 1.5 < cs["torus_ambient_noise"].measured < cs["cube"].measured, cs


def test_full_size_network_rate_path_runs_end_to_end(tmp_path):
    """manifold.network_rate_in_n only runs at full size (recorded in results/full-cpu), so its
    measurement, check and control are exercised here on a toy grid: the slopes of so short a
    training mean nothing, but every series, train risk and control must come out well formed."""
    from theorylab.core.claims import Context
    from theorylab.core.sweep import Sweep
    from theorylab.core.verify import run_claim

    claim = theorylab.claims("manifold.network_rate_in_n")[0]
    params = dict(claim.sizes["full"], ns=(64, 128, 256), net_ns=(64, 128, 256), n_test=64, net_steps=50,
                  D=6, D_max=8, cube_D=6)
    ctx = Context(claim.id, "full", 2, params, claim.root_seed, Sweep(claim.id, claim.root_seed))
    m = claim.measure(ctx)
    # on a CPU the beta = 1 pair is left to a GPU, and the verdict says so with its cost; the
    # CPU pair differs in d alone, so the two predicted exponents differ
    assert set(m.series) == {"d=1, beta=2", "d=2, beta=2"}
    assert m.series["d=1, beta=2"].predicted != m.series["d=2, beta=2"].predicted
    assert "needs a GPU" in m.info["d=2, beta=1: not run on a CPU"]
    assert "needs a GPU" in m.info["d=1, beta=1: not run on a CPU"]
    assert not any(m.info[f"{k}: diverged runs"] for k in m.series)
    assert all(len(m.info[f"{k}: median best step per n (of 50)"]) == 3 for k in m.series)
    # the (1, 2) series runs net_seed_factor (4) times the claim's seeds at full size, the other 1x;
    # the slope difference (Welch's interval over the seeds' own slopes) is reported beside
    seeds = {"d=1, beta=2": 8, "d=2, beta=2": 2}
    assert {k: m.info[f"{k}: seeds"] for k in m.series} == seeds and m.total == 10 * 3
    diff, lo, hi, pred = m.info["slope difference (d=1, beta=2) - (d=2, beta=2), Welch 95% CI over seeds; predicted"]
    assert lo < diff < hi and pred == round(-4 / 5 + 2 / 3, 4)
    for name, s in m.series.items():
        assert s.y.shape == (seeds[name], 3) and np.all(np.isfinite(s.y)) and s.predicted < 0
        other = 3 - int(name[2])  # d = 1 <-> 2
        assert set(s.alternatives) == {"ambient D=6", f"d={other} (the other manifold)", "beta/2"}
    assert all(len(m.info[f"{k}: train MSE per n"]) == 3 for k in m.series)
    r = claim.check.evaluate(m)
    assert r.outcome in ("passed", "failed", "inconclusive") and set(r.series) == set(m.series)
    assert all(s.fit is not None for s in r.series.values())
    # the control: the (1, 2) series' network, sized and judged as that series, on the 3-torus
    assert [c.name for c in claim.controls] == ["torus3"]
    ctl = claim.controls[0].measure(ctx)
    (label, s3), = ctl.series.items()
    assert "3-torus" in label and np.all(np.isfinite(s3.y)) and not s3.alternatives
    own = m.series["d=1, beta=2"]
    assert (s3.predicted, s3.tol) == (own.predicted, own.tol)
    assert ctl.info[f"{label}: width, depth per n"] == m.info["d=1, beta=2: width, depth per n"]
    # at quick size the claim is skipped with its reason, never run on a budget that decides it
    assert run_claim(claim, "quick").status == "skipped"
