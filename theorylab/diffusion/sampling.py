"""Reverse-time samplers from N(0, I) at time T down to t0.

The reverse SDE in tau = T - t is dx = (x/2 + s(x, t)) dtau + dW. For the structured network
the score is s = V g - (I - V V^T) x / h(t): linear, -x/h, in the directions orthogonal to V, and
bounded inside. The *exponential integrator* splits x along ``frame`` V. Orthogonally it solves
the linear part -x/h exactly over each step t1 -> t0 (t1 > t0), holding the rest
r = s + x/h (zero for the structured network) at its value at t1:

    x <- Phi x + c r(x, t1) + sqrt(v) xi,   Phi = sinh(t0/2)/sinh(t1/2),
    c = 2 sinh(t0/2) log(tanh(t1/4)/tanh(t0/4)),   v = 2 sinh^2(t0/2) (coth(t0/2) - coth(t1/2)),

so the orthogonal directions of the structured network (where r = 0) are simulated exactly and
end with variance h(t0) (proofs_check/diffusion.py). Inside the span of V only the x/2 part is
solved exactly (Phi = e^{dtau/2}, c = 2(e^{dtau/2} - 1), v = e^{dtau} - 1) and s is held; solving
-x/h there too would shrink the latents by ~0.4% per step at t < 0.05, where the latent score is
bounded and nothing cancels it. Without a frame the whole space is treated as "inside". The
probability-flow ODE
dx = (x/2 + s/2) dtau is integrated the same way (Phi_ode = e^{(t1-t0)/4} sqrt(Phi), c by
Gauss-Legendre quadrature, no noise). Euler-Maruyama (x <- x + (x/2 + s) dtau + sqrt(dtau) xi) is
there for comparison. Grids: geometric (log-spaced) or uniform in t.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .model import h

METHODS = ("exponential", "ode", "euler")


def grid(t0: float, T: float, steps: int, kind: str = "geometric") -> np.ndarray:
    if kind == "geometric":
        return np.geomspace(T, t0, steps + 1)
    if kind == "uniform":
        return np.linspace(T, t0, steps + 1)
    raise ValueError(f"grid: must be 'geometric' or 'uniform', got {kind!r}")


def coefficients(ts: np.ndarray, method: str, stiff: bool = True) -> np.ndarray:
    """Per-step (Phi, c, sd, dtau) for a decreasing grid ``ts``: shape (steps, 4), float64.
    ``stiff``: the linear part is x/2 - x/h (orthogonal directions); else x/2 only."""
    t1, t0 = ts[:-1], ts[1:]
    dtau = t1 - t0
    if not stiff and method in ("exponential", "ode"):
        e = np.exp(dtau / 2)
        if method == "exponential":
            return np.stack([e, 2 * (e - 1), np.sqrt(np.expm1(dtau)), dtau], 1)
        return np.stack([e, e - 1, np.zeros_like(e), dtau], 1)
    if method == "exponential":
        phi = np.sinh(t0 / 2) / np.sinh(t1 / 2)
        c = 2 * np.sinh(t0 / 2) * np.log(np.tanh(t1 / 4) / np.tanh(t0 / 4))
        v = 2 * np.sinh(t0 / 2) ** 2 * (1 / np.tanh(t0 / 2) - 1 / np.tanh(t1 / 2))
        return np.stack([phi, c, np.sqrt(np.maximum(v, 0)), t1 - t0], 1)
    if method == "ode":
        phi = np.exp((t1 - t0) / 4) * np.sqrt(np.sinh(t0 / 2) / np.sinh(t1 / 2))
        u, w = np.polynomial.legendre.leggauss(8)
        tt = (t1 - t0)[:, None] / 2 * u[None, :] + (t1 + t0)[:, None] / 2
        f = np.exp((tt - t0[:, None]) / 4) * np.sqrt(np.sinh(t0[:, None] / 2) / np.sinh(tt / 2))
        c = 0.5 * (f * w[None, :]).sum(1) * (t1 - t0) / 2
        return np.stack([phi, c, np.zeros_like(phi), t1 - t0], 1)
    if method == "euler":
        return np.stack([np.ones_like(t1), np.zeros_like(t1), np.sqrt(t1 - t0), t1 - t0], 1)
    raise ValueError(f"method: must be one of {METHODS}, got {method!r}")


def sample(key, score_fn, x_T, ts: np.ndarray, method: str = "exponential", frame=None):
    """Integrate from ``x_T (m, D)`` along the decreasing grid ``ts``; ``score_fn(x, t)`` takes a
    batch and a batch of times. ``frame`` (D, d): the directions where the score is bounded (see
    the module docstring). Returns the samples at ``ts[-1]``."""
    return sample_grids(key, score_fn, x_T, [ts], method, frame)[0]


def sample_grids(key, score_fn, x_T, grids, method: str = "exponential", frame=None):
    """:func:`sample` along several grids of one length (e.g. several t0), one traced loop
    (``lax.map`` over the grids); grid ``j`` uses ``fold_in(key, j)``. Returns ``(len(grids), m, D)``."""
    if method not in METHODS:
        raise ValueError(f"method: must be one of {METHODS}, got {method!r}")
    if len({len(g) for g in grids}) != 1:
        raise ValueError("grids: must all have the same number of steps")
    perp = jnp.asarray(np.stack([coefficients(g, method, stiff=True) for g in grids]), x_T.dtype)
    par = jnp.asarray(np.stack([coefficients(g, method, stiff=False) for g in grids]), x_T.dtype)
    tstart = jnp.asarray(np.stack([g[:-1] for g in grids]), x_T.dtype)
    return jax.lax.map(lambda a: _integrate(jax.random.fold_in(key, a[3]), score_fn, x_T, a[0], a[1], a[2],
                                            method, frame),
                       (perp, par, tstart, jnp.arange(len(grids))))


def _integrate(key, score_fn, x_T, perp, par, tstart, method, frame):

    def split(v):
        if frame is None:
            return v, jnp.zeros_like(v)
        inside = (v @ frame) @ frame.T
        return inside, v - inside

    def step(x, inp):
        cp, cq, t1, k = inp
        s = score_fn(x, jnp.full((x.shape[0],), t1))
        xi = jax.random.normal(jax.random.fold_in(key, k), (x.size,), x.dtype).reshape(x.shape)
        if method == "euler":
            return x + (x / 2 + s) * cp[3] + cp[2] * xi, None
        x_in, x_out = split(x)
        s_in, s_out = split(s)
        xi_in, xi_out = split(xi)
        x_out = cp[0] * x_out + cp[1] * (s_out + x_out / h(t1)) + cp[2] * xi_out
        x_in = cq[0] * x_in + cq[1] * s_in + cq[2] * xi_in
        return x_in + x_out, None

    x, _ = jax.lax.scan(step, x_T, (perp, par, tstart, jnp.arange(tstart.shape[0])))
    return x
