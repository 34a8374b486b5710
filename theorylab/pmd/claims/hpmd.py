"""Claims ``hpmd.*``: Homotopic policy mirror descent (Li, Lan, Zhao)."""

from __future__ import annotations

import numpy as np

from ...core.bounds import Bound
from ...core.claims import Claim, Context, Control, LimitCheck, Measurement, SlopeCheck
from .. import figures as figs
from .. import simulations as sims
from ...core.fit import fit_rate
from ..algorithms import schedule_id
from .common import GAP_FLOOR, GARNET, HPMD, NAME, _semilog

_claims: list = []


# ----------------------------------------------------------------------------------------
# hpmd.*  [abstract + expected]
# ----------------------------------------------------------------------------------------
def _hpmd_run(ctx: Context, method="hpmd", divergence="kl", q="regularized", homotopy=True,
              tau_rate=None, tau0=1.0):
    """``method``: "hpmd", or plain PMD "pmd_geometric" / "pmd_constant" (eta0 = 1) /
    "pmd_homotopic" (HPMD's own steps ``eta_k = (1 - gamma)/(gamma tau_0 gamma^(2(k+1)))``, no
    regularisation: the schedule-matched control of the homotopy) / "pmd_constant_hpmd" (HPMD's
    first step ``(1 - gamma)/gamma^3``, held) / "pmd_geometric_hpmd" (steps
    ``(1 - gamma)/gamma^2 gamma^-k``: those of HPMD with ``tau_rate = gamma``). ``tau_rate``:
    HPMD's ``tau_k = tau0 tau_rate^(k+1)`` (default gamma^2; ``homotopy=False`` holds ``tau_k =
    tau0``)."""
    p = ctx.params
    gamma = float(p["gamma"])
    schedule, eta0 = {"pmd_constant": ("constant", 1.0), "pmd_geometric": ("geometric", 1.0),
                      "pmd_homotopic": ("homotopic", (1 - gamma) / gamma),
                      "pmd_constant_hpmd": ("constant", (1 - gamma) / gamma ** 3),
                      "pmd_geometric_hpmd": ("geometric", (1 - gamma) / gamma ** 2)}.get(
                          method, ("geometric", 1.0))
    dyn = {"gamma": gamma, "tau0": float(tau0), "ties": 0.5, "eta0": eta0,
           "schedule": schedule_id(schedule), "q_regularized": float(q == "regularized"),
           "homotopy": float(homotopy), "tau_rate": gamma ** 2 if tau_rate is None else float(tau_rate)}
    o, = ctx.sweep.run(sims.hpmd_ties, [({**GARNET, "steps": p["steps"], "divergence": divergence,
                                          "method": "hpmd" if method == "hpmd" else "pmd"}, dyn)],
                       ctx.seeds, stream="ties")
    return o


#: the two algorithms of hpmd.linear and hpmd.superlinear, one series each: HPMD, and plain PMD
#: run with HPMD's own step sequence (the schedule-matched comparison, no regularisation)
SCHEDULE_SERIES = {"hpmd": dict(method="hpmd"), "plain_pmd": dict(method="pmd_homotopic")}


def _schedule_series(ctx: Context, run, variant: str = "") -> Measurement:
    """One series per algorithm of :data:`SCHEDULE_SERIES`, each measured by ``run(ctx,
    **kwargs)`` (returning ``(x, y, trace)``). ``variant`` changes only the step schedule of
    both: ``"held"`` holds each algorithm's step at HPMD's first step (HPMD with tau_k held at
    tau_1 = gamma^2; plain PMD with the constant step (1 - gamma)/gamma^3); ``"slower"`` makes
    both grow like gamma^-k (HPMD with tau_k = gamma^(k+1); plain PMD with HPMD-slow's steps)."""
    g = float(ctx.params["gamma"])
    kwargs = {"": SCHEDULE_SERIES,
              "held": {"hpmd": dict(method="hpmd", homotopy=False, tau0=g ** 2),
                       "plain_pmd": dict(method="pmd_constant_hpmd")},
              "slower": {"hpmd": dict(method="hpmd", tau_rate=g),
                         "plain_pmd": dict(method="pmd_geometric_hpmd")}}[variant]
    series, traces = {}, {}
    for name, kw in kwargs.items():
        x, y, o = run(ctx, **kw)
        series[name] = (x, y)
        traces[name] = o
    return series, traces


def _linear_run(ctx: Context, **kw):
    o = _hpmd_run(ctx, **kw)
    m = _semilog(o["f_gap"])
    return m.x, m.y, o


def _hpmd_linear_measure(ctx: Context, variant: str = "") -> Measurement:
    series, traces = _schedule_series(ctx, _linear_run, variant)
    diverged = sum(int((~np.isfinite(o["f_gap"])).any(axis=1).sum()) for o in traces.values())
    return Measurement(series=series, total=len(series) * ctx.seeds, diverged=diverged,
                       xlabel="iteration k", ylabel="gap",
                       info={"schedule": variant or "HPMD's", "window": {
                           n: f"k = 0..{len(x) - 1} (every gap above {GAP_FLOOR:g})"
                           for n, (x, _) in series.items()}})


HPMD_NOTE = ("tau_k = gamma^(2(k+1)) and eta_k tau_k = (1-gamma)/gamma (recalled schedule) "
             "with Q of the tau_k-regularised MDP; Garnet MDPs with planted ties")
SCHEDULE_FINDING = (
    "Finding (issue 22): plain PMD run with HPMD's own step sequence eta_k = (1-gamma)/gamma "
    "gamma^(-2(k+1)) and no regularisation does the same, so this rate is the step schedule's, "
    "not the homotopy's; the homotopy's own contribution is the limit policy it selects "
    "(hpmd.max_entropy_limit, hpmd.finite_time_exact).")

_claims.append(Claim(
    id="hpmd.linear",
    title="PMD with homotopic PMD's growing steps converges linearly, with or without the homotopy",
    statement=("HPMD (" + HPMD_NOTE + "), and plain PMD with HPMD's step sequence, each have an "
               "unregularised gap f(pi_k) - f(pi*) whose log's fitted slope in k, over the "
               "iterations where every gap exceeds 1e-11, is at most log gamma. A consistency "
               "check, not a tight one: the abstract gives no rate, and the measured slopes (about "
               "-0.37 and -0.40) are steeper than the threshold log gamma = -0.105. "
               + SCHEDULE_FINDING),
    source=f"{HPMD} (abstract: linear convergence; the rate gamma is our threshold)",
    tag="expected",
    bound=Bound("gamma**k", paper=HPMD, theorem="abstract (rate gamma is our choice of threshold)",
                tag="expected"),
    check=SlopeCheck(side="upper", tol=0.0, wrt="k", log_x=False, bound_values={"gamma": 0.9},
                     window={"min_points": 3}, alternatives={"sqrt(gamma) per step": 0.5 * np.log(0.9)}),
    measure=_hpmd_linear_measure,
    controls=[Control("steps_held", "the credited ingredient removed: each algorithm's step held "
                      "at HPMD's first step (HPMD with tau_k held at gamma^2, plain PMD with the "
                      "constant step (1-gamma)/gamma^3); neither converges linearly at rate gamma",
                      lambda ctx: _hpmd_linear_measure(ctx, "held"))],
    sizes={"quick": {"steps": 100, "gamma": 0.9}, "full": {"steps": 200, "gamma": 0.9}},
    seeds={"quick": 64, "full": 512},
    family=NAME,
    notes=(
        "The abstract says \"linear\"; the rate gamma used as the threshold is our prediction. "
        "Credited: the growing step (eta_k tau_k fixed while tau_k -> 0). Design fixed before "
        "the run (issue 22): the schedule-matched plain PMD is a series of the claim, not a "
        "control, because it was measured to pass (slope -0.40 [-0.45, -0.35], 16 seeds, root 0); "
        "the control holds the step of both algorithms at HPMD's first step and nothing else."
    ),
))


def _superlinear_run(ctx: Context, **kw):
    o = _hpmd_run(ctx, **kw)
    log_m = o["log_m"]
    k = np.arange(log_m.shape[1], dtype=float)
    start, stop = SUPERLINEAR_WINDOW
    return k[start:stop + 1], -log_m[:, start:stop + 1], o


def _superlinear_measure(ctx: Context, variant: str = "") -> Measurement:
    """``-log m_k`` over the second half of the run (the local phase), one row per instance,
    one series per algorithm: its log grows linearly in k with slope r when
    ``m_k ~ exp(-C e^(r k))``."""
    series, traces = _schedule_series(ctx, _superlinear_run, variant)
    start, stop = SUPERLINEAR_WINDOW
    m = Measurement(series=series, total=len(series) * ctx.seeds, xlabel="iteration k",
                    ylabel="-log m_k",
                    info={"schedule": variant or "HPMD's",
                          "window": f"k = {start}..{stop} (fixed; the second half of the quick run)"})
    for name, o in traces.items():
        log_m = o["log_m"]
        m.info[f"median log10 m_K, {name}"] = float(np.median(log_m[:, -1]) / np.log(10))
        if log_m.shape[1] > stop + 10:  # a longer run: the slope after the window, reported only
            k = np.arange(log_m.shape[1], dtype=float)
            later = fit_rate(k[stop:], -log_m[:, stop:], log_x=False)
            m.info[f"slope of log(-log m_k) over k = {stop}..{int(k[-1])}, {name} (reported, not "
                   "checked)"] = round(later.slope, 4)
    m.extra["log_m"] = {name: o["log_m"] for name, o in traces.items()}
    return m


LOG_G = float(np.log(0.9))
#: the fit window of hpmd.superlinear, the same at every size (a longer full-size run reports
#: the slope after it but is not judged on it)
SUPERLINEAR_WINDOW = (50, 100)

_claims.append(Claim(
    id="hpmd.superlinear",
    title="Steps growing like gamma^(-2k) make -log m_k grow like gamma^(-2k), with or without the homotopy",
    statement=("For HPMD (" + HPMD_NOTE + "), and for plain PMD with HPMD's step sequence, the "
               "non-optimal mass m_k = E_nu* sum_{a not in A*(s)} pi_k(a|s), followed in log "
               "space, converges superlinearly: log(-log m_k) grows linearly in k over the second "
               "half of the run (k = 50..100) with a fitted slope of at least 1.5 |log gamma|. "
               "Our derivation (-log m_k grows like the sum of the steps, which grow like "
               "gamma^(-2k)) predicts 2 |log gamma|; steps growing like gamma^(-k) predict "
               "|log gamma|. " + SCHEDULE_FINDING),
    source=f"{HPMD} (abstract: local superlinear convergence; the doubly-log rate is our derivation "
           "from the recalled schedule)",
    tag="expected",
    check=SlopeCheck(predicted=-2 * LOG_G, side="lower", tol=-0.5 * LOG_G, log_x=False,
                     window={"min_points": 10},
                     alternatives={"|log gamma| (steps growing like gamma^-k)": -LOG_G}),
    measure=_superlinear_measure,
    controls=[Control("slower_steps", "the credited ingredient removed: each "
                      "algorithm's steps grow like gamma^-k instead of gamma^-2k (HPMD with tau_k = "
                      "gamma^(k+1); plain PMD with those steps): superlinear as well, with a "
                      "doubly-log rate at most |log gamma|",
                      lambda ctx: _superlinear_measure(ctx, "slower"))],
    sizes={"quick": {"steps": 100, "gamma": 0.9}, "full": {"steps": 200, "gamma": 0.9}},
    seeds={"quick": 64, "full": 512},
    figure=figs.superlinear_figure,
    family=NAME,
    notes=(
        "Lower-sided: the claim is a faster doubly-log rate. The band's edge 1.5|log g| lies "
        "halfway between the derived rate and the nearest competitor's |log g|, fixed before "
        "measuring. Window: the second half of the run, where every planted optimal set is "
        "found. Credited: the step schedule gamma^-2k. Design fixed before the run (issue 22): "
        "the earlier control, plain PMD with steps gamma^-k, changed the algorithm and the "
        "schedule at once; plain PMD with HPMD's own steps measured 0.2105 [0.2104, 0.2107] "
        "against HPMD's 0.2104 (16 seeds, root 0), so it is a series of the claim, and the "
        "control changes only the schedule of both algorithms."
    ),
))


def _maxent_measure(ctx: Context, control: bool = False) -> Measurement:
    if control:
        o = _hpmd_run(ctx, method="pmd_homotopic")
        a, b = o["dist_maxent"], o["dist_split"]
    else:
        a = _hpmd_run(ctx, q="regularized")["dist_maxent"]
        b = _hpmd_run(ctx, q="plain")["dist_split"]
    return Measurement(values={"regularized_q_to_max_entropy": a, "plain_q_to_uniform_split": b},
                       total=2 * ctx.seeds)


MAXENT_TOL = 1e-3
#: the tolerated fraction of instances still farther than 1e-3 from the limit at K = 100: an
#: instance whose optimal actions are nearly tied converges slowly (HPMD's rate for the limit
#: depends on the gap), so rare slow instances are real; 0.1 is the smallest rate 64 instances
#: can bound (0 of 64 leaves [0, 0.056]). Set after the 20-root calibration under the
#: every-instance rule found 3 of 1280; judged on the fresh roots 21..40
MAXENT_TOLERATED = 0.1

_claims.append(Claim(
    id="hpmd.max_entropy_limit",
    calibration=("history: under the earlier every-instance rule, the 20-root quick calibration passed"
                 " 17/20 [0.64, 0.95]: rare slow instances (3 of the 1280 drawn, 64 per root, still "
                 "more than 1e-3 from the uniform split over optimal actions at K = 100). The "
                 "tolerated rate 0.1 was declared after that and judged on fresh roots 21..40 "
                 "(results/calibration-fresh); the current rule's calibration is results/calibration-"
                 "quick. Reproduce: theorylab calibrate hpmd.max_entropy_limit --roots 20 --first-root"
                 " 21"),
    title="Homotopic PMD's last iterate is the maximal-entropy optimal policy",
    statement=("On Garnet MDPs with planted exact ties, HPMD's last iterate is within 1e-3 "
               "(sup over states and actions) of the optimal policy of maximal discounted entropy "
               "(computed independently by soft value iteration restricted to the optimal "
               "actions) when the update uses Q of the tau_k-regularised MDP, and of the "
               "per-state uniform split over optimal actions when it uses the unregularised Q, on all "
               "but a tolerated 10% of the instances (rare nearly tied instances converge slowly; "
               "Clopper-Pearson over instances)."),
    source=f"{HPMD} (abstract: the last iterate converges to the maximal-entropy optimal policy)",
    tag="abstract",
    check=LimitCheck(intervals={"regularized_q_to_max_entropy": (0.0, MAXENT_TOL),
                                "plain_q_to_uniform_split": (0.0, MAXENT_TOL)}, min_count=8,
                     tolerated=MAXENT_TOLERATED),
    measure=_maxent_measure,
    controls=[Control("plain_pmd_hpmd_steps", "the credited ingredient removed: plain PMD with "
                      "HPMD's own step sequence and no regularisation (schedule-matched) settles on "
                      "an arbitrary split of the tied actions",
                      lambda ctx: _maxent_measure(ctx, control=True))],
    sizes={"quick": {"steps": 100, "gamma": 0.9}, "full": {"steps": 100, "gamma": 0.9}},
    seeds={"quick": 64, "full": 512},
    family=NAME,
    notes=(
        "Rounding floor: ties are exact to ~1e-15 relative, so Q differs across tied actions "
        "by ~1e-14; a step eta_K ~ 2e8 turns that into a logit error ~2e-6 per step, "
        "accumulated with factor gamma/(1-gamma) = 9 to ~2e-5 (measured max 2.4e-5). 1e-3 is "
        "40x that; the control's arbitrary split is ~0.1 away. Credited: the homotopy (the "
        "vanishing regularisation selects the limit). Control (issue 22): plain PMD with HPMD's "
        "own step sequence, so it differs from HPMD by the regularisation only; measured before "
        "the switch: its splits are 0.007-0.023 from the maximal-entropy policy and 0.10-0.23 "
        "from the uniform split (16 seeds, root 0), as far as the earlier geometric-step control."
    ),
))


def _exact_measure(ctx: Context, method: str = "hpmd") -> Measurement:
    o = _hpmd_run(ctx, method=method, divergence="euclidean")
    return Measurement(values={"first_exact_iteration": o["first_exact"].astype(float),
                               "distance_to_limit_policy": o["dist_limit"]},
                       total=ctx.seeds, info={"divergence": "euclidean", "method": method})


LIMIT_TOL = 1e-3

_claims.append(Claim(
    id="hpmd.finite_time_exact",
    title="Euclidean homotopic PMD is exactly optimal in finite time, at the homotopy's limit policy",
    statement=("HPMD with the squared-Euclidean divergence (a simplex projection per state, Q of "
               "the tau_k-regularised MDP) reaches exactly zero non-optimal mass within K = 100 "
               "iterations on every instance, and its last iterate is within 1e-3 (sup norm) of "
               "the optimal policy of least discounted regulariser 1/2 ||pi(s) - uniform||^2 "
               "(computed independently by value iteration restricted to the optimal actions), "
               "the Euclidean analogue of the maximal-entropy limit."),
    source=f"{HPMD} (abstract: some Bregman divergences converge exactly in finite time; the "
           "Euclidean limit policy is our analogue of the abstract's maximal-entropy limit)",
    tag="abstract",
    check=LimitCheck(intervals={"first_exact_iteration": (0.0, 100.0),
                                "distance_to_limit_policy": (0.0, LIMIT_TOL)}, min_count=8),
    measure=_exact_measure,
    controls=[Control("euclidean_pmd_hpmd_steps", "the credited ingredient removed: Euclidean PMD "
                      "with HPMD's own step sequence and no regularisation (schedule-matched): "
                      "exact in finite time too, at an arbitrary optimal policy",
                      lambda ctx: _exact_measure(ctx, "pmd_homotopic"))],
    sizes={"quick": {"steps": 100, "gamma": 0.9}, "full": {"steps": 100, "gamma": 0.9}},
    seeds={"quick": 64, "full": 512},
    family=NAME,
    notes=(
        "1e-3: the measured distance is at most ~1e-5 (rounding of the tied Q values times "
        "steps ~1e9); Euclidean PMD without the homotopy stops at an arbitrary optimal "
        "policy, measured 0.02-0.12 away. Exactness alone does not separate them: both reach "
        "zero mass in finite time. Credited: the homotopy's limit selection. Control (issue "
        "22): Euclidean PMD with HPMD's own step sequence (schedule-matched), measured before "
        "the switch 0.010-0.025 from the limit policy (16 seeds, root 0), exact at k = 15..27."
    ),
))


CLAIMS = tuple(_claims)
