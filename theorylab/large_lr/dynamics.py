"""Gradient descent with a constant step on small homogeneous models, in float64.

Models (parameters flattened into one vector ``z``):

* ``factor``: f(x, y) = 1/2 (x^T y - mu)^2, x, y in R^n (n = 1 is the scalar case);
* ``matrix``: f(X, Y) = 1/2 ||A - X Y^T||_F^2, X, Y in R^{m x r};
* ``ell``: f(x, y) = l(x y - 1) for l quadratic (z^2/2), log-cosh (log cosh z) or
  pseudo-Huber (sqrt(1 + z^2) - 1); all have l''(0) = 1, the last two are sub-quadratic.

Every run is one ``lax.scan`` over steps. A run whose loss exceeds ``BLOWUP`` is frozen where
it stands and flagged ``diverged`` -- divergence is an outcome, never inf/NaN noise. Sharpness
is the exact top eigenvalue of the Hessian (these models have at most a few dozen parameters).

Precision: float64 throughout (the imbalance identity is checked to 1e-10).

References: Wang, Chen, Zhao, Tao, ICLR 2022 (arXiv 2110.03677); Wang, Xu, Zhao, Tao
(arXiv 2310.17087).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

BLOWUP = 1e12  # a loss above this (from O(1)..O(1e4) starts) is divergence, not dynamics

LOSSES = ("quadratic", "logcosh", "pseudohuber")


def ell(kind: str, r):
    """Outer losses l(r) with l(0) = 0, l'(0) = 0, l''(0) = 1."""
    if kind == "quadratic":
        return 0.5 * r**2
    if kind == "logcosh":  # log cosh r, written to stay finite for large |r|
        a = jnp.abs(r)
        return a + jnp.log1p(jnp.exp(-2 * a)) - jnp.log(2.0)
    if kind == "pseudohuber":
        return jnp.sqrt(1 + r**2) - 1
    raise ValueError(f"loss: must be one of {LOSSES}, got {kind!r}")


def factor_loss(z, mu, n: int):
    x, y = z[:n], z[n:]
    return 0.5 * (x @ y - mu) ** 2


def matrix_loss(z, A, m: int, r: int):
    X, Y = z[: m * r].reshape(m, r), z[m * r:].reshape(m, r)
    return 0.5 * jnp.sum((A - X @ Y.T) ** 2)


def ell_loss(z, kind: str):
    return ell(kind, z[0] * z[1] - 1.0)


def sharpness(loss: Callable, z):
    """Top eigenvalue of the Hessian of ``loss`` at ``z`` (exact, by eigvalsh)."""
    return jnp.linalg.eigvalsh(jax.hessian(loss)(z))[-1]


class Trace(NamedTuple):
    z: jnp.ndarray  # (steps + 1, p) iterates, z[0] the start
    loss: jnp.ndarray  # (steps + 1,)
    diverged: jnp.ndarray  # () bool


def gd(loss: Callable, z0, eta, steps: int) -> Trace:
    """Constant-step GD ``z <- z - eta * grad(z)`` for ``steps`` steps, one lax.scan.

    Returns every iterate (the models are tiny). A run is frozen once its loss passes BLOWUP.
    """
    g = jax.grad(loss)

    def step(carry, _):
        z, dead = carry
        z_new = z - eta * g(z)
        f_new = loss(z_new)
        blow = ~jnp.isfinite(f_new) | (f_new > BLOWUP)
        dead_new = dead | blow
        z_out = jnp.where(dead_new, z, z_new)
        return (z_out, dead_new), (z_out, jnp.where(dead_new, jnp.inf, f_new))

    (_, dead), (zs, fs) = lax.scan(step, (z0, jnp.array(False)), None, length=steps)
    zs = jnp.concatenate([z0[None], zs])
    fs = jnp.concatenate([loss(z0)[None], fs])
    return Trace(zs, fs, dead)


def gd_final(loss: Callable, z0, eta, steps: int):
    """Like :func:`gd` but keeps only the last iterate and the running max loss (long runs)."""
    g = jax.grad(loss)

    def step(carry, _):
        z, dead, fmax = carry
        z_new = z - eta * g(z)
        f_new = loss(z_new)
        blow = ~jnp.isfinite(f_new) | (f_new > BLOWUP)
        dead_new = dead | blow
        z_out = jnp.where(dead_new, z, z_new)
        return (z_out, dead_new, jnp.maximum(fmax, jnp.where(dead_new, jnp.inf, f_new))), None

    f0 = loss(z0)
    (z, dead, fmax), _ = lax.scan(step, (z0, jnp.array(False), f0), None, length=steps)
    return z, dead, fmax


def gd_checkpoints(loss: Callable, z0, eta, every: int, checkpoints: int):
    """GD keeping only the iterate after every ``every`` steps (long runs, little memory).

    Returns (zs of shape (checkpoints + 1, p) with zs[j] the iterate at step j * every, diverged).
    """

    def block(carry, _):
        z, dead, _ = gd_final(loss, carry[0], eta, every)
        dead = dead | carry[1]
        z = jnp.where(dead, carry[0], z)
        return (z, dead), z

    (_, dead), zs = lax.scan(block, (z0, jnp.array(False)), None, length=checkpoints)
    return jnp.concatenate([z0[None], zs]), dead
