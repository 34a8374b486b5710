"""Nonparametric regression on low-dimensional manifolds: deep ReLU networks, k-NN, kernels.

Public pieces: :mod:`theorylab.manifold.data` (manifolds, random targets of smoothness beta,
nested samples in R^D, :func:`~theorylab.manifold.data.register_manifold`),
:mod:`theorylab.manifold.estimators` (k-NN and Nadaraya-Watson, batched),
:mod:`theorylab.manifold.network` (the theory-sized ReLU network, Adam, early stopping).
The claims live in :mod:`theorylab.manifold.claims`.
"""

from .data import Manifold, Sample, draw, manifold, register_manifold, target
from .estimators import knn_predict, reference_errors
from .network import Fit, train

__all__ = ["Fit", "Manifold", "Sample", "draw", "knn_predict", "manifold", "reference_errors",
           "register_manifold", "target", "train"]
