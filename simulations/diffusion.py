"""Rate verification for the diffusion family (thin: the work is in the library).

    python simulations/diffusion.py [--size quick|full] [--out DIR] [--figures]

Runs every claim of the family (ids ``diffusion.*``), prints the verdict table, writes
``DIR/results.json`` and one figure per claim; with ``--figures`` it also publishes the family's
figures into ``figures/`` (score error against n with the optimisation floor, score error against
D for the structured network and the plain MLP, the orthogonal energy / h(t0) of each sampler,
generated samples projected onto the subspace) with a provenance file. Exit status 1 if a claim
fails.
"""

import sys
from pathlib import Path

from theorylab.core.script import family_main

PUBLISHED = {"diffusion.score_rate_in_n": "diffusion_score_vs_n",
             "diffusion.ambient_independence": "diffusion_score_vs_D",
             "diffusion.orthogonal_collapse": "diffusion_orthogonal_energy",
             "diffusion.distribution_recovery": "diffusion_samples"}

if __name__ == "__main__":
    sys.exit(family_main("diffusion", Path(__file__).resolve().parents[1], __doc__, published=PUBLISHED))
