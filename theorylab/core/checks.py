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
  from the seed population (:func:`~theorylab.core.fit.fit_rate`: the t-interval over the
  seeds' own slopes). The band is ``slope <= p + tol`` (``side="upper"``: an upper bound on a
  decaying quantity, so a steeper slope is fine), ``slope >= p - tol`` (``"lower"``) or
  ``|slope - p| <= tol`` (``"two-sided"``, exact rates). The decision reads the whole CI, never
  the point estimate alone. Declared alternatives (the exponents a modelling error would give)
  either contradict the claim (outside its band: a pass needs the CI to exclude them) or are
  admitted by a one-sided band (a faster rate under an upper bound: labelled so). A two-sided
  band that contains an alternative is a definition error. The window's curvature (the tilt of
  the local slope across it, with its own seed-based interval) is a finding of its own: a
  window curved beyond the claim's declared ``max_tilt`` makes a pass inconclusive (for a
  one-sided band, only a bend toward the band's open edge: a decay that slows down toward the
  end of the window under an upper bound).
* :class:`PointwiseCheck`, :class:`LimitCheck` -- **instances are the unit**: an instance (a
  seed, an MDP, a run: the leading axis of each measured array, grouped by
  ``Measurement.instances``) violates when any of its counted entries does. With ``k`` of ``N``
  instances violating, the 95% Clopper-Pearson interval of the violating fraction decides
  against the claim's declared tolerated rate ``rho`` (default 0, "on every instance"):
  ``failed`` when its lower end exceeds ``rho``; ``passed`` when ``k = 0`` (``rho = 0``) or its
  upper end is at most ``rho``; otherwise ``inconclusive``. A control is rejected by that
  interval, never by one entry along a trajectory.
* :class:`IdentityCheck` -- deterministic up to floating-point rounding, which the tolerance
  covers (the measurement supplies the natural scale of the rounding error): a code check.

A diverged or non-finite run is a recorded outcome: it makes the check fail with a sentence
saying so, never an exception.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from typing import Any, ClassVar, Mapping, Optional

import numpy as np

from .fit import RateFit, Spread, fit_rate, log_spread

class Outcome(str, enum.Enum):
    """A check's outcome. A ``str`` too, so it compares, hashes and serialises as its value."""

    PASSED = "passed"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"

    __str__ = str.__str__

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


OUTCOMES = tuple(o.value for o in Outcome)


# ----------------------------------------------------------------------------------------
# What a claim measures
# ----------------------------------------------------------------------------------------
@dataclasses.dataclass
class Series:
    """One curve of a slope check: grid ``x`` ``(m,)``, values ``y`` ``(seeds, m)``, and
    optionally its own predicted exponent, tolerance and declared alternatives
    ``{name: exponent}`` (which replace the check's own for this series; a claim whose band
    depends on the size declares it with ``Claim.band_at`` so that it is checked at load)."""

    x: Any
    y: Any
    predicted: Optional[float] = None
    alternatives: Optional[Mapping[str, float]] = None
    tol: Optional[float] = None


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
        instances: per name, the instance group its leading axis indexes (default
            ``"seed"``: row ``i`` of every quantity is the same instance ``i``); a quantity
            computed once and shared by all seeds (a deterministic chain) is given with a
            leading axis of length 1 and a group of its own, so it counts once.
        diverged: how many runs diverged (recorded, and failing unless masked out on purpose).
        total: how many runs there were.
        xlabel, ylabel: the axes of a slope check's figure.
        scale: per identity quantity, the natural size of its rounding error (default
            ``max(|expected|, tiny)``).
        extra: arrays kept for the figure; info: scalars for the report.
    """

    x: Optional[np.ndarray] = None
    y: Optional[np.ndarray] = None
    series: dict = dataclasses.field(default_factory=dict)
    floor: Optional[float] = None
    values: dict = dataclasses.field(default_factory=dict)
    reference: dict = dataclasses.field(default_factory=dict)
    mask: dict = dataclasses.field(default_factory=dict)
    instances: dict = dataclasses.field(default_factory=dict)
    scale: dict = dataclasses.field(default_factory=dict)
    xlabel: str = "x"
    ylabel: str = "y"
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
    """A declared wrong exponent and whether the CI of a fitted slope excludes it.

    ``role``: ``"contradicts"`` (outside the claim's band: a pass needs the CI to exclude it),
    ``"admitted"`` (inside a one-sided band: a faster rate under an upper bound, say, which the
    claim allows by design) or ``"inside-band"`` (inside a two-sided band: a definition error)."""

    name: str
    exponent: float
    excluded: Optional[bool]  # None: no fit
    role: str = "contradicts"

    def phrase(self) -> str:
        if self.role == "admitted":
            return (f"admits {self.name} ({self.exponent:.3g}) by design (inside the one-sided band)"
                    + ("" if self.excluded is None else
                       "; the CI excludes it" if self.excluded else "; the CI contains it"))
        if self.role == "inside-band":
            return f"DEFINITION ERROR: the two-sided band contains {self.name} ({self.exponent:.3g})"
        if self.excluded is None:
            return f"no fit to compare with {self.name} ({self.exponent:.3g})"
        return (f"distinguishes from {self.name} ({self.exponent:.3g})" if self.excluded else
                f"cannot distinguish from {self.name} ({self.exponent:.3g}) at this size")


def alternative_role(value: float, band: tuple[float, float], side: str) -> str:
    """Where a declared alternative sits relative to a band (see :class:`Alternative`)."""
    inside = band[0] <= value <= band[1]
    if not inside:
        return "contradicts"
    return "inside-band" if side == "two-sided" else "admitted"


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


@dataclasses.dataclass(frozen=True)
class InstanceCounts:
    """The instance tally behind a pointwise, limit or identity decision: ``outside`` of
    ``counted`` independent instances violate (over ``entries`` counted entries), the 95%
    Clopper-Pearson interval of the violating fraction, and the tolerated rate it is judged
    against; for pointwise checks the 95% order-statistic interval of the 90th percentile of the
    instances' worst ratios, for identity checks how many entries were outside."""

    outside: int
    counted: int
    fraction_ci: tuple[float, float]
    entries: int
    tolerated: float = 0.0
    worst_ratio_q90_ci: Optional[tuple[float, float]] = None
    entries_outside: Optional[int] = None
    unit: str = "instances"


@dataclasses.dataclass(kw_only=True)
class CheckResult:
    """What every kind's result has: the outcome, the sentence and the uncertainty statement.

    Each check kind returns its own subclass with typed fields of its own
    (:class:`SlopeResult`, :class:`PointwiseResult`, :class:`IdentityResult`,
    :class:`LimitResult`). The four headline properties ``predicted``, ``measured``, ``ci`` and
    ``tolerance`` are what a table row shows; each subclass documents what they are for its kind.
    ``to_dict`` is the one serializer (``Verdict.to_dict`` uses it for ``results.json``,
    ``calibrate`` and ``report``)."""

    outcome: Outcome
    sentence: str
    uncertainty: str = ""
    kind: ClassVar[str] = "check"

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome: must be one of {OUTCOMES}, got {self.outcome!r}")
        self.outcome = Outcome(self.outcome)

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    predicted = property(lambda self: None)
    measured = property(lambda self: None)
    ci = property(lambda self: None)
    tolerance = property(lambda self: None)
    resolution = property(lambda self: None)

    @property
    def alternatives(self) -> dict[str, Optional[bool]]:
        return {}

    def rejects(self) -> bool:
        """Whether this result, as a *control's*, rejects it: its outcome is ``failed``."""
        return self.outcome == "failed"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "outcome": self.outcome, "predicted": self.predicted,
                "measured": self.measured, "ci": self.ci, "tolerance": self.tolerance,
                "resolution": self.resolution, "sentence": self.sentence,
                "uncertainty": self.uncertainty, "alternatives": self.alternatives}


@dataclasses.dataclass(kw_only=True)
class SlopeResult(CheckResult):
    """A slope check's result: per series (``series``, name -> :class:`SeriesResult`) and the
    reported one (the least margin): its predicted ``exponent``, fitted ``slope`` with its 95%
    ``slope_ci``, the band's tolerance ``tol`` and the whole ``fit``."""

    exponent: float
    slope: Optional[float]
    slope_ci: Optional[tuple[float, float]]
    tol: float
    fit: Optional[RateFit]
    series: dict  # name -> SeriesResult
    reported_series: Optional[str] = None
    kind: ClassVar[str] = "slope"

    predicted = property(lambda self: self.exponent)
    measured = property(lambda self: self.slope)
    ci = property(lambda self: self.slope_ci)
    tolerance = property(lambda self: self.tol)
    resolution = property(lambda self: None if self.fit is None else self.fit.resolution)

    @property
    def alternatives(self) -> dict[str, Optional[bool]]:
        """Per declared alternative that contradicts the claim: excluded in every series
        (True), not excluded in some (False), or no fit (None). Admitted ones are left out."""
        out: dict[str, Optional[bool]] = {}
        for r in self.series.values():
            for a in r.alternatives:
                if a.role != "contradicts":
                    continue
                prev = out.get(a.name, True)
                out[a.name] = None if (prev is None or a.excluded is None) else (prev and a.excluded)
        return out

    def rejects(self) -> bool:
        """As a control's: failed, and over several series every series failed (a control that
        fails in one series but passes in another has not shown that the removed ingredient
        matters)."""
        return self.outcome == "failed" and all(r.outcome == "failed" for r in self.series.values())

    def to_dict(self) -> dict:
        return {**super().to_dict(), "fit": self.fit, "reported_series": self.reported_series,
                "series": {n: {"outcome": s.outcome, "predicted": s.predicted, "band": s.band,
                               "slope": s.slope, "ci": s.ci, "seeds_to_resolve": s.seeds_to_resolve,
                               "alternatives": s.alternatives, "fit": s.fit}
                           for n, s in self.series.items()}}


@dataclasses.dataclass(kw_only=True)
class PointwiseResult(CheckResult):
    """A pointwise check's result: the ``worst_ratio`` measured / bound over every counted entry
    (the bound is ``1``: ``measured <= bound``), the slacks and tolerated violation rate it was
    judged with, and the instance ``counts`` that decided it."""

    worst_ratio: Optional[float]
    rel_slack: float
    abs_slack: float
    tolerated: float
    counts: InstanceCounts
    kind: ClassVar[str] = "pointwise"

    predicted = property(lambda self: 1.0)
    measured = property(lambda self: self.worst_ratio)
    tolerance = property(lambda self: {"rel_slack": self.rel_slack, "abs_slack": self.abs_slack,
                                       "tolerated": self.tolerated})

    def to_dict(self) -> dict:
        return {**super().to_dict(), "counts": self.counts}


@dataclasses.dataclass(kw_only=True)
class IdentityResult(CheckResult):
    """An identity check's result: the ``worst_error`` (relative to the measurement's scale)
    against the tolerance ``rtol`` (the identity predicts 0), and the instance ``counts``."""

    worst_error: float
    rtol: float
    counts: InstanceCounts
    kind: ClassVar[str] = "identity"

    predicted = property(lambda self: 0.0)
    measured = property(lambda self: self.worst_error)
    tolerance = property(lambda self: self.rtol)

    def to_dict(self) -> dict:
        return {**super().to_dict(), "counts": self.counts}


@dataclasses.dataclass(kw_only=True)
class LimitResult(CheckResult):
    """A limit check's result: the declared ``intervals`` (quantity -> (lo, hi)), the
    ``median`` of the first quantity over instances with its distribution-free 95%
    ``median_ci``, the tolerated violation rate and the instance ``counts``."""

    intervals: dict
    tolerated: float
    median: Optional[float]
    median_ci: Optional[tuple[float, float]]
    counts: InstanceCounts
    kind: ClassVar[str] = "limit"

    predicted = property(lambda self: {k: list(v) for k, v in self.intervals.items()})
    measured = property(lambda self: self.median)
    ci = property(lambda self: self.median_ci)
    tolerance = property(lambda self: {**self.predicted, "tolerated": self.tolerated})

    def to_dict(self) -> dict:
        return {**super().to_dict(), "counts": self.counts}


@dataclasses.dataclass(kw_only=True)
class ConstancyResult(CheckResult):
    """A constancy check's result: the allowed ``factor``, and per series (``spreads``, name ->
    :class:`~theorylab.core.fit.Spread` of ``log y``) the spread with its simultaneous 95%
    interval and its outcome (``outcomes``); the reported series is the one with the least
    margin. Headline: ``measured`` is ``max/min`` of the geometric means over the grid
    (``exp(spread)``), ``ci`` its interval, ``predicted`` 1 (constant), ``tolerance`` the factor."""

    factor: float
    spreads: dict
    outcomes: dict
    reported_series: Optional[str] = None
    kind: ClassVar[str] = "constancy"

    def _reported(self) -> Optional[Spread]:
        return self.spreads.get(self.reported_series if self.reported_series is not None else "")

    predicted = property(lambda self: 1.0)
    measured = property(lambda self: None if self._reported() is None else math.exp(self._reported().spread))
    ci = property(lambda self: None if self._reported() is None else
                  (math.exp(self._reported().lo), math.exp(self._reported().hi)))
    tolerance = property(lambda self: self.factor)

    def rejects(self) -> bool:
        """As a control's: failed in every series."""
        return self.outcome == "failed" and all(o == "failed" for o in self.outcomes.values())

    def to_dict(self) -> dict:
        return {**super().to_dict(), "reported_series": self.reported_series,
                "series": {n: {"outcome": self.outcomes[n], "ratio": math.exp(sp.spread),
                               "ci": [math.exp(sp.lo), math.exp(sp.hi)],
                               "geometric_means": [math.exp(v) for v in sp.means],
                               "seeds": list(sp.seeds)} for n, sp in self.spreads.items()}}


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


def quantile_interval(values, p: float) -> tuple[float, float]:
    """Distribution-free 95% interval of the ``p``-quantile of independent ``values`` (order
    statistics, scipy's ``quantile_test``); an end that the sample cannot bound is +-inf."""
    from scipy import stats

    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size < 1:
        return (float("nan"), float("nan"))
    ci = stats.quantile_test(v, q=float(np.quantile(v, p)), p=p).confidence_interval(0.95)
    lo = float(ci.low) if np.isfinite(ci.low) else -math.inf
    hi = float(ci.high) if np.isfinite(ci.high) else math.inf
    return (lo, hi)


def decide_rate(k: int, n: int, tolerated: float) -> str:
    """The outcome of ``k`` violating instances of ``n`` against a tolerated violation rate:
    ``failed`` when the Clopper-Pearson interval's lower end exceeds it, ``passed`` when no
    instance violates (``tolerated = 0``: the statement holds on every instance drawn) or the
    upper end is at most it, else ``inconclusive``."""
    lo, hi = fraction_interval(k, n)
    if lo > tolerated:
        return "failed"
    if (k == 0) if tolerated == 0 else (hi <= tolerated):
        return "passed"
    return "inconclusive"


def instances_needed(k: int, n: int, tolerated: float) -> Optional[int]:
    """About how many instances would decide an inconclusive rate, if the violating fraction
    stayed at ``k/n``: the smallest multiple of ``n`` whose Clopper-Pearson interval clears
    ``tolerated`` (None when the fraction sits on it or no size up to 64 n does)."""
    f = k / n if n else 0.0
    if n < 1 or abs(f - tolerated) < 1e-12:
        return None
    for mult in (2, 4, 8, 16, 32, 64):
        out = decide_rate(int(round(f * n * mult)), n * mult, tolerated)
        if out != "inconclusive":
            return n * mult
    return None


@dataclasses.dataclass
class InstanceTally:
    """Per instance (``(group, index)``): counted, violating, and its worst ratio."""

    counted: dict = dataclasses.field(default_factory=dict)
    violating: dict = dataclasses.field(default_factory=dict)
    worst: dict = dataclasses.field(default_factory=dict)
    entries: int = 0

    def add(self, group: str, sel: np.ndarray, bad: np.ndarray, ratio: Optional[np.ndarray] = None) -> None:
        """Entries of one quantity: ``sel`` which count, ``bad`` which violate, ``ratio`` (for
        the worst ratio); the leading axis indexes instances (a scalar is one instance)."""
        sel = np.atleast_1d(sel)
        bad = np.atleast_1d(bad)
        n = sel.shape[0]
        sel2 = sel.reshape(n, -1)
        bad2 = (bad & sel).reshape(n, -1)
        r2 = None if ratio is None else np.where(sel, np.atleast_1d(ratio), -np.inf).reshape(n, -1)
        self.entries += int(sel2.sum())
        for i in range(n):
            if not sel2[i].any():
                continue
            key = (group, i)
            self.counted[key] = True
            self.violating[key] = self.violating.get(key, False) or bool(bad2[i].any())
            if r2 is not None:
                self.worst[key] = max(self.worst.get(key, -np.inf), float(r2[i].max()))

    @property
    def n(self) -> int:
        return len(self.counted)

    @property
    def k(self) -> int:
        return sum(self.violating.values())

    def groups(self) -> list:
        return sorted({g for g, _ in self.counted})


def _instances_uncertainty(t: InstanceTally, tolerated: float) -> tuple[str, InstanceCounts]:
    k, n = t.k, t.n
    lo, hi = fraction_interval(k, n)
    if n < 1:
        return "nothing counted", InstanceCounts(k, n, (lo, hi), t.entries, tolerated)
    text = (f"instances are the unit: {k} of {n} independent instances violate (over {t.entries} "
            f"counted entries), so the violating fraction is in [{lo:.3g}, {hi:.3g}] (95% "
            f"Clopper-Pearson), against a tolerated rate of {tolerated:g}")
    q90 = None
    if t.worst:
        w = np.array(list(t.worst.values()))
        q90 = quantile_interval(w, 0.9)
        text += (f"; the instances' worst ratios have a 90th percentile in [{q90[0]:.3g}, {q90[1]:.3g}] "
                 "(95%, order statistics)")
    return text, InstanceCounts(k, n, (lo, hi), t.entries, tolerated, worst_ratio_q90_ci=q90)


# ----------------------------------------------------------------------------------------
# Checks
# ----------------------------------------------------------------------------------------
class Check:
    """A check kind: ``evaluate`` decides a measurement, ``figure`` draws it (each kind its own
    standard figure, so that nothing outside dispatches on the kind)."""

    kind = "check"

    def evaluate(self, m: Measurement) -> CheckResult:  # pragma: no cover - interface
        raise NotImplementedError

    def figure(self, m: Measurement, result: CheckResult, *, title: str = "", bound_latex: str = ""):
        """The kind's standard figure of ``m`` (a matplotlib figure), or None."""
        return None


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
    the edge (no number of seeds resolves it) or there is no seed population (one seed)."""
    s = fit.slope
    delta = min(abs(s - e) for e in band if math.isfinite(e))
    half = (fit.ci[1] - fit.ci[0]) / 2
    if delta <= 1e-12 or fit.ci_method == "ols-one-seed" or fit.n_seeds < 2:
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
            ``x_max``, ``floor``, ``min_points``, ``paired``), fixed in advance.
        floor_factor: drop grid points whose median is at or under ``floor_factor`` times the
            measurement's own floor (``Measurement.floor``), e.g. an optimisation floor.
        alternatives: declared wrong exponents ``{name: exponent}`` that a modelling error
            would give. One outside the band contradicts the claim: a pass needs the CI to
            exclude it. One inside a one-sided band is admitted by design. One inside a
            two-sided band is a definition error.
        max_tilt: the change of the local slope across the window the claim expects at finite
            size (declared in advance; default: ``tol``, a tilt that cannot move the slope out
            of the band by itself). A window whose tilt is beyond it (its 99% interval wholly
            outside ``[-max_tilt, max_tilt]``, on the side that matters: see :meth:`curved`)
            makes a pass inconclusive: the line does not describe the data.
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
    max_tilt: Optional[float] = None
    kind = "slope"

    def __post_init__(self):
        if self.side not in ("upper", "lower", "two-sided"):
            raise ValueError(f"side: must be 'upper', 'lower' or 'two-sided', got {self.side!r}")
        if not self.tol >= 0:
            raise ValueError(f"tol: must be non-negative, got {self.tol}")
        if self.floor_factor is not None and not self.floor_factor > 0:
            raise ValueError(f"floor_factor: must be positive, got {self.floor_factor}")
        if self.max_tilt is not None and not self.max_tilt >= 0:
            raise ValueError(f"max_tilt: must be non-negative, got {self.max_tilt}")

    @property
    def tilt_allowed(self) -> float:
        return self.tol if self.max_tilt is None else float(self.max_tilt)

    def resolve(self, bound) -> "SlopeCheck":
        if self.predicted is not None:
            return self
        if bound is None or self.wrt is None:
            raise ValueError("predicted: give a number, or a bound and wrt to derive it")
        e = bound.exponent(self.wrt, **self.bound_values) if self.log_x else bound.log_rate(
            self.wrt, **self.bound_values)
        return dataclasses.replace(self, predicted=float(e))

    def band(self, predicted: Optional[float] = None, tol: Optional[float] = None) -> tuple[float, float]:
        p = self.predicted if predicted is None else predicted
        t = self.tol if tol is None else tol
        return {"upper": (-math.inf, p + t), "lower": (p - t, math.inf),
                "two-sided": (p - t, p + t)}[self.side]

    def definition_errors(self, predicted: Optional[float] = None, tol: Optional[float] = None,
                          where: str = "") -> list[str]:
        """What is wrong with the check itself, before any data: a two-sided band that
        contains a declared alternative cannot tell the claim from it."""
        if self.predicted is None and predicted is None:
            return []
        band = self.band(predicted, tol)
        return [f"its two-sided band [{band[0]:.4g}, {band[1]:.4g}]{where} contains the declared "
                f"alternative {name} ({float(v):.4g})"
                for name, v in self.alternatives.items()
                if alternative_role(float(v), band, self.side) == "inside-band"]

    def curved(self, fit: RateFit, tilt: float) -> bool:
        """Whether the window is curved beyond ``tilt`` in a direction that matters: either way
        for a two-sided band; for an upper band only a slope that flattens toward the end of the
        window (the asymptotic rate slower than the fitted one), for a lower band only one that
        steepens; a bend toward what a one-sided band admits cannot turn a pass into a miss."""
        if fit.tilt_ci is None:
            return False
        lo, hi = fit.tilt_ci
        up, down = lo > tilt, hi < -tilt
        return {"upper": up, "lower": down, "two-sided": up or down}[self.side]

    def _band_text(self, p: float, tol: Optional[float] = None) -> str:
        t = self.tol if tol is None else tol
        return {"upper": f"slope <= {p:.3g} + {t:.3g}", "lower": f"slope >= {p:.3g} - {t:.3g}",
                "two-sided": f"|slope - {p:.3g}| <= {t:.3g}"}[self.side]

    def _window(self, m: Measurement) -> dict:
        w = dict(self.window)
        if self.floor_factor is not None:
            if m.floor is None:
                raise ValueError("floor: the check's window is relative to a floor the measurement lacks")
            w["floor"] = self.floor_factor * float(m.floor)
        return w

    def _one(self, name: str, s: Series, m: Measurement) -> SeriesResult:
        p = float(self.predicted if s.predicted is None else s.predicted)
        tol_s = self.tol if s.tol is None else float(s.tol)
        band = self.band(p, tol_s)
        alts = dict(self.alternatives if s.alternatives is None else s.alternatives)
        roles = {a: alternative_role(float(v), band, self.side) for a, v in alts.items()}
        try:
            fit = fit_rate(s.x, s.y, log_x=self.log_x, **self._window(m))
        except ValueError as e:
            note = _divergence_note(m)
            return SeriesResult(name, "error", p, band, None,
                                f"no fit possible ({e}){'; ' + note if note else ''}",
                                [Alternative(a, float(v), None, roles[a]) for a, v in alts.items()])
        lo, hi = fit.ci
        alternatives = [Alternative(a, float(v), not (lo <= v <= hi), roles[a]) for a, v in alts.items()]
        outcome = decide_interval(fit.ci, band)
        sentence = (f"fitted slope {fit.slope:.3f} (95% CI {lo:.3f}..{hi:.3f}, {fit.method_text}, "
                    f"{fit.n_seeds} seeds, {len(fit.x_used)} points) vs predicted {p:.3f}: ")
        need = None
        inside_band = [a for a in alternatives if a.role == "inside-band"]
        open_alts = [a for a in alternatives if a.role == "contradicts" and not a.excluded]
        tilt = self.tilt_allowed if (self.max_tilt is not None or s.tol is None) else tol_s
        curved = self.curved(fit, tilt)
        if inside_band:
            outcome = "error"
            sentence += ("DEFINITION ERROR, the two-sided band contains the declared alternative "
                         + ", ".join(f"{a.name} ({a.exponent:.3g})" for a in inside_band)
                         + ": no CI inside the band can tell them apart")
        elif outcome == "passed" and open_alts:
            outcome = "inconclusive"
            sentence += (f"the CI lies inside {self._band_text(p, tol_s)} but INCONCLUSIVE, it does not "
                         "exclude the declared alternative "
                         + ", ".join(f"{a.name} ({a.exponent:.3g})" for a in open_alts))
        elif outcome == "passed" and curved:
            outcome = "inconclusive"
            sentence += (f"the CI lies inside {self._band_text(p, tol_s)} but INCONCLUSIVE, the window is "
                         f"curved beyond the declared tilt {tilt:g}"
                         + ("" if self.side == "two-sided" else ", toward a slope outside the band"))
        elif outcome == "passed":
            sentence += f"the CI lies inside {self._band_text(p, tol_s)}"
        elif outcome == "failed":
            sentence += f"the CI lies wholly outside {self._band_text(p, tol_s)}"
        else:
            edges = [e for e in band if math.isfinite(e) and lo <= e <= hi]
            need = seeds_to_resolve(fit, band)
            sentence += (f"INCONCLUSIVE, the CI contains the band's edge {edges[0]:.3g} "
                         f"({self._band_text(p, tol_s)})")
            if need is not None:
                sentence += f"; about {need} seeds would resolve it if the CI shrinks like 1/sqrt(seeds)"
            elif fit.ci_method == "ols-one-seed":
                sentence += "; with one seed the CI rests on the scatter about the line: run more seeds"
            else:
                sentence += "; the estimate sits on the edge, so more seeds alone cannot resolve it"
        if fit.tilt is not None:
            tl, th = fit.tilt_ci
            sentence += (f"; curvature: the local slope changes by {fit.tilt:+.3f} across the window "
                         f"(99% CI {tl:+.3f}..{th:+.3f}, p = {fit.tilt_p:.2g} against a straight line; "
                         f"declared tilt {tilt:.3g}; local slopes {_local_text(fit.local_rates)})")
        if fit.missing:
            sentence += f"; {fit.missing} non-finite entries left out seed by seed"
        if fit.dropped:
            sentence += f"; window dropped {len(fit.dropped)} point(s)"
        if abs(fit.log_mean_slope - fit.slope) > (hi - lo) / 2:
            sentence += (f"; the slope of the log of the seed mean is {fit.log_mean_slope:.3f}, "
                         f"outside the CI half-width of the fitted mean-of-logs slope")
        if alternatives:
            sentence += "; " + ", ".join(a.phrase() for a in alternatives)
        return SeriesResult(name, outcome, p, band, fit, sentence, alternatives, need)

    def evaluate(self, m: Measurement) -> SlopeResult:
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
        method = worst.fit.method_text if worst.fit is not None else "no fit"
        uncertainty = (f"95% CI of each slope ({method} for the reported series); passed needs the "
                       "whole CI inside the band, every contradicting alternative excluded and the "
                       "window no more curved than declared")
        return SlopeResult(outcome=outcome, sentence=sentence, uncertainty=uncertainty,
                           exponent=worst.predicted, slope=worst.slope, slope_ci=worst.ci,
                           tol=self.tol, fit=worst.fit, series=results,
                           reported_series=None if single else worst_name)

    def figure(self, m: Measurement, result: SlopeResult, *, title: str = "", bound_latex: str = ""):
        from . import plot

        if m.x is None:
            return None  # several series: the family draws its own figure
        fig, _ = plot.loglog_figure(m.x, m.y, fit=result.fit, predicted=self.predicted,
                                    bound_latex=bound_latex, title=title, log_x=self.log_x,
                                    xlabel=m.xlabel, ylabel=m.ylabel)
        return fig


def _local_text(rates) -> str:
    """The local (pairwise) slopes, the first and last three when there are many."""
    fmt = [f"{r:.3f}" for r in rates]
    return ", ".join(fmt) if len(fmt) <= 8 else ", ".join(fmt[:3] + ["...", *fmt[-3:]])


def _rate_outcome(t: InstanceTally, tolerated: float, enough: bool) -> str:
    if not enough or t.n < 1:
        return "error"
    return decide_rate(t.k, t.n, tolerated)


def _rate_sentence(t: InstanceTally, tolerated: float, outcome: str) -> str:
    lo, hi = fraction_interval(t.k, t.n)
    text = (f"{t.k} of {t.n} instances violate (95% CI of the violating fraction "
            f"{lo:.3g}..{hi:.3g}; tolerated {tolerated:g})")
    if outcome == "inconclusive":
        need = instances_needed(t.k, t.n, tolerated)
        text += ("; INCONCLUSIVE, the interval contains the tolerated rate"
                 + (f": about {need} instances would decide it at this violating fraction" if need else ""))
    return text


@dataclasses.dataclass
class PointwiseCheck(Check):
    """Every counted entry satisfies ``measured <= bound * (1 + rel_slack) + abs_slack``, on
    every instance (or on all but a tolerated fraction ``tolerated``, declared in advance).

    ``min_count`` counted entries are required: a check over nothing verifies nothing (an
    ``error``). The measured value reported is the worst ratio measured / bound; the decision is
    over instances (module docstring).
    """

    rel_slack: float = 0.0
    abs_slack: float = 0.0
    min_count: int = 1
    tolerated: float = 0.0
    kind = "pointwise"

    def __post_init__(self):
        if self.rel_slack < 0 or self.abs_slack < 0:
            raise ValueError("rel_slack/abs_slack: must be non-negative")
        if not 0 <= self.tolerated < 1:
            raise ValueError(f"tolerated: a violation rate in [0, 1), got {self.tolerated}")

    def evaluate(self, m: Measurement) -> PointwiseResult:
        worst, parts, tally = -np.inf, [], InstanceTally()
        for name in m.values:
            v, ref, mask = _selected(m, name)
            if ref is None:
                raise ValueError(f"reference: pointwise quantity {name!r} has no bound")
            sel = mask & np.isfinite(ref)
            nonfinite = int((sel & ~np.isfinite(v)).sum())
            ok = v <= ref * (1 + self.rel_slack) + self.abs_slack
            bad = sel & ~ok  # NaN compares False: a non-finite value violates
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(sel & np.isfinite(v), v / np.abs(ref), np.where(sel, np.inf, -np.inf))
            w = float(np.where(sel, ratio, -np.inf).max()) if ratio.size else -np.inf
            worst = max(worst, w)
            tally.add(m.instances.get(name, "seed"), sel, bad, ratio)
            parts.append(f"{name}: worst measured/bound {w:.3g}, {int(bad.sum())} of {int(sel.sum())} "
                         "entries over" + (f" ({nonfinite} non-finite)" if nonfinite else ""))
        enough = tally.entries >= self.min_count
        outcome = _rate_outcome(tally, self.tolerated, enough)
        sentence = "; ".join(parts)
        if enough and tally.n:
            sentence += "; " + _rate_sentence(tally, self.tolerated, outcome)
        else:
            sentence += f"; only {tally.entries} entries counted (need {self.min_count}): no evidence"
        note = _divergence_note(m)
        if note:
            sentence += f"; {note}"
        unc, counts = _instances_uncertainty(tally, self.tolerated)
        return PointwiseResult(outcome=outcome, sentence=sentence, uncertainty=unc,
                               worst_ratio=worst if np.isfinite(worst) else (None if worst < 0 else worst),
                               rel_slack=self.rel_slack, abs_slack=self.abs_slack,
                               tolerated=self.tolerated, counts=counts)

    def figure(self, m: Measurement, result: PointwiseResult, *, title: str = "", bound_latex: str = ""):
        from . import plot

        return plot.ratio_figure(m.values, m.reference, m.mask, title=title, rel_slack=self.rel_slack)[0]


@dataclasses.dataclass
class IdentityCheck(Check):
    """``|measured - expected| / scale <= rtol`` for every counted entry: a code check.

    ``scale`` is ``Measurement.scale[name]`` when the measurement provides one (the natural
    size of the rounding error), else ``max(|expected|, tiny)``.
    """

    rtol: float = 1e-10
    min_count: int = 1
    kind = "identity"

    def evaluate(self, m: Measurement) -> IdentityResult:
        worst, count, bad, parts = 0.0, 0, 0, []
        tally = InstanceTally()
        for name in m.values:
            v, ref, mask = _selected(m, name)
            if ref is None:
                raise ValueError(f"reference: identity quantity {name!r} has no formula")
            scale = m.scale.get(name)
            scale = np.maximum(np.abs(ref), 1e-300) if scale is None else np.broadcast_to(
                np.asarray(scale, float), v.shape)
            with np.errstate(divide="ignore", invalid="ignore"):
                full = np.abs(v - ref) / scale
            full = np.where(np.isnan(full), np.inf, full)  # a NaN is the worst possible error
            err = full[mask]
            w = float(err.max()) if err.size else float("nan")
            bad += int((err > self.rtol).sum())
            tally.add(m.instances.get(name, "seed"), mask, full > self.rtol)
            worst = max(worst, w) if err.size else worst
            count += int(err.size)
            parts.append(f"{name}: max relative error {w:.2e} over {err.size} entries")
        outcome = "error" if count < self.min_count else ("passed" if bad == 0 else "failed")
        sentence = "; ".join(parts) + f" (tolerance {self.rtol:g})"
        note = _divergence_note(m)
        if note:
            sentence += f"; {note}"
        unc = (f"deterministic up to floating-point rounding, which the tolerance covers; "
               f"{bad} of {count} entries outside, on {tally.k} of {tally.n} instances")
        counts = InstanceCounts(tally.k, tally.n, fraction_interval(tally.k, tally.n), count,
                                entries_outside=bad)
        return IdentityResult(outcome=outcome, sentence=sentence, uncertainty=unc,
                              worst_error=worst, rtol=self.rtol, counts=counts)

    def figure(self, m: Measurement, result: IdentityResult, *, title: str = "", bound_latex: str = ""):
        from . import plot

        return plot.error_figure(m.values, m.reference, m.mask, rtol=self.rtol, title=title,
                                 scales=dict(m.scale))[0]


@dataclasses.dataclass
class LimitCheck(Check):
    """Every counted instance's value of each named quantity lies in ``intervals[name]`` (or
    all but a tolerated fraction ``tolerated`` of the instances, declared in advance).

    A diverged run enters as a non-finite value, which lies in no interval: it fails the check
    unless the measurement masks it out on purpose (and says why). Fewer than ``min_count``
    counted values of a quantity is an ``error`` (no evidence). The measured value reported is
    the median of the first quantity over instances, with its distribution-free 95% interval.
    """

    intervals: Mapping[str, tuple[float, float]] = dataclasses.field(default_factory=dict)
    min_count: int = 1
    tolerated: float = 0.0
    kind = "limit"

    def __post_init__(self):
        if not 0 <= self.tolerated < 1:
            raise ValueError(f"tolerated: a violation rate in [0, 1), got {self.tolerated}")

    def evaluate(self, m: Measurement) -> LimitResult:
        parts, first, short, tally = [], None, False, InstanceTally()
        for name, (lo, hi) in self.intervals.items():
            v, _, mask = _selected(m, name)
            sel = v[mask]
            with np.errstate(invalid="ignore"):
                inside_full = (v >= lo) & (v <= hi)
            inside = inside_full[mask]
            nonfinite = int((~np.isfinite(sel)).sum())
            short = short or sel.size < self.min_count
            tally.add(m.instances.get(name, "seed"), mask, ~inside_full)
            fin = sel[np.isfinite(sel)]
            rng = (float(fin.min()), float(fin.max())) if fin.size else (float("nan"),) * 2
            med = float(np.median(fin)) if fin.size else float("nan")
            if first is None:
                first = (med, quantile_interval(fin, 0.5) if fin.size else None)
            parts.append(f"{name}: median {med:.4g}, range {rng[0]:.4g}..{rng[1]:.4g} over "
                         f"{sel.size} runs vs [{lo:g}, {hi:g}]"
                         + (f", {int((~inside).sum())} outside" if not inside.all() else "")
                         + (f" ({nonfinite} non-finite)" if nonfinite else ""))
        outcome = _rate_outcome(tally, self.tolerated, not short)
        sentence = "; ".join(parts)
        if short:
            sentence += f"; fewer than {self.min_count} instances counted: no evidence"
        elif tally.n:
            sentence += "; " + _rate_sentence(tally, self.tolerated, outcome)
        note = _divergence_note(m)
        if note:
            sentence += f"; {note}"
        med, ci = first if first else (None, None)
        unc, counts = _instances_uncertainty(tally, self.tolerated)
        return LimitResult(outcome=outcome, sentence=sentence, uncertainty=unc,
                           intervals={k: tuple(v) for k, v in self.intervals.items()},
                           tolerated=self.tolerated, median=med, median_ci=ci, counts=counts)

    def figure(self, m: Measurement, result: LimitResult, *, title: str = "", bound_latex: str = ""):
        from . import plot

        return plot.interval_figure(m.values, self.intervals, m.mask, title=title)[0]


@dataclasses.dataclass
class ConstancyCheck(Check):
    """A positive quantity is constant over a grid within a factor: for each series of the
    measurement (``x``, ``y`` of shape ``(seeds, points)``, as for a slope check), the ratio of
    the largest to the smallest geometric mean over seeds, ``exp(max_j m_j - min_j m_j)`` with
    ``m_j`` the mean of ``log y`` at point ``j``, against ``factor``.

    Its 95% interval is simultaneous over the grid (t-intervals at level ``1 - 0.05/m`` per
    point, Bonferroni; :func:`~theorylab.core.fit.log_spread`): ``passed`` when its upper end
    is at most ``factor``, ``failed`` when its lower end exceeds it, else ``inconclusive``. Unlike
    a slope, it sees any departure from a constant, a bend or a step as much as a trend, so a
    control whose values are not a power law is still decided. Every series must pass; a
    control is rejected when every series fails. A grid point with fewer than 2 finite
    positive values is an ``error`` (no evidence).
    """

    factor: float = 1.5
    kind = "constancy"

    def __post_init__(self):
        if not self.factor > 1:
            raise ValueError(f"factor: must be greater than 1, got {self.factor}")

    def evaluate(self, m: Measurement) -> ConstancyResult:
        bound = math.log(self.factor)
        spreads, outcomes, parts = {}, {}, []
        for name, s in m.all_series().items():
            label = f"{name}: " if name else ""
            try:
                sp = log_spread(s.y)
            except ValueError as e:
                outcomes[name] = "error"
                parts.append(f"{label}no spread ({e})")
                continue
            spreads[name] = sp
            out = "passed" if sp.hi <= bound else "failed" if sp.lo > bound else "inconclusive"
            outcomes[name] = out
            gm = ", ".join(f"{math.exp(v):.4g}" for v in sp.means)
            parts.append(f"{label}the geometric means over the grid ({gm}) vary by a factor "
                         f"{math.exp(sp.spread):.3f} (95% simultaneous CI {math.exp(sp.lo):.3f}.."
                         f"{math.exp(sp.hi):.3f}, {min(sp.seeds)}-{max(sp.seeds)} seeds per point) "
                         f"against at most {self.factor:.3g}: "
                         + {"passed": "the CI lies under it", "failed": "the CI lies wholly above it",
                            "inconclusive": "INCONCLUSIVE, the CI contains it"}[out])
        order = {"error": 0, "failed": 1, "inconclusive": 2, "passed": 3}
        outcome = min(outcomes.values(), key=order.__getitem__) if outcomes else "error"

        def margin(n):
            return bound - spreads[n].hi if n in spreads else -math.inf

        worst = min(outcomes, key=lambda n: (order[outcomes[n]], margin(n))) if outcomes else None
        sentence = "; ".join(parts)
        note = _divergence_note(m)
        if note:
            sentence += f"; {note}"
        unc = ("95% simultaneous interval of the max/min ratio of the geometric means: a "
               "t-interval of the mean log value at each grid point over its own seeds, at level "
               "1 - 0.05/(points) (Bonferroni)")
        single = list(outcomes) == [""]
        return ConstancyResult(outcome=outcome, sentence=sentence, uncertainty=unc,
                               factor=self.factor, spreads=spreads, outcomes=outcomes,
                               reported_series=None if single else worst)

    def figure(self, m: Measurement, result: ConstancyResult, *, title: str = "", bound_latex: str = ""):
        from . import plot

        return plot.constancy_figure({n: s for n, s in m.all_series().items()}, result.spreads,
                                     self.factor, title=title, xlabel=m.xlabel, ylabel=m.ylabel)[0]
