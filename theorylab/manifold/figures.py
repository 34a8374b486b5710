"""Figures of the manifold family: claim figures ``(measurement, verdict, claim, path, pdf)``."""

from __future__ import annotations

import numpy as np

from ..core import plot


def mse_vs_n_figure(m, v, claim, path, pdf=False):
    """Each series' test MSE against n (median and 10-90% band over seeds) with a line of the
    predicted slope through its first point."""
    plt = plot._plt()
    e = m.extra
    x = e["ns"]
    fig, ax = plt.subplots(figsize=(5.6, 4.0))
    fits = v.series
    for i, (name, y) in enumerate(e["series"].items()):
        med = np.median(y, axis=0)
        lo, hi = np.quantile(y, [0.1, 0.9], axis=0)
        s = fits[name].slope if name in fits else None
        lab = f"{name}" + (f": slope {s:.2f}" if isinstance(s, float) else "")
        ax.plot(x, med, "o-", color=f"C{i}", label=lab, ms=4)
        ax.fill_between(x, lo, hi, color=f"C{i}", alpha=0.15)
        pred = e["predicted"].get(name)
        if pred is not None:
            ax.plot(x, med[0] * (x / x[0]) ** pred, "--", color=f"C{i}", lw=0.9,
                    label=f"predicted slope {pred:.3f}")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("n")
    ax.set_ylabel(m.ylabel if m.ylabel != "y" else "test MSE")
    ax.set_title(f"{claim.id}: {v.status}", fontsize=10)
    ax.legend(fontsize=6.5)
    ax.grid(True, which="both", alpha=0.3)
    return plot.save(fig, path, pdf)


def mse_vs_D_figure(m, v, claim, path, pdf=False):
    """The network's test MSE (solid, 10-90% band) and train MSE (dotted) against D, on the
    manifold and on the cube control."""
    plt = plot._plt()
    e = m.extra
    D = e["Ds"]
    fig, ax = plt.subplots(figsize=(5.4, 3.9))
    for i, (name, (test, train)) in enumerate(e["curves"].items()):
        ax.plot(D, np.median(test, 0), "o-", color=f"C{i}", label=f"{name}: test MSE (noiseless target)")
        lo, hi = np.quantile(test, [0.1, 0.9], axis=0)
        ax.fill_between(D, lo, hi, color=f"C{i}", alpha=0.15)
        ax.plot(D, np.median(train, 0), "s:", color=f"C{i}", ms=3, label=f"{name}: train MSE (noisy y)")
    ax.axhline(0.25, color="k", lw=0.6, ls="--", label="sigma^2 (noise)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("ambient dimension D")
    ax.set_ylabel("MSE")
    ax.set_title(f"{claim.id}: {v.status}", fontsize=9)
    ax.legend(fontsize=6.5)
    ax.grid(True, which="both", alpha=0.3)
    return plot.save(fig, path, pdf)
