"""Rate verification for the large-learning-rate family (thin: the work is in the library).

    python simulations/large_lr.py [--size quick|full] [--out DIR] [--figures]

Runs every ``large_lr`` claim, prints the verdict table, writes ``DIR/results.json`` and the
claim figures; with ``--figures`` it also regenerates the family's publication figures in
``figures/`` (balancing phase diagram, sharpness trajectories) with a provenance file.
Exit status 1 if a claim fails.
"""

import sys
from pathlib import Path

from theorylab.core.script import family_main


def extra_figures(fig_dir, size):
    """The balancing phase diagram and the sharpness trajectories (not claim figures)."""
    from theorylab.large_lr import figures as figs

    steps = 20000 if size == "quick" else 100000
    return [figs.balancing_phase_diagram(fig_dir / "large_lr_balancing_phase", steps=steps)[0],
            figs.sharpness_trajectories(fig_dir / "large_lr_sharpness_trajectories")]


if __name__ == "__main__":
    sys.exit(family_main("large_lr", Path(__file__).resolve().parents[1], __doc__,
                         extra_figures=extra_figures))
