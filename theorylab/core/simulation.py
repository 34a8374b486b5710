"""``Simulation``: a simulation function and what it declares, as one frozen value.

A simulation is ``sim(key, static, dynamic) -> dict of arrays`` (one seed; the sweep vmaps it).
What the sweep needs to know about it used to travel as attributes set on the function
(``fn.parallel_seeds = True``, ``fn.finish = stage``); ``Simulation`` carries the same as fields,
so a family states them where it defines the simulation and nothing is set after the fact::

    sim = theorylab.Simulation(my_sim, parallel_seeds=True, finish=my_lapack_stage, x64=True)
    outs = ctx.sweep.run(sim, cells, ctx.seeds)

The value is callable like the function, and the sweep reads its fields where it read the
attributes; it keeps the function's name and module, so the cell cache is keyed by the
family's code exactly as before. Function attributes keep working.

Fields:

* ``parallel_seeds``: the program may run in several threads at once (no LAPACK call in it; see
  :func:`theorylab.core.sweep.run_keys`).
* ``finish``: ``finish(key, static, dynamic, out) -> dict``, a stage run afterwards on the
  calling thread (where LAPACK calls go).
* ``x64``: the simulation needs float64; calling it (tracing it) while ``jax_enable_x64`` is off
  raises a one-line error naming ``theorylab.x64()``, instead of silently running in float32.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping, Optional

__all__ = ["Simulation"]


@dataclasses.dataclass(frozen=True)
class Simulation:
    fn: Callable[..., Mapping[str, Any]]
    parallel_seeds: bool = False
    finish: Optional[Callable[..., Mapping[str, Any]]] = None
    x64: bool = False

    def __post_init__(self):
        if isinstance(self.fn, Simulation) or not callable(self.fn):
            raise TypeError(f"fn: a simulation must be a function sim(key, static, dynamic), got {self.fn!r}")
        if self.finish is not None and not callable(self.finish):
            raise TypeError(f"finish: must be a function finish(key, static, dynamic, out), got {self.finish!r}")
        for name, value in (("parallel_seeds", self.parallel_seeds), ("x64", self.x64)):
            if not isinstance(value, bool):
                raise TypeError(f"{name}: must be True or False, got {value!r}")
        # the function's identity: the sweep names cells and fingerprints code by it
        for attr in ("__module__", "__qualname__", "__name__", "__doc__"):
            object.__setattr__(self, attr, getattr(self.fn, attr, None))

    def __call__(self, key, static, dynamic):
        if self.x64:
            import jax

            if not jax.config.jax_enable_x64:
                raise RuntimeError(f"{self.__qualname__}: declares float64 but jax_enable_x64 is off; "
                                   "call it inside `with theorylab.x64():` (verify, calibrate and "
                                   "measure switch it on for a family that declares x64)")
        return self.fn(key, static, dynamic)
