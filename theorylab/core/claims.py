"""Claims, checks and verdicts.

A :class:`Claim` is one checkable statement of a paper: a statement a reader can hold against
the source, its provenance tag, an optional symbolic :class:`~theorylab.core.bounds.Bound`, a
``measure`` function that runs the simulation and returns a :class:`Measurement`, a
:class:`Check` that turns the measurement into a :class:`Verdict`, and negative
:class:`Control` s: nearby settings run through the *same* check, which must fail.

Check kinds:

* :class:`SlopeCheck` -- fitted log-log (or semi-log) slope against the bound's exponent,
  one-sided (``side="upper"``: at least as fast as the bound) or two-sided (tight rates).
* :class:`PointwiseCheck` -- a measured quantity stays under an explicit bound for every entry
  (every iteration, every instance), with a stated relative and absolute slack.
* :class:`IdentityCheck` -- measured equals a formula up to a relative error.
* :class:`LimitCheck` -- every instance's final value of each named quantity lies in an interval.

A diverged or non-finite run is a recorded outcome: it makes the check fail with a sentence
saying so, never an exception.
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np

from .bounds import TAGS, Bound
from .fit import fit_rate

SIZES = ("quick", "full")


# ----------------------------------------------------------------------------------------
# Measurements and verdicts
# ----------------------------------------------------------------------------------------
@dataclasses.dataclass
class Measurement:
    """What a claim's ``measure`` returns; each check reads the fields it needs.

    Attributes:
        x, y: a slope check's grid ``(m,)`` and values ``(seeds, m)``.
        series: several slope curves at once, ``{name: (x, y)}`` or ``{name: (x, y,
            predicted)}``; each must pass.
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
    values: dict = dataclasses.field(default_factory=dict)
    reference: dict = dataclasses.field(default_factory=dict)
    mask: dict = dataclasses.field(default_factory=dict)
    diverged: int = 0
    total: int = 0
    extra: dict = dataclasses.field(default_factory=dict)
    info: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class CheckResult:
    passed: bool
    predicted: Any
    measured: Any
    ci: Optional[tuple[float, float]]
    tolerance: Any
    resolution: Optional[float]
    sentence: str
    fit: Optional[dict] = None


@dataclasses.dataclass
class Verdict:
    """The outcome of running one claim (and its controls)."""

    claim_id: str
    kind: str
    status: str  # "passed", "failed", "skipped"
    check_passed: Optional[bool]
    predicted: Any = None
    measured: Any = None
    ci: Optional[tuple[float, float]] = None
    tolerance: Any = None
    resolution: Optional[float] = None
    sentence: str = ""
    control_rejected: Optional[bool] = None
    controls: list = dataclasses.field(default_factory=list)
    fit: Optional[dict] = None
    figure: Optional[str] = None
    wall_s: float = 0.0
    info: dict = dataclasses.field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["id"] = d.pop("claim_id")
        d["passed"] = self.passed
        return _jsonable(d)


def _jsonable(obj):
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


@dataclasses.dataclass
class SlopeCheck(Check):
    """Fitted slope of ``log y`` against ``log x`` (or ``x``) versus a predicted exponent.

    Args:
        predicted: the exponent; ``None`` takes ``bound.exponent(wrt, **bound_values)``.
        side: ``"upper"`` (the bound is an upper bound on a decaying quantity: pass when the
            slope is at most ``predicted + tol``), ``"lower"`` (slope at least
            ``predicted - tol``) or ``"two-sided"`` (``|slope - predicted| <= tol``).
        tol: tolerance, argued where the claim is defined.
        window: keyword arguments of :func:`~theorylab.core.fit.fit_rate` (``x_min``,
            ``x_max``, ``floor``, ``min_points``).
        log_x: power law (True) or geometric rate (False).
    """

    predicted: Optional[float] = None
    side: str = "upper"
    tol: float = 0.1
    window: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    log_x: bool = True
    wrt: Optional[str] = None
    bound_values: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    kind = "slope"

    def __post_init__(self):
        if self.side not in ("upper", "lower", "two-sided"):
            raise ValueError(f"side: must be 'upper', 'lower' or 'two-sided', got {self.side!r}")
        if not self.tol >= 0:
            raise ValueError(f"tol: must be non-negative, got {self.tol}")

    def resolve(self, bound: Optional[Bound]) -> "SlopeCheck":
        if self.predicted is not None:
            return self
        if bound is None or self.wrt is None:
            raise ValueError("predicted: give a number, or a bound and wrt to derive it")
        e = bound.exponent(self.wrt, **self.bound_values) if self.log_x else bound.log_rate(
            self.wrt, **self.bound_values)
        return dataclasses.replace(self, predicted=float(e))

    def _one(self, x, y, m: Measurement, predicted: Optional[float] = None) -> CheckResult:
        if predicted is not None and predicted != self.predicted:
            return dataclasses.replace(self, predicted=float(predicted))._one(x, y, m)
        tol_desc = {"upper": f"slope <= {self.predicted:.3g} + {self.tol}",
                    "lower": f"slope >= {self.predicted:.3g} - {self.tol}",
                    "two-sided": f"|slope - {self.predicted:.3g}| <= {self.tol}"}[self.side]
        try:
            fit = fit_rate(x, y, log_x=self.log_x, **dict(self.window))
        except ValueError as e:
            note = _divergence_note(m)
            return CheckResult(False, self.predicted, None, None, self.tol, None,
                               f"no fit possible ({e}){'; ' + note if note else ''}", None)
        s = fit.slope
        if self.side == "upper":
            ok = s <= self.predicted + self.tol
        elif self.side == "lower":
            ok = s >= self.predicted - self.tol
        else:
            ok = abs(s - self.predicted) <= self.tol
        sentence = (f"fitted slope {s:.3f} (95% CI {fit.ci[0]:.3f}..{fit.ci[1]:.3f}, R2 {fit.r2:.3f}, "
                    f"{fit.n_seeds} seeds, {len(fit.x_used)} points) vs predicted {self.predicted:.3f}: "
                    f"{'meets' if ok else 'violates'} {tol_desc}")
        if fit.dropped:
            sentence += f"; window dropped {len(fit.dropped)} point(s)"
        if self.tol > 0 and fit.resolution > 2 * self.tol:
            sentence += f"; resolution {fit.resolution:.2f} is coarser than the tolerance band"
        return CheckResult(bool(ok), self.predicted, s, fit.ci, self.tol, fit.resolution, sentence,
                           fit.to_dict())

    def _margin(self, r: CheckResult) -> float:
        """How far inside the tolerance band a series lies (negative: outside; -inf: no fit)."""
        if r.measured is None:
            return -np.inf
        s, p = r.measured, r.predicted
        return {"upper": p + self.tol - s, "lower": s - (p - self.tol),
                "two-sided": self.tol - abs(s - p)}[self.side]

    def evaluate(self, m: Measurement) -> CheckResult:
        """Fit ``(m.x, m.y)``, or, when ``m.series`` names several curves, fit each: the check
        passes only if every series does, and reports the one with the least margin. A series
        given as ``(x, y, predicted)`` has its own predicted exponent."""
        if self.predicted is None:
            raise ValueError("predicted: unresolved; call resolve(bound) first")
        if not m.series:
            return self._one(m.x, m.y, m)
        results = {name: self._one(*s[:2], m, s[2] if len(s) > 2 else None)
                   for name, s in m.series.items()}
        worst_name = min(results, key=lambda n: self._margin(results[n]))
        worst = results[worst_name]
        fit = dict(worst.fit or {})
        fit["series"] = {n: {"slope": r.measured, "ci": r.ci, "predicted": r.predicted,
                             "passed": r.passed} for n, r in results.items()}
        fit["reported_series"] = worst_name
        sentence = "; ".join(f"{n}: {r.sentence}" for n, r in results.items())
        return dataclasses.replace(worst, passed=all(r.passed for r in results.values()),
                                   sentence=sentence, fit=fit)


@dataclasses.dataclass
class PointwiseCheck(Check):
    """Every counted entry satisfies ``measured <= bound * (1 + rel_slack) + abs_slack``.

    ``min_count`` counted entries are required: a check over nothing verifies nothing.
    The measured value reported is the worst ratio measured / bound.
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
        ok = violations == 0 and count >= self.min_count
        sentence = "; ".join(parts)
        if count < self.min_count:
            sentence += f"; only {count} entries counted (need {self.min_count})"
        note = _divergence_note(m)
        if note:
            sentence += f"; {note}"
        tol = {"rel_slack": self.rel_slack, "abs_slack": self.abs_slack}
        return CheckResult(bool(ok), 1.0, worst if np.isfinite(worst) else None, None, tol, None,
                           sentence)


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
        worst, count, parts = 0.0, 0, []
        ok = True
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
            ok = ok and bool(np.all(err <= self.rtol))
            worst = max(worst, w) if err.size else worst
            count += int(err.size)
            parts.append(f"{name}: max relative error {w:.2e} over {err.size} entries")
        ok = ok and count >= self.min_count
        sentence = "; ".join(parts) + f" (tolerance {self.rtol:g})"
        note = _divergence_note(m)
        if note:
            sentence += f"; {note}"
        return CheckResult(bool(ok), 0.0, worst, None, self.rtol, None, sentence)


@dataclasses.dataclass
class LimitCheck(Check):
    """Every counted instance's value of each named quantity lies in ``intervals[name]``.

    A diverged run enters as a non-finite value, which lies in no interval: it fails the check
    unless the measurement masks it out on purpose (and says why).
    The measured value reported is the median of the first quantity; the CI slot holds its
    min..max over instances.
    """

    intervals: Mapping[str, tuple[float, float]] = dataclasses.field(default_factory=dict)
    min_count: int = 1
    kind = "limit"

    def evaluate(self, m: Measurement) -> CheckResult:
        ok, parts, first = True, [], None
        for name, (lo, hi) in self.intervals.items():
            v, _, mask = _selected(m, name)
            sel = v[mask]
            inside = (sel >= lo) & (sel <= hi)
            nonfinite = int((~np.isfinite(sel)).sum())
            good = bool(inside.all()) and sel.size >= self.min_count
            ok = ok and good
            fin = sel[np.isfinite(sel)]
            rng = (float(fin.min()), float(fin.max())) if fin.size else (float("nan"),) * 2
            med = float(np.median(fin)) if fin.size else float("nan")
            if first is None:
                first = (med, rng)
            parts.append(f"{name}: median {med:.4g}, range {rng[0]:.4g}..{rng[1]:.4g} over "
                         f"{sel.size} runs vs [{lo:g}, {hi:g}]"
                         + (f", {int((~inside).sum())} outside" if not inside.all() else "")
                         + (f" ({nonfinite} non-finite)" if nonfinite else ""))
        sentence = "; ".join(parts)
        note = _divergence_note(m)
        if note:
            sentence += f"; {note}"
        tol = {k: list(v) for k, v in self.intervals.items()}
        med, rng = first if first else (None, None)
        return CheckResult(bool(ok), tol, med, rng, tol, None, sentence)


# ----------------------------------------------------------------------------------------
# Claims and the registry
# ----------------------------------------------------------------------------------------
@dataclasses.dataclass
class Context:
    """What a claim's ``measure`` receives."""

    claim_id: str
    size: str
    seeds: int
    params: Mapping[str, Any]
    root_seed: int
    sweep: Any = None  # a theorylab.core.sweep.Sweep bound to the claim (cache, progress)

    def key(self, *tags: str):
        """A PRNG key for this claim derived from its root seed and ``tags`` via fold_in."""
        import jax

        k = jax.random.PRNGKey(self.root_seed)
        for t in tags:
            k = jax.random.fold_in(k, zlib.crc32(t.encode()) & 0x7FFFFFFF)
        return k


@dataclasses.dataclass
class Control:
    """A nearby setting where the claim is known to fail; run through the claim's check."""

    name: str
    description: str
    measure: Callable[[Context], Measurement]
    check: Optional[Check] = None  # default: the claim's own check


@dataclasses.dataclass
class Claim:
    """One checkable statement. See the module docstring."""

    id: str
    title: str
    statement: str
    source: str
    tag: str
    check: Check
    measure: Callable[[Context], Measurement]
    sizes: Mapping[str, Mapping[str, Any]]
    seeds: Mapping[str, int]
    bound: Optional[Bound] = None
    controls: Sequence[Control] = ()
    needs_full: Optional[str] = None
    figure: Optional[Callable] = None  # figure(measurement, verdict, claim, path) -> None
    family: str = ""

    def __post_init__(self):
        if "." not in self.id:
            raise ValueError(f"id: must look like 'family.short_name', got {self.id!r}")
        if self.tag not in TAGS:
            raise ValueError(f"tag: must be one of {TAGS}, got {self.tag!r}")
        for s in SIZES:
            if s not in self.sizes or s not in self.seeds:
                raise ValueError(f"sizes/seeds: claim {self.id} must define size {s!r}")
        if isinstance(self.check, SlopeCheck):
            self.check = self.check.resolve(self.bound)
        if not self.family:
            self.family = self.id.split(".")[0]

    @property
    def root_seed(self) -> int:
        return zlib.crc32(self.id.encode()) & 0x7FFFFFFF

    def describe(self) -> dict:
        return {
            "id": self.id, "title": self.title, "statement": self.statement,
            "source": self.source, "tag": self.tag, "kind": self.check.kind,
            "bound": None if self.bound is None else self.bound.describe(),
            "controls": [c.name for c in self.controls], "needs_full": self.needs_full,
        }


_REGISTRY: dict[str, Claim] = {}


def register(claim: Claim) -> Claim:
    if claim.id in _REGISTRY and _REGISTRY[claim.id] is not claim:
        raise ValueError(f"id: claim {claim.id!r} is registered twice")
    _REGISTRY[claim.id] = claim
    return claim


def _discover() -> None:
    """Import every ``theorylab.<family>.claims`` module (core names no family)."""
    import importlib
    import pkgutil

    import theorylab

    for mod in pkgutil.iter_modules(theorylab.__path__):
        if mod.ispkg and mod.name != "core":
            try:
                importlib.import_module(f"theorylab.{mod.name}.claims")
            except ModuleNotFoundError as e:
                if e.name != f"theorylab.{mod.name}.claims":
                    raise


def all_claims() -> list[Claim]:
    _discover()
    return sorted(_REGISTRY.values(), key=lambda c: c.id)


def select(selectors: Sequence[str] = ()) -> list[Claim]:
    """Claims matching ids, id prefixes (``large_lr``) or family names; all when empty."""
    claims = all_claims()
    if not selectors:
        return claims
    out: list[Claim] = []
    for sel in selectors:
        hit = [c for c in claims
               if c.id == sel or c.id.startswith(sel + ".") or c.family == sel]
        if not hit:
            known = sorted({c.family for c in claims} | {c.id.split(".")[0] for c in claims})
            raise ValueError(f"claim: unknown claim or family {sel!r} (families: {', '.join(known)})")
        out.extend(c for c in hit if c not in out)
    return out
