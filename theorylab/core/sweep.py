"""Run a simulation over a grid of cells x seeds.

A *simulation* is a pure function ``simulate(key, static, dynamic) -> dict[str, array]``:

* ``static`` -- a dict of hashable, shape-defining settings (sizes, step counts, names);
  each distinct ``static`` is compiled once;
* ``dynamic`` -- a dict of numbers or arrays passed as traced values (step sizes, targets,
  grids of initialisations); changing them never recompiles.

A :class:`Cell` is one ``(static, dynamic)`` pair with a number of seeds. The sweep vmaps the
simulation over seed keys (in chunks of at most ``chunk`` seeds, padded so every chunk has one
shape), caches each finished cell on disk (keyed by claim, simulation, configuration, seeds,
package version and a fingerprint of the code that computes it: theorylab's core and the
simulation's package), and reports progress on stderr. Cache hits are resolved first; the
missing cells are plain data (:class:`CellTask`) handed to ``executor``
(:mod:`theorylab.core.executors`): in this process by default, or on a Dask cluster. A cell
that fails is never cached.

Seed ``i`` of a cell always gets ``fold_in(stream_key, i)``, so chunking, caching and where a
cell runs never change its draws, and cells of one stream share their draws (paired
comparisons). The chunks are chosen the same way wherever a cell runs (threads, devices, Dask
workers), since a different chunking can move a batched float64 reduction in its last bit
(measured: 8e-16 relative in rank_one's finish stage): the numbers are then bit-identical.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import time
import zlib
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np

from .executors import InProcessExecutor
from .results import code_fingerprint, code_package, load_arrays, save_arrays

Simulation = Callable[[Any, Mapping[str, Any], Mapping[str, Any]], Mapping[str, Any]]

#: How many times each (simulation, static) pair was traced -- one per shape is the goal.
TRACE_COUNTS: Counter = Counter()


def root_seed(name: str, root: int = 0) -> int:
    """The root seed of a claim or a shared sweep called ``name`` on root ``root``.

    Root 0 is the default every claim has always used; root ``r > 0`` is a fresh, independent
    seed set for the same claim (``theorylab verify --root r``, ``theorylab calibrate``).
    """
    if not isinstance(root, (int, np.integer)) or isinstance(root, bool) or root < 0:
        raise ValueError(f"root: must be a non-negative integer, got {root!r}")
    tag = name if root == 0 else f"{name}@root{int(root)}"
    return zlib.crc32(tag.encode()) & 0x7FFFFFFF


def _canon(obj):
    """Plain, JSON-able, order-stable form of a config (for hashing and the cache)."""
    if isinstance(obj, Mapping):
        return {str(k): _canon(obj[k]) for k in sorted(obj)}
    if isinstance(obj, (list, tuple)):
        return [_canon(v) for v in obj]
    if isinstance(obj, np.ndarray) or hasattr(obj, "__array__"):
        a = np.asarray(obj)
        return {"__array__": a.tolist(), "dtype": str(a.dtype)}
    if isinstance(obj, (np.floating, float)):
        return float(obj)
    if isinstance(obj, (np.integer, int)) and not isinstance(obj, bool):
        return int(obj)
    return obj


def _freeze(obj):
    if isinstance(obj, Mapping):
        return tuple((k, _freeze(obj[k])) for k in sorted(obj))
    if isinstance(obj, (list, tuple)):
        return tuple(_freeze(v) for v in obj)
    return obj


@dataclasses.dataclass(frozen=True)
class Cell:
    """One configuration of one simulation, run for ``seeds`` seeds."""

    claim_id: str
    name: str
    static: Mapping[str, Any]
    dynamic: Mapping[str, Any]
    seeds: int
    root_seed: int
    stream: str = ""

    def digest(self, version: str) -> str:
        blob = json.dumps({"claim": self.claim_id, "sim": self.name, "static": _canon(self.static),
                           "dynamic": _canon(self.dynamic), "seeds": self.seeds,
                           "root": self.root_seed, "stream": self.stream, "version": version}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:32]

    def key_base(self):
        """Seed keys depend on the claim's root seed and the stream name only, so every cell of
        a stream -- and a control run on the same stream -- sees the same random draws
        (common random numbers: comparisons across the grid are paired)."""
        import jax

        return jax.random.fold_in(jax.random.PRNGKey(self.root_seed),
                                  zlib.crc32(self.stream.encode()) & 0x7FFFFFFF)


@dataclasses.dataclass(frozen=True)
class CellTask:
    """Everything one cell needs, as plain picklable data: what an executor ships to a worker.
    ``path``: where the finished cell is written (None: not cached); ``x64``: the precision
    the claim runs in (switched on in the worker for the task)."""

    sim: Any
    cell: Cell
    chunk: Optional[int]
    threads: int
    path: Optional[str]
    x64: bool


def run_task(task: CellTask) -> tuple[dict, float]:
    """Run one cell (on whichever process the executor chose) and write it to the cache; returns
    its arrays and its wall time. A cell that raises is never written, so it is never cached."""
    from .precision import x64

    t0 = time.perf_counter()
    with x64(task.x64):
        out = run_cell(task.sim, task.cell, task.chunk, task.threads)
    wall = time.perf_counter() - t0
    if task.path is not None:
        save_arrays(task.path, out)
    return out, wall


def _env_number(name: str, default, kind=float, least=0):
    """A number from the environment variable ``name`` (``default`` when unset), at least
    ``least``; anything else is a one-line ValueError naming the variable."""
    import os

    raw = os.environ.get(name, "")
    if raw.strip() == "":
        return default
    try:
        v = kind(raw)
    except ValueError:
        raise ValueError(f"{name}: expected {'an integer' if kind is int else 'a number'}, got {raw!r}") from None
    if not v >= least:
        raise ValueError(f"{name}: must be at least {least}, got {raw!r}")
    return v


def check_environment() -> None:
    """Parse the environment variables the sweep reads, so a bad value is a one-line error
    before any work starts (the CLI calls this)."""
    _env_number("THEORYLAB_PROGRESS_INTERVAL", 10.0, float, 0.0)
    _env_number("THEORYLAB_THREADS", 1, int, 1)
    _env_number("THEORYLAB_POOL_THREADS", 1, int, 1)


def _duration(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else (f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s")


class Progress:
    """Progress of one sweep on stderr, with an ETA from the cells computed so far.

    ``enabled=None``: only on a terminal. ``enabled=True``: on a terminal one line rewritten in
    place; otherwise (a log file, a pipe) a full line at most every ``interval`` seconds
    (``THEORYLAB_PROGRESS_INTERVAL``, default 10), and, while one cell runs longer than that, a
    heartbeat line, so a background run's log shows where it is. Cells read from the cache do
    not enter the ETA.
    """

    def __init__(self, label: str, total: int, enabled: Optional[bool] = None,
                 interval: Optional[float] = None, stream=None):
        import threading

        self.label, self.total, self.done, self.computed = label, total, 0, 0
        self.stream = stream or sys.stderr
        tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = tty if enabled is None else bool(enabled)
        self.lines = self.enabled and not tty
        self.interval = float(interval if interval is not None
                              else _env_number("THEORYLAB_PROGRESS_INTERVAL", 10.0, float, 0.0))
        self.t0 = self.t_cell = self.t_print = time.perf_counter()
        self.compute_s = 0.0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._beat = None
        if self.lines and total > 0:
            self._beat = threading.Thread(target=self._heartbeat, daemon=True)
            self._beat.start()

    def eta(self) -> Optional[float]:
        """Seconds left: the mean wall of the cells computed so far times the cells left."""
        if self.computed == 0:
            return None
        return self.compute_s / self.computed * (self.total - self.done)

    def status(self, note: str = "") -> str:
        now = time.perf_counter()
        eta = self.eta()
        s = (f"{self.label}: {self.done}/{self.total} cells, {_duration(now - self.t0)} elapsed"
             + ("" if eta is None or self.done == self.total else f", ETA {_duration(eta)}"))
        if self.done < self.total and now - self.t_cell >= self.interval:
            s += f", cell {self.done + 1} running for {_duration(now - self.t_cell)}"
        return s + (f" {note}" if note else "")

    def _emit(self, text: str, final: bool = False) -> None:
        with self._lock:
            if self.lines:
                self.stream.write(f"  {text}\n")
            else:
                self.stream.write(f"\r  {text}\033[K{chr(10) if final else ''}")
            self.stream.flush()
            self.t_print = time.perf_counter()

    def _heartbeat(self) -> None:
        while not self._stop.wait(min(self.interval, 5.0)):
            if time.perf_counter() - self.t_print >= self.interval:
                self._emit(self.status())

    def step(self, note: str = "", computed_s: Optional[float] = None) -> None:
        """One cell finished; ``computed_s`` is its wall time when it was computed (not cached)."""
        self.done += 1
        if computed_s is not None:
            self.computed += 1
            self.compute_s += computed_s
        now = time.perf_counter()
        self.t_cell = now
        final = self.done >= self.total
        if final:
            self._stop.set()
        if not self.enabled:
            return
        if not self.lines or final or now - self.t_print >= self.interval:
            self._emit(self.status(note), final)

    def close(self) -> None:
        """Stop the heartbeat (also when a cell raised)."""
        self._stop.set()


_COMPILED: dict = {}
_EXECUTABLES: dict = {}

#: Finished cells of shared sweeps, kept for the life of the process (see Sweep.shared).
_MEMO: dict = {}


def clear_compiled() -> dict:
    """Forget every compiled program and every in-memory shared cell this process holds (the
    jitted simulations, their ahead-of-time executables, the memo of shared sweeps), e.g. to
    free memory between families or to measure compile time afresh. Cells on disk are kept.
    Returns how many entries each cache held."""
    held = {"compiled": len(_COMPILED), "executables": len(_EXECUTABLES), "shared_cells": len(_MEMO)}
    _COMPILED.clear()
    _EXECUTABLES.clear()
    _MEMO.clear()
    return held


def _mesh_shardings(ndev: int):
    """(seed-axis sharding, replicated sharding) over the first ``ndev`` local devices."""
    import jax
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    mesh = Mesh(np.array(jax.local_devices()[:ndev]), ("seeds",))
    return NamedSharding(mesh, PartitionSpec("seeds")), NamedSharding(mesh, PartitionSpec())


def _compiled(sim: Simulation, static_frozen, ndev: int = 1):
    """jit(vmap over seed keys) of ``sim`` for one static config, built once; with ``ndev`` > 1
    the seed axis (keys in, every output out) is sharded over that many devices."""
    import jax

    k = (sim, static_frozen, ndev)
    if k not in _COMPILED:
        static = dict(static_frozen)
        name = getattr(sim, "__qualname__", repr(sim))

        def one(key, dynamic):
            return sim(key, static, dynamic)

        def batched(keys, dynamic):
            TRACE_COUNTS[(name, static_frozen)] += 1  # runs at trace time only
            return jax.vmap(one, in_axes=(0, None))(keys, dynamic)

        if ndev > 1:
            seeds, rep = _mesh_shardings(ndev)
            _COMPILED[k] = jax.jit(batched, in_shardings=(seeds, rep), out_shardings=seeds)
        else:
            _COMPILED[k] = jax.jit(batched)
    return _COMPILED[k]


def _executable(sim: Simulation, static_frozen, keys, dyn, ndev: int = 1):
    """The compiled program for one static config and one chunk shape (ahead of time, so that
    several threads can run it at once without each tracing it)."""
    import jax

    sig = (sim, static_frozen, bool(jax.config.jax_enable_x64), ndev, keys.shape, str(keys.dtype),
           tuple((k, v.shape, str(v.dtype)) for k, v in sorted(dyn.items())))
    if sig not in _EXECUTABLES:
        _EXECUTABLES[sig] = _compiled(sim, static_frozen, ndev).lower(keys, dyn).compile()
    return _EXECUTABLES[sig]


def seed_devices(sim: Simulation) -> int:
    """Over how many devices a cell's seed axis is sharded: every local device of the default
    backend when there are several (several GPUs; or CPU devices forced with
    ``XLA_FLAGS=--xla_force_host_platform_device_count=N``), else 1. On the CPU only a simulation
    that declares ``parallel_seeds`` (no LAPACK call in its program: concurrent LAPACK calls can
    deadlock the CPU runtime) is sharded; the others run on one device, as before.
    ``THEORYLAB_SHARD=0`` turns sharding off. The numbers do not change: seed ``i`` keeps its key."""
    import os

    import jax

    if os.environ.get("THEORYLAB_SHARD", "1") == "0":
        return 1
    n = len(jax.local_devices())
    if n < 2 or (jax.default_backend() == "cpu" and not getattr(sim, "parallel_seeds", False)):
        return 1
    return n


def _finisher(sim: Simulation, static_frozen):
    """jit(vmap) of ``sim.finish(key, static, dynamic, out)``: the stage run after the seeds'
    chunks are back, one chunk at a time on the calling thread."""
    import jax

    k = ("finish", sim, static_frozen)
    if k not in _COMPILED:
        static = dict(static_frozen)
        _COMPILED[k] = jax.jit(jax.vmap(lambda key, dy, out: sim.finish(key, static, dy, out),
                                        in_axes=(0, None, 0)))
    return _COMPILED[k]


def default_threads() -> int:
    """Threads for simulations that allow them: ``THEORYLAB_THREADS`` or the CPU count (1 on
    an accelerator, where one program already fills the device)."""
    import os

    if os.environ.get("THEORYLAB_THREADS", "").strip():
        return _env_number("THEORYLAB_THREADS", 1, int, 1)
    import jax

    return (os.cpu_count() or 1) if jax.default_backend() == "cpu" else 1


def _to_device(dynamic: Mapping[str, Any]):
    import jax.numpy as jnp

    return {k: jnp.asarray(v) for k, v in dynamic.items()}


def run_keys(sim: Simulation, static: Mapping[str, Any], dynamic: Mapping[str, Any], keys,
             chunk: Optional[int] = None, threads: int = 1) -> dict[str, np.ndarray]:
    """Run ``sim`` for each seed key in ``keys``: vmapped in chunks of one shape (the last one
    padded with repeats, dropped after).

    Threads: a simulation that sets ``sim.parallel_seeds = True`` declares that its program
    may run in several threads at once; its chunks then run ``threads`` at a time (XLA runs a
    batched matmul on one core, so on a 2-core CPU two threads nearly halve the time). Such a
    simulation must keep LAPACK calls (eigh, solve) out of that program: concurrent LAPACK calls
    can deadlock the CPU runtime. It puts them in ``sim.finish(key, static, dynamic, out) ->
    dict``, which runs afterwards, chunk by chunk, on this thread.
    """
    import jax
    import jax.numpy as jnp

    n = int(keys.shape[0])
    if n < 1:
        raise ValueError(f"seeds: must be at least 1, got {n}")
    ndev = seed_devices(sim)
    threads = threads if getattr(sim, "parallel_seeds", False) else 1
    if threads > 1 and not chunk:
        chunk = -(-n // threads)
    chunk = n if not chunk or chunk >= n else int(chunk)
    if ndev > 1:
        # the chunks stay those of a threaded run (so the finish stage sees the same batches),
        # each split evenly over the devices (padded like the last chunk); the devices, not
        # threads, now run the seeds in parallel
        chunk = -(-chunk // ndev) * ndev
        threads = 1
    frozen = _freeze(static)
    dyn = _to_device(dynamic)
    parts = []
    for start in range(0, n, chunk):
        kb = keys[start:start + chunk]
        pad = chunk - kb.shape[0]
        if pad:  # keep one shape: pad with repeats, drop them after
            kb = jnp.concatenate([kb, jnp.repeat(kb[-1:], pad, axis=0)])
        parts.append((kb, pad))
    dyn_in = dyn
    if ndev > 1:
        seeds_s, rep = _mesh_shardings(ndev)
        dyn_in = jax.device_put(dyn, rep)
        parts = [(jax.device_put(kb, seeds_s), pad) for kb, pad in parts]
    exe = _executable(sim, frozen, parts[0][0], dyn_in, ndev)

    def stage(part):
        out = exe(part[0], dyn_in)
        if not isinstance(out, Mapping):
            raise TypeError(f"simulation {getattr(sim, '__qualname__', sim)}: must return a dict of arrays")
        return {k: v.block_until_ready() for k, v in out.items()}

    # the chunks follow ``threads``; how many run at once can be held lower (a Dask worker that
    # owns one core sets THEORYLAB_POOL_THREADS=1) without changing a number

    pool_n = min(threads, _env_number("THEORYLAB_POOL_THREADS", threads, int, 1))
    if pool_n > 1 and len(parts) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(pool_n, len(parts))) as pool:
            stage_outs = list(pool.map(stage, parts))
    else:
        stage_outs = [stage(p) for p in parts]
    finish = getattr(sim, "finish", None)
    outs = []
    for (kb, pad), out in zip(parts, stage_outs):
        if finish is not None:
            if ndev > 1:  # the finish stage (LAPACK) runs unsharded, on one device
                kb, out = np.asarray(kb), {k: np.asarray(v) for k, v in out.items()}
            out = _finisher(sim, frozen)(kb, dyn, out)
        outs.append({k: np.asarray(v)[: chunk - pad] for k, v in out.items()})
    return {k: np.concatenate([o[k] for o in outs]) for k in outs[0]}


def run_cell(sim: Simulation, cell: Cell, chunk: Optional[int] = None, threads: int = 1) -> dict[str, np.ndarray]:
    """Run one cell: all its seeds (see :func:`run_keys`)."""
    import jax
    import jax.numpy as jnp

    if cell.seeds < 1:
        raise ValueError(f"seeds: must be at least 1, got {cell.seeds}")
    base = cell.key_base()
    keys = jax.vmap(lambda i: jax.random.fold_in(base, i))(jnp.arange(cell.seeds))
    return run_keys(sim, cell.static, cell.dynamic, keys, chunk, threads)


@dataclasses.dataclass
class Sweep:
    """A sweep runner bound to one claim: cache directory, chunk size, executor, progress."""

    claim_id: str
    root_seed: int
    cache_dir: Optional[Path] = None
    chunk: Optional[int] = None
    executor: Any = dataclasses.field(default_factory=lambda: InProcessExecutor())
    progress: Optional[bool] = None
    stats: Counter = dataclasses.field(default_factory=Counter)
    wall: dict = dataclasses.field(default_factory=dict)
    memo: bool = False
    threads: Optional[int] = None  # for simulations with parallel_seeds; None: default_threads()
    root: int = 0  # which root seed set (0: the default); shared sweeps follow it
    #: the sweeps this runner's cells came from, as ``(namespace, stream)``: claims that share
    #: an entry share their data and are not independent evidence
    sources: set = dataclasses.field(default_factory=set)

    def shared(self, namespace: str) -> "Sweep":
        """A sweep whose cells several claims measure: keyed by ``namespace`` instead of the
        claim (its own root seed, so every claim that asks sees the same draws), kept in memory
        for the life of the process and cached on disk beside this sweep's cache. Statistics
        are counted on this sweep's counters."""
        cache = None if self.cache_dir is None else Path(self.cache_dir).parent / namespace
        return Sweep(namespace, root_seed(namespace, self.root), cache_dir=cache,
                     chunk=self.chunk, executor=self.executor, progress=self.progress,
                     stats=self.stats, wall=self.wall, memo=True, threads=self.threads,
                     root=self.root, sources=self.sources)

    def cells(self, name: str, configs: Sequence[tuple[Mapping, Mapping]], seeds: int,
              stream: Optional[str] = None) -> list[Cell]:
        return [Cell(self.claim_id, name, dict(s), dict(d), int(seeds), self.root_seed, stream or name)
                for s, d in configs]

    def run(self, sim: Simulation, configs: Sequence[tuple[Mapping, Mapping]], seeds: int,
            name: Optional[str] = None, stream: Optional[str] = None) -> list[dict[str, np.ndarray]]:
        """Run ``sim`` on each ``(static, dynamic)`` config for ``seeds`` seeds.

        ``stream`` names the random stream (default: the simulation's name); runs on one stream
        share their seed keys. Returns one dict of arrays per config, each with a leading seed
        axis.
        """
        from theorylab import __version__

        # cached cells made by other code (core or the simulation's family) are not reused
        version = f"{__version__}+{code_fingerprint(code_package(getattr(sim, '__module__', '') or ''))}"
        name = name or getattr(sim, "__qualname__", "simulation")
        cells = self.cells(name, configs, seeds, stream)
        self.sources.add((self.claim_id.split("/")[0] if not self.memo else self.claim_id,
                          stream or name))
        prog = Progress(f"{self.claim_id} [{name}]", len(cells), self.progress)

        # hits first (the in-memory memo of shared sweeps, then the disk cache), so only
        # missing cells are dispatched
        results: list = [None] * len(cells)
        digests = [c.digest(version) for c in cells]
        todo = []
        for i, (cell, digest) in enumerate(zip(cells, digests)):
            if self.memo and digest in _MEMO:
                self.stats["memo_hits"] += 1
                prog.step("(shared)")
                results[i] = _MEMO[digest]
                continue
            path = None if self.cache_dir is None else Path(self.cache_dir) / f"{digest}.npz"
            if path is not None and path.exists():
                try:
                    results[i] = load_arrays(path)
                    self.stats["cache_hits"] += 1
                    prog.step("(cached)")
                    continue
                except (OSError, ValueError):
                    pass  # unreadable: recompute and overwrite
            todo.append(i)
        if not todo:
            prog.close()
            return results
        import jax

        threads = self.threads if self.threads is not None else default_threads()
        tasks = [CellTask(sim, cells[i], self.chunk, threads,
                          None if self.cache_dir is None else str(Path(self.cache_dir) / f"{digests[i]}.npz"),
                          bool(jax.config.jax_enable_x64)) for i in todo]

        def done(k: int, result) -> None:
            out, wall = result
            i = todo[k]
            results[i] = out
            self.wall[digests[i]] = wall
            self.stats["computed"] += 1
            if self.memo:
                _MEMO[digests[i]] = out
            prog.step(computed_s=wall)

        try:
            self.executor.run(run_task, tasks, done)
        finally:
            prog.close()
        return results

