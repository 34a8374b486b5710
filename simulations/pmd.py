"""Rate verification for the policy-mirror-descent family (thin: the work is in the library).

    python simulations/pmd.py [--size quick|full] [--out DIR] [--figures]

Runs every claim of the family (ids ``pmd.*``, ``hpmd.*``, ``bpmd.*``, ``rpmd.*``,
``spmd.*``), prints the verdict table, writes ``DIR/results.json`` and one figure per claim;
with ``--figures`` it also copies the family's publication figures into ``figures/`` (gap curves
against the adaptive-step bound, the superlinear phase of homotopic PMD, the limit policy) with
a provenance file. Exit status 1 if a claim fails.
"""

import sys
from pathlib import Path

from theorylab.core.script import family_main

PUBLISHED = {"pmd.johnson_bound": "pmd_gap_curves", "hpmd.superlinear": "pmd_hpmd_superlinear",
             "hpmd.max_entropy_limit": "pmd_hpmd_limit_policy", "spmd.noise_floor": "pmd_spmd_floor"}

if __name__ == "__main__":
    sys.exit(family_main("pmd", Path(__file__).resolve().parents[1], __doc__, published=PUBLISHED))
