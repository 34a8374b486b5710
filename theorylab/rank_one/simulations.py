"""Sweep-ready simulations of the rank-one family: ``sim(key, static, dynamic)``.

``recovery`` draws one instance ``(Y*, Y)`` and runs GD (``kappa = 0``) or perturbed GD on it
from a small random start; its ``finish`` stage returns the errors of the last iterate and of
the average of the last iterates, the error of the two limits the theory predicts (the
positive part of ``Y`` for GD, the soft-thresholded ``Y`` for perturbed GD), and the spectra
for the mechanism check. ``kappa`` is traced, so GD and perturbed GD at every level share one compiled program
per ``(d, steps)``; seeds pair across them (the same instance and start for every kappa).

Precision: the dynamics run in float32 (the errors checked are ~1e-3 of ||Y*||_F^2, far above
float32 rounding); the reference spectra use float64 ``eigh``.

Step size: ``eta = eta0 / (d + 2c)``. The top curvature of F along the run is about
``2 lambda_1(Y) ~ 2d`` for GD, and the perturbation adds ``||W||^2 ~ 4 d xi^2 ~ 2c``, so
``eta0 < 1`` is stable for both. Run length: ``horizon`` in units of ``1/(eta0 sigma / sqrt(d))``,
the time a direction whose eigenvalue is ``sigma sqrt(d)`` (the middle of the noise spectrum's
positive half) takes to grow by a factor e under GD.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from . import model
from .dynamics import perturbed_gd

RECORD_EVERY = 10
INIT_SCALE = 1e-3  # X0 = 1e-3 N(0, 1/d): "small initialization"
#: Every run is at least this long. The top eigenvalue of X X^T fluctuates under the
#: perturbation with a correlation time of about 1/(2 eta lambda_1) ~ 1/(2 eta0) = 2 steps, so
#: the average over the second half of 1000 steps spans ~250 correlation times (at d = 16, where
#: the horizon alone gives 320 steps, the average's error on lambda_1 had a 0.027 lambda_1 spread).
MIN_STEPS = 1000


def steps_for(d: int, sigma: float, eta0: float, horizon: float) -> int:
    """Number of steps (a multiple of ``RECORD_EVERY``, at least ``MIN_STEPS``) for a run of
    length ``horizon``."""
    model.check_params(d=d, sigma=sigma, eta0=eta0)
    if not (math.isfinite(horizon) and horizon > 0):
        raise ValueError(f"horizon: must be finite and > 0, got {horizon!r}")
    if sigma == 0:
        raise ValueError("sigma: the run length is set in units of 1/sigma; give sigma > 0")
    n = max(horizon * math.sqrt(d) / (eta0 * sigma), MIN_STEPS)
    return int(math.ceil(n / RECORD_EVERY)) * RECORD_EVERY


def dynamic(sigma, kappa=0.0, *, eta0=0.25, kappa_end=None, threshold_sigma=None) -> dict:
    """The traced settings of :func:`recovery`, always with the same keys and dtypes.

    ``kappa = 0`` is plain GD. ``threshold_sigma`` (default ``sigma``) is the noise level the
    perturbation is calibrated to: ``c = kappa * threshold_sigma * sqrt(d)``.
    """
    model.check_params(sigma=sigma, eta0=eta0)
    for name, v in (("kappa", kappa), ("kappa_end", kappa_end)):
        if v is not None and not (math.isfinite(v) and v >= 0):
            raise ValueError(f"{name}: must be finite and >= 0 (0 is plain GD), got {v!r}")
    return {"sigma": float(sigma), "kappa": float(kappa),
            "kappa_end": float(kappa if kappa_end is None else kappa_end), "eta0": float(eta0),
            "threshold_sigma": float(sigma if threshold_sigma is None else threshold_sigma)}


def _instance_and_start(key, d, sigma):
    ki, k0, kw = jax.random.split(key, 3)
    inst = model.instance(ki, d, sigma, jnp.float32)
    X0 = INIT_SCALE * model.normal(k0, (d, d), jnp.float32) / math.sqrt(d)
    return inst, X0, kw


def _thresholds(dynamic, d):
    ts = dynamic["threshold_sigma"]
    return model.threshold(dynamic["kappa"], ts, d), model.threshold(dynamic["kappa_end"], ts, d)


def recovery(key, static, dynamic):
    """One instance, one run. ``static``: ``d``, ``steps``; ``dynamic``: see :func:`dynamic`.

    This stage is matmuls and random draws only (it runs in several threads at once, see
    :func:`theorylab.core.sweep.run_keys`); :func:`finish_recovery` adds the spectra.
    """
    d, steps = static["d"], static["steps"]
    f32 = jnp.float32
    inst, X0, kw = _instance_and_start(key, d, dynamic["sigma"])
    c0, c1 = _thresholds(dynamic, d)
    eta = dynamic["eta0"] / (d + 2 * jnp.maximum(c0, c1))
    run = perturbed_gd(kw, inst.Y, inst.Y_star, X0, eta.astype(f32),
                       model.xi_squared(c0, d).astype(f32), model.xi_squared(c1, d).astype(f32),
                       steps=steps, record_every=RECORD_EVERY, average_from=steps // 2)
    return {"last": run.last, "average": run.average, "mse_trace": run.mse_trace,
            "diverged": run.diverged}


def finish_recovery(key, static, dynamic, out):
    """The float64 errors of both estimates, the errors of the two predicted limits (the
    positive part of ``Y`` for GD, the soft threshold at ``c`` for perturbed GD) and the spectra;
    the instance is drawn again from the same key. Drops the ``d x d`` matrices."""
    d = static["d"]
    inst, _, _ = _instance_and_start(key, d, dynamic["sigma"])
    _, c1 = _thresholds(dynamic, d)
    Y = inst.Y.astype(jnp.float64)
    Ys = inst.Y_star.astype(jnp.float64)
    lam = jnp.linalg.eigvalsh(Y)
    avg = out["average"].astype(jnp.float64)
    return {
        "mse_last": model.mse(out["last"].astype(jnp.float64), Ys),
        "mse_avg": model.mse(avg, Ys),
        "mse_trace": out["mse_trace"],
        "mse_gd_limit": model.mse(model.soft_threshold(Y, 0.0), Ys),
        "mse_soft_limit": model.mse(model.soft_threshold(Y, c1), Ys),
        "spectrum_avg": jnp.linalg.eigvalsh(avg),
        "spectrum_soft": jnp.maximum(lam - c1, 0.0),
        "spectrum_positive": jnp.maximum(lam, 0.0),
        "lambda_1": lam[-1],
        "diverged": out["diverged"],
    }


recovery.finish = finish_recovery
recovery.parallel_seeds = True


def recover(key, d: int, sigma: float, *, kappa=None, eta0=None, steps=None, horizon: float = 10.0,
            seeds: int = 1, kappa_end=None) -> dict:
    """Run plain GD (``kappa=None``) or perturbed GD at level ``kappa`` on ``seeds`` fresh
    instances drawn from ``key``; the library entry point, with its inputs checked.
    ``kappa_end`` anneals the perturbation linearly in kappa over the run (keep it above 2:
    below the noise edge the noise directions start to grow again).

    ``eta0`` defaults to 0.5 for GD and 0.25 for perturbed GD (see the module docstring);
    ``steps`` defaults to :func:`steps_for` of ``horizon``. Returns the outputs of
    :func:`recovery` as numpy arrays with a leading seed axis. A run that overflows is
    flagged in ``diverged``; it does not raise.
    """
    import numpy as np

    model.check_params(d=d, sigma=sigma, kappa=kappa, eta0=eta0, steps=steps)
    if kappa_end is not None and kappa is None:
        raise ValueError("kappa_end: annealing needs a perturbation; give kappa too")
    if kappa_end is not None:
        model.check_params(kappa=kappa_end)
    if not isinstance(seeds, (int, np.integer)) or seeds < 1:
        raise ValueError(f"seeds: must be a positive integer, got {seeds!r}")
    kap = 0.0 if kappa is None else float(kappa)
    eta0 = (0.5 if kappa is None else 0.25) if eta0 is None else float(eta0)
    if steps is None:
        steps = steps_for(d, sigma, eta0, horizon)
    steps = int(math.ceil(steps / RECORD_EVERY)) * RECORD_EVERY
    from ..core.sweep import default_threads, run_keys

    static = {"d": int(d), "steps": steps}
    dyn = dynamic(sigma, kap, eta0=eta0, kappa_end=kappa_end)
    return run_keys(recovery, static, dyn, jax.random.split(key, seeds), threads=default_threads())
