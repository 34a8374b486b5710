"""The standard figures. Matplotlib with the Agg backend; PNG always, PDF on request."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def save(fig, path, pdf: bool = False) -> str:
    """Save ``fig`` to ``path`` (.png) atomically, and a .pdf beside it if asked."""
    from .results import atomic_write_bytes
    import io

    path = Path(path).with_suffix(".png")
    for suffix in (".png", ".pdf") if pdf else (".png",):
        buf = io.BytesIO()
        fig.savefig(buf, format=suffix[1:], dpi=130, bbox_inches="tight")
        atomic_write_bytes(path.with_suffix(suffix), buf.getvalue())
    _plt().close(fig)
    return str(path)


def loglog_figure(x, y, *, fit=None, predicted: Optional[float] = None,
                  bound_latex: str = "", title: str = "", xlabel: str = "x", ylabel: str = "y",
                  log_x: bool = True, band=(0.1, 0.9), ax=None):
    """Median over seeds with a quantile band, the fitted line, and the predicted slope.

    ``y`` has shape ``(seeds, len(x))``. The reference line of slope ``predicted`` is anchored
    at the fitted line's first point, so the eye compares slopes, not constants.
    """
    plt = _plt()
    x = np.asarray(x, float)
    y = np.atleast_2d(np.asarray(y, float))
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.2, 3.8))
    with np.errstate(invalid="ignore"):
        med = np.nanmedian(y, axis=0)
        lo, hi = np.nanquantile(y, band, axis=0)
    ax.plot(x, med, "o-", color="C0", label=f"median over {y.shape[0]} seeds", zorder=3)
    ax.fill_between(x, lo, hi, color="C0", alpha=0.2, label=f"{int(band[0]*100)}-{int(band[1]*100)}% band")
    if fit is not None:
        xu = np.asarray(fit.x_used, float)
        u = np.log(xu) if log_x else xu
        yfit = np.exp(fit.intercept + fit.slope * u)
        ax.plot(xu, yfit, "-", color="C1",
                label=f"fit: slope {fit.slope:.3f} [{fit.ci[0]:.3f}, {fit.ci[1]:.3f}]")
        if predicted is not None:
            yref = yfit[0] * (np.exp(predicted * (u - u[0])))
            lab = f"predicted slope {predicted:.3g}"
            if bound_latex:
                lab += f"  (${bound_latex}$)"
            ax.plot(xu, yref, "--", color="k", label=lab)
    ax.set_yscale("log")
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    return fig, ax


def ratio_figure(values: dict, references: dict, masks: dict, *, title: str = "", ax=None,
                 rel_slack: float = 0.0):
    """Pointwise checks: the distribution of measured / bound per quantity (must stay <= 1)."""
    plt = _plt()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.2, 3.8))
    for i, name in enumerate(values):
        v = np.asarray(values[name], float)
        r = np.broadcast_to(np.asarray(references[name], float), v.shape)
        m = masks.get(name)
        m = np.ones(v.shape, bool) if m is None else np.broadcast_to(np.asarray(m, bool), v.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = (v / np.abs(r))[m & np.isfinite(v) & np.isfinite(r)]
        if ratio.size:
            ax.hist(ratio.ravel(), bins=40, alpha=0.5, color=f"C{i}", label=f"{name} ({ratio.size})")
    ax.axvline(1 + rel_slack, color="k", ls="--", label="bound")
    ax.set_xlabel("measured / bound")
    ax.set_ylabel("count")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    return fig, ax


def error_figure(values: dict, references: dict, masks: dict, *, rtol: float, title: str = "",
                 scales: Optional[dict] = None, ax=None):
    """Identity checks: relative error of measured vs formula, entry by entry (log scale)."""
    plt = _plt()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.2, 3.8))
    for i, name in enumerate(values):
        v = np.asarray(values[name], float)
        r = np.broadcast_to(np.asarray(references[name], float), v.shape)
        s = (scales or {}).get(name)
        s = np.maximum(np.abs(r), 1e-300) if s is None else np.broadcast_to(np.asarray(s, float), v.shape)
        m = masks.get(name)
        m = np.ones(v.shape, bool) if m is None else np.broadcast_to(np.asarray(m, bool), v.shape)
        err = (np.abs(v - r) / s)[m]
        err = np.maximum(err[np.isfinite(err)], 1e-18)
        if err.size:
            ax.hist(np.log10(err.ravel()), bins=40, alpha=0.5, color=f"C{i}", label=f"{name} ({err.size})")
    ax.axvline(np.log10(rtol), color="k", ls="--", label=f"tolerance {rtol:g}")
    ax.set_xlabel("log10 relative error")
    ax.set_ylabel("count")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    return fig, ax


def interval_figure(values: dict, intervals: dict, masks: dict, *, title: str = "",
                    labels: Optional[Sequence[str]] = None, ax=None):
    """Limit checks: each instance's value per quantity against its interval."""
    plt = _plt()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.2, 3.8))
    for i, (name, (lo, hi)) in enumerate(intervals.items()):
        v = np.asarray(values[name], float).ravel()
        m = masks.get(name)
        m = np.ones(v.shape, bool) if m is None else np.broadcast_to(np.asarray(m, bool), v.shape)
        xs = i + 0.25 * (np.random.default_rng(0).random(v.size) - 0.5)
        ok = m & np.isfinite(v)
        ax.plot(xs[ok], v[ok], "o", ms=3, color=f"C{i}")
        nbad = int((m & ~np.isfinite(v)).sum())
        if nbad:
            ax.annotate(f"{nbad} diverged", (i, 0.5), xycoords=("data", "axes fraction"), ha="center",
                        color="red")
        lo_p = lo if np.isfinite(lo) else np.nanmin(v[ok]) if ok.any() else 0
        hi_p = hi if np.isfinite(hi) else np.nanmax(v[ok]) if ok.any() else 1
        ax.fill_between([i - 0.3, i + 0.3], lo_p, hi_p, color="0.85", zorder=0)
    ax.set_xticks(range(len(intervals)))
    ax.set_xticklabels(labels or list(intervals), fontsize=8)
    ax.set_title(title, fontsize=10)
    return fig, ax


def constancy_figure(series: dict, spreads: dict, factor: float, *, title: str = "",
                     xlabel: str = "x", ylabel: str = "y", ax=None):
    """Each series' geometric mean over seeds per grid point with its simultaneous interval
    (log-log), and the band of width ``factor`` centred (geometrically) on its extremes."""
    plt = _plt()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.2, 3.8))
    for i, (name, s) in enumerate(series.items()):
        sp = spreads.get(name)
        if sp is None:
            continue
        x = np.asarray(s.x, float)
        mu, h = np.array(sp.means), np.array(sp.halves)
        ax.errorbar(x, np.exp(mu), yerr=[np.exp(mu) - np.exp(mu - h), np.exp(mu + h) - np.exp(mu)],
                    fmt="o-", color=f"C{i}", lw=1, ms=4, capsize=2, label=name or None)
        centre = (mu.max() + mu.min()) / 2
        half = np.log(factor) / 2
        ax.fill_between([x.min(), x.max()], np.exp(centre - half), np.exp(centre + half),
                        color=f"C{i}", alpha=0.12)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if any(series):
        ax.legend(fontsize=7)
    ax.set_title(title or f"constant within a factor {factor:.3g}", fontsize=9)
    return fig, ax

