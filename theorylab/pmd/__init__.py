"""Policy mirror descent on finite MDPs: PMD, homotopic, block, robust and stochastic PMD.

Public API:

* :class:`MDP` (validated container), :func:`garnet`, :func:`multichain`, :func:`plant_ties`,
  :func:`near_ties`, :func:`chain` (a hard instance for the gamma^k rate);
* :func:`evaluate` (exact ``V``, ``Q`` by a linear solve), :func:`stationary`, :func:`solve`
  (policy iteration), :func:`solve_regularized`, :func:`max_entropy_optimal`,
  :func:`min_quadratic_optimal`;
* the methods :func:`pmd`, :func:`hpmd`, :func:`bpmd`, :func:`rpmd` (robust, with
  :func:`robust_evaluate`, :func:`robust_solve`, :func:`robust_bellman`, and instances with a
  planted robust action gap by :func:`plant_gap`, :func:`smallest_gap`), each one ``lax.scan``
  returning a per-iteration trace. Stochastic PMD is :func:`pmd` with ``samples=m``.

Everything vmaps over a batch of MDPs of one shape. float64 throughout. The claims live in
:mod:`theorylab.pmd.claims` (ids ``pmd.*``, ``hpmd.*``, ``bpmd.*``, ``rpmd.*``, ``spmd.*``).
"""

from .algorithms import bpmd, empirical, euclid_prox, hpmd, kl_prox, pmd, proj_simplex
from .mdp import (MDP, Solution, chain, evaluate, garnet, max_entropy_optimal, min_quadratic_optimal,
                  multichain, near_ties, plant_ties, solve, solve_regularized, stationary)
from .robust import (plant_gap, robust_bellman, robust_evaluate, robust_solve, rpmd, smallest_gap, worst_kl,
                     worst_l1)

__all__ = ["MDP", "Solution", "bpmd", "chain", "empirical", "euclid_prox", "evaluate", "garnet", "hpmd",
           "kl_prox", "max_entropy_optimal", "min_quadratic_optimal", "multichain", "near_ties", "plant_gap", "plant_ties", "pmd", "proj_simplex",
           "robust_bellman", "robust_evaluate", "robust_solve", "rpmd", "smallest_gap", "solve",
           "solve_regularized", "stationary", "worst_kl", "worst_l1"]
