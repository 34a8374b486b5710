"""Claims ``hpmd.*``: Homotopic policy mirror descent (Li, Lan, Zhao)."""

from __future__ import annotations

import numpy as np

from ...core.bounds import Bound
from ...core.claims import Claim, Context, Control, LimitCheck, Measurement, SlopeCheck
from .. import figures as figs
from .. import simulations as sims
from ...core.fit import fit_rate
from ..algorithms import schedule_id
from .common import GARNET, HPMD, NAME, _semilog

_claims: list = []


# ----------------------------------------------------------------------------------------
# hpmd.*  [abstract + expected]
# ----------------------------------------------------------------------------------------
def _hpmd_run(ctx: Context, method="hpmd", divergence="kl", q="regularized", homotopy=True):
    """``method``: "hpmd", or plain PMD "pmd_geometric" / "pmd_constant" (eta0 = 1)."""
    p = ctx.params
    schedule = "constant" if method == "pmd_constant" else "geometric"
    dyn = {"gamma": float(p["gamma"]), "tau0": 1.0, "ties": 0.5, "eta0": 1.0,
           "schedule": schedule_id(schedule), "q_regularized": float(q == "regularized"),
           "homotopy": float(homotopy)}
    o, = ctx.sweep.run(sims.hpmd_ties, [({**GARNET, "steps": p["steps"], "divergence": divergence,
                                          "method": "hpmd" if method == "hpmd" else "pmd"}, dyn)],
                       ctx.seeds, stream="ties")
    return o


def _hpmd_linear_measure(ctx: Context, homotopy: bool = True) -> Measurement:
    o = _hpmd_run(ctx, homotopy=homotopy)
    m = _semilog(o["f_gap"], info={"homotopy": homotopy})
    return m


HPMD_NOTE = ("tau_k = gamma^(2(k+1)) and eta_k tau_k = (1-gamma)/gamma (recalled schedule) "
             "with Q of the tau_k-regularised MDP; Garnet MDPs with planted ties")

_claims.append(Claim(
    id="hpmd.linear",
    title="Homotopic PMD converges linearly, at least at rate gamma",
    statement=("HPMD (" + HPMD_NOTE + ") has an unregularised gap f(pi_k) - f(pi*) whose "
               "log's fitted slope in k, over the iterations where every gap exceeds 1e-11, is "
               "at most log gamma. A consistency check, not a tight one: the abstract gives no "
               "rate, and the measured slope (about -0.31) is three times steeper than the "
               "threshold log gamma = -0.105, so the check shows linear convergence, not its rate."),
    source=f"{HPMD} (abstract: linear convergence; the rate gamma is our threshold)",
    tag="expected",
    bound=Bound("gamma**k", paper=HPMD, theorem="abstract (rate gamma is our choice of threshold)",
                tag="expected"),
    check=SlopeCheck(side="upper", tol=0.0, wrt="k", log_x=False, bound_values={"gamma": 0.9},
                     window={"min_points": 3}, alternatives={"sqrt(gamma) per step": 0.5 * np.log(0.9)}),
    measure=_hpmd_linear_measure,
    controls=[Control("no_homotopy", "regularisation held at tau_0 = 1: converges to the "
                      "regularised optimum, not to pi*", lambda ctx: _hpmd_linear_measure(ctx, False))],
    sizes={"quick": {"steps": 100, "gamma": 0.9}, "full": {"steps": 200, "gamma": 0.9}},
    seeds={"quick": 64, "full": 512},
    family=NAME,
    notes=(
        "The abstract says \"linear\"; the rate gamma used as the threshold is our prediction."
    ),
))


def _superlinear_measure(ctx: Context, method: str = "hpmd") -> Measurement:
    """``-log m_k`` over the second half of the run (the local phase), one row per instance:
    its log grows linearly in k with slope r when ``m_k ~ exp(-C e^(r k))``."""
    o = _hpmd_run(ctx, method=method)
    log_m = o["log_m"]
    k = np.arange(log_m.shape[1], dtype=float)
    start, stop = SUPERLINEAR_WINDOW
    m = Measurement(x=k[start:stop + 1], y=-log_m[:, start:stop + 1], total=ctx.seeds,
                    xlabel="iteration k", ylabel="-log m_k",
                    info={"method": method, "window": f"k = {start}..{stop} (fixed; the second half "
                                                      "of the quick run)",
                          "median log10 m_K": float(np.median(log_m[:, -1]) / np.log(10)),
                          "median last log10 ratio": float(np.median(o["last_log10_ratio"]))})
    if log_m.shape[1] > stop + 10:  # a longer run: the slope after the window, reported only
        later = fit_rate(k[stop:], -log_m[:, stop:], log_x=False)
        m.info[f"slope of log(-log m_k) over k = {stop}..{int(k[-1])} (reported, not checked)"] = round(
            later.slope, 4)
    m.extra["log_m"] = log_m
    return m


LOG_G = float(np.log(0.9))
#: the fit window of hpmd.superlinear, the same at every size (a longer full-size run reports
#: the slope after it but is not judged on it)
SUPERLINEAR_WINDOW = (50, 100)

_claims.append(Claim(
    id="hpmd.superlinear",
    title="Homotopic PMD: -log m_k grows like gamma^(-2k), twice the doubly-log rate of plain PMD",
    statement=("For HPMD (" + HPMD_NOTE + ") the non-optimal mass m_k = E_nu* sum_{a not in "
               "A*(s)} pi_k(a|s), followed in log space, converges superlinearly: log(-log m_k) "
               "grows linearly in k over the second half of the run (k = 50..100) with a fitted "
               "slope of at least 1.5 |log gamma|. Our derivation from the recalled schedule "
               "(eta_k grows like gamma^(-2k), and -log m_k like the sum of the steps) predicts "
               "2 |log gamma|; plain PMD with steps growing like gamma^(-k), which is superlinear "
               "too, predicts |log gamma|."),
    source=f"{HPMD} (abstract: local superlinear convergence; the doubly-log rate is our derivation "
           "from the recalled schedule)",
    tag="expected",
    check=SlopeCheck(predicted=-2 * LOG_G, side="lower", tol=-0.5 * LOG_G, log_x=False,
                     window={"min_points": 10},
                     alternatives={"|log gamma| (steps growing like gamma^-k)": -LOG_G}),
    measure=_superlinear_measure,
    controls=[Control("plain_pmd_geometric_steps", "plain KL PMD with steps eta_0/gamma^k: "
                      "superlinear as well, with a doubly-log rate |log gamma|",
                      lambda ctx: _superlinear_measure(ctx, "pmd_geometric"))],
    sizes={"quick": {"steps": 100, "gamma": 0.9}, "full": {"steps": 200, "gamma": 0.9}},
    seeds={"quick": 64, "full": 512},
    figure=figs.superlinear_figure,
    family=NAME,
    notes=(
        "Lower-sided: the homotopy's claim is a faster doubly-log rate. The band's edge "
        "1.5|log g| lies halfway between the derived rate and the nearest competitor's |log "
        "g|, fixed before measuring. Window: the second half of the run, where every planted "
        "optimal set is found."
    ),
))


def _maxent_measure(ctx: Context, control: bool = False) -> Measurement:
    if control:
        o = _hpmd_run(ctx, method="pmd_geometric")
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
    controls=[Control("plain_pmd", "plain PMD with geometric steps settles on an arbitrary split "
                      "of the tied actions", lambda ctx: _maxent_measure(ctx, control=True))],
    sizes={"quick": {"steps": 100, "gamma": 0.9}, "full": {"steps": 100, "gamma": 0.9}},
    seeds={"quick": 64, "full": 512},
    family=NAME,
    notes=(
        "Rounding floor: ties are exact to ~1e-15 relative, so Q differs across tied actions "
        "by ~1e-14; a step eta_K ~ 2e8 turns that into a logit error ~2e-6 per step, "
        "accumulated with factor gamma/(1-gamma) = 9 to ~2e-5 (measured max 2.4e-5). 1e-3 is "
        "40x that; the control's arbitrary split is ~0.1 away."
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
    controls=[Control("euclidean_pmd_geometric_steps", "Euclidean PMD with steps eta_0/gamma^k "
                      "and no homotopy: exact in finite time too, at an arbitrary optimal policy",
                      lambda ctx: _exact_measure(ctx, "pmd_geometric"))],
    sizes={"quick": {"steps": 100, "gamma": 0.9}, "full": {"steps": 100, "gamma": 0.9}},
    seeds={"quick": 64, "full": 512},
    family=NAME,
    notes=(
        "1e-3: the measured distance is at most ~1e-5 (rounding of the tied Q values times "
        "steps ~1e9); Euclidean PMD without the homotopy stops at an arbitrary optimal "
        "policy, measured 0.02-0.12 away. Exactness alone does not separate them: both reach "
        "zero mass in finite time."
    ),
))


CLAIMS = tuple(_claims)
