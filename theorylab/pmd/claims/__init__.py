"""Claims of the policy-mirror-descent family (notes on each: docs/claims.md).

Sources: Lan, "Policy mirror descent for reinforcement learning" (Math. Programming 2023, arXiv
2102.00135) [LAN]; Li, Lan, Zhao, "Homotopic policy mirror descent" (arXiv 2201.09457) [HPMD];
Lan, Li, Zhao, "Block policy mirror descent" (arXiv 2201.05756) [BPMD]; Li, Lan, Zhao,
"First-order policy optimization for robust Markov decision process" (arXiv 2209.10579)
[RPMD]; Xiao, JMLR 2022 [XIAO]; Johnson, Pike-Burke, Rebeschini, NeurIPS 2023 [JPR].

Every seed is an independent random MDP (Garnet: S states, A actions, ``branching`` next
states per pair, U[0, 1] costs), solved exactly by policy iteration; all gaps are exact
(linear solves in float64). Tolerances are argued next to each check. Where a slope check
compares with a rate-gamma bound the tolerance is 0: the bound ``C gamma^k`` is an upper bound
whose log has slope exactly log gamma, and the measured slopes are several times steeper.
"""

from __future__ import annotations

from ...core.registry import Family
from . import bpmd, hpmd, pmd, rpmd, spmd

CLAIMS = pmd.CLAIMS + hpmd.CLAIMS + bpmd.CLAIMS + rpmd.CLAIMS + spmd.CLAIMS

#: float64 on: exact gaps of MDPs are followed down to 1e-10 by linear solves
FAMILY = Family("pmd", CLAIMS, x64=True, notes=__doc__,
                description="Policy mirror descent and its homotopic, block, robust and stochastic variants")
