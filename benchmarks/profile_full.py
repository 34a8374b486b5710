"""Profile: where each claim's wall time goes, as a new user's first run meets it.

    python benchmarks/profile_full.py [SELECTORS...] [--size full] [--out results/profile/NAME]

The selected claims run family by family, each family in a child process of its own with an
empty cell cache and no persistent compilation cache (cold, as on a fresh machine), in the
order ``theorylab verify`` runs them: a sweep shared by several claims is charged to the first
that asks for it, exactly as in a verify run. For each claim (with its controls) the child
records wall seconds split into

* ``compile_s``: JAX tracing, lowering and XLA compilation (the durations ``jax.monitoring``
  reports);
* ``simulation_s``: the rest of the time inside the sweep's ``run_keys`` (the compiled
  programs running and the finish stage; outputs are waited for before they are copied);
* ``transfer_s``: copying the outputs from the device to host numpy arrays (``np.asarray``
  inside the sweep; on a CPU backend a memory copy);
* ``statistics_s``: the checks' ``evaluate``, the claim's and its controls';
* ``figure_s``: drawing and saving the figure;
* ``other_s``: the remainder (the measure functions' own numpy, reading and writing the cell
  cache, building the verdict);

and ``rss_mb``, the child's peak resident memory after the claim (a running maximum within a
family: the family's peak is its last claim's). ``--out DIR`` writes ``profile.json`` (with
provenance) and ``profile.txt``; a later "after" profile goes beside it under another name.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PARTS = ("compile_s", "simulation_s", "transfer_s", "statistics_s", "figure_s", "other_s")


class Clock:
    """Seconds accumulated per part, within the current claim."""

    def __init__(self):
        self.t = dict.fromkeys(PARTS[:-1], 0.0)
        self.in_sweep = 0
        self.compile_in_sweep = 0.0

    def add(self, part: str, seconds: float) -> None:
        self.t[part] += seconds


def instrument(clock: Clock) -> None:
    """Wrap the sweep, the checks and the figures so that ``clock`` sees their time (this
    child process only; nothing in the package changes)."""
    import numpy as np
    from jax import monitoring

    from theorylab.core import checks, sweep, verify

    compile_events = ("/jax/core/compile/jaxpr_trace_duration",
                      "/jax/core/compile/jaxpr_to_mlir_module_duration",
                      "/jax/core/compile/backend_compile_duration")

    def on_event(name, secs, **_):
        if name in compile_events:
            clock.add("compile_s", secs)
            if clock.in_sweep:
                clock.compile_in_sweep += secs

    monitoring.register_event_duration_secs_listener(on_event)

    class TimedNumpy:  # the sweep module's ``np``, with asarray (the host copy) timed
        def __getattr__(self, name):
            return getattr(np, name)

        @staticmethod
        def asarray(*a, **k):
            t = time.perf_counter()
            out = np.asarray(*a, **k)
            clock.add("transfer_s", time.perf_counter() - t)
            return out

    sweep.np = TimedNumpy()
    run_keys = sweep.run_keys

    def timed_run_keys(*a, **k):
        t, c0, x0 = time.perf_counter(), clock.compile_in_sweep, clock.t["transfer_s"]
        clock.in_sweep += 1
        try:
            return run_keys(*a, **k)
        finally:
            clock.in_sweep -= 1
            wall = time.perf_counter() - t
            clock.add("simulation_s", wall - (clock.compile_in_sweep - c0) - (clock.t["transfer_s"] - x0))

    sweep.run_keys = timed_run_keys

    def timed(part, fn):
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                clock.add(part, time.perf_counter() - t)
        return wrapper

    def subclasses(cls):
        for s in cls.__subclasses__():
            yield s
            yield from subclasses(s)

    for cls in set(subclasses(checks.Check)):
        if "evaluate" in vars(cls):
            cls.evaluate = timed("statistics_s", vars(cls)["evaluate"])
    verify.default_figure = timed("figure_s", verify.default_figure)
    clock.timed = timed


def child(ids: list, size: str, cache: str, out_json: str) -> int:
    """Run ``ids`` (one family) in order and write one record per claim to ``out_json``."""
    import dataclasses
    import resource

    from theorylab.core.claims import select
    from theorylab.core.verify import run_claim

    clock = Clock()
    instrument(clock)
    rows = []
    with tempfile.TemporaryDirectory() as figs:
        for claim in select(ids):
            if claim.figure is not None:
                claim = dataclasses.replace(claim, figure=clock.timed("figure_s", claim.figure))
            clock.t = dict.fromkeys(PARTS[:-1], 0.0)
            t = time.perf_counter()
            v = run_claim(claim, size, cache_dir=cache, out_dir=figs, progress=False)
            wall = time.perf_counter() - t
            row = {"id": claim.id, "status": v.status, "wall_s": round(wall, 3),
                   **{p: round(s, 3) for p, s in clock.t.items()},
                   "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
            row["other_s"] = round(wall - sum(clock.t.values()), 3)
            rows.append(row)
            Path(out_json).write_text(json.dumps(rows))
            print(f"  {claim.id}: {v.status} in {wall:.1f} s", file=sys.stderr, flush=True)
    return 0


def table(rows: list) -> list:
    head = f"{'claim':40s} {'status':12s} {'wall':>8s} " + " ".join(f"{p[:-2]:>10s}" for p in PARTS) + f" {'RSS MB':>8s}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['id']:40s} {r['status']:12s} {r['wall_s']:8.1f} "
                     + " ".join(f"{r[p]:10.1f}" for p in PARTS) + f" {r['rss_mb']:8.0f}")
    tot = {p: sum(r[p] for r in rows) for p in ("wall_s",) + PARTS}
    lines.append(f"{'total':40s} {'':12s} {tot['wall_s']:8.1f} " + " ".join(f"{tot[p]:10.1f}" for p in PARTS))
    if tot["wall_s"] > 0:
        lines.append("shares: " + ", ".join(f"{p[:-2]} {100 * tot[p] / tot['wall_s']:.0f}%" for p in PARTS))
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("claims", nargs="*", help="claim ids or family names (default: all)")
    p.add_argument("--size", choices=("quick", "full"), default="full")
    p.add_argument("--out", default=None, help="folder for profile.json and profile.txt")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--cache", default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        return child(a.claims, a.size, a.cache, a.child)

    from theorylab.core.claims import select
    from theorylab.core.registry import family_of_claim
    from theorylab.core.verify import skip_reason

    try:
        claims = select(a.claims)
    except (KeyError, ValueError) as e:
        p.error(f"claims: {e}")
    families: dict = {}
    skipped = []
    for c in claims:
        if skip_reason(c, a.size, False):
            skipped.append(c.id)
        else:
            fam = family_of_claim(c)
            families.setdefault(fam.name if fam else c.id.split(".")[0], []).append(c.id)
    rows = []
    t_all = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for fam, ids in families.items():
            print(f"{fam}: {len(ids)} claims", file=sys.stderr, flush=True)
            out_json = Path(tmp) / f"{fam}.json"
            env = {k: v for k, v in os.environ.items() if not k.startswith("THEORYLAB_")}
            env["XDG_CACHE_HOME"] = str(Path(tmp) / f"cache-{fam}")
            r = subprocess.run([sys.executable, __file__, *ids, "--size", a.size, "--child", str(out_json),
                                "--cache", str(Path(tmp) / f"cells-{fam}")], env=env)
            got = json.loads(out_json.read_text()) if out_json.exists() else []
            rows += got
            if r.returncode != 0:
                print(f"profile_full.py: family {fam} stopped (rc {r.returncode}) after {len(got)} of "
                      f"{len(ids)} claims", file=sys.stderr)
    lines = [f"profile at {a.size} size, cold caches, one process per family; "
             f"{time.perf_counter() - t_all:.0f} s in all"] + table(rows)
    if skipped:
        lines.append(f"skipped at {a.size} size: {', '.join(skipped)}")
    print("\n".join(lines))
    if a.out:
        from theorylab.core.results import atomic_write_json, atomic_write_text, provenance

        out = Path(a.out)
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out / "profile.json",
                          {"provenance": provenance(command="python benchmarks/profile_full.py "
                                                    + " ".join(argv if argv is not None else sys.argv[1:]),
                                                    size=a.size),
                           "parts": list(PARTS), "claims": rows, "skipped": skipped})
        atomic_write_text(out / "profile.txt", "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
