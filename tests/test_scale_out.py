"""Scale-out: seeds sharded over local devices, cells and calibration roots on Dask, and a cell
cache keyed by the code (edited code recomputes; failed cells are never cached)."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from theorylab.core import sweep
from theorylab.core.executors import DaskExecutor, InProcessExecutor, TasksFailed, make_executor

ROOT = Path(__file__).resolve().parent.parent


def _env(**extra):
    env = dict(os.environ, JAX_PLATFORMS="cpu", MPLBACKEND="Agg", **extra)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


def _cli(args, env, timeout=300, cwd=None):
    return subprocess.run([sys.executable, "-m", "theorylab.core.cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


# ----------------------------------------------------------------------------------------
# Sharding over local devices
# ----------------------------------------------------------------------------------------
SHARD_SCRIPT = textwrap.dedent("""
    import json, os, sys
    import jax, jax.numpy as jnp, numpy as np
    import theorylab
    from theorylab.core.sweep import Sweep, seed_devices
    from theorylab.rank_one import simulations as r1

    def walk(key, static, dynamic):
        steps = jax.random.normal(key, (static["n"],)) * dynamic["scale"]
        return {"end": jnp.sum(steps), "path": jnp.cumsum(steps)}
    walk.parallel_seeds = True        # no LAPACK: shardable on the CPU

    def with_lapack(key, static, dynamic):
        m = jax.random.normal(key, (3, 3))
        return {"eig": jnp.linalg.eigvalsh(m @ m.T)}

    def run(shard):
        os.environ["THEORYLAB_SHARD"] = "1" if shard else "0"
        theorylab.clear_compiled()
        a = Sweep("t.shard", 3, threads=2).run(walk, [({"n": 6}, {"scale": 1.0})], seeds=7)[0]
        with theorylab.x64():
            b = Sweep("t.shard", 5, threads=2).run(
                r1.recovery, [({"d": 8, "steps": 200}, r1.dynamic(0.5, kappa=2.5))], seeds=6)[0]
        return a, b

    (a0, b0), (a1, b1) = run(False), run(True)
    same = all(np.array_equal(x[k], y[k]) for x, y in ((a0, a1), (b0, b1)) for k in x)
    print(json.dumps({"devices": len(jax.local_devices()), "walk": seed_devices(walk),
                      "lapack": seed_devices(with_lapack), "recovery": seed_devices(r1.recovery),
                      "identical": bool(same)}))
""")


def test_seeds_are_sharded_over_forced_host_devices_with_identical_numbers(tmp_path):
    script = tmp_path / "shard.py"
    script.write_text(SHARD_SCRIPT)
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                       env=_env(XLA_FLAGS="--xla_force_host_platform_device_count=2"))
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["devices"] == 2 and out["walk"] == 2 and out["recovery"] == 2
    assert out["lapack"] == 1  # LAPACK on the CPU runtime: falls back to one device
    assert out["identical"] is True


# ----------------------------------------------------------------------------------------
# Dask
# ----------------------------------------------------------------------------------------
def test_verify_and_calibrate_on_dask_give_the_in_process_numbers(tmp_path, compiled_cache):
    """The issue's done-when, made small: rank_one at quick size with 4 seeds (soft_threshold
    runs the family's shared d-sweep, 12 cells; the other claims are skipped at quick size), and
    calibration over 2 roots. The closing note quotes the whole family forced, cell by cell."""
    pytest.importorskip("distributed")
    res = {}
    for ex in ("in-process", "dask"):
        env = _env(XDG_CACHE_HOME=compiled_cache(tmp_path / f"cache-{ex}"))
        out = tmp_path / ex
        extra = ["--executor", ex] + (["--workers", "2"] if ex == "dask" else [])
        r = _cli(["verify", "rank_one", "-q", "--seeds", "4", "--out", str(out)] + extra, env)
        assert r.returncode in (0, 3), r.stderr[-3000:]
        r = _cli(["calibrate", "rank_one.soft_threshold", "--roots", "2", "--seeds", "4", "-q",
                  "--out", str(out)] + extra, env)
        assert r.returncode == 0, r.stderr[-3000:]
        v = json.loads((out / "results.json").read_text())["claims"]
        c = json.loads((out / "calibration.json").read_text())["claims"]
        res[ex] = ({e["id"]: (e["status"], e["measured"], e["ci"], e["series"]) for e in v},
                   {cid: {r: {k: x[k] for k in ("status", "measured", "ci", "controls")}
                          for r, x in e["runs"].items()} for cid, e in c.items()})
    assert res["dask"] == res["in-process"]
    assert len(res["dask"][0]) == 5 and res["dask"][0]["rank_one.soft_threshold"][0] == "passed"
    assert set(res["dask"][1]["rank_one.soft_threshold"]) == {"1", "2"}


def test_verify_joins_an_existing_scheduler(tmp_path, compiled_cache):
    """``--scheduler ADDRESS``: the cells run on a cluster started elsewhere (here, by the test),
    with the in-process numbers."""
    pytest.importorskip("distributed")
    import dask
    from distributed import LocalCluster

    env = _env(XDG_CACHE_HOME=compiled_cache(tmp_path / "cache"))
    with dask.config.set({"distributed.worker.multiprocessing-method": "spawn"}):
        with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=50) as cluster:
            r = _cli(["verify", "large_lr.balancing", "-q", "--no-cache", "--out", str(tmp_path / "d"),
                      "--executor", "dask", "--scheduler", cluster.scheduler_address], env)
    assert r.returncode == 0, r.stderr[-3000:]
    r = _cli(["verify", "large_lr.balancing", "-q", "--no-cache", "--out", str(tmp_path / "i")], env)
    d, i = (json.loads((tmp_path / x / "results.json").read_text()) for x in ("d", "i"))
    assert d["claims"][0]["measured"] == i["claims"][0]["measured"]
    assert d["provenance"]["executor"].startswith("dask (1 workers at tcp://")
    assert i["provenance"]["executor"] == "in-process"


def test_a_dead_worker_loses_only_its_cells_and_a_rerun_computes_only_those(tmp_path):
    pytest.importorskip("distributed")
    import dask
    from distributed import Client, LocalCluster

    flag = tmp_path / "crash"
    flag.write_text("1")

    def fragile(key, static, dynamic, _flag=str(flag)):
        import os

        import jax
        if static["n"] == 7 and os.path.exists(_flag):
            os._exit(1)  # the worker process dies
        return {"x": jax.random.normal(key, (static["n"],)) * dynamic["s"]}

    configs = [({"n": n}, {"s": 1.0}) for n in (3, 5, 7, 9)]
    with dask.config.set({"distributed.scheduler.allowed-failures": 0,
                          "distributed.worker.multiprocessing-method": "spawn"}):
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=50) as cluster, Client(cluster) as client:
            s = sweep.Sweep("t.dead", 1, cache_dir=tmp_path / "cells", executor=DaskExecutor(client))
            with pytest.raises(TasksFailed, match=r"[12] of 4 tasks failed") as failed:
                s.run(fragile, configs, seeds=3)
            # the tasks the dead worker held: the one that killed it, and at most one more that
            # Dask had already sent it (with one thread a worker holds up to two tasks; which
            # depends on the scheduler's timing, so the count is read, not assumed)
            lost = failed.value.failed
            # the others were kept; a task the dead worker had finished (its cell written) but not
            # yet reported is counted as lost, and its cell is on disk all the same (seen on a
            # loaded machine), so the rerun is judged against the cells on disk
            kept = len(list((tmp_path / "cells").glob("*.npz")))
            assert 4 - lost <= kept <= 3  # the n = 7 cell was never written
            flag.unlink()
            s2 = sweep.Sweep("t.dead", 1, cache_dir=tmp_path / "cells", executor=DaskExecutor(client))
            outs = s2.run(fragile, configs, seeds=3)
    assert s2.stats["computed"] == 4 - kept and s2.stats["cache_hits"] == kept
    ref = sweep.Sweep("t.dead", 1).run(fragile, configs, seeds=3)
    assert all(np.array_equal(a["x"], b["x"]) for a, b in zip(outs, ref))


def test_executor_bad_input_is_one_line_and_exit_2(tmp_path):
    env = _env(XDG_CACHE_HOME=str(tmp_path))
    r = _cli(["verify", "large_lr.balancing", "--executor", "ray"], env)
    assert r.returncode == 2 and "invalid choice: 'ray'" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    if pytest.importorskip("distributed"):
        t0 = time.perf_counter()
        r = _cli(["verify", "large_lr.balancing", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9"], env)
        assert r.returncode == 2 and time.perf_counter() - t0 < 30
        assert r.stderr.strip().splitlines()[-1].startswith("theorylab: error: --scheduler: cannot reach tcp://127.0.0.1:9")
        # something listens there, but it is not a Dask scheduler: still one line, exit 2
        import socket
        import threading

        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen()

        def answer():
            for _ in range(4):
                try:
                    c, _ = srv.accept()
                except OSError:
                    return
                c.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n" * 64)
                c.close()

        threading.Thread(target=answer, daemon=True).start()
        r = _cli(["verify", "large_lr.balancing", "--executor", "dask",
                  "--scheduler", f"tcp://127.0.0.1:{srv.getsockname()[1]}"], env)
        srv.close()
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr[-2000:]
        assert r.stderr.startswith("theorylab: error: --scheduler: ")
    r = _cli(["verify", "large_lr.balancing", "--scheduler", "tcp://127.0.0.1:9"], env)
    assert r.returncode == 2 and "only with --executor dask" in r.stderr


def test_missing_dask_extra_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ValueError, match=r"pip install 'theorylab\[dask\]'"):
        with make_executor("dask"):
            pass
    with make_executor("in-process") as ex:
        assert isinstance(ex, InProcessExecutor)


# ----------------------------------------------------------------------------------------
# A cache that cannot go stale
# ----------------------------------------------------------------------------------------
def test_a_failed_cell_is_never_cached(tmp_path):
    calls = []

    def flaky(key, static, dynamic):
        import jax.numpy as jnp

        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the simulation crashed")
        return {"x": jnp.zeros(2) + dynamic["s"]}

    s = sweep.Sweep("t.flaky", 1, cache_dir=tmp_path)
    with pytest.raises(RuntimeError):
        s.run(flaky, [({"n": 1}, {"s": 1.0})], seeds=2)
    assert not list(tmp_path.glob("*.npz"))
    s.run(flaky, [({"n": 1}, {"s": 1.0})], seeds=2)
    assert s.stats["computed"] == 1 and len(list(tmp_path.glob("*.npz"))) == 1


def _stats(env, claims, out):
    r = _cli(["verify", *claims, "-q", "--out", str(out)], env, cwd=out.parent)
    assert r.returncode == 0, r.stderr[-3000:]
    return {e["id"]: e["info"]["sweep"] for e in json.loads((out / "results.json").read_text())["claims"]}


def _edit_recomputes(env, tmp_path, claims, sims: Path, edited: str, untouched: str):
    first = _stats(env, claims, tmp_path / "first")
    assert all(s.get("computed") for s in first.values())
    second = _stats(env, claims, tmp_path / "second")
    assert all(not s.get("computed") and s.get("cache_hits") for s in second.values())
    sims.write_text(sims.read_text() + "\n# an edit: the code that computes the cells changed\n")
    third = _stats(env, claims, tmp_path / "third")
    assert third[edited].get("computed") and not third[edited].get("cache_hits")
    assert not third[untouched].get("computed") and third[untouched].get("cache_hits")


def test_editing_a_builtin_simulation_recomputes_its_cells_and_only_its_family(tmp_path, compiled_cache):
    """A copy of theorylab: after a one-line edit of large_lr's simulations the large_lr claim
    recomputes; a rank_one claim still reads its cells."""
    pkg = tmp_path / "src"
    shutil.copytree(ROOT / "theorylab", pkg / "theorylab", ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(_env(XDG_CACHE_HOME=compiled_cache(tmp_path / "cache")), PYTHONPATH=str(pkg))
    where = subprocess.run([sys.executable, "-c", "import theorylab; print(theorylab.__file__)"],
                           env=env, capture_output=True, text=True, cwd=tmp_path).stdout.strip()
    if not where.startswith(str(pkg)):
        pytest.skip(f"an editable install shadows PYTHONPATH here ({where}); the example test covers it")
    _edit_recomputes(env, tmp_path, ["large_lr.balancing", "rank_one.soft_threshold"],
                     pkg / "theorylab" / "large_lr" / "simulations.py",
                     "large_lr.balancing", "rank_one.soft_threshold")


def test_editing_an_installed_familys_simulation_recomputes_its_cells(tmp_path, compiled_cache):
    """The example family installed from a copy: editing its simulations recomputes its cells
    (the key holds the installed package's source), theorylab's own cells stay cached."""
    site = tmp_path / "site"
    src = tmp_path / "src"
    shutil.copytree(ROOT / "examples" / "theorylab-sgd", src,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        "--no-build-isolation", "--target", str(site), str(src)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    env = _env(XDG_CACHE_HOME=compiled_cache(tmp_path / "cache"))
    env["PYTHONPATH"] = os.pathsep.join([str(site), env["PYTHONPATH"]])
    _edit_recomputes(env, tmp_path, ["sgd.rate_in_t", "large_lr.balancing"],
                     site / "theorylab_sgd" / "simulations.py", "sgd.rate_in_t", "large_lr.balancing")


def test_cache_info_and_clear(tmp_path):
    env = _env(XDG_CACHE_HOME=str(tmp_path))
    assert _cli(["verify", "large_lr.balancing", "hpmd.linear", "-q"], env).returncode == 0
    r = _cli(["cache", "info"], env)
    assert r.returncode == 0 and f"location: {tmp_path / 'theorylab'}" in r.stdout
    assert "large_lr:" in r.stdout and "pmd:" in r.stdout
    r = _cli(["cache", "clear", "pmd"], env)
    assert r.returncode == 0 and "cleared" in r.stdout
    r = _cli(["cache", "info"], env)
    assert "large_lr:" in r.stdout and "pmd:" not in r.stdout
    assert _cli(["cache", "clear", "nope"], env).returncode == 2
    r = _cli(["cache", "clear"], env)
    assert r.returncode == 0 and not (tmp_path / "theorylab" / "cells").exists()


@pytest.mark.parametrize("var, value, msg", [("THEORYLAB_PROGRESS_INTERVAL", "abc", "expected a number"),
                                             ("THEORYLAB_THREADS", "0", "must be at least 1"),
                                             ("THEORYLAB_POOL_THREADS", "two", "expected an integer")])
def test_bad_environment_is_one_line_before_any_work(tmp_path, var, value, msg):
    r = _cli(["verify", "large_lr.balancing"], _env(XDG_CACHE_HOME=str(tmp_path), **{var: value}))
    assert r.returncode == 2 and r.stderr.strip() == f"theorylab: error: {var}: {msg}, got {value!r}"
    assert not (tmp_path / "theorylab" / "cells").exists()



def test_mutants_and_their_tests_run_on_dask_workers(tmp_path, monkeypatch):
    """``theorylab mutate --executor dask``: a mutant's task (here its substrate tests, on a
    small package of its own) is a plain value that a Dask worker process runs as the calling
    process would."""
    pytest.importorskip("distributed")
    pytest.importorskip("libcst")
    import dataclasses

    from theorylab.core import mutate as M

    src = tmp_path / "src" / "fake_dask_family"
    src.mkdir(parents=True)
    (src / "__init__.py").write_text("")
    (src / "sim.py").write_text("SCALE = 0.5\n")
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_sim.py").write_text("import fake_dask_family.sim as s\n\n\ndef test_scale():\n"
                                       "    assert s.SCALE == 0.5\n")
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]))
    m, = M.find_mutants("fake_dask_family", operators=["scale_constant_1.1"])
    task = {"mutant": dataclasses.asdict(m), "tests": ["test_sim.py"], "tests_timeout": 120,
            "cwd": str(tests), "tests_only": True}
    with make_executor("dask", workers=1) as ex:
        got = ex.run(M._run_task, [task, dict(task, tests=["test_sim.py", "-k", "nothing_matches"])])
    assert got[0]["tests"]["rc"] == 1 and got[0]["tests"]["failed"] == ["test_sim.py::test_scale"]
    assert got[1]["tests"]["rc"] == 5  # pytest's "no tests collected", reported, not raised
    assert M.with_tests({"class": "survived", "why": [], "claims": {}}, got[0]["tests"])["class"] == "killed"
