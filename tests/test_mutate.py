"""theorylab mutate: the operators rewrite one site each and nothing else, mutants are classified
from their records, and kill rates carry Wilson intervals. The end-to-end run on an installed
third-party family is in test_examples."""

import textwrap

import pytest

pytest.importorskip("libcst")

from theorylab.core import mutate as M  # noqa: E402
from theorylab.core.pins import measurement_numbers, with_tolerances  # noqa: E402
from theorylab.core.checks import Measurement  # noqa: E402

SRC = textwrap.dedent('''\
    import jax
    import jax.numpy as jnp

    DTYPE = jnp.float64


    def f(key, x, n):
        """A docstring with 0.5 and a < b in it."""
        # a comment with 2.0
        y = jnp.maximum(x, 0.5) ** 2 + 3.0 * x - x[1:n]
        k = jax.random.fold_in(key, n)
        if n < 3:
            y = y[:n]
        return [y for _ in range(n)], k
    ''')


def _sites(op):
    return M._sites(SRC, op)[0]


@pytest.mark.parametrize("op, before, after", [
    ("scale_constant_0.9", "0.5", "0.45"),
    ("scale_constant_1.1", "3.0", "3.3000000000000003"),
    ("perturb_exponent", "jnp.maximum(x, 0.5) ** 2", "jnp.maximum(x, 0.5) ** ((2) * 1.1)"),
    ("swap_min_max", "jnp.maximum(x, 0.5)", "jnp.minimum(x, 0.5)"),
    ("flip_comparison", "< 3", "> 3"),
    ("shift_bound", "range(n)", "range((n - 1))"),
    ("drop_term", "jnp.maximum(x, 0.5) ** 2 + 3.0 * x", "(jnp.maximum(x, 0.5) ** 2)"),
    ("constant_fold_in", "jax.random.fold_in(key, n)", "jax.random.fold_in(key, 0)"),
    ("lower_precision", "jnp.float64", "jnp.float32"),
])
def test_each_operator_finds_its_sites_in_code_not_in_docstrings_or_comments(op, before, after):
    sites = _sites(op)
    assert sites, op
    assert any(b.strip() == before and a.strip() == after for _, b, a in sites), sites
    for i, (line, b, a) in enumerate(sites):
        new = M._sites(SRC, op, i)[1]
        changed = [(u, v) for u, v in zip(SRC.splitlines(), new.splitlines()) if u != v]
        assert len(changed) == 1 and len(new.splitlines()) == len(SRC.splitlines())
        assert "docstring" not in changed[0][0] and "comment" not in changed[0][0]


def test_an_attribute_dtype_is_one_site_not_two():
    assert len(_sites("lower_precision")) == 1


def _rec(status="passed", rejected=True, value=1.0, count=0):
    nums = {"values:q": {"value": value, "half_width": 0.4}, "diverged": {"count": count}}
    return {"claims": {"c.x": {"status": status, "controls": {"ctl": rejected}, "x64": False,
                               "numbers": {"c.x": nums, "c.x/ctl": nums}}}}


def test_classification_names_what_killed_a_mutant():
    base = _rec()
    pins = {k: with_tolerances(v, False) for k, v in base["claims"]["c.x"]["numbers"].items()}
    assert M.classify(base, _rec(), pins)["class"] == "equivalent"
    assert M.classify(base, _rec(value=1.05), pins)["class"] == "survived"  # tolerance 0.1
    k = M.classify(base, _rec(value=1.2), pins)
    assert k["class"] == "killed" and any("pin c.x moved" in w for w in k["why"])
    k = M.classify(base, _rec(status="inconclusive", value=1.0), pins)
    assert k["class"] == "killed" and "c.x: claim inconclusive" in k["why"]
    k = M.classify(base, _rec(rejected=False), pins)
    assert k["why"] == ["c.x: control ctl not rejected"]
    assert M.classify(base, _rec(count=1), pins)["class"] == "killed"
    assert M.classify(base, {"timeout": 30.0}, pins)["why"] == ["timed out after 30 s"]
    assert M.classify(base, {"error": "ZeroDivisionError: x"}, pins)["class"] == "killed"


def test_summary_rates_exclude_equivalent_mutants_and_carry_wilson_intervals():
    muts = {str(i): {"mutant": {"package": "p"}, "class": c,
                     "claims": {"c.x": {"changed": c != "equivalent", "caught": ["pin"] if c == "killed" else []}}}
            for i, c in enumerate(["killed"] * 9 + ["survived"] + ["equivalent"] * 5)}
    s = M.summarise({"mutants": muts})
    f = s["families"]["p"]
    assert (f["killed"], f["survived"], f["equivalent"], f["kill_rate"]) == (9, 1, 5, 0.9)
    assert f["wilson95"][0] < 0.9 < f["wilson95"][1] and f["wilson95"][1] < 1
    assert s["claims"]["c.x"] == {"changed": 10, "caught": 9, "rate": 0.9, "wilson95": f["wilson95"]}


def test_measurement_numbers_cover_series_values_and_counts():
    import numpy as np

    m = Measurement(x=np.array([1.0, 2.0]), y=np.array([[1.0, 0.5], [1.2, 0.6], [0.8, np.nan]]),
                    values={"v": np.array([[1.0, 3.0], [2.0, 2.0]])}, diverged=1)
    n = measurement_numbers(m)
    assert n["series:@1"]["value"] == pytest.approx(np.mean(np.log([1.0, 1.2, 0.8])))
    assert n["nonfinite:series:"] == {"count": 1} and n["diverged"] == {"count": 1}
    assert n["values:v"]["value"] == pytest.approx(2.0) and n["values:v"]["half_width"] == 0.0
    t = with_tolerances(n, x64=False)  # no spread: the float32 floor, whatever the dtype
    assert t["values:v"]["precision"] == "float64" and t["values:v"]["tolerance"] == pytest.approx(2e-3)
    spread = measurement_numbers(Measurement(values={"v": np.array([2.0, 2.0 + 1e-9])}))
    assert with_tolerances(spread)["values:v"]["tolerance"] == pytest.approx(2e-6)  # float64 floor
    m32 = Measurement(values={"v": np.array([[1.0, 3.0], [2.0, 2.0]], np.float32)})
    t = with_tolerances(measurement_numbers(m32))
    assert t["values:v"]["precision"] == "float32" and t["values:v"]["tolerance"] == pytest.approx(2e-3)
    # an empty window (no grid point kept) pins its values and counts, not a crash
    empty = measurement_numbers(Measurement(x=np.zeros(0), y=np.zeros((4, 0)), values={"v": np.ones(4)}))
    assert empty["nonfinite:series:"] == {"count": 0} and empty["values:v"]["value"] == 1.0
    assert not [k for k in empty if k.startswith("series:")]


def test_a_failing_test_kills_a_mutant_and_the_claims_class_is_kept():
    cls = {"class": "survived", "why": ["c.x: changed, inside every tolerance"], "claims": {}}
    assert M.with_tests(cls, None)["class"] == "survived"
    assert M.with_tests(cls, {"rc": 0, "failed": [], "wall_s": 1.0})["claims_class"] == "survived"
    k = M.with_tests(cls, {"rc": 1, "failed": ["tests/t.py::test_a"], "wall_s": 1.0})
    assert (k["class"], k["claims_class"], k["why"]) == ("killed", "survived", ["test tests/t.py::test_a failed"])
    assert M.with_tests(cls, {"timeout": 60.0})["why"] == ["tests timed out after 60 s"]
    assert M.with_tests({"class": "equivalent", "why": [], "claims": {}}, {"error": "E"})["class"] == "killed"
    muts = {"a": {"mutant": {"package": "p"}, **k}, "b": {"mutant": {"package": "p"}, "class": "killed", "why": ["x"]}}
    f = M.summarise({"meta": {"tests": ["t.py"]}, "mutants": muts})["families"]["p"]
    assert (f["killed"], f["kill_rate"]) == (2, 1.0)
    assert (f["claims_and_pins"]["killed"], f["claims_and_pins"]["survived"], f["claims_and_pins"]["kill_rate"]) == (1, 1, 0.5)


def _fake_package(tmp_path, monkeypatch):
    pkg = tmp_path / "src" / "fake_family_pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sim.py").write_text("SCALE = 0.5\n")
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    test = tmp_path / "tests" / "test_fake.py"
    test.parent.mkdir()
    test.write_text("import fake_family_pkg.sim as s\n\n\ndef test_scale():\n    assert s.SCALE == 0.5\n")
    return test


def test_tests_run_on_the_mutated_copy_never_on_the_original(tmp_path, monkeypatch):
    """The test process imports the copy first: the unmutated copy passes, the mutant fails the
    test that watches its constant, and the original source is untouched."""
    test = _fake_package(tmp_path, monkeypatch)
    m, = M.find_mutants("fake_family_pkg", operators=["scale_constant_0.9"])
    base = M.run_tests("fake_family_pkg", [test.name], None, 120, cwd=test.parent)
    assert base["rc"] == 0 and base["failed"] == [], base
    r = M.run_tests("fake_family_pkg", [test.name], m, 120, cwd=test.parent)
    assert r["rc"] == 1 and r["failed"] == ["test_fake.py::test_scale"], r
    assert (tmp_path / "src" / "fake_family_pkg" / "sim.py").read_text() == "SCALE = 0.5\n"
    r = M.run_tests("fake_family_pkg", ["no_such_test.py"], None, 120, cwd=test.parent)
    assert r["rc"] == 4 and "no_such_test.py" in r["tail"], r


def test_mutate_runs_tests_on_mutants_the_claims_miss_and_reruns_them_on_resume(tmp_path, monkeypatch):
    """The orchestration, with the claim and test runs replaced by records: mutants the claims
    and pins leave alive get the tests; a resume with other tests reruns only the tests; tests
    that fail on the unmutated code are refused on one line."""
    from theorylab.core.claims import select

    ids = [c.id for c in select(["rank_one"])]
    base = {"claims": {i: {"status": "passed", "controls": {}, "x64": False, "numbers": {}} for i in ids},
            "wall_s": 1.0}
    runs = []
    monkeypatch.setattr(M, "run_copy", lambda pkg, claims, size, mutant, timeout, cache:
                        dict(base, claims={k: dict(v) for k, v in base["claims"].items()}))

    def fake_tests(pkg, args, mutant, timeout, cwd=None):
        runs.append((args, mutant is None))
        fail = mutant is not None and args == ["strict.py"]
        return {"rc": int(fail), "failed": ["strict.py::t"] if fail else [], "wall_s": 0.1}

    monkeypatch.setattr(M, "run_tests", fake_tests)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "loose.py").write_text("def test_a(): pass\n")
    out = tmp_path / "mut"
    doc = M.mutate(["rank_one"], max_mutants=2, out_dir=out, tests=["loose.py"])
    assert {r["class"] for r in doc["mutants"].values()} == {"equivalent"}
    assert runs.count((["loose.py"], False)) == 2 and runs.count((["loose.py"], True)) == 1
    runs.clear()
    M.mutate(["rank_one"], max_mutants=2, out_dir=out, tests=["loose.py"])
    assert runs == []  # the same tests, unedited: nothing to run again
    (tmp_path / "loose.py").write_text("def test_a(): pass\n\n\ndef test_b(): pass\n")
    M.mutate(["rank_one"], max_mutants=2, out_dir=out, tests=["loose.py"])
    assert runs.count((["loose.py"], False)) == 2 and runs.count((["loose.py"], True)) == 1  # edited: again
    runs.clear()
    doc = M.mutate(["rank_one"], max_mutants=2, out_dir=out, tests=["strict.py"])
    assert runs.count((["strict.py"], False)) == 2 and len(runs) == 3  # baseline + tests only
    for r in doc["mutants"].values():
        assert (r["class"], r["claims_class"], r["why"]) == ("killed", "equivalent", ["test strict.py::t failed"])
    f = doc["summary"]["families"]["theorylab.rank_one"]
    assert f["kill_rate"] == 1.0 and f["claims_and_pins"]["kill_rate"] is None
    assert "claims and pins alone" in (out / "report.md").read_text()
    doc = M.mutate(["rank_one"], max_mutants=2, out_dir=out)  # no tests: the claims' classes again
    assert {r["class"] for r in doc["mutants"].values()} == {"equivalent"}
    monkeypatch.setattr(M, "run_tests", lambda *a, **k: {"rc": 1, "failed": ["x.py::t"], "wall_s": 0.1})
    with pytest.raises(ValueError, match="--tests: they do not pass on the unmutated .*x.py::t"):
        M.mutate(["rank_one"], max_mutants=2, out_dir=out, tests=["x.py"])


def test_a_mutants_tests_run_in_its_own_process_even_where_xdist_is_configured(monkeypatch):
    """pytest-xdist's workers would import the installed package, not the mutated copy: with
    xdist importable, "-n 0" comes last and overrides a project's ``addopts = "-n auto"``."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: object() if n == "xdist" else real(n, *a))
    assert M.pytest_args(["tests/test_x.py"]) == ["tests/test_x.py", "-q", "-p", "no:cacheprovider", "-n", "0"]
    # xdist switched off by the user's own arguments: "-n" would be an unknown option
    assert M.pytest_args(["-p", "no:xdist", "t.py"])[-2:] == ["-p", "no:cacheprovider"]
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "xdist" else real(n, *a))
    assert M.pytest_args(["t.py"]) == ["t.py", "-q", "-p", "no:cacheprovider"]
