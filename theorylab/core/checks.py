"""Checks: what a claim measures, and how the measurement is decided.

Every check returns a :class:`CheckResult` whose ``outcome`` is one of

* ``"passed"`` -- the evidence lies wholly inside the claim's band;
* ``"failed"`` -- it lies wholly outside;
* ``"inconclusive"`` -- it straddles an edge of the band (a slope whose confidence interval
  contains the band's edge); the result says which edge and about how many seeds would
  resolve it;
* ``"error"`` -- no evidence at all: an empty fit window, too few counted entries, a crash.
  An error is never a rejection of a control.

How each kind decides, and what its uncertainty is:

* :class:`SlopeCheck` -- a fitted log-log (or semi-log) slope with a 95% confidence interval
  over seeds (:func:`~theorylab.core.fit.fit_rate`). The band is ``slope <= p + tol``
  (``side="upper"``: an upper bound on a decaying quantity, so a steeper slope is fine),
  ``slope >= p - tol`` (``"lower"``) or ``|slope - p| <= tol`` (``"two-sided"``, exact rates).
  The decision reads the whole CI, never the point estimate alone. Declared alternatives (the
  exponents a modelling error would give) are reported as excluded or not by the CI.
* :class:`PointwiseCheck`, :class:`LimitCheck` -- deterministic given the instances drawn: each
  counted entry is inside or outside. The sampling uncertainty is over which instances were
  drawn; with ``k`` of ``N`` entries outside the result reports the 95% Clopper-Pearson interval
  of the violating fraction (``k = 0``: an upper bound on how often the statement can fail).
* :class:`IdentityCheck` -- deterministic up to floating-point rounding, which the tolerance
  covers (the measurement supplies the natural scale of the rounding error).

A diverged or non-finite run is a recorded outcome: it makes the check fail with a sentence
saying so, never an exception.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping, Optional

import numpy as np

from .fit import RateFit, fit_rate

OUTCOMES = ("passed", "failed", "inconclusive", "error")


# ----------------------------------------------------------------------------------------
# What a claim measures
# ----------------------------------------------------------------------------------------
@dataclasses.dataclass
class Series:
    """One curve of a slope check: grid ``x`` ``(m,)``, values ``y`` ``(seeds, m)``, and
    optionally its own predicted exponent and declared alternatives ``{name: exponent}``
    (which replace the check's own for this series)."""

    x: Any
    y: Any
    predicted: Optional[float] = None
    alternatives: Optional[Mapping[str, float]] = None


@dataclasses.dataclass
class Measurement:
    """What a claim's ``measure`` returns; each check reads the fields it needs.

    Attributes:
        x, y: a slope check's grid ``(m,)`` and values ``(seeds, m)`` (one series).
        series: several slope curves, ``{name: Series}`` (tuples ``(x, y[, predicted])`` are
            accepted); each must pass.
        floor: the measured optimisation (or precision) floor of a slope measurement, when the
            claim's window is defined relative to it (``SlopeCheck.floor_factor``).
        values: named measured arrays (pointwise, identity, limit checks).
        reference: the bound (pointwise) or the formula (identity), same names and shapes.
        mask: per name, which entries count (e.g. only converged runs); default all.
        diverged: how many runs diverged (recorded, and failing unless masked out on purpose).
        total: how many runs there were.
        extra: arrays kept for the figure; info: scalars for the report.
    """

    x: Optional[np.ndarray] = None
    y: Optional[np.ndarray] = None
    series: dict = dataclasses.field(default_factory=dict)
    floor: Optional[float] = None
    values: dict = dataclasses.field(default_factory=dict)
    reference: dict = dataclasses.field(default_factory=dict)
    mask: dict = dataclasses.field(default_factory=dict)
    diverged: int = 0
    total: int = 0
    extra: dict = dataclasses.field(default_factory=dict)
    info: dict = dataclasses.field(default_factory=dict)

    def all_series(self) -> dict[str, Series]:
        """The slope curves as :class:`Series` (the single ``(x, y)`` one is named ``""``)."""
        if not self.series:
            return {"": Series(self.x, self.y)}
        out = {}
        for name, s in self.series.items():
            out[name] = s if isinstance(s, Series) else Series(*s)
        return out


# ----------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------
@dataclasses.dataclass
class Alternative:
    """A declared wrong exponent and whether the CI of a fitted slope excludes it."""

    name: str
    exponent: float
    excluded: Optional[bool]  # None: no fit

    def phrase(self) -> str:
        if self.excluded is None:
            return f"no fit to compare with {self.name} ({self.exponent:.3g})"
        return (f"distinguishes from {self.name} ({self.exponent:.3g})" if self.excluded else
                f"cannot distinguish from {self.name} ({self.exponent:.3g}) at this size")


@dataclasses.dataclass
class SeriesResult:
    """A slope check's decision for one series."""

    name: str
    outcome: str
    predicted: float
    band: tuple[float, float]
    fit: Optional[RateFit]
    sentence: str
    alternatives: list = dataclasses.field(default_factory=list)  # of Alternative
    seeds_to_resolve: Optional[int] = None

    @property
    def slope(self) -> Optional[float]:
        return None if self.fit is None else self.fit.slope

    @property
    def ci(self) -> Optional[tuple[float, float]]:
        return None if self.fit is None else self.fit.ci


@dataclasses.dataclass
class CheckResult:
    """The decision of one check on one measurement (see the module docstring)."""

    outcome: str
    predicted: Any
    measured: Any
    ci: Optional[tuple[float, float]]
    tolerance: Any
    resolution: Optional[float]
    sentence: str
    uncertainty: str = ""
    fit: Optional[RateFit] = None  # the reported series' fit (slope checks)
    series: dict = dataclasses.field(default_factory=dict)  # name -> SeriesResult (slope)
    reported_series: Optional[str] = None
    counts: Optional[dict] = None  # pointwise/limit: {"outside": k, "counted": N, "fraction_ci": (lo, hi)}

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome: must be one of {OUTCOMES}, got {self.outcome!r}")

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    @property
    def alternatives(self) -> dict[str, Optional[bool]]:
        """Per declared alternative: excluded in every series (True), not excluded in some
        (False), or no fit (None)."""
        out: dict[str, Optional[bool]] = {}
        for r in self.series.values():
            for a in r.alternatives:
                prev = out.get(a.name, True)
                out[a.name] = None if (prev is None or a.excluded is None) else (prev and a.excluded)
        return out

    def rejects(self) -> bool:
        """Whether this result, as a *control's*, rejects it: its outcome is ``failed`` and,
        for a slope check over several series, every series failed (a control that fails in one
        series but passes in another has not shown that the removed ingredient matters)."""
        if self.outcome != "failed":
            return False
        return all(r.outcome == "failed" for r in self.series.values()) if self.series else True


def _jsonable(obj):
    """Plain JSON data from results (dataclasses, numpy arrays and scalars, inf and NaN)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        if hasattr(obj, "to_dict"):
            return _jsonable(obj.to_dict())
        return {f.name: _jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return f if math.isfinite(f) else str(f)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def fraction_interval(k: int, n: int) -> tuple[float, float]:
    """95% Clopper-Pearson interval of a proportion ``k / n`` (scipy)."""
    from scipy import stats

    if n < 1:
        return (0.0, 1.0)
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=0.95, method="exact")
    return (float(ci.low), float(ci.high))


def _instances_uncertainty(outside: int, counted: int, what: str = "entries") -> tuple[str, dict]:
    lo, hi = fraction_interval(outside, counted)
    counts = {"outside": outside, "counted": counted, "fraction_ci": (lo, hi)}
    if counted < 1:
        return "nothing counted", counts
    return (f"deterministic given the {counted} {what} drawn; {outside} of {counted} outside, so the "
            f"fraction of violating {what} is in [{lo:.3g}, {hi:.3g}] (95% Clopper-Pearson)"), counts


# ----------------------------------------------------------------------------------------
# Checks
# ----------------------------------------------------------------------------------------
class Check:
    kind = "check"

    def evaluate(self, m: Measurement) -> CheckResult:  # pragma: no cover - interface
        raise NotImplementedError


def _selected(m: Measurement, name: str) -> tuple[np.ndarray, Optional[np.ndarray], np.ndarray]:
    if name not in m.values:
        raise ValueError(f"measurement has no quantity {name!r} (has {sorted(m.values)})")
    v = np.asarray(m.values[name], dtype=float)
    ref = m.reference.get(name)
    ref = None if ref is None else np.broadcast_to(np.asarray(ref, dtype=float), v.shape)
    mask = m.mask.get(name)
    mask = np.ones(v.shape, bool) if mask is None else np.broadcast_to(np.asarray(mask, bool), v.shape)
    return v, ref, mask


def _divergence_note(m: Measurement) -> str:
    return f"{m.diverged} of {m.total} runs diverged" if m.diverged else ""


def decide_interval(ci: tuple[float, float], band: tuple[float, float]) -> str:
    """``passed`` when ``ci`` lies inside ``band``, ``failed`` when wholly outside, else
    ``inconclusive`` (closed intervals)."""
    lo, hi = ci
    blo, bhi = band
    if blo <= lo and hi <= bhi:
        return "passed"
    if hi < blo or lo > bhi:
        return "failed"
    return "inconclusive"


def seeds_to_resolve(fit: RateFit, band: tuple[float, float]) -> Optional[int]:
    """How many seeds would make the CI clear the nearest band edge, if the CI half-width
    shrinks like 1/sqrt(seeds) around the same point estimate; None when the estimate sits on
    the edge (no number of seeds resolves it) or the CI is the least-squares t-interval, whose
    width also holds the misfit of the line, which more seeds need not shrink."""
    s = fit.slope
    delta = min(abs(s - e) for e in band if math.isfinite(e))
    half = (fit.ci[1] - fit.ci[0]) / 2
    if delta <= 1e-12 or fit.ci_method != "bootstrap-seeds" or fit.n_seeds < 2:
        return None
    return int(math.ceil(fit.n_seeds * (half / delta) ** 2 - 1e-9))


@dataclasses.dataclass
class SlopeCheck(Check):
    """Fitted slope of ``log y`` against ``log x`` (or ``x``) versus a predicted exponent.

    Args:
        predicted: the exponent; ``None`` takes ``bound.exponent(wrt, **bound_values)``.
        side: ``"upper"`` (the bound is an upper bound on a decaying quantity: the band is
            ``slope <= predicted + tol``), ``"lower"`` (``slope >= predicted - tol``) or
            ``"two-sided"`` (``|slope - predicted| <= tol``).
        tol: tolerance, argued where the claim is defined.
        window: keyword arguments of :func:`~theorylab.core.fit.fit_rate` (``x_min``,
            ``x_max``, ``floor``, ``min_points``), fixed in advance.
        floor_factor: drop grid points whose median is at or under ``floor_factor`` times the
            measurement's own floor (``Measurement.floor``), e.g. an optimisation floor.
        alternatives: declared wrong exponents ``{name: exponent}`` that a modelling error
            would give; the verdict says whether the CI excludes each.
        log_x: power law (True) or geometric rate (False).
    """

    predicted: Optional[float] = None
    side: str = "upper"
    tol: float = 0.1
    window: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    log_x: bool = True
    wrt: Optional[str] = None
    bound_values: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    floor_factor: Optional[float] = None
    alternatives: Mapping[str, float] = dataclasses.field(default_factory=dict)
    kind = "slope"

    def __post_init__(self):
        if self.side not in ("upper", "lower", "two-sided"):
            raise ValueError(f"side: must be 'upper', 'lower' or 'two-sided', got {self.side!r}")
        if not self.tol >= 0:
            raise ValueError(f"tol: must be non-negative, got {self.tol}")
        if self.floor_factor is not None and not self.floor_factor > 0:
            raise ValueError(f"floor_factor: must be positive, got {self.floor_factor}")

    def resolve(self, bound) -> "SlopeCheck":
        if self.predicted is not None:
            return self
        if bound is None or self.wrt is None:
            raise ValueError("predicted: give a number, or a bound and wrt to derive it")
        e = bound.exponent(self.wrt, **self.bound_values) if self.log_x else bound.log_rate(
            self.wrt, **self.bound_values)
        return dataclasses.replace(self, predicted=float(e))

    def band(self, predicted: Optional[float] = None) -> tuple[float, float]:
        p = self.predicted if predicted is None else predicted
        return {"upper": (-math.inf, p + self.tol), "lower": (p - self.tol, math.inf),
                "two-sided": (p - self.tol, p + self.tol)}[self.side]

    def _band_text(self, p: float) -> str:
        return {"upper": f"slope <= {p:.3g} + {self.tol:g}", "lower": f"slope >= {p:.3g} - {self.tol:g}",
                "two-sided": f"|slope - {p:.3g}| <= {self.tol:g}"}[self.side]

    def _window(self, m: Measurement) -> dict:
        w = dict(self.window)
        if self.floor_factor is not None:
            if m.floor is None:
                raise ValueError("floor: the check's window is relative to a floor the measurement lacks")
            w["floor"] = self.floor_factor * float(m.floor)
        return w

    def _one(self, name: str, s: Series, m: Measurement) -> SeriesResult:
        p = float(self.predicted if s.predicted is None else s.predicted)
        band = self.band(p)
        alts = dict(self.alternatives if s.alternatives is None else s.alternatives)
        try:
            fit = fit_rate(s.x, s.y, log_x=self.log_x, **self._window(m))
        except ValueError as e:
            note = _divergence_note(m)
            return SeriesResult(name, "error", p, band, None,
                                f"no fit possible ({e}){'; ' + note if note else ''}",
                                [Alternative(a, float(v), None) for a, v in alts.items()])
        outcome = decide_interval(fit.ci, band)
        lo, hi = fit.ci
        sentence = (f"fitted slope {fit.slope:.3f} (95% CI {lo:.3f}..{hi:.3f}, R2 {fit.r2:.3f}, "
                    f"{fit.n_seeds} seeds, {len(fit.x_used)} points) vs predicted {p:.3f}: ")
        need = None
        if outcome == "passed":
            sentence += f"the CI lies inside {self._band_text(p)}"
        elif outcome == "failed":
            sentence += f"the CI lies wholly outside {self._band_text(p)}"
        else:
            edges = [e for e in band if math.isfinite(e) and lo <= e <= hi]
            need = seeds_to_resolve(fit, band)
            sentence += (f"INCONCLUSIVE, the CI contains the band's edge {edges[0]:.3g} "
                         f"({self._band_text(p)})")
            if need is not None:
                sentence += f"; about {need} seeds would resolve it if the CI shrinks like 1/sqrt(seeds)"
            elif fit.ci_method != "bootstrap-seeds":
                sentence += (f"; the CI is the least-squares t-interval over {len(fit.x_used)} points "
                             "(wider than the seed bootstrap): more grid points narrow it, more seeds "
                             "only as far as the scatter about the line is seed noise")
            else:
                sentence += "; the estimate sits on the edge, so more seeds alone cannot resolve it"
        if fit.dropped:
            sentence += f"; window dropped {len(fit.dropped)} point(s)"
        if fit.log_mean_slope is not None and abs(fit.log_mean_slope - fit.slope) > (hi - lo) / 2:
            sentence += (f"; the slope of the log of the seed mean is {fit.log_mean_slope:.3f}, "
                         f"outside the CI half-width of the fitted mean-of-logs slope")
        alternatives = [Alternative(a, float(v), not (lo <= v <= hi)) for a, v in alts.items()]
        if alternatives:
            sentence += "; " + ", ".join(a.phrase() for a in alternatives)
        return SeriesResult(name, outcome, p, band, fit, sentence, alternatives, need)

    def evaluate(self, m: Measurement) -> CheckResult:
        """Fit each series of ``m``: the outcome is ``error`` if any series has no fit, else
        ``failed`` if any failed, else ``inconclusive`` if any is, else ``passed``. The report
        names the series with the least margin (the first that decided the outcome)."""
        if self.predicted is None:
            raise ValueError("predicted: unresolved; call resolve(bound) first")
        results = {name: self._one(name, s, m) for name, s in m.all_series().items()}
        order = {"error": 0, "failed": 1, "inconclusive": 2, "passed": 3}
        outcome = min((r.outcome for r in results.values()), key=order.__getitem__)

        def margin(r: SeriesResult) -> float:
            """How far the CI lies inside the band (negative: past an edge; -inf: no fit)."""
            if r.fit is None:
                return -math.inf
            return min(r.fit.ci[0] - r.band[0], r.band[1] - r.fit.ci[1])

        worst_name = min(results, key=lambda n: (order[results[n].outcome], margin(results[n])))
        worst = results[worst_name]
        single = list(results) == [""]
        sentence = "; ".join(r.sentence if single else f"{n}: {r.sentence}" for n, r in results.items())
        ci_method = worst.fit.ci_method if worst.fit is not None else "none"
        uncertainty = (f"95% CI of each slope ({'bootstrap over seeds' if ci_method == 'bootstrap-seeds' else 'least-squares t-interval, wider than the seed bootstrap'}"
                       f" for the reported series); passed needs the whole CI inside the band")
        return CheckResult(outcome, worst.predicted, worst.slope, worst.ci, self.tol,
                           None if worst.fit is None else worst.fit.resolution, sentence, uncertainty,
                           worst.fit, results, None if single else worst_name)


@dataclasses.dataclass
class PointwiseCheck(Check):
    """Every counted entry satisfies ``measured <= bound * (1 + rel_slack) + abs_slack``.

    ``min_count`` counted entries are required: a check over nothing verifies nothing (an
    ``error``). The measured value reported is the worst ratio measured / bound.
    """

    rel_slack: float = 0.0
    abs_slack: float = 0.0
    min_count: int = 1
    kind = "pointwise"

    def __post_init__(self):
        if self.rel_slack < 0 or self.abs_slack < 0:
            raise ValueError("rel_slack/abs_slack: must be non-negative")

    def evaluate(self, m: Measurement) -> CheckResult:
        worst, count, violations, parts = -np.inf, 0, 0, []
        for name in m.values:
            v, ref, mask = _selected(m, name)
            if ref is None:
                raise ValueError(f"reference: pointwise quantity {name!r} has no bound")
            sel = mask & np.isfinite(ref)
            nonfinite = int((sel & ~np.isfinite(v)).sum())
            ok = v <= ref * (1 + self.rel_slack) + self.abs_slack
            viol = int((sel & ~ok).sum())  # NaN compares False: a non-finite value violates
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(sel & np.isfinite(v), v / np.abs(ref), -np.inf)
            w = float(ratio.max()) if ratio.size else -np.inf
            worst = max(worst, w)
            count += int(sel.sum())
            violations += viol
            parts.append(f"{name}: worst measured/bound {w:.3g}, {viol} violations"
                         + (f" ({nonfinite} non-finite)" if nonfinite else "") + f" of {int(sel.sum())}")
        outcome = "error" if count < self.min_count else ("passed" if violations == 0 else "failed")
        sentence = "; ".join(parts)
        if count < self.min_count:
            sentence += f"; only {count} entries counted (need {self.min_count}): no evidence"
        note = _divergence_note(m)
        if note:
            sentence += f"; {note}"
        tol = {"rel_slack": self.rel_slack, "abs_slack": self.abs_slack}
        unc, counts = _instances_uncertainty(violations, count)
        return CheckResult(outcome, 1.0, worst if np.isfinite(worst) else None, None, tol, None,
                           sentence, unc, counts=counts)


@dataclasses.dataclass
class IdentityCheck(Check):
    """``|measured - expected| / scale <= rtol`` for every counted entry.

    ``scale`` is ``reference[name + "_scale"]`` when the measurement provides one (the natural
    size of the rounding error), else ``max(|expected|, tiny)``.
    """

    rtol: float = 1e-10
    min_count: int = 1
    kind = "identity"

    def evaluate(self, m: Measurement) -> CheckResult:
        worst, count, bad, parts = 0.0, 0, 0, []
        for name in m.values:
            if name.endswith("_scale"):
                continue
            v, ref, mask = _selected(m, name)
            if ref is None:
                raise ValueError(f"reference: identity quantity {name!r} has no formula")
            scale = m.reference.get(name + "_scale")
            scale = np.maximum(np.abs(ref), 1e-300) if scale is None else np.broadcast_to(
                np.asarray(scale, float), v.shape)
            with np.errstate(divide="ignore", invalid="ignore"):
                err = (np.abs(v - ref) / scale)[mask]
            err = np.where(np.isnan(err), np.inf, err)  # a NaN is the worst possible error
            w = float(err.max()) if err.size else float("nan")
            bad += int((err > self.rtol).sum())
            worst = max(worst, w) if err.size else worst
            count += int(err.size)
            parts.append(f"{name}: max relative error {w:.2e} over {err.size} entries")
        outcome = "error" if count < self.min_count else ("passed" if bad == 0 else "failed")
        sentence = "; ".join(parts) + f" (tolerance {self.rtol:g})"
        note = _divergence_note(m)
        if note:
            sentence += f"; {note}"
        unc = (f"deterministic up to floating-point rounding, which the tolerance covers; "
               f"{bad} of {count} entries outside")
        return CheckResult(outcome, 0.0, worst, None, self.rtol, None, sentence, unc,
                           counts={"outside": bad, "counted": count, "fraction_ci": fraction_interval(bad, count)})


@dataclasses.dataclass
class LimitCheck(Check):
    """Every counted instance's value of each named quantity lies in ``intervals[name]``.

    A diverged run enters as a non-finite value, which lies in no interval: it fails the check
    unless the measurement masks it out on purpose (and says why). Fewer than ``min_count``
    counted instances of a quantity is an ``error`` (no evidence).
    The measured value reported is the median of the first quantity; the CI slot holds its
    min..max over instances.
    """

    intervals: Mapping[str, tuple[float, float]] = dataclasses.field(default_factory=dict)
    min_count: int = 1
    kind = "limit"

    def evaluate(self, m: Measurement) -> CheckResult:
        parts, first, outside_total, counted, short = [], None, 0, 0, False
        for name, (lo, hi) in self.intervals.items():
            v, _, mask = _selected(m, name)
            sel = v[mask]
            inside = (sel >= lo) & (sel <= hi)
            nonfinite = int((~np.isfinite(sel)).sum())
            short = short or sel.size < self.min_count
            outside_total += int((~inside).sum())
            counted += int(sel.size)
            fin = sel[np.isfinite(sel)]
            rng = (float(fin.min()), float(fin.max())) if fin.size else (float("nan"),) * 2
            med = float(np.median(fin)) if fin.size else float("nan")
            if first is None:
                first = (med, rng)
            parts.append(f"{name}: median {med:.4g}, range {rng[0]:.4g}..{rng[1]:.4g} over "
                         f"{sel.size} runs vs [{lo:g}, {hi:g}]"
                         + (f", {int((~inside).sum())} outside" if not inside.all() else "")
                         + (f" ({nonfinite} non-finite)" if nonfinite else ""))
        outcome = "error" if short else ("passed" if outside_total == 0 else "failed")
        sentence = "; ".join(parts)
        if short:
            sentence += f"; fewer than {self.min_count} instances counted: no evidence"
        note = _divergence_note(m)
        if note:
            sentence += f"; {note}"
        tol = {k: list(v) for k, v in self.intervals.items()}
        med, rng = first if first else (None, None)
        unc, counts = _instances_uncertainty(outside_total, counted, "instance values")
        return CheckResult(outcome, tol, med, rng, tol, None, sentence, unc, counts=counts)
