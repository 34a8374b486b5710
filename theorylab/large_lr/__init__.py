"""Gradient descent with large learning rates: balancing, edge of stability, catapult.

Public functions: :mod:`theorylab.large_lr.dynamics` (GD on homogeneous toy models, exact
sharpness), :mod:`theorylab.large_lr.mlp` (full-batch GD on an MLP with power-iteration
sharpness). The claims live in :mod:`theorylab.large_lr.claims`.
"""

from .dynamics import LOSSES, ell, ell_loss, factor_loss, gd, gd_final, matrix_loss, sharpness
from .mlp import train_track_sharpness

__all__ = ["LOSSES", "ell", "ell_loss", "factor_loss", "gd", "gd_final", "matrix_loss",
           "sharpness", "train_track_sharpness"]
