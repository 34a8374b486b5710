"""Claims of the diffusion family (notes on each: docs/claims.md).

Source: Chen, Huang, Zhao, Wang, "Score approximation, estimation and distribution recovery of
diffusion models on low-dimensional data" (ICML 2023, arXiv 2302.07194) [CHZW]. Data lie on a
d-dimensional subspace of R^D (d = 2, D = 16 at quick size; a 6-component Gaussian-mixture
latent, so the latent score is nonparametric in behaviour). Every seed draws its own subspace,
mixture, training set and evaluation points. Training: denoising score matching with lambda = 1,
log-uniform t on [1e-3, 8] reweighted to the uniform measure, Adam with a cosine decay, 2000 steps.

The score-error bound (1/t0) n^(-2/(d+5)) is recalled (widely cited), not checked against the
paper: [unverified]. It is loose here, so its check is one-sided and the measured slope is
pinned by a golden regression test.
"""

from __future__ import annotations

import numpy as np

from ..core.bounds import Bound
from ..core.claims import Claim, Context, Control, LimitCheck, Measurement, Series, SlopeCheck
from . import figures as figs
from . import simulations as sims
from ..core.registry import Family

#: the claims in the order they are built; exported as ``CLAIMS`` at the end of the module
_claims: list = []

CHZW = "Chen, Huang, Zhao, Wang, ICML 2023 (arXiv 2302.07194)"
NAME = "diffusion"
D_LATENT = 2
T_END = 8.0
T0 = 1e-3

SIZES = {
    "quick": {"ns": (8, 12, 16, 24, 32, 48, 64, 128, 512, 2048), "n_floor": 32768, "D": 16, "Ds": (8, 16, 32, 64),
              "ns_subspace": (512, 2048), "sigmas_perp": (0.01, 0.03, 0.06, 0.12, 0.3),
              "n_D": 2048, "steps": 2000, "batch": 256, "width": 64, "depth": 2, "lr": 1e-2, "m_eval": 512},
    # full: the statistical regime n >= 256 (window fixed in advance) with a network whose
    # optimisation floor (n_floor) is 6-8x lower than the quick one (width 128, depth 3, 4000
    # steps of batch 512: an exploratory run gave 0.0028-0.0033 against 0.017-0.028); 8 seeds,
    # about 4.4 s per seed and cell on 2 CPU cores, whatever n (training costs steps x batch;
    # the first full run: 247 s for the 7 cells of the n sweep at 8 seeds);
    # m_eval 1024: the nearest-training-point distances hold m_eval x n_floor floats per seed
    # (1 GB at 1024), and four seeds run at once per thread
    # n = 8 and 32 (below the score-rate window) give distribution_recovery a smallest n whose
    # MMD^2 stands above the estimator's noise (at n = 256 it is already at the noise);
    "full": {"ns": (8, 32, 256, 512, 1024, 2048, 4096, 8192), "n_floor": 262144, "D": 16,
             "ns_subspace": (512, 2048), "sigmas_perp": (0.01, 0.03, 0.06, 0.12, 0.3),
             "Ds": (8, 16, 32, 64), "n_D": 2048, "steps": 4000, "batch": 512, "width": 128,
             "depth": 3, "lr": 5e-3, "m_eval": 1024, "n_Ds": (256, 1024)},
}
SEEDS = {"quick": 4, "full": 8}
#: the score-rate fit window, fixed in advance: n >= 256 (below it a batch of 512 sees every
#: training point many times per step and the error falls faster than any statistical rate)
RATE_N_MIN = 256
#: the subspace-recovery fit window, fixed in advance: sigma_perp >= 0.03 (below it the
#: exact-data floor bends the error; see the claim's notes)
SUBSPACE_SIGMA_MIN = 0.03
def _static(p, kind: str, D_max: int, n_max: int) -> dict:
    return {"kind": kind, "D_max": D_max, "d": D_LATENT, "K": 6, "t0": T0, "T": T_END,
            "m_eval": p["m_eval"], "n_max": n_max, "steps": p["steps"], "batch": p["batch"],
            "width": p["width"], "depth": p["depth"], "t0s": (1e-3, 1e-2, 1e-1),
            "early_t0s": (1e-3, 3e-3, 1e-2, 3e-2, 1e-1), "sampler_steps": 100}


def _n_sweep(ctx: Context, freeze_frame: bool = False) -> dict:
    """The structured network at every n, and at n_floor (the optimisation floor): one compile
    (n traced), computed once per run for every claim that asks. ``freeze_frame``: the control
    whose frame never trains (no floor cell)."""
    p = ctx.params
    ns = tuple(p["ns"]) + (() if freeze_frame else (p["n_floor"],))
    st = {**_static(p, "structured", p["D"], p["n_floor"]), **({"freeze_frame": True} if freeze_frame else {})}
    outs = ctx.sweep.shared("diffusion.n_sweep" + ("_frozen" if freeze_frame else "")).run(
        sims.train_and_measure, [(st, {"n": float(n), "D": p["D"], "lr": p["lr"]}) for n in ns],
        ctx.seeds, stream="n_sweep")
    cells = outs if freeze_frame else outs[:-1]
    res = {k: np.stack([o[k] for o in cells], 1) for k in outs[0] if np.ndim(outs[0][k]) == 1}
    res["floor"] = None if freeze_frame else outs[-1]
    res["ns"] = np.asarray(p["ns"], float)
    res["cells"] = cells
    return res


# ----------------------------------------------------------------------------------------
# diffusion.score_rate_in_n  [unverified bound]
# ----------------------------------------------------------------------------------------
def _rate_measure(ctx: Context, control: str = "") -> Measurement:
    """The score error's excess over each seed's own optimisation floor against n, for the
    claim, the frozen-frame control or the untrained network (same seeds, measured the same
    way; design of issue 22, docs/designs.md, fixed before its run).

    The floor cell trains the same network on n_floor points of the seed's own subspace and
    mixture; the excess e(n) - e_floor is the statistical part of the error. The window is
    every n >= RATE_N_MIN whose median excess is at least the median floor (below it the excess
    is a difference of two numbers of the floor's size); fewer than 3 such n leave the check
    without a fit. A seed whose excess is not positive at an n of the window is non-finite
    there, and reported."""
    res = _n_sweep(ctx)
    floor_s = np.asarray(res["floor"]["score_error"], float)  # (seeds,)
    floor = float(np.median(floor_s))
    grid = res["ns"] >= RATE_N_MIN
    if control == "frozen_frame":
        err = _n_sweep(ctx, freeze_frame=True)["score_error"][:, grid]
    else:
        err = res["score_error_init" if control == "untrained" else "score_error"][:, grid]
    x_all = res["ns"][grid]
    excess = err - floor_s[:, None]
    med = np.median(excess, 0)
    window = med >= floor
    x, ex = x_all[window], excess[:, window]
    bad = ex <= 0
    y = np.where(bad, np.nan, ex)
    info = {"optimisation floor (n = n_floor, median over seeds)": floor,
            "window": (f"n >= {RATE_N_MIN} with median excess >= the median floor, fixed in advance: "
                       f"n = {', '.join(str(int(v)) for v in x) or 'none'}"),
            "median error per n": np.round(np.median(err, 0), 5).tolist(),
            "median excess over the seed's floor per n": np.round(med, 5).tolist(),
            "n of the grid": x_all.astype(int).tolist()}
    if bad.any():
        info["seeds whose excess is not positive (non-finite in the fit)"] = {
            int(n): int(c) for n, c in zip(x, bad.sum(0)) if c}
    # the raw error at every n of the grid and the floors, beside the fit: the regression pins
    # watch them even when the window is empty (at quick size the excess stays under the floor)
    raw = {f"score error at n = {int(n)}": err[:, j] for j, n in enumerate(x_all)}
    raw["the seed's optimisation floor"] = np.asarray(res["floor"]["score_error"])
    m = Measurement(x=x, y=y, total=y.size, diverged=int(res["diverged"].sum()), xlabel="n",
                    ylabel="score error - the seed's floor", values=raw, info=info)
    m.extra = {"ns": x, "y": y, "floor": floor, "raw": (x_all, err)}
    return m


_claims.append(Claim(
    id="diffusion.score_rate_in_n",
    needs_full=("at quick size this claim shows nothing about learning from n samples: the quick "
                "grid reaches the window n >= 256 at two points only, and the quick network's "
                "optimisation floor (0.017-0.028) sits above the error at n >= 512; below n = 256 "
                "(n = 8..48) a batch of 256 replays each point many times per step, the slope "
                "(about -1.9) is steeper than the parametric -1, and a planted bug that trained on "
                "at most 64 points passed. The full size fits n = 256..8192 with a 6-8x lower floor "
                "(about 8 min on 2 CPU cores with its frozen-frame control)"),
    title="The learned score's error falls with n at least as fast as n^(-2/(d+5))",
    statement=("The time-integrated score error (1/(T - t0)) int ||s_hat - grad log p_t||^2 dt of the "
               "structured network (d = 2 in R^16, 8 seeds), less each seed's optimisation floor (the "
               "same training on 262144 points of the seed's own subspace and mixture), has log-log "
               "slope in n at most -2/(d + 5) + 0.1, fitted over the n >= 256 of n = 256..8192 whose "
               "median excess is at least the median floor (a window rule fixed in advance; at least "
               "3 points). The bound is loose: the excess falls much faster. Fitted on the raw error, "
               "the window mostly measured the floor: the slope flattened from -1.09 to -0.26 across "
               "it and the check was inconclusive for a reason the bound does not speak to."),
    source=f"{CHZW}, score estimation theorem (rate recalled, widely cited)",
    tag="unverified",
    bound=Bound("n**(-2/(d+5))/t0", paper=CHZW, theorem="score estimation (recalled)", tag="unverified"),
    check=SlopeCheck(side="upper", tol=0.1, wrt="n", bound_values={"d": D_LATENT},
                     window={"min_points": 3},
                     alternatives={"no decrease (n^0)": 0.0, "parametric n^(-1)": -1.0}),
    measure=_rate_measure,
    controls=[Control("frozen_frame", "the same network and training with its frame V frozen at "
                      "the random start (only the latent network learns): it cannot find the "
                      "subspace, so its error must not fall like the bound",
                      lambda ctx: _rate_measure(ctx, "frozen_frame")),
              Control("untrained", "the untrained network's error does not fall with n",
                      lambda ctx: _rate_measure(ctx, "untrained"))],
    sizes=SIZES, seeds=SEEDS,
    figure=figs.score_vs_n_figure,
    family=NAME,
    notes=(
        "tol 0.1 (the issue's): the bound's exponent is -0.286. Alternatives: no decrease "
        "with n (0) and the parametric rate n^(-1) (an independent implementation saw about "
        "-0.5 over this window). Tolerance fixed before the first full-size run. Design of "
        "issue 22 (docs/designs.md, fixed before its run): the full-size record measured the raw "
        "error at 1.15x the floor at n = 8192 and above 3x it only at n = 256 and 512, so its "
        "slope (-0.515) was curved by the floor (tilt +0.96, inconclusive); the measured quantity "
        "is now the excess over each seed's own floor, over the n whose median excess is at least "
        "the median floor. A diagnosis on keys of its own (results/diagnostics/diffusion_floor, "
        "root 12), run after the rule was written, kept n = 256, 512, 1024 and measured -1.16 "
        "[-1.35, -0.98]: about the parametric rate, which the one-sided band admits. The "
        "frozen-frame and untrained controls are measured the same way, against the claim's "
        "floor (they have none of their own)."
    ),
))


# ----------------------------------------------------------------------------------------
# diffusion.subspace_recovery, distribution_recovery, orthogonal_collapse, early_stopping
# ----------------------------------------------------------------------------------------
def _limit(values: dict, info: dict | None = None, extra: dict | None = None,
           instances: dict | None = None) -> Measurement:
    total = max(np.size(v) for v in values.values())
    return Measurement(values={k: np.asarray(v, float) for k, v in values.items()}, total=total,
                       info=info or {}, extra=extra or {}, instances=instances or {})


def _subspace_measure(ctx: Context, where: str = "perp") -> Measurement:
    """Subspace error against the noise level, one series per n; ``where`` puts the noise
    orthogonal to the subspace ("perp", the claim) or inside it ("par", the control)."""
    p = ctx.params
    sig = np.asarray(p["sigmas_perp"], float)
    st = {**_static(p, "structured", p["D"], max(p["ns_subspace"])), "K": 6}
    cells = [(st, {"n": float(n), "D": p["D"], "lr": p["lr"],
                   "sigma_perp": s if where == "perp" else 0.0, "sigma_par": s if where == "par" else 0.0})
             for n in p["ns_subspace"] for s in sig]
    outs = ctx.sweep.run(sims.subspace_fit, cells, ctx.seeds, stream="subspace")
    series, info = {}, {"noise": "orthogonal to the subspace" if where == "perp" else "inside the subspace"}
    for i, n in enumerate(p["ns_subspace"]):
        y = np.stack([o["subspace_error"] for o in outs[i * len(sig):(i + 1) * len(sig)]], 1)
        series[f"n={n}"] = Series(sig, y)
        info[f"median error per sigma, n={n}"] = np.round(np.median(y, 0), 5).tolist()
    exact = _n_sweep(ctx)["subspace_error"]
    info["error on exact data, every n (max)"] = float(np.max(exact))
    m = Measurement(series=series, total=ctx.seeds * len(cells),
                    diverged=int(sum(np.sum(o["diverged"]) for o in outs)), info=info)
    return m


_claims.append(Claim(
    id="diffusion.subspace_recovery",
    needs_full=("when it was moved to the full size (calibration over 20 fresh roots at quick "
                "size, under the interval rules before issue 21): passed 16/20 [0.58, 0.92], "
                "inconclusive 4; control noise_inside_subspace rejected 20/20. Every fitted slope "
                "lies in 0.92..1.05, but with 4 seeds the least-squares CI over 4 noise levels is "
                "up to +-0.17 wide and reaches the band's edge on some roots; full size trains 8 "
                "seeds (and a larger network) at the same 2 values of n. Reproduce: theorylab "
                "calibrate diffusion.subspace_recovery --roots 20 --run-full-only"),
    title="The structured network's subspace error grows in proportion to the off-subspace noise",
    statement=("Trained on n points whose latents lie on a 2-dimensional subspace of R^16 plus "
               "N(0, sigma_perp^2) noise orthogonal to it, the structured network's frame V has "
               "||V V^T - A A^T||_F with log-log slope in sigma_perp within 0.15 of 1 (sigma_perp = "
               "0.03..0.3, 4 levels, a window fixed in advance; n = 512 and 2048), as a first-order "
               "perturbation of the data's principal subspace predicts. On exact data (sigma_perp = "
               "0) and at sigma_perp = 0.01 the error is reported, not checked."),
    source=f"{CHZW}, abstract (the generated distribution captures the subspace); the rate in "
           "sigma_perp is our first-order expectation",
    tag="expected",
    check=SlopeCheck(predicted=1.0, side="two-sided", tol=0.15,
                     window={"x_min": SUBSPACE_SIGMA_MIN, "min_points": 4},
                     alternatives={"sigma_perp^2": 2.0, "no growth (sigma^0)": 0.0}),
    measure=_subspace_measure,
    grid=lambda p: {f"n={n}": p["sigmas_perp"] for n in p["ns_subspace"]},
    controls=[Control("noise_inside_subspace", "the same noise levels added inside the subspace: "
                      "the data's span is unchanged, so the error must not grow like sigma",
                      lambda ctx: _subspace_measure(ctx, "par"))],
    sizes=SIZES, seeds=SEEDS,
    family=NAME,
    notes=(
        "Two-sided: the population principal subspace is exactly A for any sigma_perp, so the "
        "error is the finite-sample cross term, linear in sigma_perp (an exploratory run: "
        "slope ~0.98 at n = 512, errors ~ n^(-1/2)). tol 0.15: seed scatter of a 4-seed slope "
        "plus the exact-data floor (~4e-4) bending the smallest sigma. Alternatives: a "
        "quadratic bias (sigma^2) and no growth (sigma^0). Design (issue 22, fixed before its "
        "run): at full size the exact-data floor (up to 8.4e-4) bent the small-sigma end (n = "
        "2048: local slope 0.94 over sigma = 0.01..0.03, 1.00 once the floor is taken out in "
        "quadrature), so the fit starts at sigma = 0.03, where the floor moves the error by under "
        "1%, and two noise levels were added (0.06, 0.12; 0.1 is gone) so that 4 points remain; "
        "sigma = 0.01 is measured and reported. A fixed window rather than a subtraction: the "
        "control's error sits near the floor at every sigma, and a subtraction would leave it "
        "without a fit."
    ),
))


#: distribution_recovery's design, fixed in advance (issue 22): the smallest n's MMD^2 must
#: stand at least this many times above the estimator's noise (the 95% quantile of MMD^2
#: between two independent true samples of the same size, over seeds x NULL_PAIRS draws), or the
#: ratio to it measures noise (the full-size record before this design: ratio -0.133 from
#: n = 256, where the MMD^2 already sat at the noise)
MMD_SIGNAL_MIN = 5.0
_MMD_RATIO = "MMD^2(largest n) / MMD^2(smallest n)"
_MMD_SIGNAL = "MMD^2(smallest n) / the estimator's noise"
_NN = "nearest-training-point distance, generated / fresh (largest n)"


def _mmd_measure(ctx: Context, sampler: str = "learned") -> Measurement:
    """``sampler``: "learned", "memorizer" (replays training points) or "null" (latent score 0)."""
    res = _n_sweep(ctx)
    key = {"learned": "mmd2", "memorizer": "mmd2_memorizer", "null": "mmd2_null"}[sampler]
    mm = np.median(res[key], 0)
    ratio = float(mm[-1] / mm[0])  # the unbiased MMD^2 can dip below 0 when the samples agree
    # the null pairs do not depend on n (each seed's evaluation key is shared by every n):
    # one cell's seeds x NULL_PAIRS draws
    null = np.asarray(res["cells"][0]["mmd2_truth"])
    noise = float(np.quantile(null, 0.95))
    # a replayed training point is at distance 0 from the training set
    nn = (np.zeros(res["nn_ratio"].shape[0]) if sampler == "memorizer" else
          res["nn_ratio_null" if sampler == "null" else "nn_ratio"][:, -1])
    first, last = res["cells"][0], res["cells"][-1]
    return _limit({_MMD_RATIO: np.array([ratio]), _MMD_SIGNAL: np.array([mm[0] / noise]), _NN: nn},
                  {"median MMD^2 per n": np.round(mm, 5).tolist(), "sampler": sampler,
                   "ns": [int(n) for n in res["ns"]],
                   "estimator noise (95% quantile of true-vs-true MMD^2)": round(noise, 6),
                   "true-vs-true draws": int(null.size),
                   "nearest-point distance ratio per n (median)": np.round(np.median(res["nn_ratio"], 0), 3).tolist()},
                  {"ns": (int(res["ns"][0]), int(res["ns"][-1])),
                   "generated": (first["latents_generated"][0], last["latents_generated"][0]),
                   "true": (first["latents_true"][0], last["latents_true"][0])},
                  # the MMD statistics are pooled over seeds: one instance each
                  {_MMD_RATIO: "pooled over seeds", _MMD_SIGNAL: "pooled over seeds"})


_claims.append(Claim(
    id="diffusion.distribution_recovery",
    title="The generated latent distribution approaches the true one as n grows, without copying",
    statement=("MMD^2 (Gaussian kernel, bandwidth 1, m_eval samples) between generated latents "
               "V^T x_hat (exponential integrator, t0 = 1e-3) and true latents is at least 3x smaller "
               "at the largest n than at the smallest, n = 8 at both sizes (medians over seeds); the "
               "smallest n's MMD^2 stands at least 5x above the estimator's noise (the 95% quantile "
               "of MMD^2 between two independent true samples), so that the ratio compares signal, "
               "not noise; and at the largest n the generated samples lie at least half as far from "
               "their nearest training point as fresh true samples do (median distances, every "
               "seed). A sampler that replays training points also improves in MMD with n; only the "
               "last part tells it apart. No rate in n is fitted: a consistency check."),
    source=f"{CHZW}, abstract (distribution recovery)",
    tag="abstract",
    check=LimitCheck(intervals={_MMD_RATIO: (-np.inf, 1 / 3), _MMD_SIGNAL: (MMD_SIGNAL_MIN, np.inf),
                                _NN: (0.5, np.inf)}),
    measure=_mmd_measure,
    figure=figs.samples_figure,
    controls=[Control("memorizer", "a sampler that replays random training points: its MMD falls "
                      "with n too", lambda ctx: _mmd_measure(ctx, "memorizer")),
              Control("latent_score_zero", "a sampler whose latent score is zero does not improve "
                      "with n", lambda ctx: _mmd_measure(ctx, "null"))],
    sizes=SIZES, seeds=SEEDS,
    family=NAME,
    notes=(
        "1/3 (the issue's 3x): the unbiased estimator's noise with 512 samples is ~1e-3, so "
        "at the largest n it may dip below zero: the ratio is bounded above only. 0.5: fixed "
        "in advance halfway between a sampler that generalises (ratio ~1) and one that copies "
        "(ratio 0). Design of issue 22, fixed before its runs: the full-size record before it "
        "measured noise (ratio -0.133; its smallest n, 256, already sat at the estimator's "
        "noise), so the full grid gains n = 8 and 32 (outside the score-rate window) and the "
        "check requires the smallest n's MMD^2 to be at least 5x the estimator's noise, measured "
        "by MMD^2 between two independent true samples of the same size (the 95% quantile over "
        "seeds x 16 fresh pairs per seed). 5x: a ratio whose denominator is at most a fifth noise "
        "moves by at most ~20% through it, well inside the 3x margin. The recorded quick run had "
        "a smallest-n MMD^2 of 0.081 against a noise of ~1e-3. Corrected after the quick "
        "calibration (roots 1..20), before any rerun: the noise was first one true-vs-true pair "
        "per seed, shared by every n, so its 95% quantile was over 4 draws and came out negative "
        "on 4 of the 20 roots (the check then failed on a negative denominator, not on the "
        "signal); 16 independent pairs per seed make it a quantile over 64 draws at quick size "
        "and 128 at full."
    ),
))


def _orth_measure(ctx: Context, method: str = "exponential") -> Measurement:
    res = _n_sweep(ctx)
    cell = res["cells"][-1]
    last = cell[f"orthogonal_ratio_{method}"]  # (seeds, 3) at the largest n
    return _limit({f"t0={t:g}": last[:, i] for i, t in enumerate((1e-3, 1e-2, 1e-1))},
                  {"sampler": method, "median ratio per t0": np.round(np.median(last, 0), 4).tolist()},
                  {"t0s": np.array([1e-3, 1e-2, 1e-1]),
                   "ratios": {mth: cell[f"orthogonal_ratio_{mth}"] for mth in ("exponential", "ode", "euler")}})


_claims.append(Claim(
    id="diffusion.orthogonal_collapse",
    title="The sampler collapses the orthogonal directions to variance h(t0)",
    statement=("Sampling the learned reverse process with the exponential integrator (100 geometric "
               "steps) from N(0, I) at T = 8 gives orthogonal energy E||(I - V V^T) x_hat||^2/(D - d) "
               "equal to h(t0) within 5%, for t0 = 1e-3, 1e-2, 1e-1 (largest n, every seed)."),
    source=f"{CHZW} (distribution recovery); the variance h(t0) is derived in proofs_check/diffusion.py",
    tag="derived",
    evidence="code",
    check=LimitCheck(intervals={f"t0={t:g}": (0.95, 1.05) for t in (1e-3, 1e-2, 1e-1)}),
    measure=_orth_measure,
    figure=figs.orthogonal_figure,
    controls=[Control("euler_uniform", "Euler-Maruyama on a uniform grid overshoots the stiff -x/h "
                      "term near t0", lambda ctx: _orth_measure(ctx, "euler"))],
    sizes=SIZES, seeds=SEEDS,
    family=NAME,
    notes=(
        "5% (the issue's bar): the integrator is exact for the orthogonal part, so what is "
        "left is Monte-Carlo error, sqrt(2/(512 * 14)) = 1.7% per seed."
        " Code check (issue 22): the orthogonal term -x/h(t) is hard-coded in the network, so "
        "the collapse checks the sampler's integration of it, not anything learned; counted apart."
    ),
))


THIN = (1e-5, 1e-4)  # component variances of the early-stopping problems: thinner than any t0


def _thin_run(ctx: Context) -> dict:
    """The structured network at the largest n on mixtures with thin components."""
    p = ctx.params
    n = max(p["ns"])
    st = {**_static(p, "structured", p["D"], n), "variances": THIN}
    o, = ctx.sweep.run(sims.train_and_measure, [(st, {"n": float(n), "D": p["D"], "lr": p["lr"]})],
                       ctx.seeds, stream="thin")
    return o


def _early_measure(ctx: Context, misscaled: bool = False) -> Measurement:
    o = _thin_run(ctx)
    y = o["early_errors_misscaled" if misscaled else "early_errors"]
    x = np.array([1e-3, 3e-3, 1e-2, 3e-2, 1e-1])
    # as t0 falls the error may grow like 1/t0 at most: slope in log t0 >= -1
    return Measurement(x=x, y=y, total=y.size, xlabel="t0", ylabel="score error on [t0, T]",
                       info={"median per t0": np.round(np.median(y, 0), 5).tolist()},
                       extra={"ns": x, "y": y, "floor": None})


_claims.append(Claim(
    id="diffusion.early_stopping",
    title="The score error on [t0, T] grows no faster than 1/t0 as t0 shrinks",
    statement=("For the structured network at the largest n, trained on mixtures whose components "
               "are thin (variances in [1e-5, 1e-4], below every t0, so the score blows up as t "
               "falls), the score error averaged over [t0, T] has log-log slope in t0 of at least -1 "
               "over t0 = 1e-3..1e-1 (the bound's 1/t0 factor, an upper bound, so one-sided). The "
               "factor is not attained here: an exploratory run measured about -0.6, so a two-sided "
               "test of -1 would fail; on the earlier thick components (variances 0.05-0.3) the "
               "slope was about -0.2 and the check held nearly by construction."),
    source=f"{CHZW}, score estimation theorem (the 1/t0 factor, recalled)",
    tag="unverified",
    check=SlopeCheck(predicted=-1.0, side="lower", tol=0.0,
                     alternatives={"1/t0^2": -2.0, "no blow-up (t0^0)": 0.0}),
    measure=_early_measure,
    controls=[Control("misscaled_orthogonal", "the same network with its orthogonal term -x/h^2 "
                      "(a mis-scaled noise schedule) errs like 1/t^3, so its average grows like 1/t0^2",
                      lambda ctx: _early_measure(ctx, misscaled=True))],
    sizes=SIZES, seeds=SEEDS,
    family=NAME,
    notes=(
        "tol 0, one-sided: the bound's factor is exactly 1/t0; the measured slope is far "
        "shallower. Alternative: a 1/t0^2 blow-up (the mis-scaled orthogonal term of the "
        "control)."
    ),
))


# ----------------------------------------------------------------------------------------
# diffusion.ambient_independence  [abstract]
# ----------------------------------------------------------------------------------------
def _ambient_measure(ctx: Context, kind: str = "structured") -> Measurement:
    """Score error against D at each n of ``n_Ds`` (one series per n; quick size: n_D alone)."""
    p = ctx.params
    Ds = tuple(p["Ds"])
    ns = tuple(p.get("n_Ds", (p["n_D"],)))
    st = _static(p, kind, max(Ds), max(ns))
    cells = [(st, {"n": float(n), "D": D, "lr": p["lr"]}) for n in ns for D in Ds]
    outs = ctx.sweep.shared("diffusion.D_sweep").run(sims.train_and_measure, cells, ctx.seeds, stream="D_sweep")
    ys = [np.stack([o["score_error"] for o in outs[i * len(Ds):(i + 1) * len(Ds)]], 1) for i in range(len(ns))]
    x = np.asarray(Ds, float)
    info = {"n": list(ns)}
    for n, y in zip(ns, ys):
        info[f"median per D, n={n}"] = np.round(np.median(y, 0), 5).tolist()
    if len(ns) == 1:
        m = Measurement(x=x, y=ys[0], total=ys[0].size, info=info)
    else:  # inside the statistical regime, one slope in D per n
        m = Measurement(series={f"n={n}": Series(x, y) for n, y in zip(ns, ys)},
                        total=sum(y.size for y in ys), info=info)
    m.xlabel, m.ylabel = "D", f"{kind} score error"
    m.extra = {"ns": x, "y": ys[0], "floor": None}
    if kind == "structured":  # the control's curve for the figure (shared sweep: computed once)
        m.extra["other"] = ("plain MLP", _ambient_measure(ctx, "plain").extra["y"])
    return m


_claims.append(Claim(
    id="diffusion.ambient_independence",
    needs_full=("when it was moved to the full size (calibration over 20 fresh roots at quick "
                "size, under the interval rules before issue 21): passed 14/20 [0.48, 0.85], "
                "inconclusive 6 (13/20 before issue 12, on other draws). At quick size the least-squares CI of a slope over 4 values of D "
                "with 4 seeds is about as wide as the band (+-0.15) around a slope near 0; full size "
                "fits the slope in D at two n inside the statistical regime, 8 seeds each. Reproduce: theorylab calibrate "
                "diffusion.ambient_independence --roots 20 --run-full-only"),
    title="The structured network's score error is flat in the ambient dimension D",
    statement=("At fixed n and d = 2, the structured network's score error has log-log slope in D "
               "within 0.15 of 0 over D = 8..64: at n = 2048 at quick size, and at full size at "
               "n = 256 and 1024, inside the statistical regime of diffusion.score_rate_in_n rather "
               "than at its optimisation floor; the plain MLP score network's error grows with D "
               "(its slope's CI lies above 0.5)."),
    source=f"{CHZW}, abstract (rates set by d, not D)",
    tag="abstract",
    check=SlopeCheck(predicted=0.0, side="two-sided", tol=0.15,
                     alternatives={"error ~ D": 1.0, "error ~ sqrt(D)": 0.5}),
    grid="Ds",
    measure=_ambient_measure,
    controls=[Control("plain_mlp", "a plain MLP score network must learn the subspace in all D "
                      "coordinates: its error grows with D", lambda ctx: _ambient_measure(ctx, "plain"))],
    sizes=SIZES, seeds=SEEDS,
    figure=figs.score_vs_n_figure,
    family=NAME,
    notes=(
        "0.15 (the issue's bar): an independent implementation measured 0.0218, 0.0235, 0.0218 at D = 8, 32, "
        "128. Alternatives: an error growing like D (a network that must learn all D "
        "coordinates) or like sqrt(D)."
    ),
))


CLAIMS = tuple(_claims)
#: float64 on: the exponential-integrator coefficients and the reference scores are float64; networks train in float32
FAMILY = Family("diffusion", CLAIMS, x64=True, notes=__doc__,
                description="Diffusion score estimation and distribution recovery on a low-dimensional subspace")
