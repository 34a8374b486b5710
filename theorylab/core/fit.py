"""Rate fits: log-log (power law) or semi-log (geometric) least squares with honest errors.

``fit_rate(x, y)`` takes a grid ``x`` (shape ``(m,)``) and measurements ``y`` of shape
``(seeds, m)`` (or ``(m,)``) and fits ``log y = a + slope * log x`` to the per-x mean of
``log y`` over seeds, inside an explicit asymptotic window.

Which quantity is fitted: the **mean of the logs** (the log of the geometric mean over seeds).
It is the natural scale for a multiplicative seed scatter and makes the bootstrap over seeds
well behaved. A theorem about ``E[y]`` bounds the **log of the mean** instead; the two slopes
agree when the seed scatter of ``log y`` does not change along the grid, and differ when it
does (a heavy tail that grows with ``x``). ``RateFit.log_mean_slope`` reports the slope of the
log of the seed mean over the same window beside the fitted one, and checks say when the two
differ by more than the CI half-width.

It reports

* the slope with its ordinary least-squares standard error and R^2,
* a bootstrap confidence interval over seeds (seeds are the independent units; resampling
  whole seeds keeps the dependence between grid points of one seed),
* local (pairwise) rates between neighbouring grid points,
* which points the window dropped and why (below ``x_min``, above ``x_max``, at or under the
  precision ``floor``, non-finite).

With ``log_x=False`` the fit is ``log y = a + slope * x``, i.e. a geometric rate
``y ~ exp(slope * x)`` for linear-convergence checks.
"""

from __future__ import annotations

import dataclasses
from typing import Optional, Sequence

import numpy as np


@dataclasses.dataclass(frozen=True)
class RateFit:
    slope: float
    intercept: float
    stderr: float
    r2: float
    ci: tuple[float, float]
    ci_level: float
    local_rates: tuple[float, ...]
    x_used: tuple[float, ...]
    dropped: tuple[tuple[float, str], ...]
    n_seeds: int
    log_x: bool
    ci_method: str
    log_mean_slope: Optional[float] = None  # slope of log(mean over seeds), same window

    @property
    def resolution(self) -> float:
        """Width of the confidence interval: the smallest exponent error the fit can see."""
        return float(self.ci[1] - self.ci[0])

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["resolution"] = self.resolution
        return d


def _ols(u: np.ndarray, v: np.ndarray) -> tuple[float, float, float, float]:
    """Slope, intercept, slope standard error and R^2 of v on u."""
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


def fit_rate(
    x: Sequence[float],
    y,
    *,
    log_x: bool = True,
    x_min: Optional[float] = None,
    x_max: Optional[float] = None,
    floor: Optional[float] = None,
    min_points: int = 3,
    n_boot: int = 2000,
    ci_level: float = 0.95,
    seed: int = 0,
) -> RateFit:
    """Fit a rate inside an explicit window. See the module docstring.

    Args:
        x: grid values, strictly increasing, positive when ``log_x``.
        y: measurements, shape ``(seeds, len(x))`` or ``(len(x),)``; must be positive.
        log_x: power law (True) or geometric rate (False).
        x_min, x_max: the asymptotic window (inclusive).
        floor: points whose median over seeds is at or below ``floor`` are dropped (precision
            or optimisation floor).
        min_points: fewer points than this left in the window is an error.
        n_boot: bootstrap resamples over seeds (ignored with one seed: the CI is then the
            t-interval of the least-squares slope).
    Raises:
        ValueError: bad shapes, non-positive values inside the window, too few points.
    """
    from scipy import stats

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

    keep = np.ones(x.size, bool)
    dropped: list[tuple[float, str]] = []
    with np.errstate(invalid="ignore"):
        med = np.median(y, axis=0)
    for i, xi in enumerate(x):
        reason = None
        if not np.all(np.isfinite(y[:, i])):
            reason = "non-finite"
        elif x_min is not None and xi < x_min:
            reason = "below x_min"
        elif x_max is not None and xi > x_max:
            reason = "above x_max"
        elif floor is not None and med[i] <= floor:
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
    if np.any(ys <= 0):
        raise ValueError("y: values inside the window must be positive to take logs")
    u = np.log(xs) if log_x else xs
    logy = np.log(ys)
    slope, intercept, stderr, r2 = _ols(u, logy.mean(axis=0))
    local = tuple(float(r) for r in np.diff(logy.mean(axis=0)) / np.diff(u))
    log_mean_slope = _ols(u, np.log(ys.mean(axis=0)))[0] if u.size >= 2 else None

    n_seeds = y.shape[0]
    alpha = 1 - ci_level
    if n_seeds >= 2:
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, n_seeds, size=(n_boot, n_seeds))
        boot_means = logy[idx].mean(axis=1)  # (n_boot, m)
        uc = u - u.mean()
        boot = (boot_means - boot_means.mean(axis=1, keepdims=True)) @ uc / (uc @ uc)
        lo, hi = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
        # The bootstrap sees seed-to-seed spread only; with few seeds it can be narrower than
        # the misfit of the line itself. Report the wider of the two intervals.
        t = stats.t.ppf(1 - alpha / 2, max(u.size - 2, 1))
        if np.isfinite(stderr) and t * stderr > (hi - lo) / 2:
            lo, hi, method = slope - t * stderr, slope + t * stderr, "ols-t"
        else:
            method = "bootstrap-seeds"
    else:
        t = stats.t.ppf(1 - alpha / 2, max(u.size - 2, 1))
        se = stderr if np.isfinite(stderr) else 0.0
        lo, hi, method = slope - t * se, slope + t * se, "ols-t"
    return RateFit(
        slope=slope,
        intercept=intercept,
        stderr=stderr,
        r2=float(r2),
        ci=(float(lo), float(hi)),
        ci_level=ci_level,
        local_rates=local,
        x_used=tuple(float(v) for v in xs),
        dropped=tuple(dropped),
        n_seeds=n_seeds,
        log_x=log_x,
        ci_method=method,
        log_mean_slope=log_mean_slope,
    )
