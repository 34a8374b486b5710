"""The ``theorylab`` command: list, verify, report.

Exit status: 0 all selected claims passed (or were skipped with a reason), 1 a claim failed,
2 bad input (unknown claim, bad size, invalid number) -- reported on one line, no traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        sys.stderr.write(f"theorylab: error: {message}\n")
        raise SystemExit(2)


def _positive_int(name):
    def parse(s):
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}: expected an integer, got {s!r}") from None
        if v < 1:
            raise argparse.ArgumentTypeError(f"{name}: must be at least 1, got {v}")
        return v
    return parse


def _enable_compilation_cache(cache_dir: Path) -> None:
    """JAX's persistent compilation cache: compile time dominates quick runs on a CPU."""
    import jax

    try:
        jax.config.update("jax_compilation_cache_dir", str(cache_dir / "jax"))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    except Exception:  # an old JAX without the option: run without the cache
        pass


def _cmd_list(args) -> int:
    from .claims import all_claims

    claims = all_claims()
    w = max(len(c.id) for c in claims)
    for c in claims:
        extra = " (needs full size)" if c.needs_full else ""
        print(f"{c.id.ljust(w)}  [{c.tag}] {c.check.kind:9s} {c.source}{extra}")
        if args.verbose:
            print(f"{' ' * w}  {c.statement}")
    return 0


def _cmd_verify(args) -> int:
    from .claims import select
    from .verify import default_cache_dir, table, verify

    select(args.claims)  # validate names before anything compiles
    cache = default_cache_dir()
    _enable_compilation_cache(cache)
    out = Path(args.out) if args.out else None
    verdicts = verify(args.claims, args.size, seeds=args.seeds, out_dir=out,
                      cache_dir=None if args.no_cache else cache, pdf=args.pdf,
                      progress=None if not args.quiet else False,
                      echo=None if args.quiet else (lambda s: print(s, file=sys.stderr)))
    print(table(verdicts))
    for v in verdicts:
        print(f"\n{v.claim_id} [{v.status}] {v.sentence}")
        for c in v.controls:
            print(f"  control {c['name']}: {'rejected' if c['rejected'] else 'NOT rejected'} -- {c['sentence']}")
    if out is not None:
        print(f"\nresults: {out / 'results.json'}")
    failed = [v for v in verdicts if v.status == "failed"]
    return 1 if failed else 0


def _cmd_report(args) -> int:
    from .report import write_report

    path = write_report(args.dir)
    print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="theorylab", description="Theorems about learning algorithms as checks.")
    sub = p.add_subparsers(dest="cmd", parser_class=_Parser)
    pl = sub.add_parser("list", help="list the claims with source and provenance tag")
    pl.add_argument("-v", "--verbose", action="store_true", help="print each statement too")
    pv = sub.add_parser("verify", help="run claims and print verdicts")
    pv.add_argument("claims", nargs="*", help="claim ids or family names (default: all)")
    pv.add_argument("--size", default="quick", choices=["quick", "full"])
    pv.add_argument("--seeds", type=_positive_int("--seeds"), default=None,
                    help="override the number of seeds of every claim")
    pv.add_argument("--out", default=None, help="folder for results.json and figures")
    pv.add_argument("--no-cache", action="store_true", help="recompute every cell")
    pv.add_argument("--pdf", action="store_true", help="also write figures as PDF")
    pv.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    pr = sub.add_parser("report", help="Markdown report from a results folder")
    pr.add_argument("dir")
    return p


def main(argv=None) -> int:
    p = build_parser()
    args = p.parse_args(argv)
    if args.cmd is None:
        p.print_help()
        return 2
    try:
        return {"list": _cmd_list, "verify": _cmd_verify, "report": _cmd_report}[args.cmd](args)
    except ValueError as e:
        sys.stderr.write(f"theorylab: error: {e}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("theorylab: interrupted; finished cells and claims are kept\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
