"""Score error by quadrature in log t, subspace error, and MMD between samples."""

from __future__ import annotations

import numpy as np
import jax.numpy as jnp

NODES = 16


def log_time_nodes(t0: float, T: float, nodes: int = NODES):
    """Gauss-Legendre nodes and weights for (1/(T - t0)) int_{t0}^{T} f(t) dt, in u = log t."""
    u, w = np.polynomial.legendre.leggauss(nodes)
    a, b = np.log(t0), np.log(T)
    uu = (b - a) / 2 * u + (a + b) / 2
    t = np.exp(uu)
    return t, w * (b - a) / 2 * t / (T - t0)


def subspace_error(V, A):
    return jnp.linalg.norm(V @ V.T - A @ A.T)


def mmd2(x, y, bandwidth: float = 1.0):
    """Unbiased MMD^2 with a Gaussian kernel between samples x (m, k) and y (m, k)."""
    def k(a, b):
        d2 = jnp.sum(a**2, 1)[:, None] + jnp.sum(b**2, 1)[None, :] - 2 * a @ b.T
        return jnp.exp(-jnp.maximum(d2, 0) / (2 * bandwidth**2))
    m = x.shape[0]
    off = 1 - jnp.eye(m, dtype=x.dtype)
    return (jnp.sum(k(x, x) * off) / (m * (m - 1)) + jnp.sum(k(y, y) * off) / (m * (m - 1))
            - 2 * jnp.mean(k(x, y)))
