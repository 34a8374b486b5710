"""The subject: a deep ReLU network sized by the theory, trained with Adam and early stopping.

Chen, Jiang, Liao, Zhao analyse the empirical risk minimiser over a designed class of ReLU
networks with depth O(log n) and width Õ(n^(d/(2 beta + d))). A trained network only
approximates that minimiser, so every run reports its train risk beside its test risk.

Sizes (constants stated once): ``width = ceil(WIDTH_CONST * n^(d/(2 beta + d)))`` hidden units
per layer and ``depth = ceil(log2(n) / DEPTH_DIVISOR)`` hidden layers. One compiled program
serves every n, D, width and depth up to static maxima: inputs are zero-padded to ``D_max``,
hidden units beyond ``width`` are masked to zero, and hidden layers beyond ``depth`` are the
identity (their weights get no gradient).

Training: full-batch Adam (optax) on the first 80% of the n points, the squared loss; every
``eval_every`` steps the loss on the held-out 20% is computed and the best parameters so far
are kept (early stopping), all inside one ``lax.scan``. Precision: float32.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

DTYPE = jnp.float32
WIDTH_CONST = 2.0
DEPTH_DIVISOR = 3.0
VALIDATION = 0.2


def width_for(n, beta, d):
    return jnp.ceil(WIDTH_CONST * n ** (d / (2 * beta + d)))


def depth_for(n):
    return jnp.ceil(jnp.log2(n) / DEPTH_DIVISOR)


def width_max_for(n_max: int, beta: float, d: int) -> int:
    return int(math.ceil(WIDTH_CONST * n_max ** (d / (2 * beta + d))))


def depth_max_for(n_max: int) -> int:
    return int(math.ceil(math.log2(n_max) / DEPTH_DIVISOR))


def train_flops(n: int, width: int, depth: int, D_in: int, steps: int) -> float:
    """Floating-point operations of ``steps`` full-batch steps on ``n`` points (forward and
    backward: about 6 per weight per point; the held-out part is evaluated, not trained, which
    this slightly overcounts)."""
    weights = D_in * width + (depth - 1) * width * width + width
    return 6.0 * weights * n * steps


def init(key, D_max: int, W_max: int, L_max: int, D, W):
    """He-normal weights for fan-ins D (first layer) and W (hidden layers), zero biases."""
    keys = jax.random.split(key, L_max + 1)

    def normal(k, a, b, fan_in):
        return jax.random.normal(k, (a * b,), DTYPE).reshape(a, b) * jnp.sqrt(2.0 / fan_in).astype(DTYPE)

    layers = [(normal(keys[0], D_max, W_max, D), jnp.zeros((W_max,), DTYPE))]
    layers += [(normal(keys[i], W_max, W_max, W), jnp.zeros((W_max,), DTYPE)) for i in range(1, L_max)]
    out = (normal(keys[L_max], W_max, 1, W) / math.sqrt(2.0), jnp.zeros((1,), DTYPE))
    return {"hidden": layers, "out": out}


def forward(params, x, width, depth):
    """Network output for inputs ``x (n, D_max)``; ``width`` and ``depth`` may be traced."""
    W_max = params["out"][0].shape[0]
    mask = (jnp.arange(W_max) < width).astype(DTYPE)[None, :]
    W1, b1 = params["hidden"][0]
    h = jax.nn.relu(x @ W1 + b1[None, :]) * mask
    for i, (W, b) in enumerate(params["hidden"][1:], start=2):
        h = jnp.where(i <= depth, jax.nn.relu(h @ W + b[None, :]) * mask, h)
    Wo, bo = params["out"]
    return (h @ Wo + bo[None, :])[:, 0]


class Fit(NamedTuple):
    test_mse: jax.Array    # () test MSE against the noiseless target, best-validation parameters
    train_mse: jax.Array   # () training loss (noisy responses) of those parameters
    val_mse: jax.Array     # () their held-out loss
    best_step: jax.Array   # () the step they come from
    val_curve: jax.Array   # (evals,) held-out loss at every evaluation
    diverged: jax.Array    # () bool


def train(key, sample, n, width, depth, *, D, lr, steps: int, eval_every: int, W_max: int,
          L_max: int) -> Fit:
    """Train on the first ``n`` points of ``sample`` (80% fit, 20% held out), early stopping."""
    if steps % eval_every:
        raise ValueError(f"steps: must be a multiple of eval_every={eval_every}, got {steps}")
    n_max, D_max = sample.x.shape
    idx = jnp.arange(n_max)
    n_train = jnp.floor((1 - VALIDATION) * n)
    w_train = (idx < n_train).astype(DTYPE)
    w_val = ((idx >= n_train) & (idx < n)).astype(DTYPE)
    x, y = sample.x.astype(DTYPE), sample.y.astype(DTYPE)

    def loss(p, w):
        r = forward(p, x, width, depth) - y
        return jnp.sum(w * r**2) / jnp.sum(w)

    params = init(key, D_max, W_max, L_max, D, width)
    opt = optax.adam(jnp.asarray(lr, DTYPE))
    grad = jax.grad(loss)

    def step(carry, _):
        p, s = carry
        u, s = opt.update(grad(p, w_train), s, p)
        return (optax.apply_updates(p, u), s), None

    def block(carry, i):
        p, s, best_p, best_v, best_i = carry
        (p, s), _ = jax.lax.scan(step, (p, s), None, length=eval_every)
        v = loss(p, w_val)
        better = v < best_v  # NaN compares False: a diverged run keeps its last good parameters
        best_p = jax.tree_util.tree_map(lambda a, b: jnp.where(better, a, b), p, best_p)
        return (p, s, best_p, jnp.where(better, v, best_v), jnp.where(better, (i + 1) * eval_every, best_i)), v

    v0 = loss(params, w_val)
    carry = (params, opt.init(params), params, v0, jnp.zeros((), jnp.int32))
    (_, _, best, best_v, best_i), curve = jax.lax.scan(block, carry, jnp.arange(steps // eval_every, dtype=jnp.int32))
    test = jnp.mean((forward(best, sample.x_test.astype(DTYPE), width, depth) - sample.f_test) ** 2)
    return Fit(test, loss(best, w_train), best_v, best_i, curve, ~jnp.all(jnp.isfinite(curve)))
