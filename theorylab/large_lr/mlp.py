"""Full-batch GD on a small tanh MLP, with the sharpness tracked along the way.

The edge-of-stability picture of Cohen et al. (ICLR 2021) [literature]: under full-batch GD
with step eta the sharpness (top Hessian eigenvalue of the training loss) rises
("progressive sharpening") until it reaches about 2/eta, then hovers there while the loss
keeps decreasing non-monotonically.

Sharpness is found by power iteration on Hessian-vector products (``jax.jvp`` of
``jax.grad``), warm-started from the previous top eigenvector, so a few iterations per
checkpoint suffice; a shifted second pass handles a dominant negative eigenvalue. The optimiser is ``optax.sgd`` (plain GD, constant step). Everything is
one ``lax.scan`` over checkpoints, with an inner ``lax.scan`` over the GD steps between them.

Precision: float32 (network training); the data are built in numpy outside jit.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import lax
from jax.flatten_util import ravel_pytree

DTYPE = jnp.float32


def make_data(seed: int, n: int, d_in: int):
    """Inputs x ~ N(0, I) and targets from a fixed random tanh teacher, plus noise."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d_in))
    w1 = rng.standard_normal((d_in, 16)) / np.sqrt(d_in)
    w2 = rng.standard_normal((16, 1)) * 2.0 / np.sqrt(16)
    y = np.tanh(x @ w1) @ w2 + 0.1 * rng.standard_normal((n, 1))
    return x.astype(np.float32), y.astype(np.float32)


def init_params(key, sizes):
    """LeCun-normal weights, zero biases, as a list of (W, b)."""
    params = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        k = jax.random.fold_in(key, i)
        params.append((jax.random.normal(k, (a, b), DTYPE) / jnp.sqrt(a).astype(DTYPE),
                       jnp.zeros((b,), DTYPE)))
    return params


def forward(params, x):
    h = x
    for W, b in params[:-1]:
        h = jnp.tanh(h @ W + b[None, :])
    W, b = params[-1]
    return h @ W + b[None, :]


def mse(params, x, y):
    return 0.5 * jnp.mean(jnp.sum((forward(params, x) - y) ** 2, axis=-1))


class SharpnessTrace(NamedTuple):
    step: jnp.ndarray  # (checkpoints,)
    loss: jnp.ndarray  # (checkpoints,)
    sharpness: jnp.ndarray  # (checkpoints,)
    diverged: jnp.ndarray  # ()


def train_track_sharpness(key, x, y, *, sizes, eta, checkpoints: int, every: int,
                          power_iters: int = 20) -> SharpnessTrace:
    """Full-batch GD for ``checkpoints * every`` steps; sharpness at every checkpoint."""
    params = init_params(key, sizes)
    flat0, unravel = ravel_pytree(params)

    def loss_flat(w):
        return mse(unravel(w), x, y)

    grad = jax.grad(loss_flat)
    opt = optax.sgd(eta)

    def hvp(w, v):
        return jax.jvp(grad, (w,), (v,))[1]

    def power(w, v, shift):
        def it(v, _):
            hv = hvp(w, v) - shift * v
            return hv / (jnp.linalg.norm(hv) + 1e-30), None

        v, _ = lax.scan(it, v, None, length=power_iters)
        return v @ hvp(w, v), v

    def top_eig(w, v):
        # Power iteration finds the eigenvalue largest in magnitude, which can be negative
        # (early in training). A second pass on H - lam1 I (when lam1 < 0) makes every
        # eigenvalue non-negative, so it converges to the top one.
        lam1, v1 = power(w, v, 0.0)
        lam2, v2 = power(w, v1 + 1e-3 * v, jnp.minimum(lam1, 0.0))
        return jnp.where(lam1 < 0, lam2, lam1), jnp.where(lam1 < 0, v2, v1)

    def gd_steps(state, _):
        w, s = state
        upd, s = opt.update(grad(w), s, w)
        return (optax.apply_updates(w, upd), s), None

    def checkpoint(carry, i):
        w, s, v, dead = carry
        (w_new, s), _ = lax.scan(gd_steps, (w, s), None, length=every)
        f = loss_flat(w_new)
        dead_new = dead | ~jnp.isfinite(f) | (f > 1e6)
        w_new = jnp.where(dead_new, w, w_new)
        lam, v = top_eig(w_new, v)
        return (w_new, s, v, dead_new), (i * every + every, jnp.where(dead_new, jnp.inf, f),
                                          jnp.where(dead_new, jnp.nan, lam))

    v0 = jax.random.normal(jax.random.fold_in(key, 10_000), flat0.shape, DTYPE)
    v0 = v0 / jnp.linalg.norm(v0)
    lam0, v0 = top_eig(flat0, v0)
    carry0 = (flat0, opt.init(flat0), v0, jnp.array(False))
    (_, _, _, dead), (steps, losses, sharp) = lax.scan(checkpoint, carry0, jnp.arange(checkpoints))
    steps = jnp.concatenate([jnp.zeros((1,), steps.dtype), steps])
    losses = jnp.concatenate([loss_flat(flat0)[None], losses])
    sharp = jnp.concatenate([lam0[None], sharp])
    return SharpnessTrace(steps, losses, sharp, dead)
