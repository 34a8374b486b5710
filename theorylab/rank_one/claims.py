"""Claims of the noisy rank-one family (notes on each: docs/claims.md).

Source: Liu, Li, Zhou, Zhao, "Noise regularizes over-parameterized rank one matrix recovery,
provably" (AISTATS 2022, arXiv 2202.03535) [LLZZ]. The abstract states the two rates:
randomly perturbed GD reaches MSE O(sigma^2/d), plain GD only O(sigma^2). The model below is
our set-up of it (see :mod:`theorylab.rank_one.model`); its conventions (noise symmetrisation,
initial scale, step size, perturbation law) were not checked against the paper's full text.

Every seed is an independent instance (``Y* = u u^T``, fresh noise, fresh start) shared by
GD and perturbed GD at that size (paired seeds). GD runs with ``eta0 = 0.5``, perturbed GD
with ``eta0 = 0.25`` (its stationary fluctuation grows with the step), both for the same
number of steps; the perturbed estimate is the average of ``X X^T`` over the last half of the
run. The perturbation level is ``c = (2d + 1) xi^2 = kappa sigma sqrt(d)`` with
``kappa = 2.5``, above the noise spectrum's edge ``2 sigma sqrt(d)``.

Finite-d corrections, used to argue the tolerances (derived to second order in
``sigma/sqrt(d)`` for ``||u||^2 ~ d``, using the spiked-Wigner top eigenpair
``lambda_1 ~ d + sigma^2``, ``sin^2 angle ~ sigma^2/d``):

* GD's limit is the positive part of ``Y``: ``MSE/sigma^2 ~ 1/2 + b/d`` with ``b ~ 2.5`` (half
  the noise energy, whose diagonal has twice the variance, plus ``2 sigma^2/d`` from the signal
  eigenvector's error). Over d = 16..128 that tilts the log-log slope by about -0.11.
* Perturbed GD's limit soft-thresholds at ``c``: ``MSE ~ (kappa^2 + 2) sigma^2/d - 4 kappa
  sigma^3 / d^{3/2}``. At sigma = 0.5 the second term flattens the slope by about +0.05 over
  d = 16..128, and in sigma (d = 64, sigma = 1/8..1) by about -0.07.

Each slope tolerance is such a derived tilt plus an allowance of 0.08 (about the 95% CI
half-width of a 16-seed slope) for what the expansion leaves out; proofs_check/rank_one.py
recomputes the tilts and checks every tolerance covers its tilt plus the allowance.
"""

from __future__ import annotations

import numpy as np

from ..core.bounds import Bound
from ..core.claims import (Claim, ConstancyCheck, Context, Control, IdentityCheck, Measurement,
                           Series, SlopeCheck)
from ..core.fit import fit_rate
from . import figures as figs
from . import simulations as sims
from ..core.registry import Family

#: the claims in the order they are built; exported as ``CLAIMS`` at the end of the module
_claims: list = []

LLZZ = "Liu, Li, Zhou, Zhao, AISTATS 2022 (arXiv 2202.03535)"
NAME = "rank_one"
SHARED = "rank_one.shared"  # the d-sweep that four claims measure, computed once per run

KAPPA = 2.5          # perturbation level, above the noise edge kappa = 2
KAPPA_CONTROL = 1.0  # inside the noise bulk: must lose the 1/d rate
ETA0 = 0.25          # perturbed GD
ETA0_GD = 0.5        # plain GD (deterministic after the start: the larger step only runs it further)

SIZES = {
    "quick": {"ds": (16, 32, 64, 128), "sigma": 0.5, "horizon": 10.0,
              "sigma_d": 64, "sigmas": (0.125, 0.25, 0.5, 1.0), "sigma_ref": 0.5},
    # full: 7 values of d on 2 CPU cores in about 10 min (GD's cost grows like d^3 times the
    # steps: d = 512 would add an hour, d = 1024 ten; the least-squares CI narrows with more
    # values of d, so the grid is denser rather than longer)
    "full": {"ds": (32, 48, 64, 96, 128, 192, 256), "sigma": 0.5, "horizon": 10.0,
             "sigma_d": 256, "sigmas": (0.125, 0.25, 0.5, 1.0), "sigma_ref": 0.5},
}
SEEDS = {"quick": 16, "full": 32}


def _eta0(kappa: float) -> float:
    return ETA0_GD if kappa == 0 else ETA0


def _d_sweep(ctx: Context) -> dict:
    """GD, perturbed GD (kappa = 2.5) and the control (kappa = 1) at every d: outputs per
    kappa, stacked over d where shapes allow (``(seeds, len(ds))``), spectra as lists."""
    p = ctx.params
    sigma, ds = p["sigma"], tuple(p["ds"])
    kappas = (0.0, KAPPA, KAPPA_CONTROL)
    cells = [({"d": d, "steps": sims.steps_for(d, sigma, ETA0, p["horizon"])},
              sims.dynamic(sigma, kap, eta0=_eta0(kap))) for d in ds for kap in kappas]
    outs = ctx.sweep.shared(SHARED).run(sims.recovery, cells, ctx.seeds, stream="d_sweep")
    res = {}
    for j, kap in enumerate(kappas):
        per_d = outs[j::len(kappas)]
        r = {k: np.stack([o[k] for o in per_d], axis=1)
             for k in ("mse_last", "mse_avg", "mse_gd_limit", "mse_soft_limit", "lambda_1", "diverged")}
        for k in ("spectrum_avg", "spectrum_soft", "spectrum_positive", "mse_trace"):
            r[k] = [o[k] for o in per_d]
        r["steps"] = [st["steps"] for st, _ in cells[j::len(kappas)]]
        res[kap] = r
    res["ds"] = np.asarray(ds, float)
    res["sigma"] = sigma
    return res


def _extra(res) -> dict:
    """What the MSE-vs-d figure draws (shared by the d-claims)."""
    return {"ds": res["ds"], "sigma": res["sigma"], "kappa": KAPPA,
            **{f"{name}:{k}": res[kap][k] for kap, name in ((0.0, "gd"), (KAPPA, "perturbed"),
                                                             (KAPPA_CONTROL, "control"))
               for k in ("mse_last", "mse_avg", "mse_gd_limit", "mse_soft_limit")}}


def _slope_measurement(res, y, ylabel: str, diverged) -> Measurement:
    m = Measurement(x=res["ds"], y=y, total=int(diverged.size), xlabel="d", ylabel=ylabel,
                    info={"sigma": res["sigma"]})
    m.diverged = int(diverged.sum())
    m.extra = _extra(res)
    return m


def _median_level(y, scale):
    return [round(float(v), 4) for v in np.median(y, axis=0) / scale]


# ----------------------------------------------------------------------------------------
# rank_one.gd_flat_in_d  [expected]
# ----------------------------------------------------------------------------------------
B_GD = 2.5  # GD's finite-d term: MSE/sigma^2 ~ 1/2 + B_GD/d (module docstring)


def gd_tilt(ds) -> float:
    """The derived log-log slope of GD's MSE, 1/2 + B_GD/d, across the grid ``ds`` (the chord
    between its ends): the centre of ``gd_flat_in_d``'s band, -0.111 at d = 16..128."""
    lo, hi = float(min(ds)), float(max(ds))
    return float(np.log((0.5 + B_GD / hi) / (0.5 + B_GD / lo)) / np.log(hi / lo))


GD_ALLOWANCE = 0.08  # what the expansion leaves out (proofs_check/rank_one.py)


def gd_band(params) -> dict:
    """``gd_flat_in_d``'s band and alternatives at a size: centred on the derived tilt over its
    grid, +- the allowance 0.08. Exact flatness is a declared alternative only where the band
    excludes it (|tilt| > 0.08: the quick grid, tilt -0.111); on the full grid (tilt -0.061) the
    allowance is wider than the tilt, so the check cannot tell the tilt from flatness there and
    tests flatness against sigma^2/d only."""
    t = gd_tilt(params["ds"])
    alts = {"sigma^2/d (exponent -1)": -1.0}
    if abs(t) > GD_ALLOWANCE:
        alts["exactly flat (no finite-d term)"] = 0.0
    return {"": (t, GD_ALLOWANCE, alts)}


def _gd_measure(ctx: Context, which: str = "gd") -> Measurement:
    res = _d_sweep(ctx)
    s2 = res["sigma"] ** 2
    if which == "gd":
        r = res[0.0]
        m = _slope_measurement(res, r["mse_last"], "GD MSE (last iterate)", r["diverged"])
        m.info.update({
            "MSE/sigma^2 per d (median)": _median_level(r["mse_last"], s2),
            "GD limit (positive part of Y) MSE/sigma^2 per d": _median_level(r["mse_gd_limit"], s2),
            "reached / limit, worst": float(np.min(r["mse_last"] / r["mse_gd_limit"])),
            "steps per d": r["steps"], "eta0": ETA0_GD})
    else:
        r = res[KAPPA]
        m = _slope_measurement(res, r["mse_avg"], "perturbed GD MSE", r["diverged"])
    # the band is centred on GD's derived finite-d tilt over this size's grid, for the claim
    # and its control alike
    centre, tol, alts = gd_band({"ds": res["ds"]})[""]
    m.series = {"": Series(m.x, m.y, predicted=centre, alternatives=alts, tol=tol)}
    m.info["derived tilt (band centre)"] = round(gd_tilt(res["ds"]), 4)
    return m


_claims.append(Claim(
    id="rank_one.gd_flat_in_d",
    needs_full=("when it was moved to the full size (calibration over 20 fresh roots at quick "
                "size, under the interval rules before issue 21), with the band centred on the derived "
                "tilt -0.111 (issue 12): passed 0/20, inconclusive 20; control perturbed rejected "
                "20/20. The least-squares CI over 4 values of d is about +-0.09 wide, as wide as the "
                "band (+-0.08), so it always reaches an edge; full size fits d = 32..256 (7 values) "
                "with 32 seeds. Reproduce: theorylab calibrate rank_one.gd_flat_in_d --roots 20 "
                "--run-full-only"),
    title="Plain GD from a small start fits the noise: its MSE does not fall with d (about sigma^2/2)",
    statement=("GD on F(X) = 1/4 ||X X^T - Y||_F^2 (X in R^{d x d}, start 1e-3 N(0, 1/d)) ends "
               "near the positive part of Y and keeps about half the noise energy: the MSE of "
               "its last iterate is flat in d up to the derived finite-d term: MSE/sigma^2 ~ "
               "1/2 + 2.5/d, whose log-log slope over the grid (-0.111 over d = 16..128 at quick "
               "size, -0.061 over 32..256 at full size) is the band's centre, two-sided with "
               "tolerance 0.08. At full size the tilt is smaller than the tolerance, so there the "
               "check tests flatness against sigma^2/d only, not the tilt. Its level, expected near sigma^2/2, is reported, not checked."),
    source=f"{LLZZ}, abstract (GD attains only O(sigma^2)); level, flatness and tilt are our derivation",
    tag="expected",
    bound=Bound("sigma**2", paper=LLZZ, theorem="abstract: GD attains O(sigma^2)", tag="abstract"),
    check=SlopeCheck(predicted=gd_tilt(SIZES["quick"]["ds"]), side="two-sided", tol=GD_ALLOWANCE,
                     alternatives=gd_band(SIZES["quick"])[""][2]),
    band_at=gd_band,
    grid="ds",
    measure=_gd_measure,
    controls=[Control("perturbed", "perturbed GD (kappa = 2.5) on the same instances improves "
                      "with d, so it is not flat", lambda ctx: _gd_measure(ctx, "perturbed"))],
    sizes=SIZES, seeds=SEEDS,
    figure=figs.mse_vs_d_figure,
    family=NAME,
    notes=(
        "Centre: the derived tilt (module docstring; proofs_check/rank_one.py recomputes it). "
        "tol 0.08: the family's allowance for what the expansion leaves out. Exact flatness is "
        "a declared alternative only at quick size: at full size (tilt -0.061) the band "
        "[-0.141, 0.019] contains 0, which issue 21 makes a definition error, and narrowing the "
        "allowance to exclude it would contradict its derivation; so the full-size check cannot "
        "tell the finite-d tilt from flatness (gd_band). The control sits "
        "near -1. Alternative: the perturbed method's sigma^2/d (GD would then already enjoy "
        "the improvement), and exact flatness (no finite-d term)."
    ),
))


# ----------------------------------------------------------------------------------------
# rank_one.perturbed_inverse_d  [abstract]
# ----------------------------------------------------------------------------------------
def _perturbed_measure(ctx: Context, kappa: float = KAPPA) -> Measurement:
    res = _d_sweep(ctx)
    r = res[kappa]
    m = _slope_measurement(res, r["mse_avg"], "perturbed GD MSE (average of last iterates)",
                           r["diverged"])
    s2 = res["sigma"] ** 2
    ok = np.all(np.isfinite(r["mse_last"]))

    def slope(y):
        try:
            return round(fit_rate(res["ds"], y).slope, 3)
        except ValueError as e:
            return f"no fit ({e})"

    m.info.update({
        "kappa": kappa,
        "d MSE/sigma^2 per d (median)": _median_level(r["mse_avg"] * res["ds"], s2),
        "slope of the last iterate": slope(r["mse_last"]) if ok else "diverged",
        "slope of the ideal soft-threshold estimator (same instances)": slope(r["mse_soft_limit"]),
        "average / soft-threshold limit, median": float(np.median(r["mse_avg"] / r["mse_soft_limit"])),
        "eta0": ETA0,
    })
    return m


_claims.append(Claim(
    id="rank_one.perturbed_inverse_d",
    needs_full=("when it was moved to the full size (calibration over 20 fresh roots at quick "
                "size, under the interval rules before issue 21): passed 5/20 [0.11, 0.47], "
                "inconclusive 15; control kappa_inside_bulk rejected 19/20 [0.76, 0.99]. At quick "
                "size the derived finite-d tilts put the slope near the band's edge -0.85 and the "
                "least-squares CI over 4 values of d straddles it; full size fits 7 values of d = "
                "32..256, where the tilts are smaller. Reproduce: theorylab calibrate rank_one.perturbed_inverse_d "
                "--roots 20 --run-full-only"),
    title="Randomly perturbed GD reaches MSE O(sigma^2/d)",
    statement=("Perturbed GD, X <- X - eta grad F(X + W_k) with W_k i.i.d. N(0, xi^2) and "
               "(2d + 1) xi^2 = 2.5 sigma sqrt(d), estimates Y* by the average of X X^T over the "
               "last half of the run with MSE falling at least like 1/d: its log-log slope in d "
               "is at most -1 + 0.15 (d = 16..128 at quick size)."),
    source=f"{LLZZ}, abstract (main theorem: perturbed GD attains O(sigma^2/d))",
    tag="abstract",
    bound=Bound("sigma**2/d", paper=LLZZ, theorem="abstract", tag="abstract"),
    check=SlopeCheck(side="upper", tol=0.15, wrt="d",
                     alternatives={"flat in d (plain GD)": 0.0, "sigma^2/sqrt(d)": -0.5}),
    grid="ds",
    measure=_perturbed_measure,
    controls=[Control("kappa_inside_bulk", "kappa = 1 < 2 puts the threshold inside the noise "
                      "spectrum: noise eigenvalues above it survive and the 1/d rate is lost",
                      lambda ctx: _perturbed_measure(ctx, KAPPA_CONTROL))],
    sizes=SIZES, seeds=SEEDS,
    figure=figs.mse_vs_d_figure,
    family=NAME,
    notes=(
        "tol 0.15, one-sided: the derived second-order term flattens the slope by +0.05 over "
        "d = 16..128; the 0.08 allowance covers the seed scatter (~0.08 at 16 seeds), noise "
        "eigenvalues that cross the threshold at small d (edge fluctuations) and the "
        "fluctuation bias of the average (proportional to eta, relatively larger at large d). "
        "The control (kappa = 1) measures about -0.55 and GD about -0.1. Alternatives: no "
        "improvement with d (plain GD's 0) and sigma^2/sqrt(d) (the threshold's sqrt(d) scale "
        "mistaken for the rate)."
    ),
))


# ----------------------------------------------------------------------------------------
# rank_one.gap_grows_with_d  [derived from the abstract's two rates]
# ----------------------------------------------------------------------------------------
def _gap_measure(ctx: Context, kappa: float = KAPPA) -> Measurement:
    res = _d_sweep(ctx)
    gd, pert = res[0.0], res[kappa]
    ratio = gd["mse_last"] / pert["mse_avg"]  # paired: the same instance in numerator and denominator
    m = _slope_measurement(res, ratio, "MSE(GD) / MSE(perturbed GD)", gd["diverged"] | pert["diverged"])
    m.info.update({"kappa": kappa, "ratio per d (median)": _median_level(ratio, 1.0)})
    return m


_claims.append(Claim(
    id="rank_one.gap_grows_with_d",
    needs_full=("when it was moved to the full size (calibration over 20 fresh roots at quick "
                "size, under the interval rules before issue 21): passed 12/20 [0.39, 0.78], "
                "inconclusive 8; control kappa_inside_bulk rejected 18/20 [0.70, 0.97]. At quick size"
                " the derived finite-d tilts put the slope near the band's edge 0.7 and the least-"
                "squares CI over 4 values of d straddles it; full size fits 7 values of d = 32..256, "
                "where the tilts are smaller. Reproduce: theorylab calibrate rank_one.gap_grows_with_d --roots "
                "20 --run-full-only"),
    title="The advantage of perturbed GD over GD grows linearly in d",
    statement=("On the same instances, MSE(GD) / MSE(perturbed GD) grows like d: its log-log "
               "slope in d is 1 within 0.3 (d = 16..128 at quick size)."),
    source=f"{LLZZ}, abstract (ratio of the two rates O(sigma^2) and O(sigma^2/d))",
    tag="derived",
    derived_from=("rank_one.gd_flat_in_d", "rank_one.perturbed_inverse_d"),
    bound=Bound("d", paper=LLZZ, theorem="ratio of the abstract's rates", tag="derived"),
    check=SlopeCheck(side="two-sided", tol=0.3, wrt="d",
                     alternatives={"no gap (d^0)": 0.0, "sqrt(d) gap": 0.5}),
    grid="ds",
    measure=_gap_measure,
    controls=[Control("kappa_inside_bulk", "against perturbed GD at kappa = 1 < 2 the gap grows "
                      "far slower than d", lambda ctx: _gap_measure(ctx, KAPPA_CONTROL))],
    sizes=SIZES, seeds=SEEDS,
    figure=figs.mse_vs_d_figure,
    family=NAME,
    notes=(
        "tol 0.3: the ratio's slope is GD's minus perturbed GD's, whose derived finite-d "
        "tilts (-0.11 and +0.05) both lower it, by 0.16 together; plus the 0.08 allowance "
        "(paired seeds: the instance-to-instance scatter partly cancels in the ratio), "
        "rounded up. The control (kappa = 1) measures about 0.5. Alternatives: no gap (0) and "
        "a gap growing like sqrt(d)."
        " Derived (issue 22): on the same instances its slope is exactly the GD slope minus the "
        "perturbed-GD slope, so it is reported as derived from those two claims and not counted "
        "as evidence again."
    ),
))


# ----------------------------------------------------------------------------------------
# rank_one.soft_threshold  [derived]
# ----------------------------------------------------------------------------------------
def _spectrum_measure(ctx: Context, which: str = "perturbed") -> Measurement:
    res = _d_sweep(ctx)
    pert, gd = res[KAPPA], res[0.0]
    src = pert if which == "perturbed" else gd
    m = Measurement(total=int(pert["diverged"].size), diverged=int(src["diverged"].sum()))
    for i, d in enumerate(res["ds"]):
        name = f"d={int(d)}"
        m.values[name] = src["spectrum_avg"][i]
        m.reference[name] = pert["spectrum_soft"][i]  # the same instance: seeds are paired
        m.scale[name] = np.broadcast_to(pert["lambda_1"][:, i:i + 1], pert["spectrum_soft"][i].shape)
    d_big = int(res["ds"][-1])
    m.extra = {"d": d_big, "measured": src["spectrum_avg"][-1], "soft": pert["spectrum_soft"][-1],
               "positive": pert["spectrum_positive"][-1], "gd": gd["spectrum_avg"][-1],
               "perturbed": pert["spectrum_avg"][-1], "which": which,
               "c": KAPPA * res["sigma"] * np.sqrt(d_big)}
    top_err = [np.round(np.mean((src["spectrum_avg"][i][:, -1] - pert["spectrum_soft"][i][:, -1])
                                / pert["lambda_1"][:, i]), 4) for i in range(len(res["ds"]))]
    m.info = {"compared": "eigenvalues of the averaged X X^T vs max(lambda_i(Y) - c, 0), errors "
              "in units of lambda_1(Y)", "estimate": which,
              "top eigenvalue: mean signed error / lambda_1, per d": top_err}
    return m


_claims.append(Claim(
    id="rank_one.soft_threshold",
    title="Perturbed GD soft-thresholds the spectrum of Y at c = (2d + 1) xi^2",
    statement=("Because E_W grad F(X + W) = (X X^T - Y) X + (2d + 1) xi^2 X (proofs_check), "
               "perturbed GD behaves like GD on Y - cI: every eigenvalue of its averaged "
               "estimate matches max(lambda_i(Y) - c, 0) to within 0.05 lambda_1(Y), at every d "
               "and on every instance."),
    source=f"{LLZZ} (mechanism); the expectation identity is derived in proofs_check/rank_one.py",
    tag="derived",
    check=IdentityCheck(rtol=0.05, min_count=100),
    measure=_spectrum_measure,
    controls=[Control("gd_positive_part", "plain GD's spectrum on the same instances is the "
                      "positive part of Y, not its soft threshold",
                      lambda ctx: _spectrum_measure(ctx, "gd"))],
    sizes=SIZES, seeds=SEEDS,
    figure=figs.spectrum_figure,
    family=NAME,
    notes=(
        "rtol 0.05 (in units of lambda_1): under a third of the smallest gap between the two "
        "candidate limits, c / lambda_1 = kappa sigma / sqrt(d) (0.11 at d = 128, 0.31 at d = "
        "16), so the check tells soft-thresholding from GD's positive part. The identity is "
        "exact only as eta -> 0: at eta0 = 0.25 the stationary fluctuation of X biases the "
        "average upward by ~0.02 lambda_1 at most (it halves when eta halves; measured while "
        "building this claim), and the time average of the fluctuating top eigenvalue has a "
        "spread of ~0.015 lambda_1 at d = 16 (simulations.MIN_STEPS), less at larger d."
    ),
))


# ----------------------------------------------------------------------------------------
# rank_one.sigma_squared  [abstract]
# ----------------------------------------------------------------------------------------
def _sigma_measure(ctx: Context, fixed_threshold: bool = False) -> Measurement:
    p = ctx.params
    d, sigmas = p["sigma_d"], tuple(p["sigmas"])
    cells = []
    for s in sigmas:
        st = {"d": d, "steps": sims.steps_for(d, s, ETA0, p["horizon"])}
        ts = p["sigma_ref"] if fixed_threshold else s
        if not fixed_threshold:
            cells.append((st, sims.dynamic(s, 0.0, eta0=ETA0_GD)))
        cells.append((st, sims.dynamic(s, KAPPA, eta0=ETA0, threshold_sigma=ts)))
    outs = ctx.sweep.run(sims.recovery, cells, ctx.seeds, stream="sigma_sweep")
    x = np.asarray(sigmas, float)
    m = Measurement(total=ctx.seeds * len(cells), xlabel="sigma", ylabel="MSE / sigma^2", info={"d": d})
    if fixed_threshold:
        mse = {"perturbed, xi fixed": np.stack([o["mse_avg"] for o in outs], 1)}
        m.info["threshold calibrated to sigma"] = p["sigma_ref"]
    else:
        mse = {"gd": np.stack([o["mse_last"] for o in outs[0::2]], 1),
               "perturbed": np.stack([o["mse_avg"] for o in outs[1::2]], 1)}
    m.series = {k: (x, y / x[None, :] ** 2) for k, y in mse.items()}  # MSE / sigma^2 per seed
    for k, y in mse.items():  # the log-log slope, reported beside the constancy check
        m.info[f"{k}: log-log slope of MSE in sigma (reported, not checked)"] = round(fit_rate(x, y).slope, 3)
    m.diverged = int(sum(o["diverged"].sum() for o in outs))
    m.extra = {"sigmas": x, "series": mse, "d": d}
    return m


_claims.append(Claim(
    id="rank_one.sigma_squared",
    needs_full=("when it was moved to the full size (calibration over 20 fresh roots at quick "
                "size, under the interval rules before issue 21): passed 11/20 [0.34, 0.74], "
                "inconclusive 9. At quick size perturbed GD's slope sits near the band's edge 1.85 "
                "(the derived sigma^3/d^(3/2) term) and its CI straddles it; full size measures at d "
                "= 256, where that term is 8x smaller. (That was the slope check; the claim is now "
                "judged by the constancy of MSE / sigma^2, issue 22.) Reproduce: theorylab "
                "calibrate rank_one.sigma_squared --roots 20 --run-full-only"),
    title="Both errors scale as sigma^2",
    statement=("At fixed d (64 at quick size, 256 at full size) MSE / sigma^2 of GD (last iterate) "
               "and of perturbed GD (kappa = 2.5, average) each stays constant within a factor "
               "8^0.15 = 1.37 over sigma = 1/8..1 (the ratio of its largest to its smallest "
               "geometric mean over seeds, with a 95% simultaneous interval): the errors scale as "
               "sigma^2. The log-log slope in sigma is reported beside it."),
    source=f"{LLZZ}, abstract (O(sigma^2) and O(sigma^2/d))",
    tag="abstract",
    bound=Bound("sigma**2", paper=LLZZ, theorem="abstract", tag="abstract"),
    check=ConstancyCheck(factor=8 ** 0.15),
    measure=_sigma_measure,
    controls=[Control("xi_not_scaled", "a perturbation calibrated once (to sigma = 0.5) rather "
                      "than to each sigma shrinks the signal by a fixed amount below sigma = 0.5 "
                      "and lets noise through above it, so MSE / sigma^2 is not constant",
                      lambda ctx: _sigma_measure(ctx, True))],
    sizes=SIZES, seeds=SEEDS,
    figure=figs.sigma_figure,
    family=NAME,
    notes=(
        "Factor 8^0.15 = 1.37, the slope tolerance 0.15 over the grid's factor 8 in sigma: the "
        "derived sigma^3 / d^{3/2} term lowers perturbed GD's slope by 0.067 at d = 64 over "
        "sigma = 1/8..1 (a factor 1.15 in MSE / sigma^2; GD's sigma^4/d^2 term is smaller "
        "still); plus the 0.08 allowance. An error linear in sigma (a first-order noise effect) "
        "would move MSE / sigma^2 by a factor 8. Every run lasts at least the same multiple of "
        "1/sigma (the horizon), so each reaches its limit whatever sigma. Design (issue 22, "
        "fixed before its run): the check was a two-sided slope; the xi-not-scaled control is "
        "not a power law (MSE falls, then rises, around sigma = 0.5), so its slope's CI was "
        "-0.59..1.87 at full size and the control was inconclusive. A constancy check of MSE / "
        "sigma^2 sees a bend as much as a trend; the claim and the control both go through it."
    ),
))


CLAIMS = tuple(_claims)
#: float64 on: the reference spectra and errors are float64; the dynamics run in float32
FAMILY = Family("rank_one", CLAIMS, x64=True, notes=__doc__,
                description="Noisy over-parameterized rank-one recovery: injected noise regularizes")
