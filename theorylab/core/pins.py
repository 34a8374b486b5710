"""Pinned slopes: regression of fitted exponents, in a JSON file of the user's choice.

A one-sided check against a loose bound cannot tell a rate of -0.5 from -0.7. A pin can: it
stores a slope measured with fixed keys, and a tolerance derived from the seed-to-seed spread
(the bootstrap CI half-width, at least ``min_tol``). Later measurements are compared with it.
Pins are written only on purpose (``regen=True``; in pytest, ``--theorylab-regen-pins``).

File format (JSON, one object, keys are pin ids such as ``claim.id:series`` or
``claim.id/control``)::

    {"large_lr.critical_rate": {"slope": -0.5012, "tolerance": 0.012, "ci": [-0.51, -0.49],
                                "size": "quick", "seeds": 4, "version": "0.1.0"}}
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Optional

import numpy as np

from .results import atomic_write_json

__all__ = ["PinError", "PinFile", "MeasurementPins", "measurement_numbers", "compare_numbers", "with_tolerances"]

_FIELDS = ("slope", "tolerance")


class PinError(ValueError):
    """A pin file that cannot be used (unreadable, not JSON, a malformed entry): one line."""


class PinFile:
    """The pins in one file. ``regen``: write every checked value instead of comparing."""

    def __init__(self, path, regen: bool = False, how_to_regen: str = "regen=True"):
        self.path = Path(path)
        self.regen = regen
        self.how_to_regen = how_to_regen
        self.written: list[str] = []  # pin ids (re)written in this process, when regenerating
        self._data: Optional[dict] = None

    def load(self) -> dict:
        if self._data is None:
            self._data = self._read()
        return self._data

    def _read(self) -> dict:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text())
        except (OSError, UnicodeDecodeError) as e:
            raise PinError(f"pin file {self.path}: cannot be read ({e})") from None
        except ValueError as e:
            raise PinError(f"pin file {self.path}: not valid JSON ({e}); fix it, or delete it and "
                           f"regenerate with {self.how_to_regen}") from None
        if not isinstance(data, dict):
            raise PinError(f"pin file {self.path}: expected a JSON object of pins, got "
                           f"{type(data).__name__}")
        for k, v in data.items():
            if not (isinstance(v, dict) and all(isinstance(v.get(f), (int, float)) and math.isfinite(v[f])
                                                for f in _FIELDS) and v["tolerance"] >= 0):
                raise PinError(f"pin file {self.path}: entry {k!r} needs a finite 'slope' and a "
                               f"non-negative 'tolerance', got {v!r}")
        return data

    def check(self, pin_id: str, slope: float, ci=None, *, min_tol: float = 0.01,
              size: str = "", seeds: Optional[int] = None) -> tuple[bool, str]:
        """Compare ``slope`` with the pin ``pin_id``; returns (ok, message). When regenerating,
        (re)write the pin (tolerance: the CI half-width, at least ``min_tol``) and pass. A
        missing pin fails with a message saying how to create it."""
        from theorylab import __version__

        data = self.load()
        if self.regen:
            half = (ci[1] - ci[0]) / 2 if ci is not None else 0.0
            self.written.append(pin_id)
            data[pin_id] = {"slope": round(float(slope), 5), "tolerance": round(max(float(half), min_tol), 5),
                            "ci": [round(float(ci[0]), 5), round(float(ci[1]), 5)] if ci is not None else None,
                            "size": size, "seeds": seeds, "version": __version__}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_json(self.path, dict(sorted(data.items())))
            return True, f"pinned {pin_id}: slope {slope:.4f} in {self.path}"
        if pin_id not in data:
            return False, (f"{pin_id}: no pinned slope in {self.path}; create it on purpose with "
                           f"{self.how_to_regen}")
        g = data[pin_id]
        diff = abs(float(slope) - g["slope"])
        ok = diff <= g["tolerance"]
        return ok, (f"{pin_id}: slope {slope:.4f} vs pinned {g['slope']:.4f} "
                    f"(|diff| {diff:.4f} {'<=' if ok else '>'} tolerance {g['tolerance']:.4f})")


# ----------------------------------------------------------------------------------------------
# Measurement pins: every number a claim's simulation hands to its check, whatever the kind
# ----------------------------------------------------------------------------------------------
#: a pin's tolerance is this fraction of the 95% half-width of its own seed-to-seed interval
#: (about half a standard error: a shift the verdict's interval would show), but never below the
#: rounding a recompilation can move it by: 1e-6 relative for an array computed in float64, 1e-3
#: for one in float32 (a fused reduction reorders sums, and ratios of differences such as an MMD²
#: amplify that: 2e-4 relative was seen), so that a change the code does not make is not a move
TOL_FRACTION = 0.25
REL_FLOOR = {"float64": 1e-6, "float32": 1e-3}
TOLERANCE_RULE = (f"tolerance = max({TOL_FRACTION} x the 95% half-width of the number's t-interval "
                  "over instances, rel_floor x |value|, 1e-12); rel_floor 1e-6 for a number computed "
                  "in float64 over several instances, 1e-3 for one in float32 or lower and for a "
                  "number without spread (one instance); a count (non-finite entries, diverged "
                  "runs) must match")


def _precision(a) -> str:
    """The precision an array was computed in; a bare Python number (its origin unknown) counts
    as float32, the looser floor."""
    dt = getattr(a, "dtype", None)
    if dt is None:
        return "float32"
    return "float64" if np.dtype(dt) in (np.float64, np.int64, np.complex128) else "float32"


def _t_half(v: np.ndarray) -> float:
    from scipy import stats

    v = v[np.isfinite(v)]
    if v.size < 2:
        return 0.0
    return float(stats.t.ppf(0.975, v.size - 1) * np.std(v, ddof=1) / math.sqrt(v.size))


def _instance_means(a, mask=None) -> np.ndarray:
    """Row means of ``a`` over its trailing axes (row = instance), of finite unmasked entries;
    NaN for a row with none."""
    a = np.atleast_1d(np.asarray(a, dtype=float))
    ok = np.isfinite(a)
    if mask is not None:
        try:
            ok &= np.broadcast_to(np.asarray(mask, bool), a.shape)
        except ValueError:  # a mask of another shape than its array: judged by the check, not here
            pass
    a, ok = a.reshape(a.shape[0], -1), ok.reshape(a.shape[0], -1)
    n = ok.sum(1)
    return np.where(n > 0, np.where(ok, a, 0.0).sum(1) / np.maximum(n, 1), np.nan)


def measurement_numbers(m) -> dict:
    """The numbers of a :class:`~theorylab.core.checks.Measurement` to pin, each
    ``{"value", "half_width"}`` (half_width: of its 95% t-interval over instances) or, for a
    count, ``{"count"}``:

    * each slope series: the mean over seeds of log|y| at each grid point (``series:NAME@x``);
    * each named array of ``values`` and ``reference``: the mean over instances of each
      instance's mean over its other axes, finite and unmasked entries (``values:NAME``);
    * the measured floor; and counts of non-finite entries and of diverged runs.
    """
    out: dict = {}
    if m.x is not None or m.series:
        for name, s in m.all_series().items():
            y = np.asarray(s.y, dtype=float)
            y = y.reshape(int(np.prod(y.shape[:-1])), y.shape[-1]) if y.ndim > 1 else y.reshape(1, -1)
            with np.errstate(divide="ignore", invalid="ignore"):
                ly = np.log(np.abs(y))
            for j, xj in enumerate(np.asarray(s.x, dtype=float).reshape(-1)):
                col = ly[:, j]
                fin = col[np.isfinite(col)]
                out[f"series:{name}@{xj:.6g}"] = {"value": float(fin.mean()) if fin.size else None,
                                                   "half_width": _t_half(col), "precision": _precision(s.y)}
            out[f"nonfinite:series:{name}"] = {"count": int((~np.isfinite(y)).sum())}
    for group, arrays in (("values", m.values), ("reference", m.reference)):
        for name, a in (arrays or {}).items():
            arr = np.asarray(a, dtype=float)
            means = _instance_means(arr, (m.mask or {}).get(name) if group == "values" else None)
            fin = means[np.isfinite(means)]
            out[f"{group}:{name}"] = {"value": float(fin.mean()) if fin.size else None,
                                      "half_width": _t_half(means), "precision": _precision(a)}
            out[f"nonfinite:{group}:{name}"] = {"count": int((~np.isfinite(arr)).sum())}
    if m.floor is not None:
        out["floor"] = {"value": float(m.floor), "half_width": 0.0, "precision": _precision(m.floor)}
    out["diverged"] = {"count": int(m.diverged or 0)}
    return out


def with_tolerances(numbers: dict, x64: bool = True) -> dict:
    """``numbers`` with each value's tolerance by :data:`TOLERANCE_RULE` (a number without its
    precision is taken as float64 when ``x64``, else float32)."""
    out = {}
    for k, v in numbers.items():
        if "count" in v:
            out[k] = dict(v)
            continue
        val = v["value"]
        prec = v.get("precision") or ("float64" if x64 else "float32")
        # a number without spread (one instance: a ratio of medians, a bootstrap CI's end) may be
        # a float64 summary of float32 work that its dtype does not show, and another CPU's
        # vector width reorders float32 sums: it gets the float32 floor
        floor = REL_FLOOR["float32"] if v["half_width"] == 0 else REL_FLOOR[prec]
        tol = None if val is None else max(TOL_FRACTION * v["half_width"], floor * abs(val), 1e-12)
        out[k] = {"value": None if val is None else float(f"{val:.9g}"),
                  "half_width": float(f"{v['half_width']:.4g}"), "precision": prec,
                  "tolerance": None if tol is None else float(f"{tol:.4g}")}
    return out


def compare_numbers(pinned: dict, numbers: dict) -> list[str]:
    """What moved: one line per number of ``numbers`` beyond its pin's tolerance, counts that
    differ, and numbers present in one and not the other. Empty when everything holds."""
    moved = []
    for k in sorted(set(pinned) | set(numbers)):
        if k not in numbers:
            moved.append(f"{k}: pinned but no longer measured")
            continue
        if k not in pinned:
            moved.append(f"{k}: measured but not pinned")
            continue
        p, v = pinned[k], numbers[k]
        if "count" in p or "count" in v:
            if p.get("count") != v.get("count"):
                moved.append(f"{k}: count {v.get('count')} vs pinned {p.get('count')}")
            continue
        a, b = v.get("value"), p.get("value")
        if a is None or b is None:
            if (a is None) != (b is None):
                moved.append(f"{k}: {a} vs pinned {b}")
            continue
        if abs(a - b) > p["tolerance"]:
            moved.append(f"{k}: {a:.6g} vs pinned {b:.6g} (|diff| {abs(a - b):.3g} > tolerance {p['tolerance']:.3g})")
    return moved


class MeasurementPins:
    """Pinned measurements of claims and their controls at one size and root, in one JSON file::

        {"rule": TOLERANCE_RULE, "size": "quick", "root": 0,
         "pins": {"large_lr.balancing": {"series:@0.1": {"value", "half_width", "tolerance"}, ...},
                  "large_lr.balancing/small_step": {...}}}

    ``check(key, numbers, x64)`` compares (or, with ``regen``, writes) one entry."""

    def __init__(self, path, regen: bool = False, how_to_regen: str = "regen=True",
                 size: str = "quick", root: int = 0):
        self.path, self.regen, self.how_to_regen = Path(path), regen, how_to_regen
        self.size, self.root = size, root
        self.written: list[str] = []  # keys (re)written in this process, when regenerating

    def load(self) -> dict:
        if not self.path.exists():
            return {"rule": TOLERANCE_RULE, "size": self.size, "root": self.root, "pins": {}}
        try:
            doc = json.loads(self.path.read_text())
        except (OSError, ValueError) as e:
            raise PinError(f"pin file {self.path}: cannot be read as JSON ({e})") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("pins"), dict):
            raise PinError(f"pin file {self.path}: expected an object with 'pins'")
        return doc

    def check(self, key: str, numbers: dict, x64: bool) -> list[str]:
        doc = self.load()
        if self.regen:
            doc["pins"][key] = with_tolerances(numbers, x64)
            self.written.append(key)
            doc.update(rule=TOLERANCE_RULE, size=self.size, root=self.root)
            doc["pins"] = dict(sorted(doc["pins"].items()))
            atomic_write_json(self.path, doc)
            return []
        if key not in doc["pins"]:
            return [f"{key}: no pinned measurement in {self.path}; create it on purpose with {self.how_to_regen}"]
        return [f"{key} {line}" for line in compare_numbers(doc["pins"][key], numbers)]
