"""Benchmark: GD and perturbed GD on F(X) = 1/4 ||X X^T - Y||_F^2, theorylab against numpy.

Same algorithm, same instances and starts, float32, one process: ``seeds`` instances of size
``d`` (Y* = u u^T plus symmetric noise of level sigma), X0 = 1e-3 N(0, 1/d), ``steps`` steps of
X <- X - eta (Z Z^T - Y) Z with Z = X (GD) or Z = X + W_k, W_k i.i.d. N(0, xi^2) (perturbed GD,
(2d + 1) xi^2 = kappa sigma sqrt(d)); the estimate is the mean of X X^T over block ends in the
second half (every 10 steps), as in the library.

* ``numpy-loop``: a Python loop over seeds and steps (what a one-off script does), with numpy's
  Gaussian generator for the perturbation;
* ``numpy-batched``: a Python loop over steps, batched ``matmul`` over all seeds;
* ``theorylab``: the library's simulation (``theorylab.rank_one.simulations.recovery``, run by
  ``theorylab.core.sweep.run_keys``): ``jit(vmap)`` over seeds of one ``lax.scan``, plus the
  float64 spectra and errors the claims need (work the numpy versions skip), cold (trace +
  compile) and warm, on one thread and with the seeds split over the CPU's threads (XLA runs a
  batched matmul on one core; numpy's matmul uses them all).

GD is deterministic given the start: its final error must agree between versions to float32
rounding (1e-3 relative) for the timings to count. The perturbation's random numbers differ between numpy and
JAX, so for perturbed GD the versions must agree in distribution: mean MSE within 10%.

    python benchmarks/rank_one.py [--d 128] [--seeds 16] [--steps 910] [--sigma 0.5]
"""

import argparse
import time

import numpy as np
from common import Record, add_out, timed

RECORD = 10


def numpy_run(Y, X0, eta, xi, steps, rng):
    X = X0.copy()
    d = X.shape[0]
    acc, n = np.zeros_like(Y), 0
    for k in range(steps):
        Z = X + xi * rng.standard_normal((d, d), dtype=np.float32) if xi > 0 else X
        X = X - eta * ((Z @ Z.T - Y) @ Z)
        if (k + 1) % RECORD == 0 and k + 1 > steps // 2:
            acc += X @ X.T
            n += 1
    return X @ X.T, acc / n


def numpy_batched(Y, X0, eta, xi, steps, rng):
    X = X0.copy()
    B, d, _ = X.shape
    acc, n = np.zeros_like(Y), 0
    for k in range(steps):
        Z = X + xi * rng.standard_normal((B, d, d), dtype=np.float32) if xi > 0 else X
        X = X - eta * (np.matmul(np.matmul(Z, Z.transpose(0, 2, 1)) - Y, Z))
        if (k + 1) % RECORD == 0 and k + 1 > steps // 2:
            acc += np.matmul(X, X.transpose(0, 2, 1))
            n += 1
    return np.matmul(X, X.transpose(0, 2, 1)), acc / n




def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--d", type=int, default=128)
    p.add_argument("--seeds", type=int, default=16)
    p.add_argument("--steps", type=int, default=910)
    p.add_argument("--sigma", type=float, default=0.5)
    p.add_argument("--kappa", type=float, default=2.5)
    p.add_argument("--loop-seeds", type=int, default=4, help="seeds timed for the per-seed numpy loop")
    add_out(p)
    a = p.parse_args(argv)
    for name in ("d", "seeds", "steps", "loop_seeds"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')}: must be positive")
    if a.steps % RECORD:
        p.error(f"--steps: must be a multiple of {RECORD}")
    import jax

    from theorylab.core.sweep import default_threads, run_keys
    from theorylab.rank_one import simulations as sims

    d, B = a.d, a.seeds
    keys = jax.random.split(jax.random.PRNGKey(0), B)
    # the library's own draws, so every version runs on the same instances and starts
    drawn = [sims._instance_and_start(k, d, a.sigma) for k in keys]
    Y = np.stack([np.asarray(i.Y) for i, _, _ in drawn])
    Ys = np.stack([np.asarray(i.Y_star) for i, _, _ in drawn])
    X0 = np.stack([np.asarray(x) for _, x, _ in drawn])
    threads = default_threads()

    nl = min(a.loop_seeds, B)
    rec = Record("rank_one")
    rec.say(f"rank-one recovery: d={d}, {B} seeds, {a.steps} steps, float32; backend "
          f"{jax.default_backend()} ({jax.devices()[0].device_kind}), {threads} threads")
    for kappa, eta0 in ((0.0, 0.5), (a.kappa, 0.25)):
        name = "GD" if kappa == 0 else f"perturbed GD (kappa={kappa})"
        cc = kappa * a.sigma * np.sqrt(d)
        eta, xi = np.float32(eta0 / (d + 2 * cc)), np.float32(np.sqrt(cc / (2 * d + 1)))
        rng = np.random.default_rng(0)
        t0 = time.perf_counter()
        loop = [numpy_run(Y[i], X0[i], eta, xi, a.steps, rng) for i in range(nl)]
        t_loop = (time.perf_counter() - t0) * B / nl
        t_batch, (last_b, avg_b) = timed(numpy_batched, Y, X0, eta, xi, a.steps, rng)
        static, dyn = {"d": d, "steps": a.steps}, sims.dynamic(a.sigma, kappa, eta0=eta0)
        tl = {}
        for th in sorted({1, threads}):
            t_cold, _ = timed(run_keys, sims.recovery, static, dyn, keys, None, th) if not tl else (None, None)
            t_warm, out = timed(run_keys, sims.recovery, static, dyn, keys, None, th, repeat=3)
            tl[th] = (t_cold, t_warm, out)
        out = tl[threads][2]
        mse = lambda M: ((M - Ys[:len(M)]) ** 2).sum((1, 2)) / d**2  # noqa: E731
        if kappa == 0:
            err = max(np.abs(out["mse_last"] / mse(last_b) - 1).max(),
                      np.abs(mse(np.stack([l[0] for l in loop]))[:nl] / mse(last_b)[:nl] - 1).max())
            assert err < 1e-3, f"GD versions disagree: relative MSE difference {err:.2e}"
            agree = f"max relative difference of the final MSE {err:.1e}"
        else:
            m_b, m_t = float(mse(avg_b).mean()), float(out["mse_avg"].mean())
            assert abs(m_t / m_b - 1) < 0.1, f"perturbed GD versions disagree: MSE {m_t:.4g} vs {m_b:.4g}"
            agree = f"mean MSE theorylab {m_t:.4g} vs numpy {m_b:.4g}"
        tag = "gd" if kappa == 0 else "perturbed_gd"
        rec.time(f"{tag}/theorylab_cold", tl[1][0])
        rec.compare({"numpy_loop": t_loop, "numpy_batched": t_batch},
                    {f"theorylab_warm_{th}_threads": r[1] for th, r in tl.items()}, prefix=f"{tag}/")
        rec.say(f"  {name}: {agree}")
        rec.say(f"    numpy loop (per seed, {nl} timed, scaled) {t_loop:8.3f} s")
        rec.say(f"    numpy batched matmul                  {t_batch:8.3f} s   {t_loop / t_batch:6.2f}x the loop")
        rec.say(f"    theorylab cold (trace + compile + run) {tl[1][0]:8.3f} s")
        for th, (_, t_warm, _) in tl.items():
            rec.say(f"    theorylab jit(vmap), {th} thread(s)       {t_warm:8.3f} s   {t_loop / t_warm:6.2f}x the loop, "
                    f"{t_batch / t_warm:5.2f}x numpy batched")
    rec.write(a.out, argv, vars(a))


if __name__ == "__main__":
    from theorylab import x64

    with x64():  # the family declares float64, as verify would switch it on
        main()
