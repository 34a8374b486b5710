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
