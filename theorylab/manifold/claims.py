"""Claims of the manifold-regression family (notes on each: docs/claims.md).

Source: Chen, Jiang, Liao, Zhao, "Nonparametric regression on low-dimensional manifolds using
deep ReLU networks" (arXiv 1908.01842; Information and Inference 2022) [CJLZ]: the empirical
risk minimiser over a designed class of deep ReLU networks has MSE <~ n^(-2 beta/(2 beta + d))
log^3 n for a beta-smooth target on a d-dimensional manifold in R^D; the rate is set by d.
Reference rates: Stone's minimax rate; k-NN and kernel regression adapt to the intrinsic
dimension (Kpotufe 2011; Bickel and Li 2007) [literature].

Every seed draws its own target, rotation into R^D, nested sample and test points
(:mod:`theorylab.manifold.data`); noise sigma = 0.5. The reference estimators (k-NN,
Nadaraya-Watson) validate the pipeline at quick size; the network, the theorem's subject, is
checked for D-independence at quick size and for its rate in n at full size only (at quick
sizes an early-stopped network is too far from the minimiser for its slope to mean anything;
an independent implementation saw the d-ordering reverse there).

Rates are checked on raw slopes, two-sided: dividing out log^3 n (reported beside each slope)
steepens every slope by about 0.4 over these n, which would make an upper-bound check too loose
to fail.
"""

from __future__ import annotations

import numpy as np

from ..core.bounds import Bound
from ..core.claims import (Claim, Context, Control, LimitCheck, Measurement, Series, SlopeCheck)
from ..core.fit import fit_rate, slope_contrast
from . import figures as figs
from . import network as net
from . import simulations as sims
from ..core.registry import Family

#: the claims in the order they are built; exported as ``CLAIMS`` at the end of the module
_claims: list = []

CJLZ = "Chen, Jiang, Liao, Zhao, Information and Inference 2022 (arXiv 1908.01842)"
STONE = "Stone 1982 (minimax rate); Kpotufe 2011 (k-NN); Bickel and Li 2007 (local polynomials)"
NAME = "manifold"
SHARED = "manifold.reference"
RATE = Bound("n**(-2*beta/(2*beta+d))*log(n)**3", paper=CJLZ, theorem="abstract (main theorem)",
             tag="abstract")
STONE_RATE = Bound("n**(-2*beta/(2*beta+d))", paper=STONE, theorem="minimax rate", tag="literature")

#: (label, manifold, d, beta): the settings of the rate claims
SETTINGS = (("d=1, beta=1", "circle", 1, 1.0), ("d=2, beta=1", "torus", 2, 1.0),
            ("d=2, beta=2", "torus", 2, 2.0))
SIGMA = 0.5

SIZES = {
    "quick": {"ns": (256, 512, 1024, 2048, 4096), "n_test": 500, "D": 10, "D_max": 16,
              "cube_D": 8, "net_n": 1024, "net_Ds": (4, 16, 64, 256), "net_steps": 200,
              "net_lr": 3e-3, "net_ns": (256, 512, 1024, 2048, 4096)},
    "full": {"ns": (256, 512, 1024, 2048, 4096, 8192, 16384), "n_test": 2000, "D": 10, "D_max": 16,
             "cube_D": 8, "net_n": 4096, "net_Ds": (4, 16, 64, 256, 1024), "net_steps": 3000,
             "net_lr": 1e-3, "net_ns": (256, 512, 1024, 2048, 4096, 8192),
             "net_ns_accelerator": (256, 512, 1024, 2048, 4096, 8192, 16384),
             "net_seed_factor": {"d=1, beta=2": 4}},
}
SEEDS = {"quick": 16, "full": 32}      # reference estimators
NET_SEEDS = {"quick": 8, "full": 16}   # networks (the early-stopped quick network stops by step ~100)
#: the network rate at full size: 16 seeds (the CPU design of issue 22: the (1, 2) and (2, 2)
#: series and the 3-torus control cost about 1.3 + 10 + 1.3 min by their FLOPs at 16 seeds on 2
#: CPU cores over n <= 8192; 3.4 + 32 + 3.4 min up to 16384, which took 89 min in all), times
#: ``net_seed_factor`` for a series named there (the (1, 2) series runs 4 x 16 = 64 seeds at full
#: size: its seeds' slopes spread twice as much as the (2, 2) ones, docs/designs.md)
NET_RATE_SEEDS = {"quick": 4, "full": 16}
#: Measured throughput of the network's training on the 2-core CPU of our CI (float32, 36-52
#: GFLOP/s for n = 4096..16384, about 21 for n <= 1024): the basis of the cost estimates below.
CPU_GFLOPS = 40.0


def _reference(ctx: Context, settings, tune_d: int = 0) -> dict:
    """k-NN and Nadaraya-Watson errors for each (label, manifold, D, beta) in ``settings``,
    computed once per run for every claim that asks (a shared sweep); ``tune_d`` > 0 tunes k
    and h with that dimension instead of the intrinsic d."""
    p = ctx.params
    cells = [({"manifold": name, "ns": tuple(p["ns"]), "n_test": p["n_test"], "D_max": p["D_max"]},
              {"D": D, "beta": beta, "sigma": SIGMA, "tune_d": tune_d}) for _, name, D, beta in settings]
    outs = ctx.sweep.shared(SHARED).run(sims.reference, cells, ctx.seeds, stream="reference")
    return {s[0]: o for s, o in zip(settings, outs)}


def _manifold_settings(ctx):
    return [(label, name, ctx.params["D"], beta) for label, name, _, beta in SETTINGS]


def _slopes(x, y):
    """Raw slope and the slope with log^3 n divided out (reported, not checked)."""
    try:
        return round(fit_rate(x, y).slope, 3), round(fit_rate(x, y / np.log(x)[None, :] ** 3).slope, 3)
    except ValueError as e:
        return f"no fit ({e})", None


def _alternatives(beta: float, d: int, D: int) -> dict:
    """The declared wrong exponents of a rate in n: the ambient D in place of the intrinsic d,
    the other manifold's d (1 <-> 2), and half the smoothness (beta/2 in place of beta)."""
    return {f"ambient D={D}": float(RATE.exponent("n", beta=beta, d=D)),
            f"d={3 - d} (the other manifold)": float(RATE.exponent("n", beta=beta, d=3 - d)),
            "beta/2": float(RATE.exponent("n", beta=beta / 2, d=d))}


NET_TOL = 0.15  # the network's allowance (issue's bar); see network_band


def network_band(beta: float, d: int, D: int) -> tuple[float, float, dict]:
    """The network rate's band for one series: centred on -2 beta/(2 beta + d), half-width the
    allowance 0.15 or half the distance to the nearest declared alternative, whichever is
    smaller, so that the band excludes every alternative (the rule k-NN's 0.08 follows)."""
    p = float(RATE.exponent("n", beta=beta, d=d))
    alts = _alternatives(beta, d, D)
    return p, min(NET_TOL, min(abs(p - a) for a in alts.values()) / 2), alts


def _rate_bands(params) -> dict:
    return {label: (float(STONE_RATE.exponent("n", beta=beta, d=d)), RATE_TOL,
                    _alternatives(beta, d, params["D"])) for label, _, d, beta in SETTINGS}


def _network_bands(params) -> dict:
    return {label: network_band(beta, d, params["D"]) for label, _, d, beta in NET_SETTINGS}


def _rate_measure(ctx: Context, estimator: str, cube: bool = False, tune_ambient: bool = False) -> Measurement:
    p = ctx.params
    x = np.asarray(p["ns"], float)
    if cube:  # the same kind of target (varying in 2 coordinates), data filling [-1, 1]^D
        res = _reference(ctx, [("cube", "cube", p["cube_D"], 1.0)])
        series = {f"cube D={p['cube_D']} (claimed d=2, beta=1)": Series(x, res["cube"][estimator], -0.5, {})}
    else:
        res = _reference(ctx, _manifold_settings(ctx), p["D"] if tune_ambient else 0)
        series = {label: Series(x, res[label][estimator], STONE_RATE.exponent("n", beta=beta, d=d),
                                _alternatives(beta, d, p["D"]))
                  for label, _, d, beta in SETTINGS}
    m = Measurement(series=series, total=ctx.seeds * len(series), xlabel="n",
                    ylabel=f"{estimator} test MSE", info={"D": p["D"]})
    for label, s in series.items():
        raw, corrected = _slopes(s.x, s.y)
        m.info[f"{label}: raw slope / slope of MSE/log^3 n"] = [raw, corrected]
        m.diverged += int((~np.isfinite(s.y)).any(axis=1).sum())
    m.extra = {"ns": x, "series": {k: s.y for k, s in series.items()},
               "predicted": {k: s.predicted for k, s in series.items()}, "estimator": estimator}
    return m


_RATE_TOL = ("two-sided 0.08: half the distance between the d = 1 and d = 2 exponents at "
             "beta = 1 (-2/3 and -1/2), so the two bands do not overlap and a passing CI names d. "
             "An independent implementation measured these constants within 0.06 of the "
             "prediction over n = 256..16384, and within 0.14 at quick sizes, where a slope's CI "
             "half-width is 0.05-0.08: at quick size the check may well be inconclusive. (It was "
             "0.2 before issue 12, wide enough to accept either d.)")
RATE_TOL = 0.08
_TUNED_ON_D = (
    " Control design (issue 22, fixed before its run): k-NN's k used to be rounded, so tuned by "
    "D = 10 it took only the values 1, 2, 3 over the grid and the control's slope was a step "
    "function's (inconclusive at full size). k is now fractional for the claim and the control "
    "alike (the next neighbour enters with weight k - floor k), so the control differs from the "
    "claim only in the dimension k is tuned with. Expected: variance sigma^2/k ~ n^(-2 beta/(2 "
    "beta + D)) dominates, slope -1/6 (beta = 1) and -2/7 (beta = 2), at least 0.2 outside every "
    "band. Nadaraya-Watson's bandwidth was already continuous; its control is unchanged.")

for _est, _cid, _title, _const in (
        ("knn", "manifold.knn_rate_in_n", "k-NN regression",
         "k = 0.5 n^(2 beta/(2 beta + d)), not rounded: the next neighbour enters with the fractional weight"),
        ("nw", "manifold.kernel_rate_in_n", "Nadaraya-Watson regression",
         "Gaussian bandwidth h = 0.7 n^(-1/(2 beta + d))")):
    _claims.append(Claim(
        id=_cid,
        needs_full=("with the band narrowed to +-0.08 (issue 12) a quick-size slope's CI (half-width "
                    "0.03-0.07 over n = 256..4096, 16 seeds) often reaches the band's edge: on the "
                    "default root the d = 1 series measures about -0.71..-0.74 against -0.667, "
                    "inconclusive. Full size fits n up to 16384 with 32 seeds. Reproduce: "
                    f"theorylab calibrate {_cid} --roots 20 --run-full-only"),
        title=f"{_title} on a manifold learns at the rate of its intrinsic dimension",
        statement=(f"{_title} ({_const}, constants fixed in advance) on data on a circle (d = 1) "
                   "or a flat torus T^2 (d = 2) rotated into R^10, with a random Fourier target of "
                   "smoothness beta and noise sigma = 0.5, has test MSE with log-log slope in n "
                   "within 0.08 of -2 beta/(2 beta + d) for (d, beta) = (1, 1), (2, 1), (2, 2) "
                   "(n = 256..4096 at quick size). Distances are unchanged by the embedding, so "
                   "this estimator's independence of D holds by construction and is no evidence."),
        source=f"{STONE} (validates the pipeline for {CJLZ})",
        tag="literature",
        bound=STONE_RATE,
        check=SlopeCheck(side="two-sided", tol=RATE_TOL, wrt="n", bound_values={"beta": 1, "d": 1}),
        band_at=_rate_bands,
        grid="ns",
        measure=lambda ctx, e=_est: _rate_measure(ctx, e),
        controls=[Control("tuned_on_D", "the same estimator on the same data with its constant "
                          "tuned by the ambient D = 10 in place of d (k or h varies continuously "
                          "with n): without the knowledge of d it is variance-dominated, MSE ~ "
                          "n^(-2 beta/(2 beta + D)) (-1/6 at beta = 1, -2/7 at beta = 2), far from "
                          "the d-rate", lambda ctx, e=_est: _rate_measure(ctx, e, tune_ambient=True)),
                  Control("cube", "points filling the cube [-1, 1]^8 (the target still varies in "
                          "2 coordinates): the rate follows the ambient dimension, far from -0.5",
                          lambda ctx, e=_est: _rate_measure(ctx, e, cube=True))],
        sizes=SIZES, seeds=SEEDS,
        figure=figs.mse_vs_n_figure,
        family=NAME,
        notes=_RATE_TOL + _TUNED_ON_D,
    ))


# ----------------------------------------------------------------------------------------
# manifold.rate_ordered_by_d
# ----------------------------------------------------------------------------------------
def _ordering_measure(ctx: Context, rough_circle: bool = False) -> Measurement:
    p = ctx.params
    beta1 = 0.5 if rough_circle else 1.0
    label1 = f"d=1, beta={beta1:g}"
    res = _reference(ctx, [(label1, "circle", p["D"], beta1), ("d=2, beta=1", "torus", p["D"], 1.0)])
    x = np.asarray(p["ns"], float)
    series = {e: (x, res[label1][e] / res["d=2, beta=1"][e]) for e in ("knn", "nw")}
    m = Measurement(series=series, total=2 * ctx.seeds, xlabel="n",
                    ylabel=f"MSE({label1}) / MSE(d=2, beta=1)")
    m.extra = {"ns": x, "series": {k: v[1] for k, v in series.items()},
               "predicted": {k: None for k in series}, "estimator": "ratio"}
    return m


_claims.append(Claim(
    id="manifold.rate_ordered_by_d",
    needs_full=("when it was moved to the full size (calibration over 20 fresh roots at quick "
                "size, under the interval rules before issue 21): passed 2/20 [0.03, 0.30], "
                "inconclusive 18; control equal_exponents rejected 18/20 [0.70, 0.97]. At quick size "
                "the ratio's slope (about -0.13..-0.17) lies within a CI half-width of the band's "
                "edge -0.1, so the CI keeps touching it (about 33 seeds would resolve a typical "
                "root); full size has 32 seeds and n up to 16384. Reproduce: theorylab calibrate "
                "manifold.rate_ordered_by_d --roots 20 --run-full-only"),
    title="The rate is ordered by the intrinsic dimension: d = 1 learns faster than d = 2",
    statement=("At beta = 1 the log-log slope in n of the d = 1 (circle) MSE is at least 0.1 below "
               "that of the d = 2 (torus) MSE, for k-NN and for Nadaraya-Watson: the slope of "
               "their ratio (same seeds, n = 256..4096 at quick size) is at most -0.1; the theory "
               "predicts -2/3 - (-1/2) = -1/6."),
    source=f"{STONE}; {CJLZ} (the exponent depends on d)",
    tag="literature",
    check=SlopeCheck(predicted=-1 / 6, side="upper", tol=1 / 15,
                     alternatives={"equal exponents (rate set by D)": 0.0}),
    measure=_ordering_measure,
    controls=[Control("equal_exponents", "a rougher circle target (beta = 0.5) has the same "
                      "exponent -2 beta/(2 beta + d) = -1/2 as the torus at beta = 1: d alone does "
                      "not order the rates", lambda ctx: _ordering_measure(ctx, rough_circle=True))],
    sizes=SIZES, seeds=SEEDS,
    figure=figs.mse_vs_n_figure,
    family=NAME,
    notes=(
        "predicted -1/6 with tol 1/15: the check passes when the slope difference is <= -0.1, "
        "the margin the issue asks for (an independent implementation measured about -0.27). "
        "Alternative: equal exponents (a rate set by the ambient D, the same for both "
        "manifolds)."
    ),
))


# ----------------------------------------------------------------------------------------
# manifold.network_ambient_independence  [expected]
# ----------------------------------------------------------------------------------------
AMBIENT_SIGMA = 0.1  # per-coordinate off-manifold noise of the near control: 0.2 in norm at
#                     D = 4 (small beside the torus), 1.6 at D = 256 (larger than the torus)


def _network_D_runs(ctx: Context, name: str, ambient_sigma: float = 0.0) -> list:
    """The network at n = net_n for every D (a shared sweep: the claim draws the cube curve in
    its figure and the control checks it, one computation)."""
    p = ctx.params
    n, Ds = p["net_n"], tuple(p["net_Ds"])
    st = {"manifold": name, "n_max": n, "n_test": p["n_test"], "D_max": max(Ds),
          "W_max": net.width_max_for(n, 1.0, 2), "L_max": net.depth_max_for(n),
          "steps": p["net_steps"], "eval_every": 25}
    cells = [(st, {"n": float(n), "D": D, "beta": 1.0, "sigma": SIGMA, "lr": p["net_lr"],
                   "ambient_sigma": ambient_sigma}) for D in Ds]
    return ctx.sweep.shared("manifold.network_D").run(sims.network, cells, ctx.seeds, stream="network_D")


def _network_D_cost(p, seeds: int) -> str:
    """The full-size cost of the D sweep (three data sets, every D padded to the largest)."""
    n, Ds = p["net_n"], tuple(p["net_Ds"])
    flops = 3 * len(Ds) * seeds * net.train_flops(n, net.width_max_for(n, 1.0, 2), net.depth_max_for(n),
                                                  max(Ds), p["net_steps"])
    return (f"{flops:.1e} training FLOPs: about {flops / (CPU_GFLOPS * 1e9) / 3600:.0f} h on 2 CPU cores, "
            f"minutes on one GPU")


def _ratio_ci(test: np.ndarray, seed: int) -> tuple[float, float]:
    """95% percentile-bootstrap CI (scipy, seeds resampled) of the max/min over D of the
    seed-mean test MSE."""
    from scipy import stats

    def ratio(t, axis=-1):  # t: (len(Ds), [resamples,] seeds); scipy puts resamples before axis
        mean = t.mean(axis=axis)
        return mean.max(0) / mean.min(0)

    r = stats.bootstrap((test.T,), ratio, axis=-1, vectorized=True, n_resamples=999,
                        method="percentile", random_state=seed)
    return float(r.confidence_interval.low), float(r.confidence_interval.high)


RATIO_NAME = "max/min over D of the mean test MSE (95% bootstrap CI end facing the band's edge)"


def _network_D_measure(ctx: Context, name: str = "torus", ambient_sigma: float = 0.0,
                       control: bool = False) -> Measurement:
    """The claim is judged by the CI's upper end (passed: the whole CI is under 1.5), a control
    by its lower end (rejected: the whole CI is over 1.5)."""
    p = ctx.params
    n, Ds = p["net_n"], tuple(p["net_Ds"])
    outs = _network_D_runs(ctx, name, ambient_sigma)
    test = np.stack([o["test_mse"] for o in outs], 1)  # (seeds, len(Ds))
    mean = test.mean(0)
    ratio = float(mean.max() / mean.min())
    lo, hi = _ratio_ci(test, ctx.root_seed % (2**31))
    m = Measurement(values={RATIO_NAME: np.array([lo if control else hi])},
                    total=test.size, diverged=int(sum(o["diverged"].sum() for o in outs)))
    m.info = {"data": name, "ambient_sigma": ambient_sigma, "n": n, "Ds": list(Ds),
              "max/min over D of the mean test MSE (point estimate, 95% bootstrap CI)":
                  [round(ratio, 4), round(lo, 4), round(hi, 4)],
              "test MSE per D (mean)": np.round(mean, 4).tolist(),
              "train MSE per D (mean; noisy responses, sigma^2 = 0.25)":
                  np.round([o["train_mse"].mean() for o in outs], 4).tolist(),
              "held-out MSE per D (mean)": np.round([o["val_mse"].mean() for o in outs], 4).tolist(),
              "best step (median) per D": [float(np.median(o["best_step"])) for o in outs],
              "width, depth": [float(outs[0]["width"][0]), float(outs[0]["depth"][0])]}
    m.extra = {"Ds": np.asarray(Ds, float), "curves": {name: (test, np.stack([o["train_mse"] for o in outs], 1))}}
    if name != "cube":  # the control's data, for the figure
        cube = _network_D_runs(ctx, "cube")
        m.extra["curves"]["cube"] = (np.stack([o["test_mse"] for o in cube], 1),
                                     np.stack([o["train_mse"] for o in cube], 1))
    return m


_claims.append(Claim(
    id="manifold.network_ambient_independence",
    title="The network's error does not grow with the ambient dimension D",
    statement=("At fixed n (1024 at quick size), the early-stopped ReLU network sized by the theory "
               "(d = 2, beta = 1) on the flat torus T^2 rotated into R^D has a mean test MSE that "
               "varies by at most 1.5x over D = 4..256, judged by the upper end of the 95% bootstrap "
               "CI over seeds (8 at quick size, a crude bootstrap). Unlike k-NN, the network is not "
               "rotation invariant (Adam works coordinate-wise), but its isotropic initialisation "
               "makes the rotation nearly irrelevant, so the near control matters: the same torus "
               "with N(0, 0.1^2) noise on each ambient coordinate."),
    source=f"{CJLZ}, abstract (the rate depends on d; constants on D only logarithmically)",
    tag="expected",
    check=LimitCheck(intervals={RATIO_NAME: (1.0, 1.5)}),
    measure=_network_D_measure,
    controls=[Control("torus_ambient_noise", "the same torus with per-coordinate ambient noise "
                      "0.1: near the manifold, not on it, with off-manifold energy growing with D",
                      lambda ctx: _network_D_measure(ctx, "torus", AMBIENT_SIGMA, control=True)),
              Control("cube", "data filling [-1, 1]^D (target varying in 2 coordinates): the "
                      "error grows with D (an independent run saw 7-13x from D = 4 to 256)",
                      lambda ctx: _network_D_measure(ctx, "cube", control=True))],
    needs_gpu=_network_D_cost(SIZES["full"], NET_SEEDS["full"]),
    sizes=SIZES, seeds=NET_SEEDS,
    figure=figs.mse_vs_D_figure,
    family=NAME,
    notes=(
        "1.5x: the bar fixed in advance (an independent implementation saw <= 1.18). A log D "
        "dependence of the constants would give at most log(256)/log(4) = 4x; the cube "
        "control, where the dimension really grows, shows several-fold growth."
    ),
))


# ----------------------------------------------------------------------------------------
# manifold.network_rate_in_n  [abstract]  (full size only)
# ----------------------------------------------------------------------------------------
#: the (label, manifold, d, beta) series of the network rate. The CPU design (issue 22, fixed
#: before its run) pairs d = 1 and d = 2 at the same beta = 2, so that the two predicted
#: exponents (-4/5 and -2/3) differ by d alone and each band excludes the other's exponent
#: (half-width 0.067, half their distance); both are cheap (widths 2 n^(1/5) <= 13 and 2 n^(1/3)
#: <= 41 at n = 8192). The beta = 1 pair, (1, 1) and (2, 1) (width 2 n^(1/2) = 256 at n =
#: 16384, 20x the FLOPs of the other series together), runs on an accelerator.
NET_SETTINGS = (("d=1, beta=2", "circle", 1, 2.0), ("d=2, beta=2", "torus", 2, 2.0),
                ("d=1, beta=1", "circle", 1, 1.0), ("d=2, beta=1", "torus", 2, 1.0))
#: the series out of reach of a 2-core CPU (run only where JAX sees an accelerator)
GPU_ONLY_SERIES = ("d=1, beta=1", "d=2, beta=1")
#: the control: the claim's (d, beta) = (1, 2) network, sized and judged as that series, on the
#: flat 3-torus (only the intrinsic dimension changed)
CONTROL_MANIFOLD, CONTROL_SIZED = "torus3", (1, 2.0)


def _on_accelerator() -> bool:
    import jax

    return jax.default_backend() != "cpu"


def network_ns(p) -> tuple:
    """The n grid of the network rate: ``net_ns`` (n <= 8192 at full size: the series and the
    control fit an hour on 2 CPU cores), or ``net_ns_accelerator`` (up to 16384) where JAX sees
    an accelerator and the size has one."""
    return tuple(p["net_ns_accelerator"] if _on_accelerator() and "net_ns_accelerator" in p
                 else p["net_ns"])


def _net_cell(p, name: str, ns: tuple, n: int, d: int, beta: float, D: int) -> tuple[dict, dict]:
    """One network cell that costs its own n: the sample is drawn at the grid's largest n
    (nested) and the network trains on its first n points, with the width and depth of that n
    for (d, beta) (``sims.network`` caps the width at W_max, so a network sized for a smaller d
    than the data's keeps its size)."""
    st = {"manifold": name, "n_max": max(ns), "n_test": p["n_test"], "D_max": p["D_max"],
          "W_max": net.width_max_for(n, beta, d), "L_max": net.depth_max_for(n), "n_used": int(n),
          "steps": p["net_steps"], "eval_every": 25}
    return st, {"n": float(n), "D": D, "beta": beta, "sigma": SIGMA, "lr": p["net_lr"]}


def network_rate_cost(p, d: int, beta: float, seeds: int, ns=None) -> float:
    """Estimated seconds of one (d, beta) series on the 2-core CPU: the training FLOPs
    (forward and backward, 6 per weight per point per step) at CPU_GFLOPS."""
    flops = sum(net.train_flops(n, net.width_max_for(n, beta, d), net.depth_max_for(n), p["D_max"],
                                p["net_steps"]) for n in (ns or p["net_ns"]))
    return seeds * flops / (CPU_GFLOPS * 1e9)


def _seed_slopes(x, y) -> np.ndarray:
    """Each seed's least-squares log-log slope over the whole grid (seeds with a non-finite or
    non-positive value left out)."""
    logy = np.log(np.where(y > 0, y, np.nan))
    logy = logy[np.isfinite(logy).all(1)]
    return logy @ slope_contrast(np.log(x))


def _slope_difference(x, series: dict) -> dict:
    """Information beside the verdict, not a pass rule (docs/designs.md): the slope of each
    d = 1 series minus the slope of the d = 2 series of the same beta, with Welch's 95% interval
    over the seeds' own slopes (scipy), against the difference of the predicted exponents."""
    from scipy import stats

    out = {}
    for label, s1 in series.items():
        other = label.replace("d=1", "d=2")
        if not label.startswith("d=1") or other not in series:
            continue
        a, b = _seed_slopes(x, s1.y), _seed_slopes(x, series[other].y)
        if min(a.size, b.size) < 2:
            out[f"slope difference ({label}) - ({other})"] = "too few finite seeds"
            continue
        ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
        out[f"slope difference ({label}) - ({other}), Welch 95% CI over seeds; predicted"] = [
            round(float(a.mean() - b.mean()), 4), round(float(ci.low), 4), round(float(ci.high), 4),
            round(float(s1.predicted - series[other].predicted), 4)]
    return out


def _network_rate_measure(ctx: Context, control: bool = False) -> Measurement:
    p = ctx.params
    ns = network_ns(p)
    x = np.asarray(ns, float)
    series, info = {}, {}
    if control:
        d0, b0 = CONTROL_SIZED
        settings = [(f"flat 3-torus in R^{p['D']} (network and claim of d={d0}, beta={b0:g})",
                     CONTROL_MANIFOLD, d0, b0)]
    else:
        settings = list(NET_SETTINGS)
        if not _on_accelerator():
            for label, _, d, beta in NET_SETTINGS:
                if label in GPU_ONLY_SERIES:
                    settings = [s for s in settings if s[0] != label]
                    info[f"{label}: not run on a CPU"] = (
                        f"needs a GPU: about {network_rate_cost(p, d, beta, ctx.seeds, ns) / 3600:.1f} h "
                        f"on 2 CPU cores ({ctx.seeds} seeds)")
    total = 0
    for label, name, d, beta in settings:
        seeds = ctx.seeds * (1 if control else p.get("net_seed_factor", {}).get(label, 1))
        total += seeds * len(ns)
        cells = [_net_cell(p, name, ns, n, d, beta, p["D"]) for n in ns]
        outs = ctx.sweep.run(sims.network, cells, seeds, stream="network_n")
        test = np.stack([o["test_mse"] for o in outs], 1)
        centre, tol, alts = network_band(beta, d, p["D"])
        # the control is judged in the band of the series it copies, with no alternatives
        series[label] = Series(x, test, centre, {} if control else alts, tol)
        info[f"{label}: raw slope / slope of MSE/log^3 n"] = list(_slopes(x, test))
        info[f"{label}: test MSE per n"] = np.round(test.mean(0), 5).tolist()
        info[f"{label}: train MSE per n"] = np.round([o["train_mse"].mean() for o in outs], 4).tolist()
        info[f"{label}: width, depth per n"] = [[float(o["width"][0]), float(o["depth"][0])] for o in outs]
        info[f"{label}: median best step per n (of {p['net_steps']})"] = [
            float(np.median(o["best_step"])) for o in outs]
        info[f"{label}: diverged runs"] = int(sum(o["diverged"].sum() for o in outs))
        info[f"{label}: seeds"] = seeds
    if not control:
        info.update(_slope_difference(x, series))
    m = Measurement(series=series, total=total, info=info)
    m.extra = {"ns": x, "series": {k: s.y for k, s in series.items()},
               "predicted": {k: s.predicted for k, s in series.items()}, "estimator": "network"}
    return m


_NET_NOTES = (
    "tol: 0.15 or half the distance to the nearest declared alternative, whichever is smaller "
    "(issue 21: a two-sided band must exclude every alternative; at 0.15 the (2, 2) band "
    "[-0.817, -0.517] contained the d = 1 exponent -0.8): 0.083 for (1, 1), 0.067 for (1, 2) "
    "and (2, 2), 0.083 for (2, 1). 0.15 was the issue's bar, fixed before any full-size run: an "
    "independent implementation landed within ~0.1 of the prediction with early stopping, on "
    "the shallow side; the log^3 n factor of the bound is not fitted (see the module docstring). "
    "Two-sided, argued before the run that judges it (issue 22 left it open after a pilot): the "
    "theorem is an upper bound, and Stone's matching lower bound is a minimax statement over the "
    "smoothness class, which alone would not bind one target; but each seed draws its target "
    "from a Gaussian prior with coefficient variances |k|^-(2 beta + d) (manifold.data), and "
    "under that prior the Bayes risk of any estimator is of order sum_k min(|k|^-(2 beta + d), "
    "sigma^2/n) ~ n^(-2 beta/(2 beta + d)) (the frequency cut-offs of manifold.data.KMAX lie far "
    "beyond the n^(1/(2 beta + d)) <= 7 frequencies per angle resolved here). So the seed-averaged error "
    "has this exponent from both sides, and a slope clearly steeper than it is not a better "
    "network but a finite-size effect or a bug; the exclusion of the other d's exponent is "
    "reported beside each series either way. The pilot (results/diagnostics/manifold-pilot-8192, "
    "root 11) and root 0 were seen before this was written: both put the two series 0.04-0.06 "
    "steeper than their exponents, which a one-sided check would pass; the argument above, not "
    "those numbers, decides, and fresh roots judge it. "
    "CPU design (issue 22, fixed before its run): the two CPU series used to be (1, 1) and (2, "
    "2), which both predict -2/3, so a CPU run could not tell the theorem from '-2/3 whatever d'; "
    "they are now (1, 2) and (2, 2), the same beta at d = 1 and d = 2, 16 seeds, n = 256..8192 "
    "(net_ns: a third of the training FLOPs of n up to 16384, which took 89 min; an accelerator "
    "runs net_ns_accelerator, up to 16384, and the beta = 1 pair). "
    "Control (issue 22, docs/designs.md, fixed before its run): the (1, 2) network, sized and "
    "judged as that series, on the flat 3-torus T^3 rotated into R^10: the same sizing, "
    "training, noise, target construction (smoothness 2 in the intrinsic angles) and ambient "
    "dimension, only the intrinsic dimension changed (3 in place of 1; its own exponent would be "
    "-4/7). The control it replaces, the same network on data filling [-1, 1]^8 with a target "
    "varying in 2 coordinates, was confounded (a function of 2 coordinates is learnt at its own "
    "rate whatever the data's dimension) and was not rejected (-0.818 [-0.890, -0.746] at full "
    "size); the cube stays the control of the k-NN and kernel claims, which cannot exploit a "
    "low-dimensional target. Estimated cost on 2 CPU cores: about 15 min for the series and the "
    "control at 16 seeds (network_rate_cost; the pilot took 13 min for the same rows plus the cube). "
    "Seeds (session 37, docs/designs.md, fixed before its run): on fresh roots 1..5 the claim was "
    "inconclusive 5/5, the (2, 2) series steady (a seed's slope spread about 0.08) and the (1, 2) "
    "series noisy (about 0.17; it excluded -2/3 on root 1 only), so the (1, 2) series runs 64 "
    "seeds at full size (net_seed_factor 4), the (2, 2) series and the control 16; nothing else "
    "changed. Reported beside the verdict, not a pass rule: the (1, 2) slope minus the (2, 2) "
    "slope with Welch's 95% interval over the seeds' own whole-grid slopes (scipy ttest_ind, "
    "equal_var=False), against the predicted -2/15. Said before the run: the (1, 2) interval "
    "should shrink to about +-0.043 and exclude -2/3 on most roots, but a pass (the CI inside the band [-0.867, -0.733]) needs a slope in about "
    "[-0.824, -0.776], which a true slope near -0.76 (roots 1..5 together) makes unlikely: most "
    "likely still inconclusive; judged "
    "on fresh roots 6..10 at full size."
)

_claims.append(Claim(
    id="manifold.network_rate_in_n",
    title="The trained ReLU network learns at the rate n^(-2 beta/(2 beta + d))",
    statement=("The early-stopped ReLU network sized by the theory (width ceil(2 n^(d/(2 beta + d))), "
               "depth ceil(log2(n)/3)), trained with full-batch Adam for up to 3000 steps, has test "
               "MSE with log-log slope in n within 0.15 of -2 beta/(2 beta + d) (or half the distance to "
               "the nearest declared alternative exponent, if smaller), two-sided, in R^10 (16 seeds, 64 "
               "for the (1, 2) series at full size): "
               "on a CPU for (d, beta) = (1, 2) and (2, 2) over n = 256..8192, whose exponents -4/5 and "
               "-2/3 differ by d alone, each band excluding the other's exponent; on a GPU over n = "
               "256..16384, also for (1, 1) and (2, 1). The same (1, 2) network on the flat 3-torus "
               "(d = 3) must miss the (1, 2) band. Train risk and the best step are reported beside "
               "test risk, since the network only approximates the empirical risk minimiser of the "
               "theorem."),
    source=f"{CJLZ}, abstract (main theorem)",
    tag="abstract",
    bound=RATE,
    check=SlopeCheck(side="two-sided", tol=NET_TOL, wrt="n", bound_values={"beta": 1, "d": 1}),
    band_at=_network_bands,
    grid="net_ns",
    measure=_network_rate_measure,
    controls=[Control("torus3", "the (d, beta) = (1, 2) network on the flat 3-torus in R^10, sized "
                      "and judged as the (1, 2) series: only the intrinsic dimension changed (3 in "
                      "place of 1), its rate follows it (-4/7 for a network sized for d = 3)",
                      lambda ctx: _network_rate_measure(ctx, control=True))],
    needs_full=("the network is trained far from the empirical risk minimiser at quick sizes "
                "(n <= 4096, a few hundred steps): its slopes there are unusable (in our exploratory "
                "quick runs the d-ordering even reversed); run with --size full (the (2, 1) series "
                "needs a GPU)"),
    sizes=SIZES, seeds=NET_RATE_SEEDS,
    figure=figs.mse_vs_n_figure,
    family=NAME,
    notes=_NET_NOTES,
))


CLAIMS = tuple(_claims)
#: float64 on: k-NN and kernel distances are formed in float64; the network trains in float32
FAMILY = Family("manifold", CLAIMS, x64=True, notes=__doc__,
                description="Nonparametric regression on low-dimensional manifolds: the rate is set by d, not D")
