"""Iterations to a relative accuracy for robust PMD, linear against constant steps (a pilot).

`rpmd.increasing_steps_linear` is to be restated as the abstract's O(log 1/eps) iteration
complexity (docs/designs.md). The proposed check reads N(eps) = min{k : gap_k <= eps gap_0}
over eps = 10^-1..10^-6 and fits the log-log slope of N against 1/eps (about 0.15 for a linear
rate, 1/2 and 1 for the sublinear alternatives). Before the check is fixed, this pilot runs, on
Garnet instances of its own keys (fold_in(PRNGKey(3000 + r), i), never a claim's roots), the
claim's robust KL-PMD (S = 10, A = 4, branching 4, gamma = 0.9, l1 ball of radius 0.2, eta_0 =
1) with linear steps eta_k = k + 1 and with the constant step eta = 1 (the control), and reports
what a check must face: how many instances each schedule leaves censored (N(eps) > K) at each
eps, the quantiles of N(eps), the slope of the 90th percentile (95% percentile bootstrap over
instances, scipy) and the mean of the instances' own slopes (t-interval, theorylab's fit_rate).

    python benchmarks/rpmd_iterations.py --out results/diagnostics

(A diagnosis: it records values, not speed ratios; benchmarks/gpu_full.sh does not run it.)
"""

import argparse

import numpy as np

from common import Record, add_out, positive_int

GAMMA, S, A, BRANCHING, ETA0, RADIUS = 0.9, 10, 4, 4, 1.0, 0.2
EPS = 10.0 ** -np.arange(1, 7)  # the grid proposed in docs/designs.md, fixed before this pilot
Q = 0.9


def run(roots, instances, steps, schedules):
    """``{schedule: f_gap (N, steps + 1)}`` on the same instances."""
    import jax
    import jax.numpy as jnp

    from theorylab.pmd.algorithms import schedule_id
    from theorylab.pmd.mdp import garnet
    from theorylab.pmd.robust import robust_solve, rpmd

    def one(key, schedule):
        mdp = garnet(key, S, A, BRANCHING, GAMMA)
        ref = robust_solve(mdp, RADIUS, "l1")
        q = jnp.sort(ref.Q, -1)  # costs: the best action first
        gap = jnp.min(q[:, 1] - q[:, 0])  # the instance's smallest action gap over states
        return rpmd(mdp, ref, steps, radius=RADIUS, kind="l1", schedule=schedule, eta0=ETA0)["f_gap"], gap

    batch = jax.jit(jax.vmap(one, in_axes=(0, None)))
    keys = jnp.stack([jax.random.fold_in(jax.random.PRNGKey(3000 + r), i)
                      for r in roots for i in range(instances)])
    out = {sch: batch(keys, schedule_id(sch)) for sch in schedules}
    return {sch: np.asarray(f) for sch, (f, _) in out.items()}, np.asarray(out[schedules[0]][1])


def iterations(f: np.ndarray) -> np.ndarray:
    """N_i(eps) = min{k : gap_k <= eps gap_0}, +inf where no k <= K reaches it; (N, len(EPS))."""
    hit = f[:, :, None] <= EPS[None, None, :] * f[:, :1, None]
    first = np.argmax(hit, axis=1).astype(float)
    first[~hit.any(axis=1)] = np.inf
    return first


def q90_slope(N: np.ndarray, axis=-1) -> np.ndarray:
    """Least-squares slope of log q90(N(eps)) against log(1/eps), ``N`` of shape (eps, ...,
    instances) with the instances along ``axis`` (scipy's bootstrap puts its resamples between);
    an order statistic, so censored entries sort last and a censored quantile gives +inf."""
    q = np.quantile(N, Q, axis=axis, method="higher")
    u = np.log(1 / EPS)
    w = (u - u.mean()) / ((u - u.mean()) ** 2).sum()
    with np.errstate(invalid="ignore"):
        s = np.tensordot(w, np.log(q), axes=(0, 0))
    return np.where(np.isnan(s), np.inf, s)


def gap_dependence(N: np.ndarray, delta: np.ndarray) -> dict:
    """Per eps, the least-squares slope (scipy linregress, 95% t-interval) of log N(eps) on
    log(1/Delta) over the uncensored instances with N >= 1 (Delta: the instance's smallest
    action gap of the robust Q*). A rate uniform over instances leaves it near 0; a constant
    step's tail (mass on worse actions ~ exp(-eta k Delta)) gives about 1."""
    from scipy import stats

    out = {}
    for j, e in enumerate(EPS):
        ok = np.isfinite(N[:, j]) & (N[:, j] >= 1) & (delta > 0)
        if ok.sum() < 10:
            out[f"{e:g}"] = None
            continue
        r = stats.linregress(np.log(1 / delta[ok]), np.log(N[ok, j]))
        h = stats.t.ppf(0.975, ok.sum() - 2) * r.stderr
        out[f"{e:g}"] = [round(float(r.slope), 3), round(float(r.slope - h), 3), round(float(r.slope + h), 3), int(ok.sum())]
    return out


def summarise(f: np.ndarray, delta: np.ndarray, seed: int) -> dict:
    from scipy import stats

    from theorylab.core.fit import fit_rate

    N = iterations(f)
    cens = (~np.isfinite(N)).sum(0)
    out = {"gap_0_median": float(np.median(f[:, 0])), "gap_K_median": float(np.median(f[:, -1])),
           "censored_per_eps": cens.tolist(),
           "N_median_per_eps": np.quantile(N, 0.5, axis=0, method="higher").tolist(),
           "N_q90_per_eps": np.quantile(N, Q, axis=0, method="higher").tolist(),
           "N_max_per_eps": N.max(0).tolist()}
    s = float(q90_slope(N.T))
    out["q90_slope"] = s
    if np.isfinite(s):
        b = stats.bootstrap((N.T,), q90_slope,
                            axis=-1, vectorized=True, n_resamples=999, method="percentile",
                            random_state=seed)
        out["q90_slope_ci95"] = [float(b.confidence_interval.low), float(b.confidence_interval.high)]
    try:  # the mean of the instances' own slopes (censored entries are missing for that instance)
        with np.errstate(invalid="ignore"):
            r = fit_rate(1 / EPS, N)
        out["mean_instance_slope"] = [round(r.slope, 4), round(r.ci[0], 4), round(r.ci[1], 4)]
    except ValueError as e:
        out["mean_instance_slope"] = f"no fit ({e})"
    out["log_N_on_log_inverse_gap"] = gap_dependence(N, delta)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--roots", type=positive_int, default=5, help="roots of the pilot's own keys, 128 instances each")
    p.add_argument("--instances", type=positive_int, default=128)
    p.add_argument("--steps", type=positive_int, default=600)
    add_out(p)
    a = p.parse_args(argv)
    import theorylab

    rec = Record("rpmd_iterations")
    with theorylab.x64():
        runs, delta = run(list(range(1, a.roots + 1)), a.instances, a.steps, ("linear", "constant"))
    rec.say(f"robust KL-PMD, l1 ball radius {RADIUS}, Garnet S={S} A={A} branching {BRANCHING}, gamma={GAMMA}, "
            f"eta_0={ETA0}, K = {a.steps} steps; {a.roots} roots x {a.instances} instances (own keys), "
            "the same instances for both schedules")
    rec.say(f"smallest action gap Delta of the robust Q* over states: median {np.median(delta):.3g}, "
            f"10% quantile {np.quantile(delta, 0.1):.3g}, min {delta.min():.3g}")
    rec.values["action_gap_quantiles_10_50_90"] = np.quantile(delta, [0.1, 0.5, 0.9]).tolist()
    rec.say(f"N(eps) = min k with gap_k <= eps gap_0, eps = {', '.join(f'{e:g}' for e in EPS)}; censored: N > K")
    for sch, f in runs.items():
        s = summarise(f, delta, seed=7)
        rec.values[sch] = s
        rec.say(f"{sch} steps: gap_0 median {s['gap_0_median']:.3g}, gap_K median {s['gap_K_median']:.3g}")
        rec.say(f"  censored per eps {s['censored_per_eps']} of {f.shape[0]}")
        rec.say(f"  N median {s['N_median_per_eps']}; q90 {s['N_q90_per_eps']}; max {s['N_max_per_eps']}")
        rec.say(f"  slope of q90 N vs 1/eps: {s['q90_slope']:.4f} {s.get('q90_slope_ci95', '')}; "
                f"mean of the instances' slopes: {s['mean_instance_slope']}")
        rec.say(f"  slope of log N(eps) on log(1/Delta) [95% CI, instances] per eps: {s['log_N_on_log_inverse_gap']}")
    rec.write(a.out, argv, vars(a))


if __name__ == "__main__":
    main()
