"""The noisy rank-one model: instances, the estimators' targets and the error metric.

Model (our set-up of Liu, Li, Zhou, Zhao, AISTATS 2022): the signal is
``Y* = u u^T`` with ``u ~ N(0, I_d)``, observed as ``Y = Y* + E`` with symmetric Gaussian noise
``E = (G + G^T)/sqrt(2)``, ``G`` i.i.d. ``N(0, sigma^2)`` (off-diagonal entries have variance
``sigma^2``, diagonal ones ``2 sigma^2``; the spectrum of ``E`` fills ``[-2 sigma sqrt(d),
2 sigma sqrt(d)]``). The error of an estimate ``M`` is ``MSE = ||M - Y*||_F^2 / d^2``.

Everything here works on one instance and vmaps over a batch of instances of one size.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np


class Instance(NamedTuple):
    Y_star: jax.Array  # (d, d) the rank-one signal u u^T
    Y: jax.Array       # (d, d) the noisy observation


def normal(key, shape, dtype=jnp.float32):
    """Standard normal draws of ``shape``, drawn flat and reshaped (multi-dimensional shapes
    make XLA compile the generator much more slowly on the CPU under vmap)."""
    n = int(np.prod(shape))
    return jax.random.normal(key, (n,), dtype).reshape(shape)


def check_params(*, d=None, sigma=None, kappa=None, eta0=None, steps=None) -> None:
    """Raise ``ValueError`` naming the first bad parameter (concrete Python values only)."""
    if d is not None and (not isinstance(d, (int, np.integer)) or isinstance(d, bool) or d < 2):
        raise ValueError(f"d: the matrix size must be an integer >= 2, got {d!r}")
    if sigma is not None and not (math.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"sigma: the noise level must be finite and >= 0, got {sigma!r}")
    if kappa is not None and not (math.isfinite(kappa) and kappa > 0):
        raise ValueError(f"kappa: the perturbation level must be finite and > 0, got {kappa!r}")
    if eta0 is not None and not (math.isfinite(eta0) and eta0 > 0):
        raise ValueError(f"eta0: the step size must be finite and > 0, got {eta0!r}")
    if steps is not None and (not isinstance(steps, (int, np.integer)) or steps < 1):
        raise ValueError(f"steps: must be a positive integer, got {steps!r}")


def instance(key, d: int, sigma, dtype=jnp.float32) -> Instance:
    """One draw of ``(Y*, Y)`` of size ``d`` with noise level ``sigma`` (traceable)."""
    ku, kg = jax.random.split(key)
    u = normal(ku, (d,), dtype)
    G = normal(kg, (d, d), dtype) * jnp.asarray(sigma, dtype)
    Y_star = jnp.outer(u, u)
    return Instance(Y_star, Y_star + (G + G.T) / jnp.sqrt(jnp.asarray(2.0, dtype)))


def threshold(kappa, sigma, d):
    """The shift ``c = kappa sigma sqrt(d)`` that perturbed GD subtracts from the spectrum."""
    return kappa * sigma * jnp.sqrt(d)


def xi_squared(c, d):
    """The perturbation variance ``xi^2`` with ``(2d + 1) xi^2 = c``."""
    return c / (2 * d + 1)


def soft_threshold(Y, c):
    """``sum_i max(lambda_i - c, 0) v_i v_i^T`` for the eigenpairs of symmetric ``Y``."""
    lam, V = jnp.linalg.eigh(Y)
    return (V * jnp.maximum(lam - c, 0)[..., None, :]) @ jnp.swapaxes(V, -1, -2)


def mse(M, Y_star):
    """``||M - Y*||_F^2 / d^2``."""
    d = Y_star.shape[-1]
    return jnp.sum((M - Y_star) ** 2, axis=(-2, -1)) / d**2
