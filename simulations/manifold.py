"""Rate verification for the manifold-regression family (thin: the work is in the library).

    python simulations/manifold.py [--size quick|full] [--out DIR] [--figures]

Runs every claim of the family (ids ``manifold.*``; the network's rate in n only at
``--size full``, on a GPU), prints the verdict table, writes ``DIR/results.json`` and one figure
per claim; with ``--figures`` it also copies the family's publication figures into ``figures/``
(test MSE against n for d = 1 and 2 with the predicted slopes, for k-NN, Nadaraya-Watson and, at
full size, the network; the network's MSE against D on the torus and on the cube) with a
provenance file. Exit status 1 if a claim fails.
"""

import sys
from pathlib import Path

from theorylab.core.script import family_main

PUBLISHED = {"manifold.knn_rate_in_n": "manifold_knn_vs_n", "manifold.kernel_rate_in_n": "manifold_kernel_vs_n",
             "manifold.network_rate_in_n": "manifold_network_vs_n",
             "manifold.network_ambient_independence": "manifold_mse_vs_D"}

if __name__ == "__main__":
    sys.exit(family_main("manifold", Path(__file__).resolve().parents[1], __doc__, published=PUBLISHED))
