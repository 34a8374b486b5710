"""Data on a d-dimensional subspace of R^D, the Ornstein-Uhlenbeck forward process, and the
exact score.

Data: x = A z with A in R^{D x d} orthonormal and a Gaussian-mixture latent z (weights w_j,
means m_j, diagonal covariances S_j); one component is the parametric (Gaussian) special case.
Forward process dX = -X/2 dt + dW: X_t | x ~ N(alpha(t) x, h(t) I), alpha(t) = e^{-t/2},
h(t) = 1 - e^{-t}. The latent pushed through the same process is the mixture of
N(alpha m_j, alpha^2 S_j + h I), so the score is closed form (derived; checked in proofs_check/diffusion.py):

    grad log p_t(x) = A grad log p_t^z(A^T x) - (I - A A^T) x / h(t).

:func:`log_density` is the exact log-density in R^D, whose autodiff the tests compare with
:func:`score`. Problems are built in numpy (shapes only; no random-number call sites inside
jitted code, which dominated compile time).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np


def alpha(t):
    return jnp.exp(-t / 2)


def h(t):
    return -jnp.expm1(-t)


class Problem(NamedTuple):
    A: np.ndarray        # (D, d) orthonormal columns
    weights: np.ndarray  # (K,) summing to one
    means: np.ndarray    # (K, d)
    variances: np.ndarray  # (K, d) diagonal covariances


def check_problem(D: int, d: int, weights=None, t0=None, T=None) -> None:
    """Raise ``ValueError`` naming the first bad parameter."""
    if not isinstance(d, (int, np.integer)) or d < 1:
        raise ValueError(f"d: the latent dimension must be a positive integer, got {d!r}")
    if not isinstance(D, (int, np.integer)) or D <= d:
        raise ValueError(f"d: the latent dimension must be below D={D!r}, got {d}")
    if weights is not None:
        w = np.asarray(weights, float)
        if w.ndim != 1 or np.any(w < 0) or not np.isclose(w.sum(), 1.0, rtol=0, atol=1e-9):
            raise ValueError(f"weights: mixture weights must be non-negative and sum to one, got sum {w.sum():.6g}")
    if T is not None and not (math.isfinite(T) and T > 0):
        raise ValueError(f"T: the horizon must be finite and > 0, got {T!r}")
    if t0 is not None and not (math.isfinite(t0) and 0 < t0 < (T if T is not None else math.inf)):
        raise ValueError(f"t0: the early-stopping time must lie in (0, T), got {t0!r}")


def make_problem(seed: int, D: int, d: int, components: int = 6, *, weights=None) -> Problem:
    """A random orthonormal A (QR of a Gaussian matrix) and a random mixture: means spread over
    [-2, 2]^d, variances in [0.05, 0.3], weights from a Dirichlet(2) draw unless given."""
    check_problem(D, d, weights)
    rng = np.random.default_rng(seed)
    A, _ = np.linalg.qr(rng.standard_normal((D, d)))
    w = rng.dirichlet(2 * np.ones(components)) if weights is None else np.asarray(weights, float)
    K = w.size
    return Problem(A, w, rng.uniform(-2, 2, (K, d)), rng.uniform(0.05, 0.3, (K, d)))


def sample_latent(rng: np.random.Generator, p: Problem, n: int) -> np.ndarray:
    j = rng.choice(p.weights.size, size=n, p=p.weights)
    return p.means[j] + np.sqrt(p.variances[j]) * rng.standard_normal((n, p.means.shape[1]))


def sample_data(rng: np.random.Generator, p: Problem, n: int) -> np.ndarray:
    """n points x = A z (float32)."""
    return (sample_latent(rng, p, n) @ p.A.T).astype(np.float32)


def latent_score(z, t, p: Problem):
    """grad log p_t^z(z) for the latent mixture pushed through the forward process."""
    a, ht = alpha(t), h(t)
    var = a**2 * jnp.asarray(p.variances, z.dtype) + ht          # (K, d)
    diff = z[None, :] - a * jnp.asarray(p.means, z.dtype)         # (K, d)
    logc = (jnp.log(jnp.asarray(p.weights, z.dtype)) - 0.5 * jnp.sum(jnp.log(2 * jnp.pi * var), -1)
            - 0.5 * jnp.sum(diff**2 / var, -1))
    r = jax.nn.softmax(logc)                                     # responsibilities
    return -jnp.sum(r[:, None] * diff / var, 0)


def score(x, t, p: Problem):
    """The exact score in R^D: A grad log p_t^z(A^T x) - (I - A A^T) x / h(t)."""
    A = jnp.asarray(p.A, x.dtype)
    y = A.T @ x
    return A @ latent_score(y, t, p) - (x - A @ y) / h(t)


def log_density(x, t, p: Problem):
    """log p_t(x) in R^D: the mixture of N(alpha A m_j, A (alpha^2 S_j) A^T + h I)."""
    A = jnp.asarray(p.A, x.dtype)
    D = x.shape[-1]
    a, ht = alpha(t), h(t)
    out = []
    for j in range(p.weights.size):
        cov = A @ jnp.diag(a**2 * jnp.asarray(p.variances[j], x.dtype)) @ A.T + ht * jnp.eye(D, dtype=x.dtype)
        diff = x - a * A @ jnp.asarray(p.means[j], x.dtype)
        _, logdet = jnp.linalg.slogdet(cov)
        out.append(math.log(p.weights[j]) - 0.5 * (D * math.log(2 * math.pi) + logdet
                                                   + diff @ jnp.linalg.solve(cov, diff)))
    return jax.scipy.special.logsumexp(jnp.stack(out))
