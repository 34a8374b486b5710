"""The package's own intervals cover what they say (a short `theorylab selftest`), and an
interval computed at the wrong level is caught: exactly, by comparing each interval with an
independent computation, and statistically, by its measured coverage."""

import numpy as np
import pytest
from scipy import stats

from theorylab.core import selftest
from theorylab.core.checks import fraction_interval, quantile_interval
from theorylab.core.fit import fit_rate, mean_interval


def test_slope_interval_is_the_t_interval_over_the_seeds_own_slopes():
    rng = np.random.default_rng(1)
    x, y, _ = selftest.power_law(rng, 6, 5)
    f = fit_rate(x, y)
    u = np.log(x)
    per_seed = np.array([np.polyfit(u, np.log(row), 1)[0] for row in y])
    ci = stats.ttest_1samp(per_seed, 0.0).confidence_interval(0.95)  # scipy's, independently
    assert f.slope == pytest.approx(per_seed.mean(), abs=1e-12)
    assert f.ci == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert f.ci_method == "t-seeds" and f.df == 5
    # and at another level, the same
    ci90 = stats.ttest_1samp(per_seed, 0.0).confidence_interval(0.90)
    assert fit_rate(x, y, ci_level=0.90).ci == pytest.approx((ci90.low, ci90.high), abs=1e-12)


def test_the_other_intervals_have_their_stated_level():
    v = np.random.default_rng(2).lognormal(size=12)
    lo, hi = mean_interval(v[None, :], axis=-1)
    ci = stats.ttest_1samp(v, 0.0).confidence_interval(0.95)
    assert (lo[0], hi[0]) == pytest.approx((ci.low, ci.high), rel=1e-12)
    cp = stats.binomtest(3, 40).proportion_ci(0.95, method="exact")
    assert fraction_interval(3, 40) == pytest.approx((cp.low, cp.high))
    q = stats.quantile_test(v, q=np.quantile(v, 0.5), p=0.5).confidence_interval(0.95)
    assert quantile_interval(v, 0.5) == pytest.approx((q.low, q.high))


@pytest.fixture(scope="module")
def short_selftest():
    return selftest.run([4, 8, 16, 32], reps=150, seed=3, sections=("slope", "replicas"))


def test_short_selftest_coverage_meets_the_target(short_selftest):
    rows = short_selftest["rows"]
    slope = [r for r in rows if r["interval"].startswith("slope, t over")]
    assert {r["seeds"] for r in slope} == {4, 8, 16, 32}
    # pooled over scenarios, the t-interval over seeds covers about 95% at every seed count: a
    # 90% interval labelled 95% (a quantile at 1 - alpha) pools to about 0.90 and fails this
    for n in (4, 8, 16, 32):
        hits = sum(r["hits"] for r in slope if r["seeds"] == n)
        reps = sum(r["reps"] for r in slope if r["seeds"] == n)
        assert hits / reps >= 0.93, (n, hits / reps)
    # no cell of a slope or quantile interval is far below the target
    assert [r for r in rows if r["kind"] == "coverage" and r["rate"] < 0.90
            and not r["interval"].startswith("t-interval")] == []
    means = [r for r in rows if r["interval"].startswith("t-interval")]
    assert {r["seeds"] for r in means} == set(selftest.REPLICAS)


def test_selftest_cli_writes_its_record(tmp_path):
    from theorylab.core.cli import main

    # every section, so that every kind of row goes through the JSON record
    assert main(["selftest", "--reps", "10", "--seeds", "4", "8", "--out", str(tmp_path), "-q"]) in (0, 1)
    doc = __import__("json").loads((tmp_path / "selftest.json").read_text())
    assert doc["format"] == selftest.FORMAT and doc["rows"] and all("mc_se" in r for r in doc["rows"])
    assert "# theorylab selftest" in (tmp_path / "report.md").read_text()
    # every section the package has can be chosen on the command line
    from theorylab.core.cli import build_parser

    for section in selftest.SECTIONS:
        assert build_parser().parse_args(["selftest", "--section", section]).section == [section]
    for bad in (["--reps", "3"], ["--section", "nope"], ["--seeds", "1"]):
        with pytest.raises(SystemExit) as e:
            main(["selftest", *bad])
        assert e.value.code == 2
