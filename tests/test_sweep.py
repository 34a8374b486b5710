import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from theorylab.core import results
from theorylab.core.sweep import TRACE_COUNTS, Sweep



@pytest.fixture(autouse=True)
def _float64():
    """These tests compare sums to 1e-12: float64, switched on per test as a family would."""
    import theorylab

    with theorylab.x64():
        yield


def toy(key, static, dynamic):
    """A random walk of static length, scaled by a dynamic step."""
    steps = jax.random.normal(key, (static["n"],)) * dynamic["scale"]
    return {"end": jnp.sum(steps), "path": jnp.cumsum(steps)}


def test_one_compile_per_shape():
    sw = Sweep("test.compile", 1)
    configs = [({"n": 5}, {"scale": s}) for s in (0.1, 0.2, 0.3, 0.4)] + [({"n": 7}, {"scale": 1.0})]
    before = {k: v for k, v in TRACE_COUNTS.items() if k[0].endswith("toy")}
    sw.run(toy, configs, seeds=4)
    sw.run(toy, configs, seeds=4)  # again: no new traces
    traced = {k: v - before.get(k, 0) for k, v in TRACE_COUNTS.items() if k[0].endswith("toy")}
    assert sorted(traced.values()) == [1, 1], traced  # n=5 once, n=7 once


def test_chunking_keeps_numbers_and_streams_pair_cells():
    a = Sweep("test.chunk", 3).run(toy, [({"n": 6}, {"scale": 1.0})], seeds=10)[0]
    b = Sweep("test.chunk", 3, chunk=4).run(toy, [({"n": 6}, {"scale": 1.0})], seeds=10)[0]
    np.testing.assert_array_equal(a["end"], b["end"])
    # two cells of one stream see the same draws (common random numbers): scale is linear
    c, d = Sweep("test.chunk", 3).run(toy, [({"n": 6}, {"scale": 1.0}), ({"n": 6}, {"scale": 2.0})], seeds=10)
    np.testing.assert_allclose(2 * c["end"], d["end"])


def test_cache_resumes_without_recomputing(cache_dir):
    configs = [({"n": 5}, {"scale": s}) for s in (0.5, 1.0, 2.0)]
    first = Sweep("test.cache", 2, cache_dir=cache_dir)
    out1 = first.run(toy, configs[:2], seeds=3)  # "interrupted" after two cells
    assert first.stats["computed"] == 2
    second = Sweep("test.cache", 2, cache_dir=cache_dir)
    out2 = second.run(toy, configs, seeds=3)
    assert second.stats["cache_hits"] == 2 and second.stats["computed"] == 1
    for a, b in zip(out1, out2):
        np.testing.assert_array_equal(a["path"], b["path"])
    # a corrupt cell file is recomputed, not trusted
    victim = sorted(cache_dir.glob("*.npz"))[0]
    victim.write_bytes(b"garbage")
    third = Sweep("test.cache", 2, cache_dir=cache_dir)
    third.run(toy, configs, seeds=3)
    assert third.stats["computed"] == 1


def test_shared_sweep_computes_once_for_every_claim_and_draws_alike(cache_dir):
    configs = [({"n": 4}, {"scale": 1.5})]
    a = Sweep("test.shared_a", 5, cache_dir=cache_dir / "test.shared_a")
    b = Sweep("test.shared_b", 6, cache_dir=cache_dir / "test.shared_b")
    out_a = a.shared("test.shared").run(toy, configs, seeds=3)[0]
    out_b = b.shared("test.shared").run(toy, configs, seeds=3)[0]
    assert a.stats["computed"] == 1 and b.stats["memo_hits"] == 1 and "computed" not in b.stats
    np.testing.assert_array_equal(out_a["path"], out_b["path"])  # one stream, whoever asks
    assert list((cache_dir / "test.shared").glob("*.npz"))  # on disk beside the claims' caches
    own = a.run(toy, configs, seeds=3)[0]  # the claim's own stream differs
    assert not np.array_equal(own["path"], out_a["path"])


def walk_then_sort(key, static, dynamic):
    """A threaded stage (random walks) and a finish stage with a LAPACK call (eigvalsh)."""
    steps = jax.random.normal(key, (static["n"], static["n"])) * dynamic["scale"]
    return {"m": steps @ steps.T}


walk_then_sort.parallel_seeds = True
walk_then_sort.finish = lambda key, static, dynamic, out: {
    "eig": jnp.linalg.eigvalsh(out["m"]), "trace": jnp.trace(out["m"])}


def test_threads_and_finish_stage_keep_the_numbers():
    configs = [({"n": 6}, {"scale": 1.0})]
    one = Sweep("test.threads", 4, threads=1).run(walk_then_sort, configs, seeds=7)[0]
    two = Sweep("test.threads", 4, threads=3).run(walk_then_sort, configs, seeds=7)[0]
    assert set(one) == {"eig", "trace"} and one["eig"].shape == (7, 6)
    np.testing.assert_array_equal(one["eig"], two["eig"])
    np.testing.assert_allclose(one["eig"].sum(1), one["trace"], rtol=1e-12)
    # a simulation that does not declare parallel_seeds runs on one thread whatever is asked
    a = Sweep("test.threads", 4, threads=4).run(toy, [({"n": 5}, {"scale": 1.0})], seeds=5)[0]
    b = Sweep("test.threads", 4, threads=1).run(toy, [({"n": 5}, {"scale": 1.0})], seeds=5)[0]
    np.testing.assert_array_equal(a["path"], b["path"])


def test_bad_thread_count(monkeypatch):
    from theorylab.core.sweep import default_threads

    monkeypatch.setenv("THEORYLAB_THREADS", "0")
    with pytest.raises(ValueError, match="THEORYLAB_THREADS"):
        default_threads()
    monkeypatch.setenv("THEORYLAB_THREADS", "3")
    assert default_threads() == 3


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "results.json"
    results.atomic_write_json(path, {"v": 1})

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        results.atomic_write_json(path, {"v": 2})
    assert results.load_results(tmp_path) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temp file left


def test_bad_seed_count():
    with pytest.raises(ValueError, match="seeds"):
        Sweep("test.bad", 1).run(toy, [({"n": 3}, {"scale": 1.0})], seeds=0)


def _walk(key, static, dynamic):
    steps = jax.random.normal(key, (static["n"], static["n"])) * dynamic["scale"]
    return {"m": steps @ steps.T}


def _eig(key, static, dynamic, out):
    return {"eig": jnp.linalg.eigvalsh(out["m"]), "trace": jnp.trace(out["m"])}


def test_a_simulation_value_runs_as_the_function_with_attributes_did(cache_dir):
    """theorylab.Simulation carries parallel_seeds and finish as fields: the same numbers as the
    function with attributes, the function's name on its cells, and clear errors."""
    import theorylab

    sim = theorylab.Simulation(_walk, parallel_seeds=True, finish=_eig)
    assert sim.__qualname__ == "_walk" and sim.__module__ == __name__
    configs = [({"n": 6}, {"scale": 1.0})]
    a = Sweep("test.simulation", 4, threads=2).run(sim, configs, seeds=7, stream="walk")[0]
    b = Sweep("test.simulation", 4, threads=2).run(walk_then_sort, configs, seeds=7, stream="walk")[0]
    assert set(a) == {"eig", "trace"}
    np.testing.assert_array_equal(a["eig"], b["eig"])
    sw = Sweep("test.simulation", 4, cache_dir=cache_dir)
    sw.run(sim, configs, seeds=3)
    assert sw.stats["computed"] == 1 and list(cache_dir.glob("*.npz"))
    with pytest.raises(TypeError, match="^fn: "):
        theorylab.Simulation("not a function")
    with pytest.raises(TypeError, match="^parallel_seeds: "):
        theorylab.Simulation(_walk, parallel_seeds=1)
    wants64 = theorylab.Simulation(toy, x64=True)
    assert wants64(jax.random.PRNGKey(0), {"n": 3}, {"scale": 1.0})["path"].dtype == jnp.float64


def test_a_float64_simulation_called_in_float32_names_the_switch():
    import theorylab

    jax.config.update("jax_enable_x64", False)  # the autouse fixture restores it
    with pytest.raises(RuntimeError, match=r"toy: declares float64 .*theorylab.x64\(\)"):
        theorylab.Simulation(toy, x64=True)(jax.random.PRNGKey(0), {"n": 3}, {"scale": 1.0})


def _walk_grid(key, static, dynamic):
    """|S_t| at t = 1..n of a random walk; seed keys whose first draw is large 'diverge', and a
    fixed share of seeds have a NaN at the last point."""
    steps = jax.random.normal(key, (static["n"],)) * dynamic["scale"]
    path = jnp.abs(jnp.cumsum(steps)) + 1e-3
    path = path.at[-1].set(jnp.where(steps[1] > 1.0, jnp.nan, path[-1]))
    return {"path": path, "end": path[-1:], "bound": jnp.full((1,), 1e3), "diverged": steps[0] > 1.5}


def test_sweep_measure_packs_one_setting_and_says_where_seeds_are_non_finite():
    import theorylab
    from theorylab.core.claims import Context

    ctx = Context("test.measuring", "quick", 64, {}, 7, sweep=Sweep("test.measuring", 7))
    raw, = Sweep("test.measuring", 7).run(_walk_grid, [({"n": 5}, {"scale": 1.0})], seeds=64)
    keep = ~np.asarray(raw["diverged"])
    m = theorylab.sweep_measure(ctx, _walk_grid, {"n": 5}, {"scale": 1.0}, x=[1, 2, 3, 4, 5], y="path",
                                xlabel="t")
    assert 0 < m.diverged < 64 and m.total == 64 and m.y.shape == (int(keep.sum()), 5)
    np.testing.assert_array_equal(m.y, np.asarray(raw["path"], np.float64)[keep])
    bad = int(np.isnan(m.y[:, -1]).sum())
    assert 0 < bad and m.info["non-finite (path)"] == f"{bad} of {m.y.shape[0]} seeds non-finite at t = 5"
    assert (m.xlabel, m.ylabel) == ("t", "path")
    b = theorylab.sweep_measure(ctx, _walk_grid, {"n": 5}, {"scale": 1.0}, values=["end"],
                                reference={"end": "bound"})
    assert b.values["end"].shape == b.reference["end"].shape == (int(keep.sum()), 1)
    assert b.info["non-finite (end)"].startswith(f"{bad} of ")
    for kw, msg in [({}, "give y"), ({"y": "path"}, "^x: "), ({"x": [1, 2], "y": "path"}, "^y: .*expected"),
                    ({"x": [1], "y": "nope"}, "^y: the simulation returns no 'nope'"),
                    ({"values": ["end"], "reference": {"other": "bound"}}, "^reference: 'other'")]:
        with pytest.raises(ValueError, match=msg):
            theorylab.sweep_measure(ctx, _walk_grid, {"n": 5}, {"scale": 1.0}, **kw)
