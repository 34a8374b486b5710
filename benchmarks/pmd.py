"""Benchmark: KL policy mirror descent over a batch of Garnet MDPs, theorylab against numpy.

Same algorithm, same MDPs, same float64, one process: unregularised KL-PMD with a constant step
(eta = 1) for STEPS iterations from the uniform policy; each iteration solves
(I - gamma P_pi) V = c_pi exactly, forms Q = c + gamma P V and takes the closed-form step
log pi <- log pi - eta (Q - min Q), renormalised.

* ``numpy-loop``: a Python loop over MDPs and iterations with ``np.linalg.solve`` (what a
  one-off script does);
* ``numpy-batched``: a Python loop over iterations, batched ``np.linalg.solve`` over all MDPs;
* ``theorylab``: ``jit(vmap)`` of one ``lax.scan`` built from ``theorylab.pmd.evaluate`` and
  ``kl_prox``, cold (trace + compile) and warm. (Splitting the batch over the CPU cores as
  separate XLA host devices, ``--xla_force_host_platform_device_count=2``, hung in jax 0.10.2:
  the sharded scan of batched solves never returned, so it is not offered.)

The final values of all versions must agree to 1e-9 for the timings to count. The float64
matmul rate of this machine is measured in the same run, so the PMD throughput can be read as a
fraction of it.

    python benchmarks/pmd.py [--mdps 256] [--S 50] [--A 10] [--steps 100]
"""

import argparse
import time

import numpy as np
from common import Record, add_out, timed


def numpy_pmd(P, c, gamma, steps, eta=1.0):
    S, A = c.shape
    logits = np.full((S, A), -np.log(A))
    I = np.eye(S)
    for _ in range(steps):
        pi = np.exp(logits)
        V = np.linalg.solve(I - gamma * np.einsum("sa,san->sn", pi, P), (pi * c).sum(1))
        Q = c + gamma * P @ V
        z = logits - eta * (Q - Q.min(1, keepdims=True))
        logits = z - (np.log(np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True)) + z.max(1, keepdims=True))
    pi = np.exp(logits)
    return np.linalg.solve(I - gamma * np.einsum("sa,san->sn", pi, P), (pi * c).sum(1))


def numpy_batched(P, c, gamma, steps, eta=1.0):
    B, S, A = c.shape
    logits = np.full((B, S, A), -np.log(A))
    I = np.eye(S)[None]

    def value(logits):
        pi = np.exp(logits)
        return np.linalg.solve(I - gamma * np.einsum("bsa,bsan->bsn", pi, P), (pi * c).sum(2)[..., None])[..., 0]

    for _ in range(steps):
        V = value(logits)
        Q = c + gamma * np.einsum("bsan,bn->bsa", P, V)
        z = logits - eta * (Q - Q.min(2, keepdims=True))
        m = z.max(2, keepdims=True)
        logits = z - (np.log(np.exp(z - m).sum(2, keepdims=True)) + m)
    return value(logits)


def theorylab_pmd(steps, eta=1.0, batch=None):
    """``jit(vmap)`` over all MDPs, or with ``batch``: ``jit(lax.map(..., batch_size=batch))``,
    vmapping ``batch`` MDPs at a time so that their kernels (200 KB each at S=50, A=10) stay in
    cache through all iterations instead of streaming the whole 51 MB batch twice per iteration."""
    import jax
    import jax.numpy as jnp

    from theorylab.pmd import MDP, evaluate, kl_prox

    def one(P, c, gamma):
        mdp = MDP(P, c, gamma)
        S, A = c.shape

        def body(logits, _):
            _, Q = evaluate(mdp, jnp.exp(logits))
            return kl_prox(logits, Q, eta), None

        logits, _ = jax.lax.scan(body, jnp.full((S, A), -jnp.log(A)), None, length=steps)
        return evaluate(mdp, jnp.exp(logits))[0]

    if batch is None:
        return jax.jit(jax.vmap(one, in_axes=(0, 0, None)))
    return jax.jit(lambda P, c, gamma: jax.lax.map(lambda pc: one(*pc, gamma), (P, c), batch_size=batch))




def matmul_gflops(n=1024):
    import jax
    import jax.numpy as jnp

    a = np.random.default_rng(0).normal(size=(n, n))
    t_np, _ = timed(lambda: a @ a, repeat=3)
    f = jax.jit(lambda x: x @ x)
    x = jnp.asarray(a)
    f(x).block_until_ready()
    t_jx, _ = timed(f, x, repeat=3)
    return 2 * n**3 / t_np / 1e9, 2 * n**3 / t_jx / 1e9


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mdps", type=int, default=256)
    p.add_argument("--S", type=int, default=50)
    p.add_argument("--A", type=int, default=10)
    p.add_argument("--branching", type=int, default=10)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--gamma", type=float, default=0.9)
    p.add_argument("--batch", type=int, default=2, help="MDPs per vmapped block in the lax.map version")
    p.add_argument("--loop-mdps", type=int, default=32, help="MDPs timed for the per-MDP numpy loop")
    add_out(p)
    a = p.parse_args(argv)
    for name in ("mdps", "S", "A", "branching", "steps", "loop_mdps", "batch"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')}: must be positive")
    import jax
    import jax.numpy as jnp

    from theorylab import pmd

    keys = jax.random.split(jax.random.PRNGKey(0), a.mdps)
    mdps = jax.jit(jax.vmap(lambda k: pmd.garnet(k, a.S, a.A, a.branching, a.gamma)))(keys)
    P, c = np.asarray(mdps.P), np.asarray(mdps.c)

    nl = min(a.loop_mdps, a.mdps)
    t0 = time.perf_counter()
    V_loop = np.stack([numpy_pmd(P[i], c[i], a.gamma, a.steps) for i in range(nl)])
    t_loop = (time.perf_counter() - t0) * a.mdps / nl
    t_batch, V_batch = timed(numpy_batched, P, c, a.gamma, a.steps)

    fn = theorylab_pmd(a.steps)
    Pj, cj = jnp.asarray(P), jnp.asarray(c)
    t_cold, V_tl = timed(fn, Pj, cj, a.gamma)
    t_warm, V_tl = timed(fn, Pj, cj, a.gamma, repeat=3)

    fb = theorylab_pmd(a.steps, batch=a.batch)
    t_bcold, V_tb = timed(fb, Pj, cj, a.gamma)
    t_bwarm, V_tb = timed(fb, Pj, cj, a.gamma, repeat=3)
    err = max(np.abs(np.asarray(V_tl) - V_batch).max(), np.abs(np.asarray(V_tb) - V_batch).max(),
              np.abs(V_loop - V_batch[:nl]).max())
    assert err < 1e-9, f"versions disagree: {err:.2e}"
    flops = a.mdps * (a.steps + 1) * (2 / 3 * a.S**3 + 4 * a.S * a.A * a.S)
    np_peak, jx_peak = matmul_gflops()
    best = min(t_warm, t_bwarm)
    rec = Record("pmd")
    for k, v in (("numpy_loop", t_loop), ("numpy_batched", t_batch), ("theorylab_cold", t_cold),
                 ("theorylab_warm", t_warm), ("theorylab_blocks_cold", t_bcold),
                 ("theorylab_blocks_warm", t_bwarm)):
        rec.time(k, v)
    rec.ratio("numpy_loop/theorylab_warm", t_loop / t_warm)
    rec.ratio("numpy_loop/theorylab_blocks_warm", t_loop / t_bwarm)
    rec.ratio("numpy_batched/theorylab_best", t_batch / best)
    rec.ratio("numpy_loop/theorylab_best", t_loop / best)
    rec.say(f"PMD: {a.mdps} Garnet MDPs, S={a.S}, A={a.A}, {a.steps} iterations, float64; "
          f"backend {jax.default_backend()} ({jax.devices()[0].device_kind}); max |dV| between versions {err:.1e}")
    rec.say(f"  numpy loop (per MDP, {nl} timed, scaled) {t_loop:8.3f} s")
    rec.say(f"  numpy batched solve                     {t_batch:8.3f} s   {t_loop / t_batch:6.2f}x the loop")
    rec.say(f"  theorylab jit(vmap) cold (incl. compile) {t_cold:8.3f} s")
    rec.say(f"  theorylab jit(vmap) warm                {t_warm:8.3f} s   {t_loop / t_warm:6.2f}x the loop, "
          f"{t_batch / t_warm:5.2f}x numpy batched")
    rec.say(f"  theorylab jit(lax.map, {a.batch} per block) cold {t_bcold:8.3f} s")
    rec.say(f"  theorylab jit(lax.map, {a.batch} per block) warm {t_bwarm:8.3f} s   {t_loop / t_bwarm:6.2f}x the loop, "
          f"{t_batch / t_bwarm:5.2f}x numpy batched")
    rec.say(f"  throughput {flops / best / 1e9:.2f} GFLOP/s (~{flops / 1e9:.1f} GFLOP of solves and "
          f"contractions); float64 matmul on this machine: numpy {np_peak:.1f}, jax {jx_peak:.1f} GFLOP/s "
          f"-> {100 * flops / best / 1e9 / max(np_peak, jx_peak):.1f}% of the matmul rate")
    rec.write(a.out, argv, vars(a))


if __name__ == "__main__":
    from theorylab import x64

    with x64():  # the family declares float64, as verify would switch it on
        main()
