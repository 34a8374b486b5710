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

from .results import atomic_write_json

__all__ = ["PinError", "PinFile"]

_FIELDS = ("slope", "tolerance")


class PinError(ValueError):
    """A pin file that cannot be used (unreadable, not JSON, a malformed entry): one line."""


class PinFile:
    """The pins in one file. ``regen``: write every checked value instead of comparing."""

    def __init__(self, path, regen: bool = False, how_to_regen: str = "regen=True"):
        self.path = Path(path)
        self.regen = regen
        self.how_to_regen = how_to_regen
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
