"""Rate verification for the large-learning-rate family (thin: the work is in the library).

    python simulations/large_lr.py [--size quick|full] [--out DIR] [--figures]

Runs every ``large_lr`` claim, prints the verdict table, writes ``DIR/results.json`` and the
claim figures; with ``--figures`` it also regenerates the family's publication figures in
``figures/`` (balancing phase diagram, sharpness trajectories) with a provenance file.
Exit status 1 if a claim fails.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", choices=["quick", "full"], default="quick")
    p.add_argument("--out", default=str(ROOT / "results" / "large_lr"))
    p.add_argument("--figures", action="store_true", help="regenerate figures/large_lr_*.png")
    a = p.parse_args(argv)

    import theorylab
    from theorylab.core.results import atomic_write_json, provenance
    from theorylab.core.verify import table

    verdicts = theorylab.verify(["large_lr"], size=a.size, out_dir=a.out)
    print(table(verdicts))
    if a.figures:
        from theorylab.large_lr import figures as figs

        fig_dir = ROOT / "figures"
        steps = 20000 if a.size == "quick" else 100000
        made = [figs.balancing_phase_diagram(fig_dir / "large_lr_balancing_phase", steps=steps)[0],
                figs.sharpness_trajectories(fig_dir / "large_lr_sharpness_trajectories")]
        atomic_write_json(fig_dir / "large_lr_provenance.json",
                          provenance(figures=[Path(m).name for m in made], size=a.size,
                                     command="python simulations/large_lr.py --figures"))
        print("\n".join(made))
    return 0 if all(v.status != "failed" for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
