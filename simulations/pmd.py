"""Rate verification for the policy-mirror-descent family (thin: the work is in the library).

    python simulations/pmd.py [--size quick|full] [--out DIR] [--figures]

Runs every claim of the family (ids ``pmd.*``, ``hpmd.*``, ``bpmd.*``, ``rpmd.*``,
``spmd.*``), prints the verdict table, writes ``DIR/results.json`` and one figure per claim;
with ``--figures`` it also copies the family's publication figures into ``figures/`` (gap curves
against the adaptive-step bound, the superlinear phase of homotopic PMD, the limit policy) with
a provenance file. Exit status 1 if a claim fails.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = {"pmd.johnson_bound": "pmd_gap_curves", "hpmd.superlinear": "pmd_hpmd_superlinear",
             "hpmd.max_entropy_limit": "pmd_hpmd_limit_policy", "spmd.noise_floor": "pmd_spmd_floor"}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", choices=["quick", "full"], default="quick")
    p.add_argument("--out", default=str(ROOT / "results" / "pmd"))
    p.add_argument("--figures", action="store_true", help="copy the publication figures to figures/")
    a = p.parse_args(argv)

    import theorylab
    from theorylab.core.results import atomic_write_bytes, atomic_write_json, provenance
    from theorylab.core.verify import table

    verdicts = theorylab.verify(["pmd"], size=a.size, out_dir=a.out)
    print(table(verdicts))
    if a.figures:
        fig_dir = ROOT / "figures"
        made = []
        for v in verdicts:
            if v.claim_id in PUBLISHED and v.figure:
                dst = fig_dir / f"{PUBLISHED[v.claim_id]}.png"
                atomic_write_bytes(dst, Path(v.figure).read_bytes())
                made.append(dst.name)
        atomic_write_json(fig_dir / "pmd_provenance.json",
                          provenance(figures=made, size=a.size, command="python simulations/pmd.py --figures",
                                     verdicts={v.claim_id: v.status for v in verdicts}))
        print("\n".join(made))
    return 0 if all(v.status != "failed" for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
