"""SGD on f(x) = mu/2 |x|^2 in R^p with an unbiased gradient oracle G = mu x + sigma xi,
xi ~ N(0, I), and steps gamma_t = theta / (mu t). One seed is one run; theorylab's sweep vmaps
this function over seeds and jits it once per static configuration.

Precision: float32 (the errors followed are >= 1e-6 of the start, far above float32 rounding).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

DTYPE = jnp.float32


def sgd_quadratic(key, static, dynamic):
    """One run of ``static["steps"]`` SGD steps from x_1 = (1, ..., 1).

    static: ``p`` (dimension), ``steps``, ``ks`` (tuple of the steps t whose error is kept).
    dynamic: ``theta``, ``mu``, ``sigma``.
    Returns ``err``: |x_t - x*|^2 at each t in ``ks``, and ``diverged`` (a non-finite error).
    """
    p, steps = static["p"], static["steps"]
    theta = jnp.asarray(dynamic["theta"], DTYPE)
    mu = jnp.asarray(dynamic["mu"], DTYPE)
    sigma = jnp.asarray(dynamic["sigma"], DTYPE)
    noise = jax.random.normal(key, (steps, p), DTYPE)

    def step(x, inp):
        t, xi = inp
        g = mu * x + sigma * xi
        x = x - theta / (mu * t) * g
        return x, jnp.sum(x * x)

    ts = jnp.arange(1, steps + 1, dtype=DTYPE)
    _, sq = jax.lax.scan(step, jnp.ones((p,), DTYPE), (ts, noise))
    # sq[t - 1] is |x_{t+1}|^2: the error after t steps is the iterate x_{t+1}
    err = sq[jnp.asarray(static["ks"]) - 1]
    return {"err": err, "diverged": ~jnp.all(jnp.isfinite(err))}
