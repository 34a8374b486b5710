"""Denoising score matching with optax, n traced (minibatches from the first n rows).

Loss: for x_t = alpha(t) x0 + sqrt(h(t)) eps, the squared error ||s(x_t, t) + eps/sqrt(h)||^2
with weight lambda(t) = 1, t drawn log-uniformly on [t0, T] and reweighted by
t log(T/t0)/(T - t0) to the uniform measure on [t0, T] (the measure of the score-error metric).
An independent implementation found: lambda = 1 with log-uniform t beat lambda = h(t) with uniform t by 3-4x, because
the metric weighs small t, which lambda = h barely trains. The structured network's free matrix
M gets a 10x learning rate (optax.multi_transform); no EMA of parameters (it amplified the
subspace error through 1/h^2). The learning rate decays along a cosine to 1% of its peak, which
lowers the optimisation floor of the score error (minibatch noise) at no cost in steps.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import optax

from . import networks as nets
from .model import alpha, h

DTYPE = jnp.float32


def train(key, kind: str, X, n, *, D, d: int, t0: float, T: float, steps: int, batch: int,
          width: int, depth: int, lr, freeze_frame: bool = False):
    """Train a score network of ``kind`` on the first ``n`` rows of ``X (n_max, D_max)``.
    ``freeze_frame``: the structured network's frame stays at its random start (only the latent
    network g learns), the control that cannot find the subspace."""
    n_max, D_max = X.shape
    kinit, kloop = jax.random.split(key)
    params = nets.init(kinit, kind, D_max, d, width, depth, D)
    labels = {k: k for k in params}

    def adam(peak):  # cosine decay to 1% of the peak: the last steps average out minibatch noise
        return optax.adam(optax.cosine_decay_schedule(peak, steps, alpha=0.01))

    opt = optax.multi_transform({k: optax.set_to_zero() if (k == "M" and freeze_frame)
                                 else adam(10 * lr if k == "M" else lr) for k in params}, labels)
    state = opt.init(params)
    mask = (jnp.arange(D_max) < D).astype(DTYPE)[None, :]
    logT, log0 = math.log(T), math.log(t0)

    def loss(p, k):
        ki, kt, ke = jax.random.split(k, 3)
        idx = jnp.floor(jax.random.uniform(ki, (batch,)) * n).astype(jnp.int32)
        x0 = X[idx]
        t = jnp.exp(log0 + (logT - log0) * jax.random.uniform(kt, (batch,), DTYPE))
        eps = jax.random.normal(ke, (batch * D_max,), DTYPE).reshape(batch, D_max) * mask
        ht = h(t)[:, None]
        xt = alpha(t)[:, None] * x0 + jnp.sqrt(ht) * eps
        err = nets.apply(p, kind, xt, t, D) + eps / jnp.sqrt(ht)
        w = t * (logT - log0) / (T - t0)
        return jnp.mean(w * jnp.sum(err**2, 1))

    def step(carry, k):
        p, s = carry
        l, g = jax.value_and_grad(loss)(p, jax.random.fold_in(kloop, k))
        u, s = opt.update(g, s, p)
        return (optax.apply_updates(p, u), s), l

    (params, _), losses = jax.lax.scan(step, (params, state), jnp.arange(steps))
    return params, losses
