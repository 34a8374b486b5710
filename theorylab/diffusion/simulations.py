"""Sweep-ready simulation of the diffusion family: draw a problem, train, measure, sample.

``train_and_measure(key, static, dynamic)``: each seed draws its own subspace A (Gram-Schmidt
of a Gaussian matrix, rows beyond D zero), a Gaussian-mixture latent, ``n_max`` training points
(the first n are used: n is traced) and fresh evaluation points, trains the score network of
``static["kind"]`` by denoising score matching, and returns

* ``score_error``: (1/(T - t0)) int_{t0}^{T} E_{P_t} ||s_hat - grad log p_t||^2 dt (16-node
  Gauss-Legendre in log t), and the integrand ``pointwise`` at the nodes ``times``;
* ``score_error_init``: the score error of the untrained network (a control);
* ``early_errors``: the score error averaged over [t0, T] for each t0 in ``static["early_t0s"]``,
  and ``early_errors_misscaled`` for the same network with its orthogonal term -x/h(t)^2
  instead of -x/h(t) (a control);
* ``subspace_error``: ||V V^T - A A^T||_F (structured network), and ``subspace_error_init``;
* for each sampling time t0 in ``static["t0s"]``: the orthogonal energy E||(I - V V^T) x||^2/(D - d)
  divided by h(t0) after the exponential integrator, the probability-flow ODE and Euler-Maruyama
  on a uniform grid;
* ``mmd2``: MMD^2 between generated latents V^T x (exponential integrator, smallest t0) and true
  latents V^T x, ``mmd2_null`` for a sampler whose latent score is zero and ``mmd2_memorizer``
  for one that replays random training points (controls), ``mmd2_truth`` between two independent
  true samples of the same size, ``NULL_PAIRS`` fresh pairs per seed (the estimator's noise);
  256 of each set of latents for the figures;
* ``nn_ratio``: the median distance of generated samples to their nearest training point over
  that of fresh true samples (about 1 for a sampler that generalises, 0 for one that copies).

Precision: float32 in IEEE arithmetic. Both simulations trace their matmuls under
``jax.default_matmul_precision("highest")``: JAX's default for float32 matmuls on recent NVIDIA
GPUs is TF32 (10-bit mantissas), under which the expanded squared distances |z|^2 - 2 z.x + |x|^2
of the nearest-training-point ratio went negative and were clamped to 0 for 55% of the fresh
samples at n = 8192 (results/diagnostics/tf32_distances.json). On a CPU this changes nothing.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from . import metrics, networks as nets, sampling
from .model import Problem, h, score
from .training import train

DTYPE = jnp.float32


def ieee_matmuls(sim):
    """``sim`` with every matmul it traces in IEEE float32, whatever the backend's default."""
    import functools

    @functools.wraps(sim)
    def wrapped(key, static, dynamic):
        with jax.default_matmul_precision("highest"):
            return sim(key, static, dynamic)
    return wrapped


#: independent true-vs-true MMD^2 draws per seed: the estimator's noise (a 95% quantile over
#: seeds x pairs, at least 16 x 4 = 64 draws at quick size)
NULL_PAIRS = 16


def draw_problem(key, D, D_max: int, d: int, K: int, variances=(0.05, 0.3)) -> Problem:
    """A random subspace and a K-component Gaussian mixture on it, component variances drawn
    from U[variances] (thin components: small variances)."""
    ka, kw, km, kv = jax.random.split(key, 4)
    G = jax.random.normal(ka, (D_max * d,), DTYPE).reshape(D_max, d)
    A = nets.gram_schmidt(G * (jnp.arange(D_max) < D).astype(DTYPE)[:, None])
    w = jax.random.dirichlet(kw, 2 * jnp.ones(K, DTYPE))
    means = jax.random.uniform(km, (K * d,), DTYPE, -2.0, 2.0).reshape(K, d)
    var = jax.random.uniform(kv, (K * d,), DTYPE, *variances).reshape(K, d)
    return Problem(A, w, means, var)


def draw_data(key, p: Problem, n: int):
    kc, kz = jax.random.split(key)
    comp = jax.random.categorical(kc, jnp.log(p.weights), shape=(n,))
    d = p.means.shape[1]
    z = p.means[comp] + jnp.sqrt(p.variances[comp]) * jax.random.normal(kz, (n * d,), DTYPE).reshape(n, d)
    return z @ p.A.T


@ieee_matmuls
def train_and_measure(key, static, dynamic):
    kind, D_max, d, K = static["kind"], static["D_max"], static["d"], static["K"]
    t0, T, m = static["t0"], static["T"], static["m_eval"]
    D = dynamic["D"]
    kp, kx, kt, ke, kn, ks = jax.random.split(key, 6)
    p = draw_problem(kp, D, D_max, d, K, static.get("variances", (0.05, 0.3)))
    X = draw_data(kx, p, static["n_max"])
    params, losses = train(kt, kind, X, dynamic["n"], D=D, d=d, t0=t0, T=T, steps=static["steps"],
                           batch=static["batch"], width=static["width"], depth=static["depth"],
                           lr=dynamic["lr"], freeze_frame=static.get("freeze_frame", False))
    mask = (jnp.arange(D_max) < D).astype(DTYPE)[None, :]

    def model(pr):
        return lambda x, t: nets.apply(pr, kind, x, t, D)

    exact = jax.vmap(lambda x, t: score(x, t, p))
    times, weights = metrics.log_time_nodes(t0, T)
    x0 = draw_data(ke, p, m)

    def pointwise(fn, ts):
        """Mean squared score error at each time of ``ts``; one traced body (lax.map): unrolled,
        80 evaluations made the compile take over a minute."""
        ts = jnp.asarray(ts, DTYPE)

        def at(i):
            t = jnp.full((m,), ts[i], DTYPE)
            eps = jax.random.normal(jax.random.fold_in(kn, i % len(times)), (m * D_max,), DTYPE).reshape(m, D_max) * mask
            xt = jnp.exp(-t[:, None] / 2) * x0 + jnp.sqrt(h(t))[:, None] * eps
            return jnp.mean(jnp.sum((fn(xt, t) - exact(xt, t)) ** 2, 1))
        return jax.lax.map(at, jnp.arange(ts.shape[0]))

    def averaged(fn, starts):
        nodes = [metrics.log_time_nodes(s0, T) for s0 in starts]
        e_all = pointwise(fn, np.concatenate([ts for ts, _ in nodes])).reshape(len(starts), -1)
        return jnp.sum(jnp.asarray(np.stack([ws for _, ws in nodes]), DTYPE) * e_all, 1)

    e = pointwise(model(params), times)
    init = nets.init(jax.random.split(kt)[0], kind, D_max, d, static["width"], static["depth"], D)
    out = {"score_error": jnp.sum(jnp.asarray(weights, DTYPE) * e), "pointwise": e,
           "score_error_init": averaged(model(init), [t0])[0],
           "final_loss": jnp.mean(losses[-100:]), "diverged": ~jnp.isfinite(losses[-1])}
    if kind == "structured":
        V = nets.frame(params, D)

        def misscaled(x, t):  # the orthogonal term divided by h(t)^2 instead of h(t)
            ht = h(t)[:, None]
            orth = x - (x @ V) @ V.T
            return model(params)(x, t) + orth / ht - orth / ht**2

        out["early_errors"] = averaged(model(params), static["early_t0s"])
        out["early_errors_misscaled"] = averaged(misscaled, static["early_t0s"])
        out["subspace_error"] = metrics.subspace_error(V, p.A)
        out["subspace_error_init"] = metrics.subspace_error(nets.frame(init, D), p.A)
        xT = jax.random.normal(ks, (m * D_max,), DTYPE).reshape(m, D_max) * mask
        gen = None
        for j, (mth, kind_grid) in enumerate((("exponential", "geometric"), ("ode", "geometric"),
                                              ("euler", "uniform"))):
            grids = [sampling.grid(s0, T, static["sampler_steps"], kind_grid) for s0 in static["t0s"]]
            xs = sampling.sample_grids(jax.random.fold_in(ks, j), model(params), xT, grids, mth, frame=V)
            orth = xs - (xs @ V) @ V.T
            hs = jnp.asarray([float(-np.expm1(-s0)) for s0 in static["t0s"]], DTYPE)
            out[f"orthogonal_ratio_{mth}"] = jnp.mean(jnp.sum(orth**2, 2), 1) / ((D - d) * hs)
            if mth == "exponential":
                gen = xs[0]  # the smallest t0
        truth = draw_data(jax.random.fold_in(ke, 1), p, m) @ V
        out["mmd2"] = metrics.mmd2(gen @ V, truth)
        # the estimator's own noise: MMD^2 between two independent true samples of the same
        # size, NULL_PAIRS fresh pairs per seed (one shared pair per seed gave a quantile over
        # as many draws as seeds, negative on 4 of 20 quick roots)
        def null_pair(j):
            ka, kb = jax.random.split(jax.random.fold_in(jax.random.fold_in(ke, 3), j))
            return metrics.mmd2(draw_data(ka, p, m) @ V, draw_data(kb, p, m) @ V)
        out["mmd2_truth"] = jax.lax.map(null_pair, jnp.arange(NULL_PAIRS))
        out["latents_generated"], out["latents_true"] = gen[:256] @ V, truth[:256]
        # memorisation: distances to the nearest of the n training points, of the generated
        # samples and of fresh true samples; and a sampler that replays training points
        # (in latent coordinates: the sampler's orthogonal residue h(t0) is not a difference)
        used = jnp.arange(X.shape[0]) < dynamic["n"]
        XV = X @ V

        def nearest(Z):  # in blocks of 64 rows: m x n_max distances would be 1 GB per seed
            def block(Zb):
                d2 = jnp.sum(Zb**2, 1)[:, None] - 2 * Zb @ XV.T + jnp.sum(XV**2, 1)[None, :]
                return jnp.sqrt(jnp.maximum(jnp.min(jnp.where(used[None, :], d2, jnp.inf), 1), 0.0))
            b = 64 if Z.shape[0] % 64 == 0 else Z.shape[0]
            return jax.lax.map(block, Z.reshape(-1, b, Z.shape[1])).reshape(-1)

        out["nn_ratio"] = jnp.median(nearest(gen @ V)) / jnp.median(nearest(truth))
        pick = jnp.floor(jax.random.uniform(jax.random.fold_in(ks, 7), (m,)) * dynamic["n"]).astype(jnp.int32)
        out["mmd2_memorizer"] = metrics.mmd2(X[pick] @ V, truth)
        null = lambda x, t: -(x - (x @ V) @ V.T) / h(t)[:, None]  # noqa: E731  latent score zero
        ts = sampling.grid(static["t0s"][0], T, static["sampler_steps"], "geometric")
        gen_null = sampling.sample(jax.random.fold_in(ks, 999), null, xT, ts, frame=V) @ V
        out["mmd2_null"] = metrics.mmd2(gen_null, truth)
        out["nn_ratio_null"] = jnp.median(nearest(gen_null)) / jnp.median(nearest(truth))
    return out


train_and_measure.parallel_seeds = True  # no LAPACK inside (Gram-Schmidt by hand)


@ieee_matmuls
def subspace_fit(key, static, dynamic):
    """Train the structured network on ``n`` points near the subspace and return
    ``||V V^T - A A^T||_F``: the latent data plus N(0, sigma_perp^2) noise orthogonal to the
    subspace and N(0, sigma_par^2) noise inside it (each projected from an isotropic draw).
    static: D_max, d, K, n_max, steps, batch, width, depth, t0, T; dynamic: n, D, lr,
    sigma_perp, sigma_par."""
    D_max, d, K = static["D_max"], static["d"], static["K"]
    D = dynamic["D"]
    kp, kx, kt, kn = jax.random.split(key, 4)
    p = draw_problem(kp, D, D_max, d, K)
    X = draw_data(kx, p, static["n_max"])
    mask = (jnp.arange(D_max) < D).astype(DTYPE)[None, :]
    E = jax.random.normal(kn, (static["n_max"] * D_max,), DTYPE).reshape(static["n_max"], D_max) * mask
    inside = (E @ p.A) @ p.A.T
    X = X + dynamic["sigma_perp"] * (E - inside) + dynamic["sigma_par"] * inside
    params, losses = train(kt, "structured", X, dynamic["n"], D=D, d=d, t0=static["t0"], T=static["T"],
                           steps=static["steps"], batch=static["batch"], width=static["width"],
                           depth=static["depth"], lr=dynamic["lr"])
    return {"subspace_error": metrics.subspace_error(nets.frame(params, D), p.A),
            "diverged": ~jnp.isfinite(losses[-1])}


subspace_fit.parallel_seeds = True  # no LAPACK inside (Gram-Schmidt by hand)


def fit(key, *, D: int, d: int, n: int, kind: str = "structured", components: int = 6, t0: float = 1e-3,
        T: float = 8.0, seeds: int = 1, steps: int = 2000, batch: int = 256, width: int = 64, depth: int = 2,
        lr: float = 1e-2, m_eval: int = 512) -> dict:
    """Draw ``seeds`` problems, train a score network of ``kind`` on n points each and measure it
    (see :func:`train_and_measure`); the library entry point, inputs checked. numpy outputs."""
    import math

    from ..core.sweep import default_threads, run_keys
    from .model import check_problem

    check_problem(D, d, t0=t0, T=T)
    if kind not in ("structured", "plain"):
        raise ValueError(f"kind: must be 'structured' or 'plain', got {kind!r}")
    for name, v in (("n", n), ("components", components), ("seeds", seeds), ("steps", steps),
                    ("batch", batch), ("width", width), ("depth", depth), ("m_eval", m_eval)):
        if not isinstance(v, int) or v < 1:
            raise ValueError(f"{name}: must be a positive integer, got {v!r}")
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr: must be finite and > 0, got {lr!r}")
    t0s = tuple(sorted({t0, min(10 * t0, T / 2), min(100 * t0, T / 2)}))
    static = {"kind": kind, "D_max": D, "d": d, "K": components, "t0": t0, "T": T, "m_eval": m_eval,
              "n_max": n, "steps": steps, "batch": batch, "width": width, "depth": depth,
              "t0s": t0s, "early_t0s": t0s, "sampler_steps": 100}
    return run_keys(train_and_measure, static, {"n": float(n), "D": D, "lr": lr},
                    jax.random.split(key, seeds), threads=default_threads())
