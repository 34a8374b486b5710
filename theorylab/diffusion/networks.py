"""Score networks: the paper's structured network and a plain MLP (the control).

Structured (Chen, Huang, Zhao, Wang 2023, "linear encoder-decoder"): s(x, t) = (1/h)(V f(V^T x, t) - x)
with V in R^{D x d} orthonormal. Writing f = y + h g (y = V^T x) gives

    s(x, t) = V g(y, t) - (I - V V^T) x / h(t),

with no 1/h amplification inside the subspace [expected; see docs/claims.md]. V is the Gram-Schmidt
orthonormalisation of a free matrix M (no LAPACK call), initialised small (N(0, 1/D)) and trained
with a larger learning rate.

Plain: s(x, t) = -f(x, t) / sqrt(h(t)) with f an MLP on R^D predicting the noise (the usual
DDPM parametrisation); it has to learn the subspace, and the -x/h growth of the score off it, in
all D coordinates.

Inputs are zero-padded to ``D_max``; ``D`` (traced) masks the rows of M and the plain network's
outputs, so one compiled program serves every D. g and f are SiLU MLPs on (input, log t / 5).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .model import h

DTYPE = jnp.float32


def gram_schmidt(M):
    cols = []
    for j in range(M.shape[1]):
        v = M[:, j]
        for _ in range(2):
            for q in cols:
                v = v - (q @ v) * q
        cols.append(v / jnp.linalg.norm(v))
    return jnp.stack(cols, axis=1)


def _mlp_init(key, sizes):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        W = jax.random.normal(jax.random.fold_in(key, i), (a * b,), DTYPE).reshape(a, b) / jnp.sqrt(a)
        layers.append((W, jnp.zeros((b,), DTYPE)))
    return layers


def _mlp(layers, u):
    for W, b in layers[:-1]:
        u = jax.nn.silu(u @ W + b[None, :])
    W, b = layers[-1]
    return u @ W + b[None, :]


def _features(v, t):
    return jnp.concatenate([v, jnp.broadcast_to(jnp.log(t)[:, None] / 5, (v.shape[0], 1))], axis=1)


def init(key, kind: str, D_max: int, d: int, width: int, depth: int, D):
    rows = (jnp.arange(D_max) < D).astype(DTYPE)[:, None]
    if kind == "structured":
        M = jax.random.normal(jax.random.fold_in(key, 99), (D_max * d,), DTYPE).reshape(D_max, d)
        return {"M": M * rows / jnp.sqrt(jnp.asarray(D, DTYPE)),
                "g": _mlp_init(key, [d + 1] + [width] * depth + [d])}
    if kind == "plain":
        return {"f": _mlp_init(key, [D_max + 1] + [width] * depth + [D_max])}
    raise ValueError(f"kind: must be 'structured' or 'plain', got {kind!r}")


def frame(params, D):
    """The orthonormal V of a structured network (rows beyond D are zero)."""
    rows = (jnp.arange(params["M"].shape[0]) < D).astype(DTYPE)[:, None]
    return gram_schmidt(params["M"] * rows)


def apply(params, kind: str, x, t, D):
    """Score at a batch ``x (b, D_max)`` and times ``t (b,)``."""
    ht = h(t)[:, None]
    if kind == "structured":
        V = frame(params, D)
        y = x @ V
        g = _mlp(params["g"], _features(y, t))
        return g @ V.T - (x - y @ V.T) / ht
    mask = (jnp.arange(x.shape[1]) < D).astype(DTYPE)[None, :]
    return -_mlp(params["f"], _features(x, t)) * mask / jnp.sqrt(ht)
