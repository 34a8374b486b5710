"""Why `rpmd.increasing_steps_linear` misses its gamma^k envelope on fresh roots (a diagnosis).

The claim checks robust KL-PMD with linearly increasing steps eta_k = eta_0 (k + 1) against the
envelope gamma^k (gap_0 + D_0/(gamma eta_0)), "our non-robust derivation carried over". At full
size it held on root 0 and failed on 9 of 10 fresh roots (1 to 8 of 128 instances over, worst
ratio 67). Two explanations predict different things:

* a robust-specific factor (the robust analysis loses a distribution-mismatch constant): the
  same run with radius 0 (the nominal MDP, same code) would stay under the envelope;
* the envelope does not belong to linear steps at all: Xiao's (2022) gamma^k bound for PMD
  needs eta_{k+1} >= eta_k / gamma (geometrically increasing steps), and (k + 2)/(k + 1) >=
  1/gamma only while k <= gamma/(1 - gamma) - 1 (k <= 8 at gamma = 0.9). Then radius 0 misses
  it too, and geometric steps eta_0 gamma^(-k) keep the robust run under it.

This script runs the four cells (radius 0 and 0.2, linear and geometric steps) on the same
Garnet instances (S = 10, A = 4, branching 4, gamma = 0.9, l1 ball, eta_0 = 1, the claim's full
size: 150 steps), 128 instances per root over fresh roots, and reports per cell the fraction of
instances that cross the envelope anywhere (with its 95% Clopper-Pearson interval), the worst
ratio, where the crossings start, and the per-step contraction of the gap over the tail.

    python benchmarks/rpmd_envelope.py --out results/diagnostics

(A diagnosis: it records values, not speed ratios; benchmarks/gpu_full.sh does not run it.)
"""

import argparse

import numpy as np

from common import Record, add_out, positive_int

GAMMA, S, A, BRANCHING, ETA0 = 0.9, 10, 4, 4, 1.0
#: the claim's tolerance: measured <= envelope (1 + 1e-9) + 1e-9 (the robust evaluation's floor)
REL, ABS = 1e-9, 1e-9
#: the tail over which the per-step contraction is measured: gaps above 100x the floor
TAIL_FLOOR = 1e-7


def run_cells(roots, instances, steps, radii, schedules):
    """``{(radius, schedule): (f_gap (N, steps+1), kl_star (N, steps+1))}`` on the same
    instances for every cell (instance keys: root r, index i -> fold_in(PRNGKey(1000 + r), i))."""
    import jax
    import jax.numpy as jnp

    from theorylab.pmd.algorithms import schedule_id
    from theorylab.pmd.mdp import garnet
    from theorylab.pmd.robust import robust_solve, rpmd

    def one(key, radius, schedule):
        mdp = garnet(key, S, A, BRANCHING, GAMMA)
        tr = rpmd(mdp, robust_solve(mdp, radius, "l1"), steps, radius=radius, kind="l1",
                  schedule=schedule, eta0=ETA0)
        return tr["f_gap"], tr["kl_star"]

    batch = jax.jit(jax.vmap(one, in_axes=(0, None, None)))
    keys = jnp.stack([jax.random.fold_in(jax.random.PRNGKey(1000 + r), i)
                      for r in roots for i in range(instances)])
    out = {}
    for radius in radii:
        for sch in schedules:
            f, kl = batch(keys, jnp.float64(radius), schedule_id(sch))
            out[(radius, sch)] = (np.asarray(f), np.asarray(kl))
    return out


def summarise(f, kl):
    """Crossings of gamma^k (gap_0 + D_0/(gamma eta_0)) over k = 1..K and the tail contraction."""
    from theorylab.core.checks import fraction_interval

    k = np.arange(f.shape[1])
    env = GAMMA ** k * (f[:, :1] + kl[:, :1] / (GAMMA * ETA0))
    over = (f > env * (1 + REL) + ABS) & (k >= 1)
    bad = over.any(1)
    n, m = f.shape[0], int(bad.sum())
    lo, hi = fraction_interval(m, n)  # 95% Clopper-Pearson
    first = [int(np.argmax(row)) for row in over[bad]]
    # per-step contraction over the tail: geometric mean of gap_{k+1}/gap_k while both are above
    # TAIL_FLOOR, from k = 10 on (after the first steps, where the envelope's constant dominates)
    rates = []
    for row in f:
        keep = np.nonzero(row[10:] > TAIL_FLOOR)[0] + 10
        if keep.size >= 3:
            a, b = keep[0], keep[-1]
            rates.append((row[b] / row[a]) ** (1.0 / (b - a)))
    rates = np.asarray(rates)
    with np.errstate(divide="ignore", invalid="ignore"):
        worst = float(np.max((f / env)[:, 1:]))
    return {"instances": n, "crossing": m, "crossing_fraction_ci95": [round(lo, 4), round(hi, 4)],
            "worst_ratio": round(worst, 3),
            "first_crossing_k_median": float(np.median(first)) if first else None,
            "first_crossing_k_min": int(min(first)) if first else None,
            "tail_contraction_median": round(float(np.median(rates)), 4) if rates.size else None,
            "tail_contraction_q95": round(float(np.quantile(rates, 0.95)), 4) if rates.size else None,
            "tail_contraction_max": round(float(np.max(rates)), 4) if rates.size else None,
            "tail_contraction_over_gamma": int(np.sum(rates > GAMMA)),
            "tail_measured": int(rates.size)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--roots", type=positive_int, default=10, help="fresh roots, 128 instances each by default")
    p.add_argument("--instances", type=positive_int, default=128)
    p.add_argument("--steps", type=positive_int, default=150)
    add_out(p)
    a = p.parse_args(argv)
    import theorylab

    rec = Record("rpmd_envelope")
    roots = list(range(1, a.roots + 1))
    with theorylab.x64():
        cells = run_cells(roots, a.instances, a.steps, (0.0, 0.2), ("linear", "geometric"))
    rec.say(f"robust KL-PMD, l1 ball, Garnet S={S} A={A} branching {BRANCHING}, gamma={GAMMA}, eta_0={ETA0}, "
            f"{a.steps} steps; {a.roots} roots x {a.instances} instances, the same instances in every cell")
    rec.say("envelope gamma^k (gap_0 + D_0/(gamma eta_0)); an instance crosses it when gap_k > envelope "
            f"(1 + {REL:g}) + {ABS:g} at some k >= 1; tail contraction: geometric mean of gap_(k+1)/gap_k "
            f"from k = 10 while gap > {TAIL_FLOOR:g}")
    head = (f"{'radius':>6} {'steps':>9} {'crossing':>12} {'95% CI':>17} {'worst':>8} {'first k':>8} "
            f"{'tail rate med':>13} {'q95':>6} {'max':>6} {'> gamma':>9}")
    rec.say(head)
    for (radius, sch), (f, kl) in cells.items():
        s = summarise(f, kl)
        rec.values[f"radius={radius:g}/{sch}"] = s
        lo, hi = s["crossing_fraction_ci95"]
        rec.say(f"{radius:>6g} {sch:>9} {s['crossing']:>5} of {s['instances']:<5} [{lo:.4f}, {hi:.4f}] "
                f"{s['worst_ratio']:>8.3g} {str(s['first_crossing_k_min']):>8} "
                f"{s['tail_contraction_median']!s:>13} {s['tail_contraction_q95']!s:>6} "
                f"{s['tail_contraction_max']!s:>6} {s['tail_contraction_over_gamma']:>4} of {s['tail_measured']}")
    rec.write(a.out, argv, vars(a))


if __name__ == "__main__":
    main()
