"""Where cells (and calibration roots) run: in this process, or as tasks on a Dask cluster.

An executor has one method, ``run(fn, items, on_done=None) -> list``: call the module-level
function ``fn`` on each item, call ``on_done(i, result)`` in this thread as each finishes (for
progress and for writing results as they come), and return the results in order. Items that
failed do not stop the others: when all are done, :class:`TasksFailed` names how many failed
and why, and everything that finished has been kept (cells are written to the cache by the
task itself, calibration roots by ``on_done``), so a rerun computes only what failed.

* :class:`InProcessExecutor` (the default) runs them one after another.
* :class:`DaskExecutor` submits them to a ``dask.distributed`` cluster: a ``LocalCluster`` of
  worker processes (created with ``spawn``, never ``fork``: JAX is not fork-safe), or an
  existing scheduler, such as one whose workers dask-jobqueue started as Slurm jobs. The
  workers must run the same environment, and the cell cache must be on a path they all see.
  Seed keys depend only on claim, stream and seed index, so the numbers are those of an
  in-process run.

Scheduling is Dask's; this module only adapts its futures to the seam.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Optional, Sequence

__all__ = ["TasksFailed", "InProcessExecutor", "DaskExecutor", "EXECUTORS", "make_executor", "describe"]

EXECUTORS = ("in-process", "dask")


class TasksFailed(RuntimeError):
    """Some tasks failed (an exception, or a worker that died); the others finished."""

    def __init__(self, failed: int, total: int, first: str):
        super().__init__(f"{failed} of {total} tasks failed (first: {first}); the finished ones are "
                         "kept, so a rerun computes only these")
        self.failed, self.total = failed, total


class InProcessExecutor:
    """Runs tasks one after another in this process (the default). An exception propagates
    at once, with its own traceback."""

    name = "in-process"

    def run(self, fn: Callable, items: Sequence, on_done: Optional[Callable] = None) -> list:
        out = []
        for i, item in enumerate(items):
            r = fn(item)
            if on_done is not None:
                on_done(i, r)
            out.append(r)
        return out


class DaskExecutor:
    """Runs tasks on a ``dask.distributed`` cluster through ``client``."""

    name = "dask"

    def __init__(self, client):
        self.client = client

    def run(self, fn: Callable, items: Sequence, on_done: Optional[Callable] = None) -> list:
        from distributed import as_completed

        if not items:
            return []
        futures = self.client.map(fn, list(items), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        out: list = [None] * len(futures)
        errors = []
        for fut in as_completed(futures):
            i = index[fut.key]
            if fut.status != "finished":
                try:
                    exc = fut.exception()
                except Exception as e:  # a cancelled future raises here
                    exc = e
                errors.append(f"{type(exc).__name__}: {exc}".splitlines()[0])
                continue
            out[i] = fut.result()
            if on_done is not None:
                on_done(i, out[i])
        if errors:
            raise TasksFailed(len(errors), len(futures), errors[0])
        return out


def _compile_cache_env() -> dict:
    """The persistent compilation cache this process uses, as environment variables for worker
    processes: a program one worker compiled is then read, not compiled again, by the others."""
    import jax

    d = getattr(jax.config, "jax_compilation_cache_dir", None)
    if not d:
        return {}
    return {"JAX_COMPILATION_CACHE_DIR": str(d),
            "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS":
                str(getattr(jax.config, "jax_persistent_cache_min_compile_time_secs", 1.0))}


def _dask_missing() -> ValueError:
    return ValueError("--executor dask: needs the dask extra: pip install 'theorylab[dask]' "
                      "(dask and distributed)")


@contextlib.contextmanager
def make_executor(name: str = "in-process", scheduler: Optional[str] = None,
                  workers: Optional[int] = None, timeout: float = 5.0):
    """The executor called ``name`` for the length of the block. ``dask`` starts a
    ``LocalCluster`` of ``workers`` processes (default: one per CPU core, one thread each)
    and stops it afterwards, or joins the scheduler at ``scheduler`` (an unreachable address
    is a one-line ValueError after ``timeout`` seconds)."""
    if name not in EXECUTORS:
        raise ValueError(f"--executor: must be one of {', '.join(EXECUTORS)}, got {name!r}")
    if name == "in-process":
        if scheduler is not None:
            raise ValueError("--scheduler: only with --executor dask")
        yield InProcessExecutor()
        return
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise _dask_missing() from None
    if workers is not None and workers < 1:
        raise ValueError(f"--workers: must be at least 1, got {workers}")
    with dask.config.set({"distributed.worker.multiprocessing-method": "spawn",
                          "distributed.worker.daemon": False}):
        if scheduler is not None:
            try:
                client = Client(scheduler, timeout=f"{timeout}s")
            except (OSError, TimeoutError) as e:
                raise ValueError(f"--scheduler: cannot reach {scheduler} within {timeout:g} s "
                                 f"({type(e).__name__})") from None
            except Exception as e:  # something answered that is not a Dask scheduler
                raise ValueError(f"--scheduler: {scheduler} is not a Dask scheduler "
                                 f"({type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''})") from None
            try:
                yield DaskExecutor(client)
            finally:
                client.close()
            return
        import os

        n = workers or os.cpu_count() or 1
        # one core per worker: its seed threads run one at a time (the chunks, and so the
        # numbers, stay those of an in-process run). XLA's own thread pool is left alone:
        # holding it to one thread (--xla_cpu_multi_thread_eigen=false) changed float32
        # results in the last bits (rank_one, measured), so the numbers would not be the same
        env = {"THEORYLAB_POOL_THREADS": "1", **_compile_cache_env()}
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40, env=env)
        client = Client(cluster)
        try:
            yield DaskExecutor(client)
        finally:
            client.close()
            cluster.close()


def describe(executor: Any) -> str:
    """``in-process``, or ``dask (N workers at ADDRESS)``, for provenance."""
    if isinstance(executor, DaskExecutor):
        try:
            info = executor.client.scheduler_info()
            return f"dask ({len(info.get('workers', {}))} workers at {info.get('address')})"
        except Exception:
            return "dask"
    if executor is None:
        return "in-process"
    return getattr(executor, "name", type(executor).__name__)
