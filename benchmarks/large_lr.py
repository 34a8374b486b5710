"""Benchmark: the balancing sweep in theorylab (jit + vmap + lax.scan) against plain numpy.

Same algorithm, same grid, same float64, one process: GD on 1/2 (xy - 1)^2 from (x0, 1) with
step c/L0 for every (x0, c) of a grid, STEPS steps. Two numpy baselines:

* ``numpy-vectorised``: one Python loop over steps, numpy arrays over the whole grid (the
  strongest plain-numpy version);
* ``numpy-loop``: a Python loop over runs and steps (what a one-off script often does), timed on
  a subset and scaled to the grid.

theorylab is timed cold (first call: tracing + XLA compile) and warm (compiled). The final
imbalance ratios of theorylab and numpy must agree to 1e-9 for the timing to count.

    python benchmarks/large_lr.py [--runs 4096] [--steps 20000]
"""

import argparse
import time

import numpy as np
from common import Record, add_out


def numpy_vectorised(x0, c, steps):
    x, y = x0.copy(), np.ones_like(x0)
    # L0: top eigenvalue of the 2x2 Hessian [[y^2, 2xy - 1], [2xy - 1, x^2]] at the start
    a, b, d = y**2, 2 * x * y - 1, x**2
    L0 = (a + d) / 2 + np.sqrt(((a - d) / 2) ** 2 + b**2)
    eta = c / L0
    for _ in range(steps):
        r = x * y - 1
        x, y = x - eta * r * y, y - eta * r * x
    return (x**2 - y**2) / (x0**2 - 1)


def numpy_loop(x0, c, steps):
    out = np.empty_like(x0)
    for i in range(x0.size):
        x, y = float(x0[i]), 1.0
        a, b, d = y * y, 2 * x * y - 1, x * x
        eta = c[i] / ((a + d) / 2 + np.sqrt(((a - d) / 2) ** 2 + b * b))
        for _ in range(steps):
            r = x * y - 1
            x, y = x - eta * r * y, y - eta * r * x
        out[i] = (x * x - y * y) / (x0[i] ** 2 - 1)
    return out


def theorylab_version(steps):
    from functools import partial

    import jax
    import jax.numpy as jnp

    from theorylab.large_lr import dynamics as dyn

    loss = partial(dyn.factor_loss, mu=1.0, n=1)

    def one(x0, c):
        z0 = jnp.stack([x0, jnp.ones_like(x0)])
        z, _, _ = dyn.gd_final(loss, z0, c / dyn.sharpness(loss, z0), steps)
        return (z[0] ** 2 - z[1] ** 2) / (x0**2 - 1)

    return jax.jit(jax.vmap(one))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=4096)
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--loop-runs", type=int, default=16, help="runs timed for the per-run loop")
    add_out(p)
    a = p.parse_args(argv)
    if a.runs < 1 or a.steps < 1 or a.loop_runs < 1:
        p.error("--runs, --steps, --loop-runs: must be positive")
    import jax

    rng = np.random.default_rng(0)
    x0 = rng.uniform(5, 100, a.runs)
    c = rng.uniform(2.75, 3.75, a.runs)

    t = time.perf_counter()
    ref = numpy_vectorised(x0, c, a.steps)
    t_vec = time.perf_counter() - t

    m = min(a.loop_runs, a.runs)
    t = time.perf_counter()
    ref_loop = numpy_loop(x0[:m], c[:m], a.steps)
    t_loop = (time.perf_counter() - t) * a.runs / m

    f = theorylab_version(a.steps)
    t = time.perf_counter()
    out = np.asarray(jax.block_until_ready(f(x0, c)))
    t_cold = time.perf_counter() - t
    t = time.perf_counter()
    out = np.asarray(jax.block_until_ready(f(x0, c)))
    t_warm = time.perf_counter() - t

    err = max(np.max(np.abs(out - ref)), np.max(np.abs(out[:m] - ref_loop)))
    rec = Record("large_lr")
    for k, v in (("numpy_loop", t_loop), ("numpy_vectorised", t_vec), ("theorylab_cold", t_cold),
                 ("theorylab_warm", t_warm)):
        rec.time(k, v)
    rec.ratio("numpy_vectorised/theorylab_warm", t_vec / t_warm)
    rec.ratio("numpy_vectorised/theorylab_cold", t_vec / t_cold)
    rec.ratio("numpy_loop/theorylab_warm", t_loop / t_warm)
    rec.say(f"device: {jax.devices()[0]} ({jax.default_backend()}), {a.runs} runs x {a.steps} steps, float64")
    rec.say(f"max |theorylab - numpy| of D_inf/D_0: {err:.2e} (must be < 1e-9)")
    rec.say(f"numpy per-run loop (scaled from {m} runs): {t_loop:8.3f} s")
    rec.say(f"numpy vectorised over the grid:           {t_vec:8.3f} s")
    rec.say(f"theorylab cold (trace + compile + run):   {t_cold:8.3f} s")
    rec.say(f"theorylab warm (compiled):                {t_warm:8.3f} s")
    rec.say(f"speed-up warm vs numpy vectorised: {t_vec / t_warm:6.1f}x; cold: {t_vec / t_cold:6.1f}x; "
          f"warm vs per-run loop: {t_loop / t_warm:8.0f}x")
    if err > 1e-9:
        raise SystemExit("results disagree: timing not valid")
    rec.write(a.out, argv, vars(a))


if __name__ == "__main__":
    from theorylab import x64

    with x64():  # the family declares float64, as verify would switch it on
        main()
