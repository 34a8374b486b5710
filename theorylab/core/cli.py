"""The ``theorylab`` command: list, verify, calibrate, report, docs, cache, selftest, mutate.

Exit status of ``verify``: 0 every selected claim passed (skipped ones are listed with their
reason), 1 a claim failed, 3 none failed but some are inconclusive, 2 bad input (unknown
claim, bad size, invalid number, an ``--out`` that cannot be written) -- reported on one line,
no traceback, before any work starts.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        sys.stderr.write(f"theorylab: error: {message}\n")
        raise SystemExit(2)


def _positive_int(name, least: int = 1):
    def parse(s):
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}: expected an integer, got {s!r}") from None
        if v < least:
            raise argparse.ArgumentTypeError(f"{name}: must be at least {least}, got {v}")
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


def _select(selectors, **kw):
    """The selected claims; an unknown selector's one-line error gains the near matches among
    claim ids and family names ("did you mean ...?")."""
    import difflib

    from .claims import select

    try:
        return select(selectors, **kw)
    except ValueError as e:
        msg = str(e)
        if "unknown claim or family" not in msg:
            raise
        known = select([])
        names = sorted({c.id for c in known} | {c.family for c in known} | {c.id.split(".")[0] for c in known})
        for sel in selectors:
            if f"{sel!r}" in msg:
                near = difflib.get_close_matches(sel, names, n=3, cutoff=0.6)
                if not near and "." in sel:  # an unknown family: match the claim's own name
                    by_name = {}
                    for cid in sorted(c.id for c in known):
                        by_name.setdefault(cid.split(".", 1)[1], []).append(cid)
                    short = difflib.get_close_matches(sel.split(".", 1)[1], list(by_name), n=3, cutoff=0.6)
                    near = [cid for s in short for cid in by_name[s]][:3]
                if near:
                    raise ValueError(f"{msg}; did you mean {', '.join(near)}?") from None
        raise


def _family_tracebacks() -> str:
    """For each family that could not be imported: where (file and line) and the traceback,
    from importing its module again (a failed import leaves nothing cached). Families refused
    for their definitions (a repeated id, a bad claim) have no traceback and are skipped."""
    import importlib
    import traceback

    from .registry import load

    out = []
    for e in load()[1]:
        mod, _, attr = e.target.partition(":")
        try:
            getattr(importlib.import_module(mod), attr)
        except BaseException as exc:  # noqa: BLE001 - whatever the family's import raises
            frames = traceback.extract_tb(exc.__traceback__)
            core = str(Path(__file__).resolve().parent)
            own = [f for f in frames if not f.filename.startswith(("<", core))]  # the family's code
            last = (own or frames)[-1]
            out.append(f"family {e.name!r} ({e.target}) at {last.filename}:{last.lineno}:\n"
                       + "".join(traceback.format_exception(exc)))
    return "\n".join(out)


def _preflight() -> None:
    """Before any work: the environment variables the sweep reads (a bad value is a one-line
    error, exit 2), then one warning line per family that could not be loaded (the others
    carry on)."""
    from .registry import load
    from .sweep import check_environment

    check_environment()
    for e in load()[1]:
        sys.stderr.write(f"theorylab: warning: {e.line()}\n")


def matmul_precision_warning(backend: str, setting) -> str | None:
    """A line for a run on an accelerator whose float32 matmuls run at JAX's default precision:
    TF32 (10-bit mantissas) on recent NVIDIA GPUs, bfloat16 passes on TPUs. The families'
    precision arguments are made for IEEE float32; an expanded squared distance
    |z|^2 - 2 z.x + |x|^2 under TF32 loses the nearest-point distances of
    diffusion.distribution_recovery entirely (results/full-gpu/README.md)."""
    if backend == "cpu" or setting not in (None, "default", "fastest", "bfloat16", "tensorfloat32"):
        return None
    return (f"theorylab: warning: float32 matmuls on this {backend} run at JAX's "
            f"{setting or 'default'} precision (TF32 on recent NVIDIA GPUs), below the IEEE float32 the "
            "claims' precision arguments assume; set JAX_DEFAULT_MATMUL_PRECISION=highest "
            "(benchmarks/gpu_full.sh does)")


def _warn_matmul_precision() -> None:
    import jax

    line = matmul_precision_warning(jax.default_backend(), jax.config.jax_default_matmul_precision)
    if line:
        sys.stderr.write(line + "\n")


def _cmd_list(args) -> int:

    _preflight()
    from .registry import claim_errors

    claims = _select(args.claims, strict=False)
    bad = claim_errors(claims)
    claims = [c for c in claims if c.id not in bad]
    if not claims and not bad:
        print("no claims: no family could be loaded")
        return 0
    w = max((len(c.id) for c in claims), default=0)
    for c in claims:
        extra = ((" (needs full size)" if c.needs_full else "") + (" (needs a GPU at full size)" if c.needs_gpu else "")
                 + (" (code check)" if c.evidence == "code" else "")
                 + (f" (derived from {', '.join(c.derived_from)})" if c.derived_from else ""))
        print(f"{c.id.ljust(w)}  [{c.tag}] {c.check.kind:9s} {c.source}{extra}")
        if args.verbose:
            print(f"{' ' * w}  {c.statement}")
            if c.calibration:
                print(f"{' ' * w}  calibration: {c.calibration}")
            alts = c.alternatives()
            if alts:
                print(f"{' ' * w}  declared alternatives: "
                      + ", ".join(f"{k} ({v:.3g})" for k, v in alts.items()))
            for ctl in c.controls:
                print(f"{' ' * w}  control {ctl.name}: {ctl.description}")
    for cid, reasons in sorted(bad.items()):
        sys.stderr.write(f"theorylab: error: claim {cid} is not well defined: {'; '.join(reasons)}\n")
    return 2 if bad else 0


def exit_status(statuses) -> int:
    """0 all passed or skipped, 1 any failed, 3 none failed but some inconclusive."""
    statuses = list(statuses)
    if "failed" in statuses:
        return 1
    return 3 if "inconclusive" in statuses else 0


def _cmd_verify(args) -> int:
    from .report import verdict_table
    from .verify import check_out_dir, default_cache_dir, evidence, evidence_text, verify

    from .executors import make_executor

    _preflight()
    _select(args.claims)  # validate names before anything compiles
    out = check_out_dir(args.out) if args.out else None
    cache = default_cache_dir()
    _enable_compilation_cache(cache)
    _warn_matmul_precision()
    with make_executor(args.executor, args.scheduler, args.workers) as ex:
        verdicts = verify(args.claims, args.size, seeds=args.seeds, out_dir=out,
                          cache_dir=None if args.no_cache else cache, pdf=args.pdf,
                          progress=not args.quiet, root=args.root,
                          force=args.run_full_only, executor=ex,
                          echo=None if args.quiet else (lambda s: print(s, file=sys.stderr)))
    print(verdict_table(verdicts))
    for v in verdicts:
        print(f"\n{v.claim_id} [{v.status}] {v.sentence}")
        if v.result is not None and v.result.uncertainty:
            print(f"  uncertainty: {v.result.uncertainty}")
        if v.info.get("calibration"):
            print(f"  calibration: {v.info['calibration']}")
        for c in v.controls:
            print(f"  control {c.name}: {'rejected' if c.rejected else 'NOT rejected'} "
                  f"({c.outcome}) -- {c.sentence}")
    ev = evidence(verdicts)
    counts = {s: sum(v.status == s for v in verdicts) for s in ("passed", "failed", "inconclusive", "skipped")}
    print("\n" + ", ".join(f"{n} {s}" for s, n in counts.items()) +
          f"; the {ev['claims_run']} claims run rest on {ev['independent']} independent sweeps"
          + "".join(f"\n  shared data: {', '.join(g)}" for g in ev["shared"])
          + f"\n{evidence_text(ev)}")
    if out is not None:
        print(f"results: {out / 'results.json'}")
    return exit_status(v.status for v in verdicts)


def _cmd_calibrate(args) -> int:
    from .calibrate import calibrate, table
    from .verify import check_out_dir, default_cache_dir

    _preflight()
    _select(args.claims)
    default_out = not args.out  # a calibration is hours of work: never thrown away
    out = None if default_out else check_out_dir(args.out)
    cache = default_cache_dir()
    _enable_compilation_cache(cache)
    _warn_matmul_precision()
    from .executors import make_executor

    with make_executor(args.executor, args.scheduler, args.workers) as ex:
        if default_out:  # made only once the work can start: bad input leaves no folder behind
            out = check_out_dir(f"theorylab-calibration-{args.size}")
            if not args.quiet:
                print(f"calibration: writing to {out}/ (choose with --out; a rerun resumes from it)",
                      file=sys.stderr)
        doc = calibrate(args.claims, args.roots, size=args.size, seeds=args.seeds, out_dir=out,
                        first_root=args.first_root,
                        cache_dir=None if args.no_cache else cache, force=args.run_full_only,
                        executor=ex, echo=None if args.quiet else (lambda s: print(s, file=sys.stderr)))
    print(table(doc))
    print(f"\ncalibration: {out / 'calibration.json'}")
    return 0


def _cmd_mutate(args) -> int:
    from .mutate import OPERATORS, mutate, summary_table
    from .verify import check_out_dir

    _preflight()
    _select(args.claims)
    out = check_out_dir(args.out) if args.out else None
    if args.pins is not None and not Path(args.pins).is_file():
        raise ValueError(f"--pins: no such file {args.pins}")
    for op in args.operator or ():
        if op not in OPERATORS:
            raise ValueError(f"--operator: unknown {op!r}; one of {', '.join(OPERATORS)}")
    tests = None
    if args.tests is not None:
        try:
            tests = [a for t in args.tests for a in shlex.split(t)]
        except ValueError as e:
            raise ValueError(f"--tests: cannot split {args.tests!r} into pytest arguments ({e})") from None
        if not tests:
            raise ValueError("--tests: empty; give pytest arguments, e.g. 'tests/test_mine.py'")
    from .executors import make_executor

    with make_executor(args.executor, args.scheduler, args.workers) as ex:
        doc = mutate(args.claims, size=args.size, max_mutants=args.max, seed=args.seed, out_dir=out,
                     timeout=args.timeout, pins_file=args.pins, operators=args.operator,
                     executor=None if args.executor == "in-process" else ex,
                     echo=None if args.quiet else (lambda s: print(s, file=sys.stderr)),
                     tests=tests)
    print(summary_table(doc))
    if out is not None:
        print(f"\nmutation: {out / 'mutation.json'}, {out / 'report.md'}")
    return 0


def _cmd_cache(args) -> int:
    from .cache import clear, info
    from .verify import default_cache_dir

    root = default_cache_dir()
    if args.action == "info":
        print(info(root))
        return 0
    print(clear(root, args.family))
    return 0


def _cmd_docs(args) -> int:
    from .docs import claims_markdown
    from .registry import families
    from .results import atomic_write_text

    fams = families()
    if args.families:
        known = {f.name for f in fams}
        bad = [n for n in args.families if n not in known]
        if bad:
            raise ValueError(f"family: unknown family {bad[0]!r} (families: {', '.join(sorted(known))})")
        fams = [f for f in fams if f.name in args.families]
    if args.results and not Path(args.results).is_file():
        raise ValueError(f"--results: {args.results} is not a file")
    text = claims_markdown(fams, args.results)
    if args.out:
        atomic_write_text(Path(args.out), text)
        print(args.out)
    else:
        print(text, end="")
    return 0


def _cmd_selftest(args) -> int:
    from . import selftest
    from .verify import check_out_dir

    out = check_out_dir(args.out) if args.out else None
    seeds = None if args.seeds is None else [int(v) for v in args.seeds]
    doc = selftest.run(seeds, reps=args.reps, seed=args.seed, sections=args.section or tuple(selftest.SECTIONS),
                       echo=None if args.quiet else (lambda s: print(s, file=sys.stderr)))
    print(selftest.table(doc))
    miss = doc["below_target"]
    print(f"\n{len(doc['rows'])} rates measured, {len(miss)} miss their target"
          + "".join(f"\n  {r['interval']} ({r['scenario']}, {r['seeds']} seeds): {r['rate']:.3f}" for r in miss))
    if out is not None:
        selftest.write(doc, out)
        print(f"selftest: {out / 'selftest.json'}")
    return 1 if miss else 0


def _cmd_report(args) -> int:
    from .report import write_report

    path = write_report(args.dir, html=args.html)
    print(path)
    return 0


def _add_executor_args(parser, executor_help: str) -> None:
    """--executor, --scheduler and --workers, the same for every command that runs work."""
    from .executors import EXECUTORS

    parser.add_argument("--executor", default="in-process", choices=list(EXECUTORS), help=executor_help)
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="with --executor dask: join this scheduler (default: start a local cluster)")
    parser.add_argument("--workers", type=_positive_int("--workers"), default=None,
                        help="with --executor dask and no --scheduler: worker processes (default: one per core)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="theorylab", description="Theorems about learning algorithms as checks.")
    tb_help = "for each family that could not be imported, print its file, line and traceback"
    p.add_argument("--traceback", action="store_true", help=tb_help)
    sub = p.add_subparsers(dest="cmd", parser_class=_Parser)
    pl = sub.add_parser("list", help="list the claims with source and provenance tag")
    pl.add_argument("claims", nargs="*", help="claim ids or family names (default: all)")
    pl.add_argument("-v", "--verbose", action="store_true", help="print each statement too")
    pv = sub.add_parser("verify", help="run claims and print verdicts")
    pv.add_argument("claims", nargs="*", help="claim ids or family names (default: all)")
    pv.add_argument("--size", default="quick", choices=["quick", "full"])
    pv.add_argument("--seeds", type=_positive_int("--seeds"), default=None,
                    help="override the number of seeds of every claim")
    pv.add_argument("--out", default=None, help="folder for results.json and figures")
    pv.add_argument("--no-cache", action="store_true", help="recompute every cell")
    pv.add_argument("--pdf", action="store_true", help="also write figures as PDF")
    pv.add_argument("--root", type=_positive_int("--root", least=0), default=0,
                    help="root seed set (0, the default; another number draws fresh seeds)")
    pv.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    _add_executor_args(pv, "where cells run: this process (default) or a Dask cluster (pip install 'theorylab[dask]')")
    pv.add_argument("--run-full-only", action="store_true",
                    help="also run claims that would be skipped: at quick size those that need the full "
                    "size (to see why), at full size on a CPU those that need a GPU")
    pc = sub.add_parser("calibrate", help="pass and control-rejection rates over fresh root seeds")
    pc.add_argument("claims", nargs="*", help="claim ids or family names (default: all)")
    pc.add_argument("--roots", type=_positive_int("--roots"), required=True,
                    help="how many fresh root seed sets (roots 1..R)")
    pc.add_argument("--first-root", type=_positive_int("--first-root"), default=1,
                    help="the first root (default 1): roots FIRST..FIRST+R-1, e.g. 21 for fresh roots "
                    "beyond an earlier calibration's 1..20")
    pc.add_argument("--size", default="quick", choices=["quick", "full"])
    pc.add_argument("--seeds", type=_positive_int("--seeds"), default=None,
                    help="override the number of seeds of every claim")
    pc.add_argument("--out", default=None,
                    help="folder for calibration.json, resumed from (default: theorylab-calibration-SIZE)")
    pc.add_argument("--no-cache", action="store_true", help="recompute every cell")
    pc.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    _add_executor_args(pc, "where cells run: this process (default) or a Dask cluster (pip install 'theorylab[dask]')")
    pc.add_argument("--run-full-only", action="store_true",
                    help="also run, at quick size, claims that need the full size (to see why)")
    pm = sub.add_parser("mutate", help="mutation analysis: how many bugs planted in a family's "
                        "simulation code its claims catch")
    pm.add_argument("claims", nargs="+", help="claim ids or family names")
    pm.add_argument("--size", default="quick", choices=["quick", "full"])
    pm.add_argument("--max", type=_positive_int("--max"), default=None,
                    help="run at most N mutants, sampled with --seed (default: every site)")
    pm.add_argument("--seed", type=_positive_int("--seed", least=0), default=0,
                    help="seed of the sample of mutants (default 0)")
    pm.add_argument("--out", default=None, help="folder for mutation.json and report.md (resumed from)")
    pm.add_argument("--timeout", type=_positive_int("--timeout"), default=None,
                    help="seconds before a mutant's run is stopped (default: 5x the unmutated run, at least 120)")
    pm.add_argument("--pins", default=None, metavar="FILE",
                    help="a measurement pin file to compare with (default: the unmutated code's own numbers)")
    pm.add_argument("--operator", action="append", default=None,
                    help="only this mutation operator (repeatable; default: all)")
    pm.add_argument("--tests", action="append", default=None, metavar="ARGS",
                    help="pytest arguments (quoted, e.g. 'tests/test_large_lr.py -k substrate'; "
                    "repeatable) run on every mutant the claims and pins do not kill: a failing test "
                    "kills it; they must pass on the unmutated code")
    pm.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    _add_executor_args(pm, "where mutants run: one after another (default) or on a Dask cluster")
    pk = sub.add_parser("cache", help="the cell cache: where it is, how big, clear it")
    pk.add_argument("action", choices=["info", "clear"])
    pk.add_argument("family", nargs="?", default=None,
                    help="clear only this family's cells (default: every cell and compiled program)")
    pd = sub.add_parser("docs", help="Markdown notes on every claim, generated from the claims")
    pd.add_argument("families", nargs="*", help="family names (default: every loaded family)")
    pd.add_argument("--results", default=None, help="a results.json whose verdicts to quote")
    pd.add_argument("--out", default=None, help="write to this file (default: standard output)")
    ps = sub.add_parser("selftest", help="coverage of the package's own intervals on known-truth data")
    ps.add_argument("--out", default=None, help="folder for selftest.json and report.md")
    ps.add_argument("--reps", type=_positive_int("--reps", least=10), default=1000,
                    help="repetitions per cell (default 1000: Monte Carlo error about 0.007 at 0.95)")
    ps.add_argument("--seeds", type=_positive_int("--seeds", least=2), nargs="+", default=None,
                    help="seed counts (default: every count the claims use)")
    ps.add_argument("--section", action="append", default=None,
                    choices=["slope", "tilt", "decisions", "proportions", "replicas", "constancy"],
                    help="run only this section (repeatable)")
    ps.add_argument("--seed", type=_positive_int("--seed", least=0), default=0, help="random seed")
    ps.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    pr = sub.add_parser("report", help="Markdown report from a results folder")
    pr.add_argument("dir")
    pr.add_argument("--html", action="store_true",
                    help="also write report.html: one self-contained page, figures embedded")
    for sp in sub.choices.values():  # also after the command: theorylab list --traceback
        sp.add_argument("--traceback", action="store_true", default=argparse.SUPPRESS, help=tb_help)
    return p


def main(argv=None) -> int:
    p = build_parser()
    args = p.parse_args(argv)
    if args.cmd is None:
        p.print_help()
        return 2
    if args.traceback:
        tb = _family_tracebacks()
        if tb:
            sys.stderr.write(tb)
    try:
        return {"list": _cmd_list, "verify": _cmd_verify, "calibrate": _cmd_calibrate,
                "report": _cmd_report, "docs": _cmd_docs, "cache": _cmd_cache,
                "selftest": _cmd_selftest, "mutate": _cmd_mutate}[args.cmd](args)
    except ValueError as e:
        for line in str(e).splitlines() or [""]:
            sys.stderr.write(f"theorylab: error: {line}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("theorylab: interrupted; finished cells and claims are kept\n")
        return 130
    except BrokenPipeError:  # the reader went away (theorylab list | head): stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
