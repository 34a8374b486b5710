"""Rate verification for the noisy rank-one family (thin: the work is in the library).

    python simulations/rank_one.py [--size quick|full] [--out DIR] [--figures]

Runs every claim of the family (ids ``rank_one.*``), prints the verdict table, writes
``DIR/results.json`` and one figure per claim; with ``--figures`` it also copies the family's
publication figures into ``figures/`` (both MSE curves against d on log-log axes with the
sigma^2/2 and (kappa^2 + 2) sigma^2/d reference lines, the sigma^2 scaling, the soft-thresholded
spectrum) with a provenance file. Exit status 1 if a claim fails.
"""

import sys
from pathlib import Path

from theorylab.core.script import family_main

PUBLISHED = {"rank_one.perturbed_inverse_d": "rank_one_mse_vs_d", "rank_one.sigma_squared": "rank_one_sigma",
             "rank_one.soft_threshold": "rank_one_spectrum"}

if __name__ == "__main__":
    sys.exit(family_main("rank_one", Path(__file__).resolve().parents[1], __doc__, published=PUBLISHED))
