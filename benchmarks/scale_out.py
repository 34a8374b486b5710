"""Benchmark: calibration over 8 roots, in process, on a 2-worker local Dask cluster, and with
the seeds sharded over 2 forced host devices; the numbers must agree.

    python benchmarks/scale_out.py [--select large_lr rank_one ...] [--roots 8] [--workers 2]
                                   [--out results/scale-out/]

Each way runs ``theorylab calibrate SELECTION --roots R --no-cache`` in a fresh process with an
empty compilation cache, so all three pay the same compile cost (Dask workers share theirs:
a program one worker compiled is read by the other). The three ``calibration.json`` files must hold the same record for every (claim,
root): status, measured value, CI, controls, slopes. Printed: wall seconds and the ratio to the
in-process run.

What to expect on a 2-core CPU: work whose simulations do not already use both cores
(large_lr: no ``parallel_seeds``; LAPACK inside, so sharding does not apply on the CPU and
that run equals the in-process one) gains from two workers in its compute, not in its
compiles: most large_lr claims compile for seconds and then run each root in well under a
second, so only ``large_lr.progressive_sharpening`` (about 4 s a root) has compute to split. A
family whose simulations already thread (rank_one) gains little from either way, since in
process its seeds already run on both cores.
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

WAYS = {
    "in-process": ([], {}),
    "dask, 2 workers": (["--executor", "dask", "--workers", "{workers}"], {}),
    "sharded, 2 host devices": ([], {"XLA_FLAGS": "--xla_force_host_platform_device_count={workers}"}),
}


def _records(path: Path) -> dict:
    doc = json.loads(path.read_text())
    keep = ("status", "measured", "ci", "controls", "series", "alternatives")
    return {cid: {r: {k: x.get(k) for k in keep} for r, x in c["runs"].items()}
            for cid, c in doc["claims"].items()}


def run_way(family: str, roots: int, args: list, env_extra: dict, tmp: Path) -> tuple[float, dict]:
    env = dict(os.environ, JAX_PLATFORMS=os.environ.get("JAX_PLATFORMS", "cpu"),
               XDG_CACHE_HOME=str(tmp / "cache"), **env_extra)
    out = tmp / "out"
    cmd = [sys.executable, "-m", "theorylab.core.cli", "calibrate", family, "--roots", str(roots),
           "--no-cache", "-q", "--out", str(out), *args]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"scale_out: {' '.join(cmd[2:])} failed (rc {r.returncode}): "
                         f"{r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ''}")
    return wall, _records(out / "calibration.json")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--select", nargs="+", default=["large_lr", "large_lr.progressive_sharpening", "rank_one"],
                   help="families or claim ids, each timed on its own")
    p.add_argument("--roots", type=int, default=8)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", default=None,
                   help="folder for scale_out.json and scale_out.txt (with provenance)")
    a = p.parse_args(argv)
    if a.roots < 1 or a.workers < 1:
        p.error("--roots and --workers must be at least 1")
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        p.error("needs the dask extra: pip install 'theorylab[dask]'")
    import jax

    lines = []

    def say(text=""):
        print(text, flush=True)
        lines.append(text)

    say(f"calibrate over {a.roots} roots, quick size, cells not cached, {os.cpu_count()} CPU cores, "
        f"jax {jax.__version__}")
    ok = True
    table = {}
    for fam in a.select:
        say()
        say(fam)
        walls, recs = {}, {}
        for way, (args, env) in WAYS.items():
            args = [s.format(workers=a.workers) for s in args]
            env = {k: v.format(workers=a.workers) for k, v in env.items()}
            with tempfile.TemporaryDirectory() as tmp:
                walls[way], recs[way] = run_way(fam, a.roots, args, env, Path(tmp))
        base = walls["in-process"]
        for way, w in walls.items():
            same = recs[way] == recs["in-process"]
            ok &= same
            say(f"  {way:26s} {w:7.1f} s   {base / w:5.2f}x in-process   "
                f"numbers {'identical' if same else 'DIFFER'}")
            table.setdefault(fam, {})[way] = {"wall_s": round(w, 2), "ratio": round(base / w, 3),
                                              "identical": same}
    if a.out:
        from theorylab.core.results import atomic_write_json, atomic_write_text, provenance

        out = Path(a.out)
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out / "scale_out.json",
                          {"provenance": provenance(command="python benchmarks/scale_out.py " + " ".join(argv or sys.argv[1:]),
                                                    roots=a.roots, workers=a.workers),
                           "results": table})
        atomic_write_text(out / "scale_out.txt", "\n".join(lines) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
