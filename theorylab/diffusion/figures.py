"""Figures of the diffusion family: claim figures ``(measurement, verdict, claim, path, pdf)``."""

from __future__ import annotations

import numpy as np

from ..core import plot


def score_vs_n_figure(m, v, claim, path, pdf=False):
    """The score error against n (or D): median and 10-90% band over seeds, the fitted line, the
    optimisation floor and the window it leaves."""
    plt = plot._plt()
    e = m.extra
    x, y = e["ns"], e["y"]
    fig, ax = plt.subplots(figsize=(5.4, 3.9))
    if "raw" in e:  # the raw error over the whole grid, beside the excess in the window
        xr, yr = e["raw"]
        ax.plot(xr, np.median(yr, 0), "^:", color="0.5", label="raw error (median)")
    if y.size:
        ax.plot(x, np.nanmedian(y, 0), "o-", color="C0", label=f"median over {y.shape[0]} seeds")
        lo, hi = np.nanquantile(y, [0.1, 0.9], axis=0)
        ax.fill_between(x, lo, hi, color="C0", alpha=0.2)
    if e.get("other"):
        name, yo = e["other"]
        ax.plot(x, np.median(yo, 0), "s-", color="C2", label=f"{name} (control)")
    f = v.fit
    if f is not None:
        xu = np.asarray(f.x_used)
        ax.plot(xu, np.exp(f.intercept) * xu ** f.slope, "-", color="C1",
                label=f"fit: slope {f.slope:.2f} [{f.ci[0]:.2f}, {f.ci[1]:.2f}]")
        ax.plot(xu, np.exp(f.intercept) * xu[0] ** f.slope * (xu / xu[0]) ** v.predicted, "k--",
                lw=0.8, label=f"bound's slope {v.predicted:.3f}")
    if e.get("floor"):
        ax.axhline(e["floor"], color="C3", lw=0.8, label="optimisation floor (median)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel(m.xlabel)
    ax.set_ylabel(m.ylabel)
    ax.set_title(f"{claim.id}: {v.status}", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    return plot.save(fig, path, pdf)


def orthogonal_figure(m, v, claim, path, pdf=False):
    """Orthogonal energy / h(t0) against t0 for each sampler (median and range over seeds)."""
    plt = plot._plt()
    e = m.extra
    fig, ax = plt.subplots(figsize=(5.2, 3.8))
    for i, (name, r) in enumerate(e["ratios"].items()):
        ax.errorbar(e["t0s"] * (1 + 0.08 * i), np.median(r, 0), yerr=[np.median(r, 0) - r.min(0), r.max(0) - np.median(r, 0)],
                    fmt="o-", color=f"C{i}", label=name + (" (uniform grid)" if name == "euler" else " (geometric grid)"))
    ax.axhline(1.0, color="k", lw=0.8)
    ax.axhspan(0.95, 1.05, color="0.85", zorder=0)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("t0")
    ax.set_ylabel("orthogonal energy / h(t0)")
    ax.set_title(f"{claim.id}: {v.status}", fontsize=10)
    ax.legend(fontsize=7)
    return plot.save(fig, path, pdf)


def samples_figure(m, v, claim, path, pdf=False):
    """Generated latents V^T x against true latents, at the smallest and the largest n (one seed)."""
    plt = plot._plt()
    e = m.extra
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 4.0), sharex=True, sharey=True)
    for ax, n, g, t in zip(axes, e["ns"], e["generated"], e["true"]):
        ax.scatter(t[:, 0], t[:, 1], s=4, color="0.6", label="true latents")
        ax.scatter(g[:, 0], g[:, 1], s=4, color="C0", label="generated")
        ax.set_title(f"n = {n}", fontsize=9)
        ax.set_aspect("equal")
    axes[0].legend(fontsize=7)
    fig.suptitle(f"{claim.id}: {v.status} (projected onto the learned subspace)", fontsize=10)
    fig.tight_layout()
    return plot.save(fig, path, pdf)
