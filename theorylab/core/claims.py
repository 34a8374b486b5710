"""Claims, checks and verdicts.

A :class:`Claim` is one checkable statement of a paper: a statement a reader can hold against
the source, its provenance tag, an optional symbolic :class:`~theorylab.core.bounds.Bound`, a
``measure`` function that runs the simulation and returns a :class:`Measurement`, a
:class:`Check` that turns the measurement into a :class:`Verdict`, and negative
:class:`Control` s: nearby settings run through the *same* check, which must fail.

The checks and how they decide (passed, failed, inconclusive, or an error meaning no
evidence) live in :mod:`theorylab.core.checks`; they are re-exported here.
"""

from __future__ import annotations

import dataclasses
import zlib
from typing import Any, Callable, Mapping, Optional, Sequence

from .bounds import TAGS, Bound
from .checks import (OUTCOMES, Alternative, Check, CheckResult, ConstancyCheck, ConstancyResult,
                     IdentityCheck, IdentityResult,
                     InstanceCounts, LimitCheck, LimitResult, Measurement, PointwiseCheck,
                     PointwiseResult, Series, SeriesResult, SlopeCheck, SlopeResult, _jsonable)
from .sweep import root_seed as _root_seed

SIZES = ("quick", "full")
#: what a claim's verdict is evidence of: ``"theorem"`` (it could fail if the result it checks
#: were false) or ``"code"`` (a code check: it can fail only through a bug, because what it
#: checks is built into the code, such as an algebraic identity of the update or an equality
#: the construction guarantees). Counted apart by ``verify``, the report and the README.
EVIDENCE = ("theorem", "code")

__all__ = ["EVIDENCE", "SIZES", "STATUSES", "OUTCOMES", "Alternative", "Check", "CheckResult", "Claim",
           "ConstancyCheck", "ConstancyResult", "Context",
           "Control", "ControlResult", "IdentityCheck", "IdentityResult", "InstanceCounts",
           "LimitCheck", "LimitResult", "Measurement", "PointwiseCheck", "PointwiseResult",
           "Series", "SeriesResult", "SlopeCheck", "SlopeResult", "Verdict", "all_claims",
           "definition_errors", "select"]


# ----------------------------------------------------------------------------------------
# Verdicts
# ----------------------------------------------------------------------------------------
STATUSES = ("passed", "failed", "inconclusive", "skipped")


@dataclasses.dataclass
class ControlResult:
    """A control's run through the claim's check. It is *rejected* only when its own outcome
    is ``failed`` (for several slope series: every series failed). An error (a crash, an empty
    window, nothing counted) is an error of the control, never a rejection."""

    name: str
    description: str
    result: Optional[CheckResult] = None
    error: Optional[str] = None

    @property
    def outcome(self) -> str:
        return "error" if self.result is None else self.result.outcome

    @property
    def rejected(self) -> bool:
        return self.result is not None and self.result.rejects()

    @property
    def measured(self):
        return None if self.result is None else self.result.measured

    @property
    def sentence(self) -> str:
        return self.error if self.result is None else self.result.sentence

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "outcome": self.outcome,
                "rejected": self.rejected, "measured": self.measured, "sentence": self.sentence,
                "result": self.result}


@dataclasses.dataclass
class Verdict:
    """The outcome of running one claim (and its controls) on one root seed set.

    ``status`` is ``passed`` (the check passed and every control was rejected), ``failed`` (the
    check failed or had no evidence, or a control passed the same check, or a control errored),
    ``inconclusive`` (the check, or a control, straddles its band: more seeds or a larger size
    are needed) or ``skipped`` (needs the full size; the sentence says why).
    """

    claim_id: str
    kind: str
    status: str
    result: Optional[CheckResult] = None
    sentence: str = ""
    controls: list = dataclasses.field(default_factory=list)  # of ControlResult
    figure: Optional[str] = None
    wall_s: float = 0.0
    info: dict = dataclasses.field(default_factory=dict)
    root: int = 0
    sources: list = dataclasses.field(default_factory=list)  # (namespace, stream) of its data
    evidence: str = "theorem"  # the claim's: "theorem" or "code" (a code check)
    derived_from: tuple = ()  # the claim's: ids whose data its number is computed from

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status: must be one of {STATUSES}, got {self.status!r}")

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def outcome(self) -> Optional[str]:
        """The check's own outcome (before the controls), None when skipped."""
        return None if self.result is None else self.result.outcome

    @property
    def check_passed(self) -> Optional[bool]:
        return None if self.result is None else self.result.passed

    @property
    def control_rejected(self) -> Optional[bool]:
        return None if not self.controls else all(c.rejected for c in self.controls)

    # the headline quantities, read from the check result (each kind says what they are)
    predicted = property(lambda self: None if self.result is None else self.result.predicted)
    measured = property(lambda self: None if self.result is None else self.result.measured)
    ci = property(lambda self: None if self.result is None else self.result.ci)
    tolerance = property(lambda self: None if self.result is None else self.result.tolerance)
    resolution = property(lambda self: None if self.result is None else self.result.resolution)

    @property
    def fit(self):
        """The reported series' fit (slope checks), else None."""
        return self.result.fit if isinstance(self.result, SlopeResult) else None

    @property
    def series(self) -> dict:
        """Name -> SeriesResult (slope checks), else empty."""
        return self.result.series if isinstance(self.result, SlopeResult) else {}

    @property
    def alternatives(self) -> dict:
        return {} if self.result is None else self.result.alternatives

    def to_dict(self) -> dict:
        """The one serializer of a verdict (``results.json``, ``calibrate``, ``report``): the
        claim's fields and its check result's own ``to_dict``."""
        head = {"id": self.claim_id, "kind": self.kind, "status": self.status, "passed": self.passed,
                "outcome": self.outcome, "root": self.root}
        result = {"predicted": None, "measured": None, "ci": None, "tolerance": None,
                  "resolution": None, "uncertainty": None, "fit": None, "series": {},
                  "counts": None, "alternatives": {}}
        if self.result is not None:
            result.update({k: v for k, v in self.result.to_dict().items() if k not in head})
        d = {**head, **result, "sentence": self.sentence, "evidence": self.evidence,
             "derived_from": list(self.derived_from),
             "control_rejected": self.control_rejected, "controls": self.controls,
             "sources": [list(s) for s in self.sources],
             "figure": self.figure, "wall_s": self.wall_s, "info": self.info}
        return _jsonable(d)


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
    root: int = 0  # which root seed set root_seed came from

    def key(self, *tags: str):
        """A PRNG key for this claim derived from its root seed and ``tags`` via fold_in."""
        import jax

        k = jax.random.PRNGKey(self.root_seed)
        for t in tags:
            k = jax.random.fold_in(k, zlib.crc32(t.encode()) & 0x7FFFFFFF)
        return k


@dataclasses.dataclass(frozen=True)
class Control:
    """A nearby setting where the claim is known to fail; run through the claim's check."""

    name: str
    description: str
    measure: Callable[[Context], Measurement]
    check: Optional[Check] = None  # default: the claim's own check


@dataclasses.dataclass(frozen=True)
class Claim:
    """One checkable statement. See the module docstring. Frozen: a claim is a value; build a
    changed copy with :func:`dataclasses.replace`."""

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
    #: why the full size needs an accelerator, with its estimated cost on a 2-core CPU: at full
    #: size on a CPU backend the claim is skipped with this reason (``--run-full-only`` runs it)
    needs_gpu: Optional[str] = None
    #: what calibration over fresh root seeds measured where the claim misses the target
    #: (passed on 19 of 20 roots, every control rejected on 19 of 20) at a size it still runs at:
    #: a finding stated with the claim and printed with every verdict, never tuned away
    calibration: Optional[str] = None
    #: the argument behind each tolerance and window (the measured facts it rests on) and what
    #: is known to be loose: stated with the claim, printed in docs/claims.md
    notes: str = ""
    figure: Optional[Callable] = None  # figure(measurement, verdict, claim, path) -> None
    family: str = ""
    #: a slope claim's declared grid: the key of ``sizes[size]`` that holds it, or a function of
    #: ``sizes[size]`` returning the grid (or ``{series: grid}``); with it, a window that keeps
    #: fewer than ``min_points`` of the grid at some size is a definition error at load
    grid: Optional[Any] = None
    #: a slope claim whose band depends on the size or the series: ``band_at(sizes[size])``
    #: returns ``(predicted, tol)``, or ``{series: (predicted, tol, alternatives)}`` (its
    #: measurement's series carry the same values); checked against the declared alternatives
    #: at load, size by size
    band_at: Optional[Callable] = None
    #: ``"theorem"`` or ``"code"`` (see :data:`EVIDENCE`): a code check is reported and counted
    #: apart from the evidence for the theorems
    evidence: str = "theorem"
    #: the ids of the claims (of the same family) whose data this claim's number is computed
    #: from: its verdict is reported as derived from them and not counted as evidence again
    derived_from: Sequence[str] = ()

    def __post_init__(self):
        if "." not in self.id:
            raise ValueError(f"id: must look like 'family.short_name', got {self.id!r}")
        if self.tag not in TAGS:
            raise ValueError(f"tag: must be one of {TAGS}, got {self.tag!r}")
        if self.evidence not in EVIDENCE:
            raise ValueError(f"evidence: claim {self.id} must be one of {EVIDENCE}, got {self.evidence!r}")
        if isinstance(self.derived_from, str):
            raise ValueError(f"derived_from: claim {self.id} needs a sequence of claim ids, got a string")
        object.__setattr__(self, "derived_from", tuple(self.derived_from))
        if self.id in self.derived_from:
            raise ValueError(f"derived_from: claim {self.id} cannot be derived from itself")
        for s in SIZES:
            if s not in self.sizes or s not in self.seeds:
                raise ValueError(f"sizes/seeds: claim {self.id} must define size {s!r}")
        if isinstance(self.check, SlopeCheck):
            object.__setattr__(self, "check", self.check.resolve(self.bound))
        if not self.family:
            object.__setattr__(self, "family", self.id.split(".")[0])
        object.__setattr__(self, "controls", tuple(self.controls))

    @property
    def root_seed(self) -> int:
        """The default root seed (root 0)."""
        return _root_seed(self.id, 0)

    def seed(self, root: int = 0) -> int:
        """The root seed of root seed set ``root`` (0: the default, ``root_seed``)."""
        return _root_seed(self.id, root)

    @property
    def package(self) -> Optional[str]:
        """The package whose source decides this claim's results (its ``measure``'s package)."""
        from .results import code_package

        return code_package(getattr(self.measure, "__module__", "") or "")

    def alternatives(self) -> dict:
        """The declared wrong exponents of a slope claim ``{name: exponent}`` (per-series ones
        are declared by the measurement and reported in the verdict)."""
        return dict(getattr(self.check, "alternatives", {}) or {})

    def describe(self) -> dict:
        return {
            "id": self.id, "title": self.title, "statement": self.statement,
            "source": self.source, "tag": self.tag, "kind": self.check.kind,
            "bound": None if self.bound is None else self.bound.describe(),
            "controls": [c.name for c in self.controls], "needs_full": self.needs_full,
            "needs_gpu": self.needs_gpu, "calibration": self.calibration, "notes": self.notes,
        }


def _same_callable(a, b) -> bool:
    """Whether two measure functions run the same settings: the same object, partials of the
    same function with equal arguments, or functions with the same code, constants, defaults
    and closure values (two lambdas written alike)."""
    import functools

    if a is b:
        return True
    if isinstance(a, functools.partial) and isinstance(b, functools.partial):
        return _same_callable(a.func, b.func) and a.args == b.args and a.keywords == b.keywords
    ca, cb = getattr(a, "__code__", None), getattr(b, "__code__", None)
    if ca is None or cb is None:
        return False
    try:
        cells = lambda f: tuple(c.cell_contents for c in (f.__closure__ or ()))  # noqa: E731
        return (ca.co_code == cb.co_code and ca.co_consts == cb.co_consts
                and ca.co_names == cb.co_names and a.__defaults__ == b.__defaults__
                and a.__kwdefaults__ == b.__kwdefaults__ and cells(a) == cells(b)
                and getattr(a, "__globals__", None) is getattr(b, "__globals__", None))
    except (ValueError, TypeError):  # an empty cell, or values that cannot be compared
        return False


def _declared_grids(claim: Claim, size: str) -> dict:
    grid = claim.grid
    params = claim.sizes[size]
    g = params.get(grid) if isinstance(grid, str) else grid(params)
    if g is None:
        raise ValueError(f"grid: sizes[{size!r}] has no key {grid!r}")
    return {k: list(v) for k, v in g.items()} if isinstance(g, Mapping) else {"": list(g)}


def definition_errors(claim: Claim) -> list[str]:
    """What makes a claim unable to mean what it says, found before any data (one line each):
    no control; a control that runs the claim's own settings through the claim's own check; a
    two-sided band that contains a declared alternative; a window that keeps fewer than
    ``min_points`` of the declared grid at some size."""
    errs = []
    if not claim.controls:
        errs.append("it has no control (a check that cannot fail verifies nothing; declare at least "
                    "one nearby setting where it must fail)")
    for c in claim.controls:
        same_check = c.check is None or c.check == claim.check
        if same_check and _same_callable(c.measure, claim.measure):
            errs.append(f"its control {c.name!r} runs the claim's own settings through the claim's own check")
    def_errs = getattr(claim.check, "definition_errors", None)
    if def_errs is not None and claim.band_at is None:
        errs.extend(def_errs())
    elif def_errs is not None:
        for size in SIZES:
            bands = claim.band_at(claim.sizes[size])
            if not isinstance(bands, Mapping):
                errs.extend(def_errs(float(bands[0]), float(bands[1]), f" at size {size}"))
                continue
            for name, (p, t, alts) in bands.items():
                one = dataclasses.replace(claim.check, alternatives=dict(alts))
                errs.extend(one.definition_errors(float(p), float(t), f" of series {name} at size {size}"))
    if claim.grid is not None and isinstance(claim.check, SlopeCheck):
        w = dict(claim.check.window)
        need = max(int(w.get("min_points", 3)), 2)
        for size in SIZES:
            try:
                grids = _declared_grids(claim, size)
            except Exception as e:  # a grid function that fails is a definition error too
                errs.append(f"its declared grid cannot be read at size {size}: {e}")
                continue
            for name, xs in grids.items():
                kept = [x for x in xs if (w.get("x_min") is None or x >= w["x_min"])
                        and (w.get("x_max") is None or x <= w["x_max"])]
                if len(kept) < need:
                    errs.append(f"its window (x_min={w.get('x_min')}, x_max={w.get('x_max')}) keeps "
                                f"{len(kept)} of the {len(xs)} points of the declared grid"
                                + (f" of series {name}" if name else "") + f" at size {size} "
                                f"(needs {need})")
    return errs


def all_claims() -> list[Claim]:
    """Every claim of every loaded family (see :mod:`theorylab.core.registry`)."""
    from .registry import all_claims as _all

    return _all()


def select(selectors: Sequence[str] = (), *, strict: bool = True) -> list[Claim]:
    """Claims matching ids, id prefixes or family names (see :func:`theorylab.core.registry.select`)."""
    from .registry import select as _select

    return _select(selectors, strict=strict)
