"""Figures of the PMD family: claim figures ``(measurement, verdict, claim, path, pdf)``."""

from __future__ import annotations

import numpy as np

from ..core import plot


def gap_curves_figure(m, v, claim, path, pdf=False):
    """Every instance's gap curve (thin) against its own bound (dashed), one panel per setting."""
    plt = plot._plt()
    names = [n for n in m.values if not n.startswith("lower:")]  # lower sides plot inverted
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.4), squeeze=False)
    for ax, name in zip(axes[0], names):
        y, b = m.values[name], m.reference[name]
        k = np.arange(y.shape[1])
        for i in range(min(16, y.shape[0])):
            ax.semilogy(k, np.maximum(y[i], 1e-17), color="C0", lw=0.6, alpha=0.7)
            ax.semilogy(k, b[i], color="C3", lw=0.6, ls="--", alpha=0.7)
        ax.set_title(name, fontsize=8)
        ax.set_xlabel("iteration k")
    axes[0][0].set_ylabel("||V* - V^pi_k|| (solid), bound (dashed)")
    fig.suptitle(f"{claim.id}: {v.status}", fontsize=10)
    fig.tight_layout()
    return plot.save(fig, path, pdf)


def superlinear_figure(m, v, claim, path, pdf=False):
    """log10 of the non-optimal mass m_k per instance, one colour per algorithm (series): a
    linear method is a straight line."""
    plt = plot._plt()
    fig, ax = plt.subplots(figsize=(5.2, 3.8))
    for j, (name, log_m) in enumerate(m.extra["log_m"].items()):
        lm = log_m / np.log(10)
        for i in range(min(16, lm.shape[0])):
            ax.plot(np.arange(lm.shape[1]), lm[i], color=f"C{j}", lw=0.7, alpha=0.8,
                    label=name if i == 0 else None)
    ax.set_yscale("symlog", linthresh=10)
    ax.set_xlabel("iteration k")
    ax.set_ylabel("log10 m_k (non-optimal mass)")
    ax.legend(fontsize=7)
    ax.set_title(f"{claim.id}: {v.status}", fontsize=10)
    return plot.save(fig, path, pdf)
