"""What TF32 matmuls do to diffusion.distribution_recovery's nearest-point distances (a diagnosis).

On the H200 run (results/full-gpu/) `diffusion.distribution_recovery` failed: the ratio of the
generated samples' to fresh samples' median distance to the nearest training point was non-finite
at the largest n on 5 of 8 seeds. The simulation forms squared distances by the expansion
|z|^2 - 2 z.x + |x|^2 (one matmul per block), clamps them at 0 and takes square roots. JAX runs
float32 matmuls on recent NVIDIA GPUs as TF32 by default: inputs rounded to 10-bit mantissas
(relative error 2^-11), products accumulated in float32. With latents of norm up to ~3 the
cross term's error is ~1e-2, while the nearest training point at n = 8192 lies ~1e-2 away
(squared: 1e-4): the expansion goes negative, is clamped to 0, and once half the fresh samples'
distances are 0 their median is 0 and the ratio 0/0 or x/0.

This script reproduces that on the CPU with the family's own problem and data generators
(full size: D = 16, d = 2, K = 6, m = 1024 evaluation points): for each n it computes the
nearest-point distances of m fresh samples exactly (differences), by the expansion in float32
(what the CPU runs), and by the expansion with TF32-rounded inputs (round to nearest even at 10
mantissa bits, float32 accumulation: what a tensor core computes), and reports the fraction
clamped to zero and the fresh-vs-fresh median ratio, which should be 1.

    python benchmarks/tf32_distances.py --out results/diagnostics

(A diagnosis, not a speed benchmark: it records values, no ratios, so it writes beside the
benchmarks rather than among them, and benchmarks/gpu_full.sh does not run it.)
"""

import argparse

import numpy as np

from common import Record, add_out


def tf32(a):
    """float32 ``a`` rounded to TF32's 10-bit mantissa (round to nearest, ties to even)."""
    b = np.ascontiguousarray(a, np.float32).view(np.uint32)
    b = (b + np.uint32(0x0FFF) + ((b >> np.uint32(13)) & np.uint32(1))) & np.uint32(0xFFFFE000)
    return b.view(np.float32)


def nearest(Z, X, how):
    """Distances from each row of ``Z`` to the nearest row of ``X`` (float32)."""
    if how == "exact":
        return np.sqrt(np.min(((Z[:, None, :] - X[None]) ** 2).sum(-1), 1))
    cast = tf32 if how == "tf32" else (lambda a: a)
    d2 = (Z**2).sum(1)[:, None] - 2 * (cast(Z) @ cast(X).T) + (X**2).sum(1)[None, :]
    return np.sqrt(np.maximum(np.min(d2, 1), 0.0))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=8)
    p.add_argument("--ns", type=int, nargs="+", default=[1024, 4096, 8192])
    p.add_argument("--m", type=int, default=1024)
    add_out(p)
    a = p.parse_args(argv)
    import jax

    from theorylab.diffusion.simulations import draw_data, draw_problem

    rec = Record("tf32_distances")
    rec.say(f"nearest-training-point distances of {a.m} fresh samples, {a.seeds} seeds "
            "(D = 16, d = 2, K = 6; latent coordinates)")
    rec.say(f"{'n':>6} {'how':>8} {'zero fraction':>14} {'ratio fresh/fresh (median over seeds)':>38} {'non-finite':>10}")
    for n in a.ns:
        for how in ("exact", "float32", "tf32"):
            zeros, ratios = [], []
            for s in range(a.seeds):
                k = jax.random.fold_in(jax.random.PRNGKey(0), s)
                prob = draw_problem(k, 16, 16, 2, 6)
                V = np.asarray(prob.A, np.float32)
                X, Z1, Z2 = (np.asarray(draw_data(jax.random.fold_in(k, j), prob, size), np.float32) @ V
                             for j, size in ((1, n), (2, a.m), (3, a.m)))
                d1, d2 = nearest(Z1, X, how), nearest(Z2, X, how)
                zeros.append(float(np.mean(d1 == 0)))
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratios.append(float(np.median(d2) / np.median(d1)))
            r = np.asarray(ratios)
            bad = int(np.sum(~np.isfinite(r)))
            med = float(np.median(r[np.isfinite(r)])) if bad < len(r) else float("nan")
            rec.values[f"n={n}/{how}"] = {"zero_fraction_mean": round(float(np.mean(zeros)), 4),
                                          "ratio_median_finite": round(med, 4), "non_finite": bad,
                                          "seeds": a.seeds}
            rec.say(f"{n:>6} {how:>8} {np.mean(zeros):>14.3f} {med:>38.3f} {bad:>7} of {a.seeds}")
    rec.write(a.out, argv, vars(a))


if __name__ == "__main__":
    main()
