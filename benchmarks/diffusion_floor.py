"""How much of `diffusion.score_rate_in_n`'s window measures the optimisation floor (a diagnosis).

The claim fits the score error of the structured network against n over n = 256..8192 at full
size. Its record is inconclusive: the slope, -0.515 [-0.569, -0.461], sits well inside the
one-sided band (<= -0.186), but the local slope flattens from -1.09 to -0.26 across the window,
and the error at n = 8192 is 1.15x the optimisation floor (the same training on 262144 points).
The design written in docs/designs.md measures the excess over each seed's own floor instead,
over the n whose median excess is at least the median floor.

This script runs the claim's full-size n-sweep (the same static settings, 8 seeds, on keys of
its own, not the claim's roots) and reports per n the median error, floor and excess, which n
the design's window rule keeps, and the slopes of the raw error and of the excess over that
window with their 95% t-intervals over seeds and their curvature:

    python benchmarks/diffusion_floor.py --out results/diagnostics

(A diagnosis: it records values, not speed ratios; benchmarks/gpu_full.sh does not run it.)
"""

import argparse

import numpy as np

from common import Record, add_out

BAND_EDGE = -2 / 7 + 0.1  # the claim's one-sided band: slope <= -2/(d + 5) + 0.1, d = 2


def run(seeds, root, size="full"):
    import jax

    from theorylab.core.sweep import default_threads, run_keys
    from theorylab.diffusion import claims as dc
    from theorylab.diffusion import simulations as sims

    p = dc.SIZES[size]
    ns = [n for n in p["ns"] if n >= dc.RATE_N_MIN] + [p["n_floor"]]
    static = dc._static(p, "structured", p["D"], p["n_floor"])
    keys = jax.random.split(jax.random.fold_in(jax.random.PRNGKey(root), 5), seeds)
    out = {}
    for n in ns:
        o = run_keys(sims.train_and_measure, static, {"n": float(n), "D": p["D"], "lr": p["lr"]}, keys,
                     threads=default_threads())
        out[n] = np.asarray(o["score_error"], float)
    return ns[:-1], out[p["n_floor"]], np.stack([out[n] for n in ns[:-1]], 1)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=8)
    p.add_argument("--root", type=int, default=12, help="a root none of the claim's records used")
    p.add_argument("--size", default="full", choices=("quick", "full"))
    add_out(p)
    a = p.parse_args(argv)
    if a.seeds < 2:
        p.error(f"--seeds: at least 2, got {a.seeds}")
    import theorylab
    from theorylab.core.fit import fit_rate

    rec = Record("diffusion_floor")
    with theorylab.x64():  # as verify runs the family
        ns, floor, err = run(a.seeds, a.root, a.size)
    x = np.asarray(ns, float)
    excess = err - floor[:, None]
    med_floor = float(np.median(floor))
    keep = np.median(excess, 0) >= med_floor
    rec.say(f"diffusion.score_rate_in_n's n-sweep at {a.size} size, {a.seeds} seeds, root {a.root}; "
            f"floor = the same training on the largest n; median floor {med_floor:.5f}")
    rec.say(f"{'n':>6} {'median error':>13} {'error/floor':>12} {'median excess':>14} {'seeds excess <= 0':>18} {'in window':>10}")
    for j, n in enumerate(ns):
        rec.say(f"{n:>6} {np.median(err[:, j]):>13.5f} {np.median(err[:, j]) / med_floor:>12.2f} "
                f"{np.median(excess[:, j]):>14.5f} {int(np.sum(excess[:, j] <= 0)):>18} {'yes' if keep[j] else 'no':>10}")
    rec.values = {"ns": ns, "median_floor": round(med_floor, 6),
                  "median_error": np.round(np.median(err, 0), 6).tolist(),
                  "median_excess": np.round(np.median(excess, 0), 6).tolist(),
                  "seeds_excess_not_positive": [int(v) for v in np.sum(excess <= 0, 0)],
                  "window": [int(n) for n, k in zip(ns, keep) if k]}
    for label, y, mask in (("raw error, whole window", err, np.ones_like(keep)),
                           ("excess over the floor, the design's window", excess, keep)):
        xs, ys = x[mask], y[:, mask]
        if xs.size < 3 or np.any(ys <= 0):
            rec.say(f"{label}: no fit ({xs.size} points, {int(np.sum(ys <= 0))} entries not positive)")
            rec.values[label] = None
            continue
        f = fit_rate(xs, ys)
        lo, hi = f.ci
        tl, th = f.tilt_ci if f.tilt_ci is not None else (float("nan"), float("nan"))
        rec.values[label] = {"slope": round(f.slope, 4), "ci95": [round(lo, 4), round(hi, 4)],
                             "tilt": None if f.tilt is None else round(f.tilt, 4),
                             "tilt_ci99": [round(tl, 4), round(th, 4)],
                             "local_slopes": [round(v, 4) for v in f.local_rates]}
        rec.say(f"{label}: slope {f.slope:.3f} [{lo:.3f}, {hi:.3f}] against the band's edge {BAND_EDGE:.3f}; "
                f"local slopes {', '.join(f'{v:.2f}' for v in f.local_rates)}; tilt "
                f"{'n/a' if f.tilt is None else f'{f.tilt:+.3f} (99% CI {tl:+.3f}..{th:+.3f})'}")
    rec.write(a.out, argv, vars(a))


if __name__ == "__main__":
    main()
