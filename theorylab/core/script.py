"""The scaffolding of a family's rate-verification script (``simulations/<family>.py``).

A script runs the family's claims, prints the verdict table, writes results and claim figures,
and with ``--figures`` publishes chosen figures into ``figures/`` with a provenance file.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable, Mapping, Optional, Sequence


def family_main(family: str, root: Path, doc: str, argv: Optional[Sequence[str]] = None, *,
                published: Mapping[str, str] = (), extra_figures: Optional[Callable] = None) -> int:
    """Run ``family``'s claims with the standard command line; returns the exit status.

    ``published`` maps claim ids to file names (without suffix) under ``root/figures`` for the
    claim figures to publish; ``extra_figures(fig_dir, size) -> list of paths`` makes figures
    that are not claim figures. Exit status as ``theorylab verify``'s (1 failed, 3 inconclusive).
    """
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--size", choices=["quick", "full"], default="quick")
    p.add_argument("--out", default=str(root / "out" / family))
    p.add_argument("--figures", action="store_true",
                   help=f"publish the family's figures to figures/{family}_*.png")
    a = p.parse_args(argv)

    import theorylab
    from theorylab.core.results import atomic_write_bytes, atomic_write_json, provenance
    from theorylab.core.report import verdict_table

    verdicts = theorylab.verify([family], size=a.size, out_dir=a.out)
    print(verdict_table(verdicts))
    if a.figures:
        fig_dir = root / "figures"
        made = []
        for v in verdicts:
            if v.claim_id in dict(published) and v.figure:
                dst = fig_dir / f"{dict(published)[v.claim_id]}.png"
                atomic_write_bytes(dst, Path(v.figure).read_bytes())
                made.append(str(dst))
        if extra_figures is not None:
            from theorylab.core.precision import x64

            fam = {f.name: f for f in theorylab.families()}[family]
            with x64(fam.x64):  # the family's precision, as verify uses
                made += [str(m) for m in extra_figures(fig_dir, a.size)]
        atomic_write_json(fig_dir / f"{family}_provenance.json",
                          provenance(figures=[Path(m).name for m in made], size=a.size,
                                     command=f"python simulations/{family}.py --figures",
                                     verdicts={v.claim_id: v.status for v in verdicts}))
        print("\n".join(made))
    from theorylab.core.cli import exit_status

    return exit_status(v.status for v in verdicts)
