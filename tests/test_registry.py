"""Families as values: validation, frozen claims, the precision switch, the compiled-program
cache, and where a claim's code lives."""

import dataclasses

import jax
import jax.numpy as jnp
import pytest

import theorylab
from theorylab.core import registry, sweep
from theorylab.core.results import code_fingerprint, code_package


def _claim(cid="large_lr.balancing"):
    return theorylab.claims(cid)[0]


def test_claims_are_frozen_values():
    c = _claim()
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.tag = "derived"
    twin = dataclasses.replace(c, needs_gpu="a test")
    assert twin.needs_gpu == "a test" and c.needs_gpu is None and twin.check == c.check
    assert isinstance(c.controls, tuple)


def test_family_validation_names_the_problem():
    c = _claim()
    with pytest.raises(ValueError, match="defines large_lr.balancing twice"):
        registry.Family("large_lr", (c, c))
    with pytest.raises(ValueError, match="belong to another family"):
        registry.Family("other", (c,))
    with pytest.raises(ValueError, match="not a Claim"):
        registry.Family("large_lr", ("large_lr.balancing",))
    with pytest.raises(ValueError, match="identifier"):
        registry.Family("no-dash", ())
    fam = registry.Family("large_lr", [c])
    assert fam.claims == (c,) and fam.package == "theorylab.large_lr"


def test_every_builtin_family_is_listed_once_and_declares_its_precision():
    from theorylab.builtin import BUILTIN

    fams = {f.name: f for f in theorylab.families()}
    assert {t.split(".")[1] for t in BUILTIN} <= set(fams)
    for name in ("diffusion", "large_lr", "manifold", "pmd", "rank_one"):
        assert fams[name].x64 is True and fams[name].package == f"theorylab.{name}"
        assert all(c.family == name for c in fams[name].claims)
    assert {c.id.split(".")[0] for c in fams["pmd"].claims} == {"pmd", "hpmd", "bpmd", "rpmd", "spmd"}


def test_unknown_selector_is_one_line_with_the_families():
    with pytest.raises(ValueError, match=r"unknown claim or family 'nope' \(families: .*pmd"):
        theorylab.claims("nope")


def test_x64_switches_and_restores():
    before = jax.config.jax_enable_x64
    with theorylab.x64(True):
        assert jnp.zeros(1).dtype == jnp.float64
        with theorylab.x64(False):
            assert jnp.zeros(1).dtype == jnp.float32
        assert jax.config.jax_enable_x64 is True
    assert jax.config.jax_enable_x64 == before
    with pytest.raises(RuntimeError):
        with theorylab.x64(not before):
            raise RuntimeError("restored even on error")
    assert jax.config.jax_enable_x64 == before


def test_measure_runs_in_the_family_precision_and_names_a_bad_control(tmp_path):
    m = theorylab.measure("large_lr.balancing", cache_dir=tmp_path)
    assert m.values and jax.config.jax_enable_x64 is False
    with pytest.raises(ValueError, match="has no control 'nope'"):
        theorylab.measure("large_lr.balancing", control="nope")
    with pytest.raises(ValueError, match="not one claim id"):
        theorylab.measure("large_lr")


def test_clear_compiled_forgets_the_programs():
    def walk_for_clear(key, static, dynamic):
        return {"x": jax.random.normal(key, (static["n"],)) * dynamic["s"]}

    s = sweep.Sweep("test.clear", 3)
    a = s.run(walk_for_clear, [({"n": 3}, {"s": 1.0})], seeds=2)[0]
    held = theorylab.clear_compiled()
    assert held["compiled"] >= 1 and not sweep._COMPILED and not sweep._EXECUTABLES
    b = sweep.Sweep("test.clear", 3).run(walk_for_clear, [({"n": 3}, {"s": 1.0})], seeds=2)[0]
    assert (a["x"] == b["x"]).all()  # recompiled, same numbers


def test_code_package_and_fingerprint():
    assert code_package("theorylab.pmd.claims.hpmd") == "theorylab.pmd"
    assert code_package("theorylab.core.sweep") is None
    assert code_package("theorylab_sgd.simulations") == "theorylab_sgd"
    assert code_fingerprint("theorylab.pmd") != code_fingerprint("theorylab.rank_one")
    assert _claim("hpmd.linear").package == "theorylab.pmd"


def test_fingerprint_hashes_only_result_deciding_sources():
    """Editing the command line, a report or the pytest plugin does not stale records; editing a
    check, the sweep or the family does."""
    from theorylab.core.results import result_sources

    pmd = result_sources("theorylab.pmd")
    assert {"core/checks.py", "core/sweep.py", "core/fit.py", "builtin.py"} <= set(pmd)
    assert any(f.startswith("pmd/") for f in pmd) and not any(f.startswith("rank_one/") for f in pmd)
    for presenter in ("core/cli.py", "core/report.py", "core/docs.py", "core/plot.py",
                      "pytest_plugin.py", "__main__.py", "core/results.py"):
        assert presenter not in pmd
    every = result_sources(None)
    assert {f.split("/")[0] for f in every if "/" in f} >= {"core", "pmd", "rank_one", "diffusion",
                                                             "manifold", "large_lr"}


def _bad_family(monkeypatch, **change):
    """A family 'demo' with one claim changed by ``change`` (a copy of large_lr.balancing),
    injected into the loaded families."""
    c = dataclasses.replace(_claim(), id="demo.bad", family="demo", **change)
    fam = registry.Family("demo", (c,))
    fams, errors = registry.load()[:2]
    monkeypatch.setattr(registry, "_LOADED", (fams + (fam,), errors))
    return c


@pytest.mark.parametrize("change, words", [
    ({"controls": ()}, "it has no control"),
    ({"check": theorylab.SlopeCheck(predicted=-0.5, side="two-sided", tol=0.2,
                                    alternatives={"d=1": -0.6})}, "contains the declared alternative d=1"),
])
def test_definition_errors_exit_2_from_list_verify_and_calibrate(monkeypatch, capsys, tmp_path, change, words):
    from theorylab.core.cli import main

    _bad_family(monkeypatch, **change)
    for argv in (["list", "demo"], ["verify", "demo", "--out", str(tmp_path / "o")],
                 ["calibrate", "demo", "--roots", "2"], ["verify", "demo.bad"]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "claim demo.bad is not well defined" in err[0] and words in err[0], err
    assert not (tmp_path / "o" / "results.json").exists()  # nothing ran, nothing half-written
    # the other claims are listed and can be selected as before
    assert main(["list", "large_lr"]) == 0
    with pytest.raises(ValueError, match="demo.bad"):
        theorylab.claims("demo")
