"""What the sub-families of the PMD claims share: sources, instance sizes, the gap floor,
step schedules and semilog measurements."""

from __future__ import annotations

import numpy as np

from ...core.claims import Measurement
from ..algorithms import schedule_id

LAN = "Lan, Math. Programming 2023 (arXiv 2102.00135)"
HPMD = "Li, Lan, Zhao, Homotopic PMD (arXiv 2201.09457)"
BPMD = "Lan, Li, Zhao, Block PMD (arXiv 2201.05756)"
RPMD = "Li, Lan, Zhao, robust MDPs (arXiv 2209.10579)"
XIAO = "Xiao, On the convergence rates of policy gradient methods, JMLR 2022"
JPR = "Johnson, Pike-Burke, Rebeschini, Optimal convergence rate for exact policy mirror descent, NeurIPS 2023"

EPS = np.finfo(float).eps
GAP_FLOOR = 1e-11  # rates are fitted only over gaps above this (float64 values are ~1e-14)

GARNET = {"S": 20, "A": 5, "branching": 5}
SMALL = {"S": 10, "A": 4, "branching": 4}
NAME = "pmd"


def _pmd_dyn(gamma, schedule="constant", *, eta0=1.0, mu=0.0, c0=1.0, noise=0.0, bias=0.0,
             samples=1.0) -> dict:
    """Every traced setting of ``sims.pmd_garnet``, always with the same keys and dtypes, so
    that all schedules, step sizes, noise levels and sample counts share one compiled program."""
    return {"gamma": float(gamma), "schedule": schedule_id(schedule), "eta0": float(eta0),
            "mu": float(mu), "c0": float(c0), "noise": float(noise), "bias": float(bias),
            "samples": float(samples)}


def _value_slack(gamma: float) -> float:
    """Absolute rounding slack for an exact value gap: the solve's error is about
    cond(I - gamma P) * eps * ||V|| <= (1+gamma)/(1-gamma) * eps / (1-gamma); 10x that."""
    return 10 * (1 + gamma) / (1 - gamma) ** 2 * EPS


def _window(y: np.ndarray, floor: float = GAP_FLOOR) -> int:
    """Number of leading iterations in which *every* instance's gap is above ``floor``."""
    above = np.all(y > floor, axis=0)
    return int(np.argmin(above)) if not above.all() else y.shape[1]


def _semilog(y: np.ndarray, floor: float = GAP_FLOOR, info: dict | None = None) -> Measurement:
    n = _window(y, floor)
    k = np.arange(y.shape[1], dtype=float)
    m = Measurement(x=k[:n], y=y[:, :n], total=y.shape[0], xlabel="iteration k", ylabel="gap",
                    info={"window": f"k = 0..{n - 1}",
                          "floor": floor, **(info or {})})
    m.diverged = int((~np.isfinite(y)).any(axis=1).sum())
    return m


def _inexact_entry(m: Measurement, name: str, gap: np.ndarray, b: np.ndarray, g: float, c0: float,
                   with_floor: bool) -> None:
    """One entry of the inexact-PMD bound gap_k <= g^k (gap_0 + c0/(1-g)^2) + 4b/(1-g)^2 at every
    k >= 1 (``b``: each run's Q error, shape (seeds, 1)), and how high each run's floor sits."""
    k = np.arange(gap.shape[1])
    floor = 4 * b / (1 - g) ** 2
    m.values[name] = gap
    m.reference[name] = g**k * (gap[:, :1] + c0 / (1 - g) ** 2) + (floor if with_floor else 0.0)
    m.mask[name] = np.broadcast_to(k >= 1, gap.shape)
    half = gap.shape[1] // 2
    level = gap[:, half:].mean(1) / floor[:, 0]
    m.info[f"floor (mean gap over k >= {half}) / (4b/(1-gamma)^2), {name}: median, max"] = [
        float(np.median(level)), float(np.max(level))]
    m.info[f"instances with a floor above 1e-12, {name}"] = int((gap[:, half:].mean(1) > 1e-12).sum())
