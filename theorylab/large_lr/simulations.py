"""Sweep-ready simulations of the large-learning-rate family: ``sim(key, static, dynamic)``.

Each function draws one random instance (initialisation, step size) from ``key`` and returns
a dict of arrays; the sweep vmaps it over seeds. Step sizes are drawn as ``c / L0`` with
``L0`` the top Hessian eigenvalue at the initialisation, so ``c`` is the step in units of the
classical threshold (``c > 2`` is beyond 2/L0). float64 throughout, except the MLP (float32).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from . import dynamics as dyn
from . import mlp


def _uniform(key, lo, hi):
    return jax.random.uniform(key, (), jnp.float64, lo, hi)


def imbalance_factor(key, static, dynamic):
    """GD on 1/2 (x^T y - mu)^2 with a random Gaussian start and step c/L0, c ~ U[c_lo, c_hi].

    Returns D_k = ||x_k||^2 - ||y_k||^2, r_k = x_k^T y_k - mu, S_k = ||x_k||^2 + ||y_k||^2.
    """
    n, steps = static["n"], static["steps"]
    k1, k2, k3 = jax.random.split(key, 3)
    x0 = jax.random.normal(k1, (n,)) * 1.5
    y0 = jax.random.normal(k2, (n,)) * 0.5
    z0 = jnp.concatenate([x0, y0])
    mu = dynamic["mu"]
    loss = partial(dyn.factor_loss, mu=mu, n=n)
    eta = _uniform(k3, dynamic["c_lo"], dynamic["c_hi"]) / dyn.sharpness(loss, z0)
    tr = dyn.gd(loss, z0, eta, steps)
    x, y = tr.z[:, :n], tr.z[:, n:]
    return {"D": jnp.sum(x**2, -1) - jnp.sum(y**2, -1), "r": jnp.sum(x * y, -1) - mu,
            "S": jnp.sum(x**2, -1) + jnp.sum(y**2, -1), "eta": eta,
            "alive": jnp.isfinite(tr.loss), "diverged": tr.diverged}


def imbalance_matrix(key, static, dynamic):
    """GD on 1/2 ||A - X Y^T||_F^2 (X, Y in R^{m x r}), step c/L0.

    Returns the measured D_{k+1} = X^T X - Y^T Y after each step, the formula
    D_k + eta^2 (Y^T R^T R Y - X^T R R^T X) with R = X Y^T - A, and the size of the terms summed
    (the scale of their rounding error).
    """
    m, r, steps = static["m"], static["r"], static["steps"]
    k1, k2, k3, k4 = jax.random.split(key, 4)
    A = jax.random.normal(k1, (m, m)) / jnp.sqrt(m)
    X0 = jax.random.normal(k2, (m, r)) * 1.0
    Y0 = jax.random.normal(k3, (m, r)) * 0.3
    z0 = jnp.concatenate([X0.ravel(), Y0.ravel()])
    loss = partial(dyn.matrix_loss, A=A, m=m, r=r)
    eta = _uniform(k4, dynamic["c_lo"], dynamic["c_hi"]) / dyn.sharpness(loss, z0)
    tr = dyn.gd(loss, z0, eta, steps)
    X = tr.z[:, : m * r].reshape(-1, m, r)
    Y = tr.z[:, m * r:].reshape(-1, m, r)
    D = jnp.einsum("kmi,kmj->kij", X, X) - jnp.einsum("kmi,kmj->kij", Y, Y)
    R = jnp.einsum("kmi,kni->kmn", X, Y) - A[None]
    RY = jnp.einsum("kmn,kni->kmi", R, Y)
    RtX = jnp.einsum("kmn,kmi->kni", R, X)
    corr = jnp.einsum("kmi,kmj->kij", RY, RY) - jnp.einsum("kmi,kmj->kij", RtX, RtX)
    pred = D[:-1] + eta**2 * corr[:-1]
    size = jnp.sum(X**2, (1, 2)) + jnp.sum(Y**2, (1, 2))
    scale = size[1:] + size[:-1] + eta**2 * (jnp.sum(RY**2, (1, 2)) + jnp.sum(RtX**2, (1, 2)))[:-1]
    alive = jnp.isfinite(tr.loss[1:])
    return {"D_next": D[1:], "pred": pred, "D": D[:-1], "scale": scale[:, None, None] * jnp.ones_like(pred),
            "alive": alive, "diverged": tr.diverged}


def endpoint_factor(key, static, dynamic):
    """Long GD run on 1/2 (x^T y - mu)^2 from an imbalanced start, step c/L0 * eta_scale.

    ``eta_scale`` < 1 runs the same start with a smaller step (the control); ``eta`` is the
    nominal large step either way. Returns the end point's ||x - y||^2, its exact sharpness,
    the residual and the nominal step.
    """
    n, steps = static["n"], static["steps"]
    k1, k2, k3, k4 = jax.random.split(key, 4)
    u = _uniform(k3, 0.5, 3.0)
    x0 = jax.random.normal(k1, (n,)) * u
    y0 = jax.random.normal(k2, (n,)) * 0.3
    z0 = jnp.concatenate([x0, y0])
    mu = dynamic["mu"]
    loss = partial(dyn.factor_loss, mu=mu, n=n)
    eta = _uniform(k4, dynamic["c_lo"], dynamic["c_hi"]) / dyn.sharpness(loss, z0)
    z, dead, _ = dyn.gd_final(loss, z0, eta * dynamic["eta_scale"], steps)
    x, y = z[:n], z[n:]
    return {"gap2": jnp.sum((x - y) ** 2), "sharpness": dyn.sharpness(loss, z),
            "r": x @ y - mu, "eta": eta, "diverged": dead}


def balancing_scalar(key, static, dynamic):
    """Scalar 1/2 (xy - 1)^2 from (x0, 1), x0 ~ U[x_lo, x_hi], step c/L0, c ~ U[c_lo, c_hi].

    Returns D_inf / D_0 (D = x^2 - y^2), the final residual, c, x0.
    """
    k1, k2 = jax.random.split(key)
    x0 = _uniform(k1, dynamic["x_lo"], dynamic["x_hi"])
    z0 = jnp.stack([x0, jnp.ones_like(x0)])
    loss = partial(dyn.factor_loss, mu=1.0, n=1)
    c = _uniform(k2, dynamic["c_lo"], dynamic["c_hi"])
    z, dead, _ = dyn.gd_final(loss, z0, c / dyn.sharpness(loss, z0), static["steps"])
    return {"ratio": (z[0] ** 2 - z[1] ** 2) / (z0[0] ** 2 - z0[1] ** 2), "r": z[0] * z[1] - 1.0,
            "c": c, "x0": x0, "diverged": dead}


def ell_endpoint(key, static, dynamic):
    """GD on l(xy - 1) from (x0, u/x0), x0 ~ U[4, 12], u ~ U[0.3, 1.7], step eta ~ U[eta_lo, eta_hi].

    The start has L0 ~ x0^2, so eta * L0 / 2 ranges over about 2.4..65: far beyond 2/L0.
    Returns the final sharpness times eta/2, the final residual, and eta*L0/2.
    """
    kind, steps = static["loss"], static["steps"]
    k1, k2, k3 = jax.random.split(key, 3)
    x0 = _uniform(k1, 4.0, 12.0)
    z0 = jnp.stack([x0, _uniform(k2, 0.3, 1.7) / x0])
    loss = partial(dyn.ell_loss, kind=kind)
    eta = _uniform(k3, dynamic["eta_lo"], dynamic["eta_hi"])
    z, dead, _ = dyn.gd_final(loss, z0, eta, steps)
    return {"s_eta": dyn.sharpness(loss, z) * eta / 2, "r": z[0] * z[1] - 1.0,
            "c0": eta * dyn.sharpness(loss, z0) / 2, "diverged": dead}


def catapult_scalar(key, static, dynamic):
    """1/2 (xy - 1)^2 started next to a sharp minimiser (a, 1.01/a), step c/L0.

    Returns max_{k>=1} f_k / f_0 (the spike), S_final / S_0 (flattening), the final loss, and
    the loss curve for the figure.
    """
    k1, k2 = jax.random.split(key)
    a = _uniform(k1, 2.0, 6.0)
    z0 = jnp.stack([a, 1.01 / a])
    loss = partial(dyn.ell_loss, kind="quadratic")
    L0 = dyn.sharpness(loss, z0)
    c = _uniform(k2, dynamic["c_lo"], dynamic["c_hi"])
    tr = dyn.gd(loss, z0, c / L0, static["steps"])
    return {"spike": jnp.max(tr.loss[1:]) / tr.loss[0], "flattening": dyn.sharpness(loss, tr.z[-1]) / L0,
            "final_loss": tr.loss[-1], "loss": tr.loss, "c": c, "diverged": tr.diverged}


def critical_scalar(key, static, dynamic):
    """1/2 (xy - 1)^2 at step eta from x0 ~ U[1.1, 1.6], y0 ~ U[0.5, 0.8].

    The starts are clearly unbalanced and converge at eta = 1 without diverging, so every seed
    joins the asymptotic regime. Returns |x_k - y_k| at the checkpoints ``ks`` (in units of
    ``every`` steps).
    """
    k1, k2 = jax.random.split(key)
    z0 = jnp.stack([_uniform(k1, 1.1, 1.6), _uniform(k2, 0.5, 0.8)])
    loss = partial(dyn.ell_loss, kind="quadratic")
    zs, dead = dyn.gd_checkpoints(loss, z0, dynamic["eta"], static["every"], static["checkpoints"])
    idx = jnp.asarray(static["ks"])
    return {"gap": jnp.abs(zs[idx, 0] - zs[idx, 1]), "diverged": dead}


def sharpening_mlp(key, static, dynamic):
    """Full-batch GD on a tanh MLP (data passed in ``dynamic``); sharpness per checkpoint."""
    tr = mlp.train_track_sharpness(key, dynamic["x"], dynamic["y"], sizes=static["sizes"],
                                   eta=dynamic["eta"], checkpoints=static["checkpoints"],
                                   every=static["every"])
    return {"step": tr.step, "loss": tr.loss, "sharpness": tr.sharpness, "diverged": tr.diverged}
