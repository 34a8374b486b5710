"""``sweep_measure``: from a simulation and one setting to a :class:`Measurement` in one call.

Most measure functions are the same ten lines: run the sweep at one setting, drop the seeds
that diverged and count them, pack the arrays the check reads, label the axes. This is those
lines, once::

    def measure(ctx, bias=0.0):
        return theorylab.sweep_measure(ctx, mc_error, {"n_max": 4096}, {"bias": bias},
                                       x=NS, y="err2", xlabel="n")

A slope claim names the output ``y`` (one row per seed, one column per point of the grid
``x``); a pointwise, identity or limit claim names its ``values`` (output keys, or
``{name: key}``) and, for a bound or a formula, the ``reference`` ``{name: key}``. When the
simulation returns ``diverged`` (per seed), those seeds are dropped and counted in
``Measurement.diverged``: a diverged run is an outcome the check sees. Non-finite entries in
the kept seeds stay (the check decides what they mean) and are reported in ``info``, with how
many seeds and where: "3 of 64 seeds non-finite at n = 2048, 4096", not one message for any
number of them. Claims that need several settings or series build their ``Measurement`` as
before.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np

from .checks import Measurement

__all__ = ["sweep_measure", "nonfinite_report"]


def nonfinite_report(arrays: Mapping[str, np.ndarray], x=None, xlabel: str = "x") -> dict[str, str]:
    """``{name: "k of n seeds non-finite[ at x = ...]"}`` for each array (leading axis: seeds)
    that has a non-finite entry; with the grid ``x``, the points where they are."""
    out = {}
    for name, a in arrays.items():
        a = np.asarray(a, float)
        if a.size == 0 or np.all(np.isfinite(a)):
            continue
        bad = ~np.isfinite(a.reshape(a.shape[0], -1))
        where = ""
        if x is not None and a.ndim == 2 and a.shape[1] == len(x):
            pts = [f"{v:g}" for v, b in zip(np.asarray(x, float), bad.any(0)) if b]
            where = f" at {xlabel} = {', '.join(pts)}"
        out[name] = f"{int(bad.any(1).sum())} of {a.shape[0]} seeds non-finite{where}"
    return out


def sweep_measure(ctx, sim, static: Mapping[str, Any], dynamic: Optional[Mapping[str, Any]] = None, *,
                  x: Optional[Sequence[float]] = None, y: Optional[str] = None,
                  values: Union[Sequence[str], Mapping[str, str], None] = None,
                  reference: Optional[Mapping[str, str]] = None, xlabel: Optional[str] = None,
                  ylabel: Optional[str] = None, stream: Optional[str] = None,
                  info: Optional[Mapping[str, Any]] = None) -> Measurement:
    """Run ``sim`` at one setting (``static`` shape-defining, ``dynamic`` traced) over the
    context's seeds and pack its outputs as a :class:`Measurement` (see the module doc).
    ``stream`` names the seeds' random stream (default the simulation's name: claims and
    controls that name the same stream see the same draws)."""
    if (y is None) == (values is None):
        raise ValueError("sweep_measure: give y (a slope claim's output) or values (a bound's or a "
                         "limit's outputs), not both or neither")
    if y is not None and x is None:
        raise ValueError("x: a slope measurement needs its grid")
    kw = {"stream": stream} if stream else {}
    out, = ctx.sweep.run(sim, [(dict(static), dict(dynamic or {}))], ctx.seeds, **kw)

    def get(key: str, what: str) -> np.ndarray:
        if key not in out:
            raise ValueError(f"{what}: the simulation returns no {key!r}; it returns {', '.join(sorted(out))}")
        return np.asarray(out[key])

    keep = np.ones(ctx.seeds, bool)
    if "diverged" in out:
        keep = ~np.asarray(out["diverged"]).reshape(ctx.seeds, -1).any(1)
    m = Measurement(total=ctx.seeds, diverged=int((~keep).sum()), info=dict(info or {}))
    if y is not None:
        xs = np.asarray(x, float)
        ys = get(y, "y").astype(np.float64)
        if ys.ndim != 2 or ys.shape[1] != xs.size:
            raise ValueError(f"y: {y!r} has shape {ys.shape}, expected (seeds, {xs.size}) for the grid x")
        m.x, m.y = xs, ys[keep]
        m.xlabel, m.ylabel = xlabel or "x", ylabel or y
        checked = {y: m.y}
    else:
        names = dict(values) if isinstance(values, Mapping) else {v: v for v in values}
        for name, key in names.items():
            m.values[name] = get(key, "values")[keep]
        for name, key in (reference or {}).items():
            if name not in names:
                raise ValueError(f"reference: {name!r} is not among the values ({', '.join(names)})")
            m.reference[name] = get(key, "reference")[keep]
        checked = m.values
    for name, line in nonfinite_report(checked, m.x, m.xlabel).items():
        m.info[f"non-finite ({name})"] = line
    return m
