"""Rate fits: log-log (power law) or semi-log (geometric) slopes with intervals from the seeds.

``fit_rate(x, y)`` takes a grid ``x`` (shape ``(m,)``) and measurements ``y`` of shape
``(seeds, m)`` (or ``(m,)``) and fits ``log y = a + slope * log x`` to the per-x mean of
``log y`` over seeds, inside an explicit asymptotic window.

Which quantity is fitted: the **mean of the logs** (the log of the geometric mean over seeds).
It is the natural scale for a multiplicative seed scatter. A theorem about ``E[y]`` bounds the
**log of the mean** instead; the two slopes agree when the seed scatter of ``log y`` does not
change along the grid, and differ when it does (a heavy tail that grows with ``x``).
``RateFit.log_mean_slope`` reports the slope of the log of the seed mean over the same window
beside the fitted one.

**The interval comes from the seed population.** The slope of the mean is a fixed linear
combination ``sum_i c_i mean_i`` of the per-point means (``c`` the least-squares contrast), so
its uncertainty is the seed-to-seed spread of that combination:

* ``t-seeds`` (every seed has every kept point, the paired design): each seed's own slope
  ``b_s = sum_i c_i log y_si``; the slope of the mean is their mean, and the interval is the
  t-interval over seeds, ``mean(b) +- t_{n-1} sd(b)/sqrt(n)``.
* ``t-pairwise`` (ragged: some seeds lack some kept points): the variance of ``sum c_i mean_i``
  from the pairwise-complete covariances, ``sum_ij c_i c_j S_ij n_ij/(n_i n_j)``, with
  ``min_i n_i - 1`` degrees of freedom (conservative).
* ``welch`` (``paired=False``: each point has its own independent seeds): ``sum c_i^2 s_i^2/n_i``
  with Welch-Satterthwaite degrees of freedom.
* ``ols-one-seed`` (a single seed: no seed population): the least-squares t-interval over the
  points, which is valid only if the scatter about the line is independent noise.

The misfit of the straight line is **not** folded into the interval: it is a finding of its own.
The **tilt** is the change of the local slope across the window, ``2 q (u_max - u_min)`` from a
quadratic fit ``log y ~ a + b u + q u^2`` to the means; it is again a linear combination of the
means, so it has the same seed-based interval, and a two-sided p-value against a straight line.
A check compares it with the tilt its claim declares.

``theorylab selftest`` measures the coverage of each interval on synthetic data with a known
truth (:mod:`theorylab.core.selftest`).

With ``log_x=False`` the fit is ``log y = a + slope * x``, i.e. a geometric rate
``y ~ exp(slope * x)`` for linear-convergence checks.
"""

from __future__ import annotations

import dataclasses
from typing import Optional, Sequence

import numpy as np

#: the level of the tilt's interval used to call a window curved: 99%, so that a straight-line
#: claim is called curved on at most 1% of roots (the calibration target leaves 5% in all)
TILT_LEVEL = 0.99

METHODS = {
    "t-seeds": "t-interval over the seeds' own slopes",
    "t-pairwise": "t-interval from pairwise-complete seed covariances (ragged seeds)",
    "welch": "Welch interval over independent seeds per point",
    "ols-one-seed": "least-squares t-interval over the points (one seed: no seed population)",
}


@dataclasses.dataclass(frozen=True)
class Contrast:
    """A linear combination ``sum_i c_i mean_i`` of the per-point means, with its interval."""

    value: float
    se: float
    df: float
    method: str

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        from scipy import stats

        if not (np.isfinite(self.se) and self.df > 0):
            return (float("nan"), float("nan"))
        t = stats.t.ppf(1 - (1 - level) / 2, self.df)
        return (self.value - t * self.se, self.value + t * self.se)

    def p_value(self, null: float = 0.0) -> float:
        """Two-sided p-value of ``value == null``."""
        from scipy import stats

        if not (np.isfinite(self.se) and self.df > 0):
            return float("nan")
        if self.se == 0:
            return 0.0 if self.value != null else 1.0
        return float(2 * stats.t.sf(abs(self.value - null) / self.se, self.df))


@dataclasses.dataclass(frozen=True)
class RateFit:
    slope: float
    intercept: float
    stderr: float  # of the slope, from the seeds (see the module docstring)
    r2: float  # of the line through the means (descriptive)
    ci: tuple[float, float]
    ci_level: float
    local_rates: tuple[float, ...]
    x_used: tuple[float, ...]
    dropped: tuple[tuple[float, str], ...]
    n_seeds: int
    log_x: bool
    ci_method: str
    log_mean_slope: Optional[float] = None  # slope of log(mean over seeds), same window
    df: Optional[float] = None
    missing: int = 0  # non-finite entries inside the window, left out seed by seed
    tilt: Optional[float] = None  # change of the local slope across the window (quadratic fit)
    tilt_ci: Optional[tuple[float, float]] = None  # at TILT_LEVEL
    tilt_p: Optional[float] = None  # two-sided p-value of a straight line

    @property
    def resolution(self) -> float:
        """Width of the confidence interval: the smallest exponent error the fit can see."""
        return float(self.ci[1] - self.ci[0])

    @property
    def method_text(self) -> str:
        return METHODS.get(self.ci_method, self.ci_method)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["resolution"] = self.resolution
        return d


def _ols(u: np.ndarray, v: np.ndarray) -> tuple[float, float, float, float]:
    """Slope, intercept, slope standard error (residual-based) and R^2 of v on u."""
    m = u.size
    um, vm = u.mean(), v.mean()
    suu = float(((u - um) ** 2).sum())
    slope = float(((u - um) * (v - vm)).sum() / suu)
    intercept = float(vm - slope * um)
    resid = v - (intercept + slope * u)
    sse = float((resid**2).sum())
    svv = float(((v - vm) ** 2).sum())
    stderr = float(np.sqrt(sse / (m - 2) / suu)) if m > 2 else float("nan")
    r2 = 1.0 - sse / svv if svv > 0 else 1.0
    return slope, intercept, stderr, r2


def contrast(c: np.ndarray, logy: np.ndarray, paired: bool = True) -> Contrast:
    """``sum_i c_i mean_i`` of the columns of ``logy`` (seeds x points, NaN = missing) with its
    standard error and degrees of freedom from the seeds (module docstring)."""
    c = np.asarray(c, float)
    ok = np.isfinite(logy)
    n_i = ok.sum(axis=0)
    means = logy.mean(axis=0) if ok.all() else np.nanmean(logy, axis=0)
    value = float(c @ means)
    nseeds = logy.shape[0]
    if not paired:
        s2 = np.nanvar(logy, axis=0, ddof=1) if n_i.min() > 1 else np.full(logy.shape[1], np.nan)
        a = c**2 * s2 / n_i
        var = float(a.sum())
        den = float(np.sum(a**2 / np.maximum(n_i - 1, 1)))
        df = var**2 / den if den > 0 else float(max(n_i.min() - 1, 0))
        return Contrast(value, float(np.sqrt(var)), df, "welch")
    if ok.all():
        if nseeds < 2:
            return Contrast(value, float("nan"), 0.0, "ols-one-seed")
        per_seed = logy @ c
        return Contrast(value, float(per_seed.std(ddof=1) / np.sqrt(nseeds)), float(nseeds - 1), "t-seeds")
    m = logy.shape[1]
    var = 0.0
    for i in range(m):
        for j in range(m):
            both = ok[:, i] & ok[:, j]
            nij = int(both.sum())
            if nij < 2:
                continue
            a, b = logy[both, i], logy[both, j]
            sij = float(((a - a.mean()) * (b - b.mean())).sum() / (nij - 1))
            var += c[i] * c[j] * sij * nij / (n_i[i] * n_i[j])
    return Contrast(value, float(np.sqrt(max(var, 0.0))), float(max(n_i.min() - 1, 0)), "t-pairwise")


def slope_contrast(u: np.ndarray) -> np.ndarray:
    """The least-squares slope as a linear combination of the points' values."""
    uc = u - u.mean()
    return uc / float(uc @ uc)


def tilt_contrast(u: np.ndarray) -> Optional[np.ndarray]:
    """The change of the local slope across the window, ``2 q (u_max - u_min)`` with ``q`` the
    quadratic coefficient of a least-squares parabola, as a combination of the points' values
    (None with fewer than 3 points)."""
    if u.size < 3:
        return None
    s = (u - u.mean()) / (u.max() - u.min())
    X = np.stack([np.ones_like(s), s, s**2], axis=1)
    q_row = np.linalg.pinv(X)[2]  # the s^2 coefficient, in units of the scaled variable
    return 2 * q_row / (u.max() - u.min())  # d(slope)/du * (u_max - u_min)


def fit_rate(
    x: Sequence[float],
    y,
    *,
    log_x: bool = True,
    x_min: Optional[float] = None,
    x_max: Optional[float] = None,
    floor: Optional[float] = None,
    min_points: int = 3,
    ci_level: float = 0.95,
    paired: bool = True,
) -> RateFit:
    """Fit a rate inside an explicit window. See the module docstring.

    Args:
        x: grid values, strictly increasing, positive when ``log_x``.
        y: measurements, shape ``(seeds, len(x))`` or ``(len(x),)``; must be positive inside
            the window. A non-finite entry is missing for that seed; a point where half of the
            seeds or more are non-finite is dropped ("non-finite").
        log_x: power law (True) or geometric rate (False).
        x_min, x_max: the asymptotic window (inclusive).
        floor: points whose median over seeds is at or below ``floor`` are dropped (precision
            or optimisation floor).
        min_points: fewer points than this left in the window is an error.
        ci_level: the two-sided level of the slope's interval.
        paired: row ``s`` of ``y`` is one seed measured at every point (the default); False when
            each point has its own independent seeds (rows are not matched across points).
    Raises:
        ValueError: bad shapes, non-positive values inside the window, too few points.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[None, :]
    if x.ndim != 1 or y.ndim != 2 or y.shape[1] != x.size:
        raise ValueError(f"y: expected shape (seeds, {x.size}), got {y.shape}")
    if np.any(np.diff(x) <= 0):
        raise ValueError("x: grid must be strictly increasing")
    if log_x and np.any(x <= 0):
        raise ValueError("x: must be positive for a log-log fit")
    if not 0 < ci_level < 1:
        raise ValueError(f"ci_level: must be in (0, 1), got {ci_level}")

    finite = np.isfinite(y)
    keep = np.ones(x.size, bool)
    dropped: list[tuple[float, str]] = []
    for i, xi in enumerate(x):
        reason = None
        col = y[finite[:, i], i]
        if col.size * 2 <= y.shape[0]:
            reason = "non-finite"
        elif x_min is not None and xi < x_min:
            reason = "below x_min"
        elif x_max is not None and xi > x_max:
            reason = "above x_max"
        elif floor is not None and np.median(col) <= floor:
            reason = "at floor"
        if reason:
            keep[i] = False
            dropped.append((float(xi), reason))
    if keep.sum() < max(min_points, 2):
        raise ValueError(
            f"window: only {int(keep.sum())} points left after dropping "
            f"{dropped} (need {max(min_points, 2)})"
        )
    xs, ys = x[keep], y[:, keep]
    fin = np.isfinite(ys)
    if np.any(ys[fin] <= 0):
        raise ValueError("y: values inside the window must be positive to take logs")
    u = np.log(xs) if log_x else xs
    with np.errstate(invalid="ignore", divide="ignore"):
        logy = np.where(fin, np.log(np.where(fin, ys, 1.0)), np.nan)
    means = logy.mean(axis=0) if fin.all() else np.nanmean(logy, axis=0)
    slope, intercept, ols_se, r2 = _ols(u, means)
    local = tuple(float(r) for r in np.diff(means) / np.diff(u))
    seed_means = ys.mean(axis=0) if fin.all() else np.nanmean(ys, axis=0)
    log_mean_slope = _ols(u, np.log(seed_means))[0]

    n_seeds = y.shape[0]
    est = contrast(slope_contrast(u), logy, paired)
    if est.method == "ols-one-seed":
        from scipy import stats

        df = float(max(u.size - 2, 1))
        se = ols_se if np.isfinite(ols_se) else 0.0
        t = stats.t.ppf(1 - (1 - ci_level) / 2, df)
        ci = (slope - t * se, slope + t * se)
        stderr = se
    else:
        df, stderr = est.df, est.se
        lo, hi = est.interval(ci_level)
        # est.value equals the slope of the means up to rounding; centre on the latter
        ci = (slope + (lo - est.value), slope + (hi - est.value))
    tilt = tilt_ci = tilt_p = None
    tc = tilt_contrast(u)
    if tc is not None and est.method != "ols-one-seed":
        t_est = contrast(tc, logy, paired)
        if np.isfinite(t_est.se):
            tilt, tilt_ci, tilt_p = t_est.value, t_est.interval(TILT_LEVEL), t_est.p_value()
    return RateFit(
        slope=float(slope),
        intercept=intercept,
        stderr=float(stderr),
        r2=float(r2),
        ci=(float(ci[0]), float(ci[1])),
        ci_level=ci_level,
        local_rates=local,
        x_used=tuple(float(v) for v in xs),
        dropped=tuple(dropped),
        n_seeds=n_seeds,
        log_x=log_x,
        ci_method=est.method,
        log_mean_slope=float(log_mean_slope),
        df=float(df),
        missing=int((~fin).sum()),
        tilt=None if tilt is None else float(tilt),
        tilt_ci=None if tilt_ci is None else (float(tilt_ci[0]), float(tilt_ci[1])),
        tilt_p=tilt_p,
    )


def mean_interval(values, axis: int = -1, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided t-interval of the mean of ``values`` over ``axis`` (independent replicas):
    ``mean +- t_{n-1} sd/sqrt(n)``, elementwise over the other axes (scipy's t quantile)."""
    from scipy import stats

    v = np.asarray(values, float)
    n = v.shape[axis]
    if n < 2:
        raise ValueError(f"values: a mean's interval needs at least 2 replicas, got {n}")
    mean = v.mean(axis=axis)
    half = stats.t.ppf(1 - (1 - level) / 2, n - 1) * v.std(axis=axis, ddof=1) / np.sqrt(n)
    return mean - half, mean + half


@dataclasses.dataclass(frozen=True)
class Spread:
    """How far a quantity moves over a grid: ``spread = max_j m_j - min_j m_j`` of the
    seed-means ``m_j`` of ``log y`` at each grid point, with a simultaneous interval
    ``[lo, hi]`` (see :func:`log_spread`); ``means`` and ``halves`` per grid point, ``seeds`` the
    finite seeds per point, ``level`` the confidence of the pair."""

    spread: float
    lo: float
    hi: float
    means: tuple
    halves: tuple
    seeds: tuple
    level: float = 0.95


def log_spread(y, level: float = 0.95) -> Spread:
    """The spread of the seed-mean of ``log y`` over the grid points (the columns of ``y``,
    shape ``(seeds, m)``, positive), with an interval of confidence at least ``level``.

    Each point's mean gets a t-interval over its own finite seeds at level ``1 - (1 - level)/m``
    (Bonferroni): all ``m`` cover their means together with probability at least ``level``, and
    then the true spread lies in ``[max(0, max lo_j - min hi_j), max hi_j - min lo_j]``. Seeds
    need not be paired across points. Raises ``ValueError`` naming the point when a grid point
    keeps fewer than 2 finite positive values."""
    from scipy import stats

    y = np.asarray(y, float)
    if y.ndim != 2 or y.shape[1] < 2:
        raise ValueError(f"y: a spread needs values of shape (seeds, points >= 2), got {y.shape}")
    m = y.shape[1]
    q = 1 - (1 - level) / (2 * m)
    means, halves, seeds = [], [], []
    for j in range(m):
        v = y[:, j]
        v = np.log(v[np.isfinite(v) & (v > 0)])
        if v.size < 2:
            raise ValueError(f"y: grid point {j} keeps {v.size} finite positive values (needs 2)")
        means.append(float(v.mean()))
        halves.append(float(stats.t.ppf(q, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size)))
        seeds.append(int(v.size))
    mu, h = np.array(means), np.array(halves)
    lo = max(0.0, float((mu - h).max() - (mu + h).min()))
    hi = float((mu + h).max() - (mu - h).min())
    return Spread(float(mu.max() - mu.min()), lo, hi, tuple(means), tuple(halves), tuple(seeds), level)

