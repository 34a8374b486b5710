"""Sweep-ready simulations of the manifold family: ``sim(key, static, dynamic)``.

Each seed draws its own target, rotation, nested training sample (at the largest n) and test
points; ``D`` is traced and zero-padded to ``static["D_max"]``, so every D shares a compiled
program, and so do beta and sigma. ``static["manifold"]`` (a name, or ``"cube"``) and the sizes
are shape-defining.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from . import data
from . import estimators as est
from . import network as net


def reference(key, static, dynamic):
    """k-NN and Nadaraya-Watson test MSE at every n of ``static["ns"]``, with k and h tuned by
    the manifold's intrinsic d, or by ``dynamic["tune_d"]`` when it is given and positive."""
    name = static["manifold"]
    s = data.draw(key, name, n_max=max(static["ns"]), n_test=static["n_test"], D=dynamic["D"],
                  D_max=static["D_max"], beta=dynamic["beta"], sigma=dynamic["sigma"])
    # the dimension the constants are tuned with: the intrinsic d unless dynamic["tune_d"] > 0
    tune = dynamic.get("tune_d", 0)
    d = jnp.where(tune > 0, tune, data.intrinsic_dim(name))
    return est.reference_errors(s, tuple(static["ns"]), dynamic["beta"], d)


reference.parallel_seeds = True  # sorts and matmuls only


def network(key, static, dynamic):
    """Train the theory-sized ReLU network on ``dynamic["n"]`` points (early stopping) and
    return its test, train and held-out MSE. ``static``: manifold, n_max, n_test, D_max, W_max,
    L_max, steps, eval_every, and optionally n_used (train on the first n_used of the n_max
    nested points, so that a cell's cost is set by its own n and the samples stay nested);
    ``dynamic``: n, D, beta, sigma, lr, optionally ambient_sigma."""
    name = static["manifold"]
    kd, kn = jax.random.split(key)
    s = data.draw(kd, name, n_max=static["n_max"], n_test=static["n_test"], D=dynamic["D"],
                  D_max=static["D_max"], beta=dynamic["beta"], sigma=dynamic["sigma"],
                  ambient_sigma=dynamic.get("ambient_sigma", 0.0))
    if static.get("n_used"):  # train on a static prefix: the cell costs its own n, not n_max
        s = s._replace(x=s.x[:static["n_used"]], y=s.y[:static["n_used"]], f=s.f[:static["n_used"]])
    d = data.intrinsic_dim(name)
    n = dynamic["n"]
    width = jnp.minimum(net.width_for(n, dynamic["beta"], d), static["W_max"])
    depth = jnp.minimum(net.depth_for(n), static["L_max"])
    fit = net.train(kn, s, n, width, depth, D=dynamic["D"], lr=dynamic["lr"], steps=static["steps"],
                    eval_every=static["eval_every"], W_max=static["W_max"], L_max=static["L_max"])
    return {**fit._asdict(), "width": width, "depth": depth}


network.parallel_seeds = True  # matmuls only


MIN_SPLIT = 10  # 20% held out: at least 2 validation points


def fit_network(key, name: str, *, n: int, D: int, beta: float = 1.0, sigma: float = 0.5,
                seeds: int = 1, steps: int = 400, lr: float = 3e-3, eval_every: int = 25,
                n_test: int = 1000) -> dict:
    """Train the theory-sized network on ``seeds`` fresh draws (inputs checked); numpy outputs
    with a leading seed axis: test, train and held-out MSE, best step, width, depth."""
    import math

    from ..core.sweep import default_threads, run_keys

    data.check_data_params(name=name, d=None if name == "cube" else data.intrinsic_dim(name), D=D, n=n,
                           n_min_split=MIN_SPLIT, beta=beta, sigma=sigma)
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr: the learning rate must be finite and > 0, got {lr!r}")
    for nm, v in (("seeds", seeds), ("steps", steps), ("eval_every", eval_every), ("n_test", n_test)):
        if not isinstance(v, int) or v < 1:
            raise ValueError(f"{nm}: must be a positive integer, got {v!r}")
    steps = -(-steps // eval_every) * eval_every
    d = data.intrinsic_dim(name)
    static = {"manifold": name, "n_max": n, "n_test": n_test, "D_max": D,
              "W_max": net.width_max_for(n, beta, d), "L_max": net.depth_max_for(n),
              "steps": steps, "eval_every": eval_every}
    dyn = {"n": float(n), "D": D, "beta": float(beta), "sigma": float(sigma), "lr": float(lr)}
    return run_keys(network, static, dyn, jax.random.split(key, seeds), threads=default_threads())
