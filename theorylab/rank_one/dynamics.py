"""Gradient descent and randomly perturbed gradient descent on F(X) = 1/4 ||X X^T - Y||_F^2.

``X`` is ``d x d`` (over-parameterized: any rank fits). Plain GD is ``X <- X - eta grad F(X)``
with ``grad F(X) = (X X^T - Y) X`` for symmetric ``Y``; perturbed GD evaluates the gradient at
a randomly perturbed point, ``X <- X - eta grad F(X + W_k)`` with ``W_k`` i.i.d. ``N(0, xi_k^2)``
entries. In expectation over ``W`` that is the gradient of ``1/4 ||X X^T - (Y - c I)||_F^2``
with ``c = (2d + 1) xi^2`` (proofs_check/rank_one.py), so perturbed GD behaves like GD on a
shifted target and soft-thresholds the spectrum of ``Y`` at ``c``.

One run is one ``lax.scan`` over blocks of ``record_every`` steps (an inner scan): the error
is recorded at each block end, and the estimate "average of the last iterates" is the mean of
``X X^T`` over the block ends in the averaging window. ``xi^2`` may be annealed linearly in
``kappa`` (``c = kappa sigma sqrt(d)``) from ``kappa`` to ``kappa_end`` over the run.
A run that overflows is reported through its ``diverged`` flag; it never raises.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from .model import mse, normal


class Run(NamedTuple):
    mse_trace: jax.Array  # (blocks,) error of the last iterate at each block end
    last: jax.Array       # (d, d) X X^T at the end
    average: jax.Array    # (d, d) mean of X X^T over the block ends of the averaging window
    diverged: jax.Array   # () bool: a non-finite iterate appeared


def perturbed_gd(key, Y, Y_star, X0, eta, xi2_start, xi2_end, *, steps: int, record_every: int,
                 average_from: int) -> Run:
    """Run ``steps`` steps (a multiple of ``record_every``) of perturbed GD from ``X0``.

    ``xi2_start = xi2_end = 0`` is plain GD: the same compiled program, which then skips drawing
    the perturbation (a ``lax.cond`` on a value shared by all seeds, so it stays a branch under
    ``vmap`` over seeds). ``average_from`` is the first step whose block-end
    iterate enters the average. Traceable in every array argument.
    """
    if steps % record_every:
        raise ValueError(f"steps: must be a multiple of record_every={record_every}, got {steps}")
    blocks = steps // record_every
    d = Y.shape[-1]
    dtype = Y.dtype  # the run's precision is the observation's (float32 in the claims)
    X0 = X0.astype(dtype)

    perturbed = (xi2_start > 0) | (xi2_end > 0)

    def step(X, k):
        frac = k.astype(dtype) / max(steps - 1, 1)
        xi = jnp.sqrt(xi2_start + (xi2_end - xi2_start) * frac)
        Z = jax.lax.cond(perturbed, lambda: X + xi * normal(jax.random.fold_in(key, k), (d, d), dtype),
                         lambda: X)
        return X - eta * ((Z @ Z.T - Y) @ Z), None

    def block(carry, b):
        X, acc, n = carry
        X, _ = jax.lax.scan(step, X, b * record_every + jnp.arange(record_every))
        XX = X @ X.T
        use = (b + 1) * record_every > average_from
        acc = acc + jnp.where(use, XX, 0)
        return (X, acc, n + use), mse(XX, Y_star)

    init = (X0, jnp.zeros_like(Y), jnp.zeros((), dtype))
    (X, acc, n), trace = jax.lax.scan(block, init, jnp.arange(blocks))
    last = X @ X.T
    return Run(trace, last, acc / jnp.maximum(n, 1), ~jnp.all(jnp.isfinite(last)))
