"""theorylab: theorems about learning algorithms as executable, falsifiable checks.

Quick use::

    import theorylab
    for c in theorylab.claims():
        print(c.id, c.tag, c.statement)
    verdicts = theorylab.verify(["large_lr"], size="quick")
    m = theorylab.measure("large_lr.critical_rate")          # the raw measurement
    print(theorylab.claims("large_lr.critical_rate")[0].check.evaluate(m).sentence)

Importing theorylab changes no global setting: ``jax_enable_x64`` is switched on only while a
claim of a family that declares float64 runs (inside ``verify``, ``calibrate``, ``measure``),
and restored afterwards; ``with theorylab.x64(): ...`` does the same for direct calls.

Claims come from families: theorylab's own (:mod:`theorylab.builtin`) and those of installed
packages (entry-point group ``theorylab.families``, see :mod:`theorylab.core.registry`).
"""

__version__ = "0.1.0"

from .core.bounds import Bound
from .core.checks import (CheckResult, ConstancyCheck, ConstancyResult, IdentityCheck,
                          IdentityResult, InstanceCounts, LimitCheck, LimitResult, Outcome,
                          PointwiseCheck, PointwiseResult, Series, SlopeCheck, SlopeResult)
from .core.claims import Claim, Context, Control, Measurement, Verdict
from .core.claims import select as _select
from .core.measuring import sweep_measure
from .core.precision import x64
from .core.registry import Family
from .core.registry import families as _families
from .core.simulation import Simulation
from .core.sweep import clear_compiled
from .core.verify import measure, run_claim, verify


def claims(*selectors: str):
    """The claims of every loaded family (all, or those matching ids / family names)."""
    return _select(selectors)


def families():
    """The loaded families: theorylab's own, then those of installed packages."""
    return _families()


__all__ = ["Bound", "CheckResult", "Claim", "ConstancyCheck", "ConstancyResult", "Context", "Control",
           "Family", "IdentityCheck", "IdentityResult", "InstanceCounts", "LimitCheck",
           "LimitResult", "Measurement", "Outcome", "PointwiseCheck", "PointwiseResult", "Series",
           "Simulation", "SlopeCheck", "SlopeResult", "Verdict", "claims", "clear_compiled", "families",
           "measure", "run_claim", "sweep_measure", "verify", "x64", "__version__"]
