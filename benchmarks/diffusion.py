"""Benchmark: the diffusion family's training sweep, vmapped over seeds against a per-seed loop.

Same simulation (``theorylab.diffusion.simulations.train_and_measure``: draw a problem, train the
structured score network by denoising score matching, measure the score error, sample), same
keys, one process:

* ``python loop``: a Python loop over seeds and training steps around a jitted Adam step, with
  the library's loss (what a one-off script does); training only;
* ``jit per seed``: the whole simulation jitted once and called seed by seed;
* ``theorylab``: ``jit(vmap)`` over seeds, on one thread and with the seeds split over the CPU's
  threads.

The vmapped and per-seed versions must agree on the mean score error within 5% (float32, other
summation orders) for the timings to count.

    python benchmarks/diffusion.py [--D 16] [--n 2048] [--seeds 8] [--steps 2000]
"""

import argparse
import math

import numpy as np
from common import Record, add_out, timed


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--D", type=int, default=16)
    p.add_argument("--n", type=int, default=2048)
    p.add_argument("--seeds", type=int, default=8)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--loop-steps", type=int, default=200, help="steps timed for the python loop (scaled)")
    add_out(p)
    a = p.parse_args(argv)
    for name in ("D", "n", "seeds", "steps", "loop_steps"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')}: must be positive")
    import jax
    import jax.numpy as jnp
    import optax

    from theorylab.core.sweep import default_threads, run_keys
    from theorylab.diffusion import claims as dc, networks as nets, simulations as sims
    from theorylab.diffusion.model import alpha, h

    threads = default_threads()
    q = dict(dc.SIZES["quick"], steps=a.steps)
    static = dc._static(q, "structured", a.D, a.n)
    dyn = {"n": float(a.n), "D": a.D, "lr": q["lr"]}
    keys = jax.random.split(jax.random.PRNGKey(0), a.seeds)
    rec = Record("diffusion")
    rec.say(f"diffusion training sweep: D={a.D}, d=2, n={a.n}, {a.steps} steps, batch {q['batch']}, "
          f"{a.seeds} seeds; backend {jax.default_backend()}, {threads} threads")

    # python loop (training only): each seed's first step (its compile) is timed as it is, the
    # next loop_steps steps are timed and scaled to the full run
    def python_loop():
        import time

        total = 0.0
        for k in keys:
            kp, kx = jax.random.split(k, 6)[:2]
            pr = sims.draw_problem(kp, a.D, a.D, 2, 6)
            X = sims.draw_data(kx, pr, a.n)
            params = nets.init(k, "structured", a.D, 2, q["width"], q["depth"], a.D)
            opt = optax.adam(q["lr"])
            state = opt.init(params)

            @jax.jit
            def step(params, state, k):
                def loss(pp):
                    ki, kt, ke = jax.random.split(k, 3)
                    x0 = X[jax.random.randint(ki, (q["batch"],), 0, a.n)]
                    t = jnp.exp(jax.random.uniform(kt, (q["batch"],), minval=math.log(1e-3), maxval=math.log(8.0)))
                    eps = jax.random.normal(ke, x0.shape)
                    xt = alpha(t)[:, None] * x0 + jnp.sqrt(h(t))[:, None] * eps
                    err = nets.apply(pp, "structured", xt, t, a.D) + eps / jnp.sqrt(h(t))[:, None]
                    return jnp.mean(t * jnp.sum(err**2, 1))
                g = jax.grad(loss)(params)
                u, state = opt.update(g, state, params)
                return optax.apply_updates(params, u), state

            t0 = time.perf_counter()
            params, state = jax.block_until_ready(step(params, state, jax.random.fold_in(k, 0)))
            t1 = time.perf_counter()
            for i in range(1, a.loop_steps + 1):
                params, state = step(params, state, jax.random.fold_in(k, i))
            jax.block_until_ready(params)
            total += (t1 - t0) + (time.perf_counter() - t1) * (a.steps - 1) / a.loop_steps
        return total

    _, t_loop = timed(python_loop)
    one = jax.jit(lambda k: sims.train_and_measure(k, static, {kk: jnp.asarray(v) for kk, v in dyn.items()}))
    t_cold1, _ = timed(lambda: jax.block_until_ready(one(keys[0])))
    t_seed, per_seed = timed(lambda: np.array([float(one(k)["score_error"]) for k in keys]))
    res = {}
    for th in sorted({1, threads}):
        t_cold, _ = timed(run_keys, sims.train_and_measure, static, dyn, keys, None, th) if not res else (None, None)
        t_warm, out = timed(run_keys, sims.train_and_measure, static, dyn, keys, None, th, repeat=2)
        res[th] = (t_cold, t_warm, out["score_error"])
    rel = abs(res[threads][2].mean() / per_seed.mean() - 1)
    assert rel < 0.05, f"versions disagree: mean score error differs by {rel:.1%}"
    rec.compare({"python_loop": t_loop, "jit_per_seed": t_seed},
                {"jit_per_seed": t_seed, **{f"theorylab_warm_{th}_threads": r[1] for th, r in res.items()}})
    rec.say(f"  mean score error: vmapped {res[threads][2].mean():.4f}, per seed {per_seed.mean():.4f}")
    rec.say(f"  python loop over seeds and steps (training only; {a.loop_steps} steps timed per seed, scaled) {t_loop:8.2f} s")
    rec.say(f"  jit per seed, looped (train + measure + sample)  {t_seed:8.2f} s   {t_loop / t_seed:6.2f}x the python loop "
          f"(compile {t_cold1:.1f} s)")
    for th, (t_cold, t_warm, _) in res.items():
        rec.say(f"  theorylab jit(vmap), {th} thread(s)               {t_warm:8.2f} s   {t_loop / t_warm:6.2f}x the python loop, "
                f"{t_seed / t_warm:5.2f}x jit per seed" + (f" (cold {t_cold:.1f} s)" if t_cold else ""))
    rec.write(a.out, argv, vars(a))


if __name__ == "__main__":
    from theorylab import x64

    with x64():  # the family declares float64, as verify would switch it on
        main()
