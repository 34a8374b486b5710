"""A family from outside theorylab, end to end, as a user would install it: the worked example
``examples/theorylab-sgd`` is installed (into a folder of its own, so the test environment is
left as it was) and run through the CLI and through its own pytest suite with theorylab's
plugin; broken third-party families are named on one line and leave the others working."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "theorylab-sgd"


def _env(*paths, **extra):
    env = dict(os.environ, JAX_PLATFORMS="cpu", MPLBACKEND="Agg", **extra)
    env["PYTHONPATH"] = os.pathsep.join([str(p) for p in paths] + [env.get("PYTHONPATH", "")])
    return env


def _theorylab(args, env, cwd=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "theorylab.core.cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """``pip install ./examples/theorylab-sgd`` into a target folder (no dependencies: theorylab
    is the one under test)."""
    target = tmp_path_factory.mktemp("site")
    src = tmp_path_factory.mktemp("src") / "theorylab-sgd"  # a copy: the build leaves files behind
    shutil.copytree(EXAMPLE, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        "--no-build-isolation", "--target", str(target), str(src)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert list(target.glob("theorylab_sgd-*.dist-info"))
    return target


@pytest.fixture(scope="module")
def cache(tmp_path_factory, compiled_cache):
    return Path(compiled_cache(tmp_path_factory.mktemp("xdg")))


def test_installed_family_is_listed_and_verified_like_a_builtin_one(installed, cache, tmp_path):
    env = _env(installed, XDG_CACHE_HOME=str(cache))
    r = _theorylab(["list"], env)
    assert r.returncode == 0 and "sgd.rate_in_t" in r.stdout and "pmd.constant_step_sublinear" in r.stdout
    assert "[literature]" in r.stdout and not r.stderr.strip()
    r = _theorylab(["list", "sgd", "-v"], env)
    assert r.returncode == 0 and r.stdout.split()[0] == "sgd.rate_in_t" and "pmd." not in r.stdout
    assert "control theta_below_half" in r.stdout and "declared alternatives: t^(-1/2)" in r.stdout
    out = tmp_path / "out"
    r = _theorylab(["verify", "sgd.rate_in_t", "-q", "--out", str(out)], env)
    assert r.returncode == 0, r.stdout + r.stderr
    res = json.loads((out / "results.json").read_text())
    e, = res["claims"]
    assert e["id"] == "sgd.rate_in_t" and e["status"] == "passed" and e["control_rejected"] is True
    assert e["run"]["x64"] is False  # the family declares float32
    assert (out / e["figure"]).exists()
    r = _theorylab(["calibrate", "sgd", "--roots", "2", "-q", "--out", str(out)], env)
    assert r.returncode == 0, r.stdout + r.stderr
    cal = json.loads((out / "calibration.json").read_text())
    assert "sgd.rate_in_t" in json.dumps(cal)
    r = _theorylab(["report", str(out)], env)
    assert r.returncode == 0 and "sgd.rate_in_t" in Path(r.stdout.strip()).read_text()
    r = _theorylab(["docs", "sgd"], env)
    assert r.returncode == 0 and "### `sgd.rate_in_t`" in r.stdout and "Nemirovski" in r.stdout


def test_mutate_runs_on_an_installed_family_and_resumes(installed, cache, tmp_path):
    """``theorylab mutate`` on a third-party family: a copy of its package per mutant (the
    installed one is never touched), each mutant classified, the report lists them, a rerun
    resumes with nothing left to run."""
    pytest.importorskip("libcst")
    env = _env(installed, XDG_CACHE_HOME=str(cache))
    src = (installed / "theorylab_sgd" / "simulations.py").read_text()
    out = tmp_path / "mut"
    r = _theorylab(["mutate", "sgd", "--max", "3", "--seed", "2", "--out", str(out), "--timeout", "240"],
                   env, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    doc = json.loads((out / "mutation.json").read_text())
    assert doc["meta"]["sites"] >= 3 and len(doc["mutants"]) == 3
    assert doc["baseline"]["theorylab_sgd"]["claims"]["sgd.rate_in_t"]["status"] == "passed"
    report = (out / "report.md").read_text()
    for mid, rec in doc["mutants"].items():
        assert rec["class"] in ("killed", "survived", "equivalent") and rec["why"], rec
        assert rec["mutant"]["module"] == "simulations.py"
        assert f"`{rec['mutant']['before']}` -> `{rec['mutant']['after']}`" in report
    assert "theorylab_sgd: killed" in r.stdout and "kill rate" in r.stdout
    assert (installed / "theorylab_sgd" / "simulations.py").read_text() == src
    r = _theorylab(["mutate", "sgd", "--max", "3", "--seed", "2", "--out", str(out)], env, timeout=300)
    assert r.returncode == 0 and "3 done before, 0 to run" in r.stderr, r.stderr[-2000:]


def test_users_suite_pins_a_slope_with_the_plugin(installed, cache, tmp_path):
    """The example's own tests with theorylab's plugin: a missing pin fails and says how to
    create it; ``--theorylab-regen-pins`` creates it; then the suite passes against it; a
    corrupt pin file is a one-line failure, not a traceback."""
    suite = tmp_path / "suite"
    shutil.copytree(EXAMPLE / "tests", suite / "tests")
    shutil.copy(EXAMPLE / "pyproject.toml", suite / "pyproject.toml")
    pins = suite / "tests" / "pins.json"
    pins.unlink()
    env = _env(installed)

    def pytest_(*args):
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               f"--theorylab-cache={cache / 'cells'}", *args], cwd=suite, env=env,
                              capture_output=True, text=True, timeout=300)

    r = pytest_()
    assert r.returncode == 1 and "no pinned slope" in r.stdout and "--theorylab-regen-pins" in r.stdout
    r = pytest_("--theorylab-regen-pins")
    assert r.returncode == 0, r.stdout[-3000:]
    assert "theorylab: wrote 2 pins to" in r.stdout and "sgd.rate_in_t/theta_below_half" in r.stdout
    pinned = json.loads(pins.read_text())
    assert set(pinned) == {"sgd.rate_in_t", "sgd.rate_in_t/theta_below_half"}
    assert pinned["sgd.rate_in_t"]["seeds"] == 64 and pinned["sgd.rate_in_t"]["size"] == "quick"
    r = pytest_()
    assert r.returncode == 0, r.stdout[-3000:]
    # a pin moved by more than its tolerance is a failure naming the pin
    pinned["sgd.rate_in_t"]["slope"] += 0.2
    pins.write_text(json.dumps(pinned))
    r = pytest_("tests/test_sgd.py::test_slopes_stay_pinned")
    assert r.returncode == 1 and "sgd.rate_in_t: slope" in r.stdout and "tolerance" in r.stdout
    pins.write_text("{not json")
    r = pytest_("tests/test_sgd.py::test_slopes_stay_pinned")
    assert r.returncode == 1 and "not valid JSON" in r.stdout and "Traceback" not in r.stdout
    # the committed pins of the example hold
    shutil.copy(EXAMPLE / "tests" / "pins.json", pins)
    assert pytest_().returncode == 0


def _fake_dist(site: Path, name: str, entry: str, module: str, source: str) -> None:
    """An installed distribution with one ``theorylab.families`` entry point (no pip needed)."""
    info = site / f"{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[theorylab.families]\n{entry}\n")
    (site / f"{module}.py").write_text(textwrap.dedent(source))


def test_broken_families_are_named_on_one_line_and_the_rest_keep_working(tmp_path, cache):
    site = tmp_path / "site"
    _fake_dist(site, "broken-fam", "broken = broken_fam:FAMILY", "broken_fam",
               "raise ImportError('no module named sparse_magic')\n")
    _fake_dist(site, "dup-fam", "dup = dup_fam:FAMILY", "dup_fam", """
        from theorylab import Claim, Family
        import theorylab
        c = theorylab.claims("large_lr.balancing")[0]
        import dataclasses
        FAMILY = Family("dup", (dataclasses.replace(c, id="dup.x", family="dup"),
                                dataclasses.replace(c, id="dup.x", family="dup")))
        """)
    _fake_dist(site, "clash-fam", "clash = clash_fam:FAMILY", "clash_fam", """
        import dataclasses
        import theorylab
        c = theorylab.claims("large_lr.balancing")[0]
        FAMILY = theorylab.Family("large_lr", (c,))
        """)
    env = _env(site, XDG_CACHE_HOME=str(cache))
    r = _theorylab(["list"], env)
    assert r.returncode == 0 and "pmd.constant_step_sublinear" in r.stdout
    warn = [line for line in r.stderr.splitlines() if line.startswith("theorylab: warning:")]
    assert len(warn) == 3 and len(r.stderr.splitlines()) == 3, r.stderr
    assert any("'broken' from broken-fam" in w and "sparse_magic" in w for w in warn)
    assert any("'dup' from dup-fam" in w and "dup.x" in w and "twice" in w for w in warn)
    assert any("'clash' from clash-fam" in w and "already" in w for w in warn)
    r = _theorylab(["verify", "broken", "-q"], env)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 4  # 3 warnings + the error
    assert r.stderr.strip().splitlines()[-1].startswith("theorylab: error: claim: family 'broken'")
    r = _theorylab(["verify", "large_lr.balancing", "-q"], env)
    assert r.returncode == 0, r.stdout + r.stderr
    # --traceback: the file and line of the failing import, and its traceback
    for argv in (["--traceback", "list", "broken"], ["list", "broken", "--traceback"]):
        r = _theorylab(argv, env)
        assert f"at {site / 'broken_fam.py'}:1:" in r.stderr and "ImportError: no module named sparse_magic" in r.stderr, r.stderr
        assert "Traceback (most recent call last)" in r.stderr
        assert f"family 'dup' (dup_fam:FAMILY) at {site / 'dup_fam.py'}:" in r.stderr  # its line, not the core's


def test_import_leaves_jax_config_alone_and_verify_restores_it():
    code = ("import theorylab, jax; a = jax.config.jax_enable_x64; "
            "v = theorylab.run_claim('large_lr.balancing'); "
            "print(a, v.status, jax.config.jax_enable_x64)")
    r = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True,
                       timeout=300)
    assert r.stdout.split() == ["False", "passed", "False"], r.stdout + r.stderr
