"""Figures of the rank-one family: claim figures ``(measurement, verdict, claim, path, pdf)``."""

from __future__ import annotations

import numpy as np

from ..core import plot

_CURVES = (("gd:mse_last", "GD (last iterate)", "C3", "o-"),
           ("gd:mse_gd_limit", "GD's limit: positive part of Y", "C3", ":"),
           ("perturbed:mse_avg", "perturbed GD, kappa=2.5 (average)", "C0", "s-"),
           ("perturbed:mse_last", "perturbed GD, kappa=2.5 (last iterate)", "C0", "x--"),
           ("perturbed:mse_soft_limit", "its limit: soft threshold of Y", "C0", ":"),
           ("control:mse_avg", "control: kappa=1 (average)", "C2", "^-"))


def mse_vs_d_figure(m, v, claim, path, pdf=False):
    """GD and perturbed GD MSE against d (median and 10-90% band over seeds) with the sigma^2/2
    and (kappa^2 + 2) sigma^2/d reference lines."""
    plt = plot._plt()
    e = m.extra
    ds, s2, kap = e["ds"], e["sigma"] ** 2, e["kappa"]
    fig, ax = plt.subplots(figsize=(6.0, 4.3))
    for key, label, color, style in _CURVES:
        y = np.asarray(e[key], float)
        med = np.nanmedian(y, axis=0)
        ax.plot(ds, med, style, color=color, label=label, ms=4, lw=1.2 if ":" not in style else 1.0)
        if style.endswith("-") and ":" not in style and "--" not in style:
            lo, hi = np.nanquantile(y, [0.1, 0.9], axis=0)
            ax.fill_between(ds, lo, hi, color=color, alpha=0.15)
    ax.plot(ds, np.full_like(ds, s2 / 2), "k--", lw=0.8, label="sigma^2 / 2")
    ax.plot(ds, (kap**2 + 2) * s2 / ds, "k-.", lw=0.8, label="(kappa^2 + 2) sigma^2 / d")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("d")
    ax.set_ylabel("MSE = ||M - Y*||_F^2 / d^2")
    ax.set_title(f"{claim.id}: {v.status} (sigma = {e['sigma']:g})", fontsize=10)
    ax.legend(fontsize=6.5, loc="lower left")
    ax.grid(True, which="both", alpha=0.3)
    return plot.save(fig, path, pdf)


def sigma_figure(m, v, claim, path, pdf=False):
    """Each series' MSE against sigma with a slope-2 reference through its first point."""
    plt = plot._plt()
    x = m.extra["sigmas"]
    fig, ax = plt.subplots(figsize=(5.2, 3.8))
    for i, (name, y) in enumerate(m.extra["series"].items()):
        med = np.median(y, axis=0)
        ax.plot(x, med, "o-", color=f"C{i}", label=name)
        ax.plot(x, med[0] * (x / x[0]) ** 2, ":", color=f"C{i}", lw=0.8)
    ax.plot([], [], "k:", lw=0.8, label="slope 2 (sigma^2)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("sigma")
    ax.set_ylabel("MSE")
    ax.set_title(f"{claim.id}: {v.status} (d = {m.extra['d']})", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    return plot.save(fig, path, pdf)


def spectrum_figure(m, v, claim, path, pdf=False):
    """Sorted eigenvalues of one instance at the largest d: perturbed GD's averaged estimate,
    the soft-thresholded spectrum of Y, GD's estimate and the positive part of Y."""
    plt = plot._plt()
    e = m.extra
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.8))
    for ax, top in zip(axes, (False, True)):
        i = np.arange(e["soft"].shape[1])[::-1]
        sl = slice(-12, None) if top else slice(None)
        ax.plot(i[sl], e["positive"][0][sl], "-", color="C3", lw=2.5, alpha=0.35, label="max(lambda(Y), 0)")
        ax.plot(i[sl], e["gd"][0][sl], "x", color="C3", ms=4, label="GD estimate")
        ax.plot(i[sl], e["soft"][0][sl], "-", color="C0", lw=2.5, alpha=0.35, label="max(lambda(Y) - c, 0)")
        ax.plot(i[sl], e["perturbed"][0][sl], "o", color="C0", ms=3, label="perturbed GD (average)")
        ax.set_xlabel("eigenvalue index (0 = largest)")
        ax.set_title("top 12" if top else "whole spectrum", fontsize=9)
        if not top:
            ax.set_yscale("symlog", linthresh=0.1)
            ax.set_ylabel("eigenvalue")
    axes[1].legend(fontsize=7)
    fig.suptitle(f"{claim.id}: {v.status} (d = {e['d']}, c = {e['c']:.2f}, one instance)", fontsize=10)
    fig.tight_layout()
    return plot.save(fig, path, pdf)
