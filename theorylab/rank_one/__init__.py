"""Noisy over-parameterized rank-one recovery: noise regularizes, provably.

Public functions: :mod:`theorylab.rank_one.model` (instances, soft thresholding, the error),
:mod:`theorylab.rank_one.dynamics` (GD and randomly perturbed GD, one ``lax.scan`` per run),
:func:`recover` (run either on fresh instances, inputs checked).
The claims live in :mod:`theorylab.rank_one.claims`.
"""

from .dynamics import Run, perturbed_gd
from .model import Instance, check_params, instance, mse, soft_threshold, threshold, xi_squared
from .simulations import recover

__all__ = ["Instance", "Run", "check_params", "instance", "mse", "perturbed_gd", "recover",
           "soft_threshold", "threshold", "xi_squared"]
