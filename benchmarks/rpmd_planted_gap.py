"""Iterations against a planted action gap for robust PMD, increasing against constant steps (a pilot).

The pilot of `benchmarks/rpmd_iterations.py` found that on Garnet instances the iteration
count N(eps) = min{k : gap_k <= eps gap_0} is ordered by the instance's robust action gap Delta,
like Delta^-0.42 under linear steps eta_k = k + 1 and Delta^-0.86 under a constant step, as the
tail of KL-PMD predicts (mass on a worse action ~ exp(-Delta sum_t eta_t): N ~ Delta^-1/2 for
linear steps, Delta^-1 for a constant one). A claim can test that on a designed grid of gaps:
each Garnet instance gets its robust action gap planted at Delta (`theorylab.pmd.robust.plant_gap`:
V_r* and the greedy policy unchanged) for Delta on a grid, and the slope of log N(eps) on
log(1/Delta) is fitted seed by seed, as the claim's slope check would. Before that design is
fixed, this pilot runs it on keys of its own (fold_in(PRNGKey(4000 + r), i), never a claim's
roots) with the claim's robust KL-PMD (S = 10, A = 4, branching 4, gamma = 0.9, l1 ball of radius
0.2, eta_0 = 1), both schedules on the same instances, and reports what the check would face:
censoring (N > K) per Delta, the quantiles of N, and theorylab's own slope check (upper band
1/2 + 1/4, the constant step's exponent 1 as the alternative) applied to both schedules.

    python benchmarks/rpmd_planted_gap.py --out results/diagnostics

(A diagnosis: it records values, not speed ratios; benchmarks/gpu_full.sh does not run it.)
"""

import argparse
import time

import numpy as np

from common import Record, add_out, positive_int

GAMMA, S, A, BRANCHING, ETA0, RADIUS = 0.9, 10, 4, 4, 1.0, 0.2
DELTAS = 10.0 ** -np.arange(0.5, 1.51, 0.25)  # 0.316 .. 0.0316, five points
PREDICTED, TOL, ALTERNATIVES = 0.5, 0.25, {"constant step (Delta^-1)": 1.0}


def run(roots, instances, steps, schedule):
    """``(f_gap (instances, deltas, steps + 1), planted gap (instances, deltas))``."""
    import jax
    import jax.numpy as jnp

    from theorylab.pmd.algorithms import schedule_id
    from theorylab.pmd.simulations import rpmd_garnet

    static = {"S": S, "A": A, "branching": BRANCHING, "steps": steps, "kind": "l1", "planted": True}

    def one(key, delta):
        o = rpmd_garnet(key, static, {"gamma": GAMMA, "radius": RADIUS, "schedule": schedule_id(schedule),
                                      "eta0": ETA0, "delta": delta})
        return o["f_gap"], o["gap"]

    batch = jax.jit(jax.vmap(jax.vmap(one, in_axes=(None, 0)), in_axes=(0, None)))
    keys = jnp.stack([jax.random.fold_in(jax.random.PRNGKey(4000 + r), i)
                      for r in roots for i in range(instances)])
    f, gap = batch(keys, jnp.asarray(DELTAS))
    return np.asarray(f), np.asarray(gap)


def iterations(f: np.ndarray, eps: float) -> np.ndarray:
    """N(eps) = min{k : gap_k <= eps gap_0} along the last axis, NaN where no k <= K reaches it."""
    hit = f <= eps * f[..., :1]
    first = np.argmax(hit, axis=-1).astype(float)
    first[~hit.any(axis=-1)] = np.nan
    return first


def summarise(N: np.ndarray) -> dict:
    """Censoring, quantiles, and the slope check of log N on log(1/Delta) (grid points where any
    instance is censored are left out whole: dropping single censored entries would bias the
    slope toward the small-Delta end's lower values)."""
    from theorylab.core.checks import Measurement, SlopeCheck

    cens = np.isnan(N).sum(0)
    y = np.where(cens[None, :] > 0, np.nan, N)
    out = {"censored_per_delta": cens.tolist(),
           "N_median_per_delta": np.nanquantile(N, 0.5, axis=0).tolist(),
           "N_q90_per_delta": np.nanquantile(N, 0.9, axis=0).tolist(),
           "N_max_per_delta": np.nanmax(N, axis=0).tolist()}
    check = SlopeCheck(predicted=PREDICTED, side="upper", tol=TOL, alternatives=ALTERNATIVES)
    with np.errstate(invalid="ignore"):
        r = check.evaluate(Measurement(x=1 / DELTAS, y=y))
    out["check"] = {"outcome": r.outcome, "slope": r.slope, "ci": list(r.slope_ci) if r.slope_ci else None,
                    "tilt": r.fit.tilt if r.fit is not None else None,
                    "tilt_ci99": list(r.fit.tilt_ci) if r.fit is not None and r.fit.tilt_ci else None,
                    "local_slopes": [float(v) for v in r.fit.local_rates] if r.fit is not None else None,
                    "sentence": r.sentence}
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--roots", type=positive_int, default=1, help="roots of the pilot's own keys")
    p.add_argument("--instances", type=positive_int, default=128, help="instances per root")
    p.add_argument("--steps", type=positive_int, default=1000, help="the step budget K")
    p.add_argument("--eps", type=float, default=1e-8, help="the relative accuracy of N(eps)")
    add_out(p)
    a = p.parse_args(argv)
    import theorylab

    rec = Record("rpmd_planted_gap")
    rec.say(f"robust KL-PMD, l1 ball radius {RADIUS}, Garnet S={S} A={A} branching {BRANCHING}, gamma={GAMMA}, "
            f"eta_0={ETA0}, K = {a.steps} steps; {a.roots} roots x {a.instances} instances (own keys), each with "
            f"its robust action gap planted at Delta = {', '.join(f'{d:.4g}' for d in DELTAS)}; both schedules "
            f"on the same instances; N = min k with gap_k <= {a.eps:g} gap_0")
    for sch in ("linear", "constant"):
        t0 = time.perf_counter()
        with theorylab.x64():
            f, gap = run(list(range(1, a.roots + 1)), a.instances, a.steps, sch)
        rec.time(sch, time.perf_counter() - t0)
        worst = float(np.max(np.abs(gap - DELTAS[None, :]) / DELTAS[None, :]))
        s = summarise(iterations(f, a.eps))
        s["planted_gap_worst_relative_error"] = worst
        rec.values[sch] = s
        rec.say(f"{sch} steps ({rec.timings[sch]:.0f} s): planted gap off by at most {worst:.1e} (relative)")
        rec.say(f"  censored per Delta {s['censored_per_delta']} of {f.shape[0]}")
        rec.say(f"  N median {s['N_median_per_delta']}; q90 {s['N_q90_per_delta']}; max {s['N_max_per_delta']}")
        rec.say(f"  check ({s['check']['outcome']}): {s['check']['sentence']}")
    rec.write(a.out, argv, {**vars(a), "deltas": DELTAS.tolist()})


if __name__ == "__main__":
    main()
