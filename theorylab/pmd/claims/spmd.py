"""Claims ``spmd.*``: Stochastic policy mirror descent: the noise floor and the Q-error rate."""

from __future__ import annotations

import numpy as np

from ...core.bounds import Bound
from ...core.claims import Claim, Context, Control, Measurement, PointwiseCheck, SlopeCheck
from .. import simulations as sims
from .common import JPR, LAN, NAME, SMALL, _inexact_entry, _pmd_dyn, _value_slack

_claims: list = []


# ----------------------------------------------------------------------------------------
# spmd.noise_floor  [abstract + expected]
# ----------------------------------------------------------------------------------------
NEAR_TIE_GAP = 1e-3  # the action gap planted in half the states of the spmd instances


def _spmd_runs(ctx: Context, bias: float = 0.0):
    p = ctx.params
    cells = [({**SMALL, "steps": p["steps"], "sampled": True, "instance": "near_ties",
               "delta": NEAR_TIE_GAP}, _pmd_dyn(p["gamma"], "adaptive", c0=p["c0"], samples=m, bias=bias))
             for m in p["samples"]]
    return ctx.sweep.run(sims.pmd_garnet, cells, ctx.seeds, stream="spmd")


def _q_error_measure(ctx: Context, bias: float = 0.0) -> Measurement:
    """Per instance and m: the sup-norm error of the Q the update used, averaged over the
    second half of the run."""
    p = ctx.params
    outs = _spmd_runs(ctx, bias)
    half = p["steps"] // 2
    y = np.stack([o["q_err"][:, half:].mean(1) for o in outs], 1)  # (instances, m)
    return Measurement(x=np.asarray(p["samples"], float), y=y, total=y.size,
                       xlabel="samples per pair m",
                       ylabel="||Q_hat - Q||_inf (mean over the second half)", info={"bias": bias})


_claims.append(Claim(
    id="spmd.q_error_rate",
    needs_full=("when it was moved to the full size (calibration over 20 fresh roots at quick "
                "size, under the interval rules before issue 21): passed 8/20 [0.22, 0.61], "
                "inconclusive 12; control biased_estimator rejected 20/20. The fitted slopes lie in "
                "-0.511..-0.534, a little steeper than -1/2: the smallest m (4 draws from 4 next "
                "states) is outside the central-limit regime, and the least-squares CI over 5 values "
                "of m, which holds that curvature, reaches the band's edge -0.55 on most roots. Full "
                "size fits 6 values of m (up to 4096) with 256 seeds. Reproduce: theorylab calibrate "
                "spmd.q_error_rate --roots 20 --run-full-only"),
    title="Stochastic PMD: the Q estimate's sup-norm error falls like m^(-1/2)",
    statement=("Adaptive-step KL-PMD with Q estimated from m next states per (s, a) (a generative "
               "model: exact evaluation in the empirical MDP; Garnet MDPs with action gaps of 1e-3 "
               "planted in half the states) uses Q estimates whose sup-norm error, averaged over the "
               "second half of 60 iterations, has log-log slope in m within 0.05 of -1/2 over "
               "m >= 16, the central-limit regime (m = 16..1024 at quick size, 16..4096 at full "
               "size; m = 4 is measured and reported, not fitted)."),
    source=f"{LAN} (abstract: stochastic PMD); the m^(-1/2) is the central limit rate of the estimate",
    tag="expected",
    bound=Bound("m**(-1/2)", paper=LAN, theorem="sampling error of the Q estimate (CLT)", tag="expected"),
    check=SlopeCheck(predicted=-0.5, side="two-sided", tol=0.05, window={"x_min": 16, "min_points": 4},
                     alternatives={"no averaging (m^0)": 0.0, "variance-level (m^-1)": -1.0}),
    measure=_q_error_measure,
    grid="samples",
    controls=[Control("biased_estimator", "the same estimator plus a fixed bias of 0.05 against the "
                      "optimal actions, which does not shrink with m",
                      lambda ctx: _q_error_measure(ctx, bias=0.05))],
    sizes={"quick": {"steps": 60, "gamma": 0.9, "c0": 1e-3, "samples": (4, 16, 64, 256, 1024)},
           "full": {"steps": 100, "gamma": 0.9, "c0": 1e-3, "samples": (4, 16, 64, 256, 1024, 4096)}},
    seeds={"quick": 32, "full": 256},
    family=NAME,
    notes=(
        "Two-sided: the CLT rate is exact for a fixed policy, and the policy barely moves in "
        "the second half. tol 0.05: the smallest m (4 draws from 4 next states) departs from "
        "the Gaussian regime; an exploratory run measured -0.52 (per-instance slopes "
        "-0.56..-0.47). Alternatives: no averaging out (a bias, m^0) and the variance instead "
        "of the standard deviation (m^-1). Window design (issue 22, fixed before its run): the "
        "fit starts at m = 16. With 4 next states per pair, m = 4 draws give a lattice-valued "
        "estimate with at most 35 distinct values, and the earlier calibration's slopes "
        "(-0.511..-0.534, steeper than -1/2 on every root) came from that end; from m = 16 the "
        "count of distinct empirical distributions is large enough for the normal approximation "
        "of each entry. 4 points at quick size (16..1024), 5 at full size; min_points 4."
    ),
))


def _spmd_measure(ctx: Context, with_floor: bool = True) -> Measurement:
    """Every gap against the inexact-PMD bound with b the run's largest sampled Q error."""
    p = ctx.params
    g = p["gamma"]
    outs = _spmd_runs(ctx)
    m = Measurement(total=ctx.seeds * len(outs), info={"delta": NEAR_TIE_GAP})
    for ms, o in zip(p["samples"], outs):
        _inexact_entry(m, f"m={ms}", o["gap_inf"], o["q_err"].max(1, keepdims=True), g, p["c0"], with_floor)
    return m


_claims.append(Claim(
    id="spmd.noise_floor",
    title="Stochastic PMD levels off below 4b/(1-gamma)^2, b its largest sampled Q error",
    statement=("Adaptive-step KL-PMD (c0 = 1e-3) with Q estimated from m next states per (s, a), on "
               "Garnet MDPs with action gaps of 1e-3 planted in half the states (so that sampling "
               "errors do flip actions and every run has a floor), satisfies ||V* - V^{pi_k}||_inf <= "
               "gamma^k (||V* - V^{pi_0}|| + c0/(1-gamma)^2) + 4b/(1-gamma)^2 at every k >= 1, "
               "b = the run's largest ||Q_hat - Q||_inf, for m = 4..1024. A consistency check: the "
               "floor is far below the bound; the rate in m is spmd.q_error_rate's."),
    source=f"{LAN} (abstract: stochastic PMD); floor of {JPR}",
    tag="expected",
    bound=Bound("gamma**k*(g0 + c0/(1-gamma)**2) + 4*b/(1-gamma)**2", paper=JPR,
                theorem="inexact PMD with b the sampled Q error", tag="expected"),
    check=PointwiseCheck(rel_slack=1e-9, abs_slack=_value_slack(0.9), min_count=100),
    measure=_spmd_measure,
    controls=[Control("no_floor", "the exact-Q bound (no 4b/(1-gamma)^2 term) on the same runs: "
                      "sampling errors do stop the convergence",
                      lambda ctx: _spmd_measure(ctx, with_floor=False))],
    sizes={"quick": {"steps": 60, "gamma": 0.9, "c0": 1e-3, "samples": (4, 16, 64, 256, 1024)},
           "full": {"steps": 100, "gamma": 0.9, "c0": 1e-3, "samples": (4, 16, 64, 256, 1024, 4096)}},
    seeds={"quick": 32, "full": 256},
    family=NAME,
))


CLAIMS = tuple(_claims)
