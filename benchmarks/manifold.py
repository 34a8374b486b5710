"""Benchmark: the manifold family's two workhorses, in one process.

1. Network training sweep: the theory-sized ReLU network (torus T^2 in R^D, n points, Adam,
   early stopping every 25 steps) trained for ``seeds`` seeds:
   * ``python loop``: a Python loop over seeds and steps around a jitted Adam step (what a
     one-off script does), early stopping in Python;
   * ``jit per seed``: the library's whole training (one ``lax.scan``) jitted once, called
     seed by seed;
   * ``theorylab``: the library's sweep, ``jit(vmap)`` over seeds, on one thread and with the
     seeds split over the CPU's threads.
   All versions train the same networks on the same data. In float32 their summation orders
   differ, and Adam's normalisation can amplify that until early stopping picks another step,
   so the check is: mean test MSE within 5% (the report says on how many seeds they agree
   to 1e-5).
2. k-NN: ``theorylab.manifold.knn_predict`` (jit(vmap) over seeds, brute-force distances and
   a partial sort) against scikit-learn's ``KNeighborsRegressor`` (fitted and queried seed by
   seed; its default picks a KD-tree here, and its brute-force mode for comparison) on the
   same data; predictions must agree to 1e-5.

    python benchmarks/manifold.py [--n 1024] [--D 64] [--seeds 8] [--steps 200]
    (scikit-learn is optional: pip install scikit-learn)
"""

import argparse

import numpy as np
from common import Record, add_out, timed


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1024)
    p.add_argument("--D", type=int, default=64)
    p.add_argument("--seeds", type=int, default=8)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--knn-n", type=int, default=4096)
    p.add_argument("--knn-seeds", type=int, default=16)
    add_out(p)
    a = p.parse_args(argv)
    for name in ("n", "D", "seeds", "steps", "knn_n", "knn_seeds"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')}: must be positive")
    import jax
    import jax.numpy as jnp
    import optax

    from theorylab.core.sweep import default_threads, run_keys
    from theorylab.manifold import data, estimators as est, network as net
    from theorylab.manifold import simulations as sims

    threads = default_threads()
    rec = Record("manifold")
    rec.say(f"manifold benchmarks; backend {jax.default_backend()} ({jax.devices()[0].device_kind}), "
          f"{threads} threads")

    # ---- 1. network training sweep -------------------------------------------------------
    every = 25
    steps = -(-a.steps // every) * every
    W, L = net.width_max_for(a.n, 1.0, 2), net.depth_max_for(a.n)
    static = {"manifold": "torus", "n_max": a.n, "n_test": 500, "D_max": a.D, "W_max": W, "L_max": L,
              "steps": steps, "eval_every": every}
    dyn = {"n": float(a.n), "D": a.D, "beta": 1.0, "sigma": 0.5, "lr": 3e-3}
    keys = jax.random.split(jax.random.PRNGKey(0), a.seeds)

    one = jax.jit(lambda k: sims.network(k, static, {kk: jnp.asarray(v) for kk, v in dyn.items()}))
    t_cold_seed, _ = timed(lambda: jax.block_until_ready(one(keys[0])))
    t_seed, per_seed = timed(lambda: [jax.block_until_ready(one(k))["test_mse"] for k in keys])

    def python_loop():
        out = []
        for k in keys:
            kd, kn = jax.random.split(k)
            s = data.draw(kd, "torus", n_max=a.n, n_test=500, D=a.D, D_max=a.D, beta=1.0, sigma=0.5)
            width, depth = net.width_for(a.n, 1.0, 2), net.depth_for(a.n)
            params = net.init(kn, a.D, W, L, a.D, width)
            idx = jnp.arange(a.n)
            n_tr = jnp.floor(0.8 * a.n)
            w_tr, w_va = (idx < n_tr).astype(jnp.float32), (idx >= n_tr).astype(jnp.float32)
            opt = optax.adam(jnp.float32(3e-3))
            state = opt.init(params)
            loss = jax.jit(lambda p, w: jnp.sum(w * (net.forward(p, s.x, width, depth) - s.y) ** 2) / jnp.sum(w))
            grad = jax.jit(jax.grad(lambda p, w: jnp.sum(w * (net.forward(p, s.x, width, depth) - s.y) ** 2) / jnp.sum(w)))
            best_v, best = float(loss(params, w_va)), params
            for i in range(steps):
                u, state = opt.update(grad(params, w_tr), state, params)
                params = optax.apply_updates(params, u)
                if (i + 1) % every == 0:
                    v = float(loss(params, w_va))
                    if v < best_v:
                        best_v, best = v, params
            out.append(float(jnp.mean((net.forward(best, s.x_test, width, depth) - s.f_test) ** 2)))
        return np.array(out)

    t_loop, loop_mse = timed(python_loop)
    tl = {}
    for th in sorted({1, threads}):
        t_cold, _ = timed(run_keys, sims.network, static, dyn, keys, None, th) if not tl else (None, None)
        t_warm, out = timed(run_keys, sims.network, static, dyn, keys, None, th, repeat=2)
        tl[th] = (t_cold, t_warm, out["test_mse"])
    ref = np.asarray([float(v) for v in per_seed])
    same = [int((np.abs(v - ref) <= 1e-5 * ref).sum()) for v in (tl[threads][2], loop_mse)]
    rel = max(abs(tl[threads][2].mean() / ref.mean() - 1), abs(loop_mse.mean() / ref.mean() - 1))
    assert rel < 0.05, f"network versions disagree: mean test MSE differs by {rel:.1%}"
    rec.compare({"python_loop": t_loop, "jit_per_seed": t_seed},
                {"jit_per_seed": t_seed, **{f"theorylab_warm_{th}_threads": r[1] for th, r in tl.items()}},
                prefix="network/")
    rec.say(f"  network sweep: torus in R^{a.D}, n={a.n}, width {W}, depth {L}, {steps} Adam steps, "
          f"{a.seeds} seeds; test MSE equal to 1e-5 (relative) on {same[0]} (vmap) and {same[1]} "
          f"(python loop) of {a.seeds} seeds, mean within {rel:.1%}")
    rec.say(f"    python loop over seeds and steps  {t_loop:8.3f} s")
    rec.say(f"    jit per seed, looped              {t_seed:8.3f} s   {t_loop / t_seed:6.2f}x the python loop "
          f"(compile {t_cold_seed:.2f} s)")
    rec.say(f"    theorylab cold (incl. compile)    {tl[1][0]:8.3f} s")
    for th, (_, t_warm, _) in tl.items():
        rec.say(f"    theorylab jit(vmap), {th} thread(s) {t_warm:8.3f} s   {t_loop / t_warm:6.2f}x the python loop, "
                f"{t_seed / t_warm:5.2f}x jit per seed")

    # ---- 2. k-NN against scikit-learn ------------------------------------------------------
    try:
        from sklearn.neighbors import KNeighborsRegressor
    except ImportError:
        rec.say("  k-NN: scikit-learn is not installed; skipped (pip install scikit-learn)")
        rec.write(a.out, argv, vars(a))
        return
    k = int(round(float(est.k_of_n(a.knn_n, 1.0, 2))))
    kk = jax.random.split(jax.random.PRNGKey(1), a.knn_seeds)
    S = jax.vmap(lambda key: data.draw(key, "torus", n_max=a.knn_n, n_test=1000, D=10, D_max=10,
                                       beta=1.0, sigma=0.5))(kk)
    X, Y, Xt = (np.asarray(v) for v in (S.x, S.y, S.x_test))
    f = jax.jit(jax.vmap(lambda x, y, q: est.knn_predict(x, y, q, k)))
    t_cold, _ = timed(lambda: jax.block_until_ready(f(S.x, S.y, S.x_test)))
    t_tl, pred = timed(lambda: np.asarray(jax.block_until_ready(f(S.x, S.y, S.x_test))), repeat=3)

    def sk(algorithm):
        return np.stack([KNeighborsRegressor(n_neighbors=k, algorithm=algorithm).fit(X[i], Y[i]).predict(Xt[i])
                         for i in range(a.knn_seeds)])

    rec.time("knn/theorylab", t_tl)
    rec.say(f"  k-NN: torus in R^10, n={a.knn_n}, 1000 queries, k={k}, {a.knn_seeds} seeds")
    for algorithm in ("auto", "brute"):
        t_sk, pred_sk = timed(sk, algorithm, repeat=3)
        err = np.abs(pred - pred_sk).max()
        assert err < 1e-5, f"k-NN versions disagree: {err:.2e}"
        rec.time(f"knn/sklearn_{algorithm}", t_sk)
        rec.ratio(f"knn/sklearn_{algorithm}/theorylab", t_sk / t_tl)
        rec.say(f"    scikit-learn KNeighborsRegressor({algorithm!r}) {t_sk:8.3f} s; max |d prediction| {err:.1e}")
    rec.say(f"    theorylab jit(vmap), brute force   {t_tl:8.3f} s   (compile {t_cold:.2f} s)")
    rec.write(a.out, argv, vars(a))


if __name__ == "__main__":
    from theorylab import x64

    with x64():  # the family declares float64, as verify would switch it on
        main()
