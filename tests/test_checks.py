import numpy as np
import pytest

from theorylab.core.bounds import Bound
from theorylab.core.claims import (IdentityCheck, LimitCheck, Measurement, PointwiseCheck,
                                   SlopeCheck, select)


def _meas(slope, seeds=8, seed=0):
    rng = np.random.default_rng(seed)
    x = np.geomspace(100, 1e5, 7)
    return Measurement(x=x, y=x**slope * np.exp(0.02 * rng.standard_normal((seeds, x.size))))


def test_slope_check_from_bound_and_planted_wrong_exponent():
    chk = SlopeCheck(side="two-sided", tol=0.05, wrt="n").resolve(Bound("n**(-1/2)*log(n)"))
    assert chk.predicted == pytest.approx(-0.5)
    assert chk.evaluate(_meas(-0.5)).passed
    # a planted wrong exponent must fail the same check
    assert not chk.evaluate(_meas(-0.65)).passed
    assert not chk.evaluate(_meas(-0.35)).passed


def test_one_sided_upper_accepts_faster_rejects_slower():
    chk = SlopeCheck(predicted=-0.5, side="upper", tol=0.05)
    assert chk.evaluate(_meas(-0.9)).passed  # faster than the bound: fine for an upper bound
    assert not chk.evaluate(_meas(-0.3)).passed


def test_slope_check_over_several_series_needs_every_series():
    chk = SlopeCheck(predicted=2.0, side="two-sided", tol=0.1)
    a, b = _meas(2.0, seed=1), _meas(2.03, seed=2)
    r = chk.evaluate(Measurement(series={"a": (a.x, a.y), "b": (b.x, b.y)}))
    assert r.passed and set(r.fit["series"]) == {"a", "b"}
    assert r.fit["reported_series"] == "b" and r.measured == pytest.approx(2.03, abs=0.02)
    bad = _meas(1.6, seed=3)
    r = chk.evaluate(Measurement(series={"a": (a.x, a.y), "bad": (bad.x, bad.y)}))
    assert not r.passed and r.fit["reported_series"] == "bad"
    assert "a: fitted slope" in r.sentence and "bad: fitted slope" in r.sentence
    # a series may carry its own predicted exponent
    r = chk.evaluate(Measurement(series={"a": (a.x, a.y), "bad": (bad.x, bad.y, 1.6)}))
    assert r.passed and r.fit["series"]["bad"]["predicted"] == 1.6


def test_slope_check_without_points_fails_not_raises():
    m = _meas(-0.5)
    m.y[:] = np.nan
    r = SlopeCheck(predicted=-0.5, tol=0.1).evaluate(m)
    assert not r.passed and "no fit" in r.sentence


def test_pointwise_nan_counts_as_violation_and_empty_fails():
    chk = PointwiseCheck(rel_slack=1e-9, min_count=2)
    ok = Measurement(values={"a": np.array([0.5, 0.9])}, reference={"a": np.array([1.0, 1.0])})
    assert chk.evaluate(ok).passed
    bad = Measurement(values={"a": np.array([0.5, np.nan])}, reference={"a": np.array([1.0, 1.0])})
    assert not chk.evaluate(bad).passed
    empty = Measurement(values={"a": np.array([0.5, 0.9])}, reference={"a": 1.0},
                        mask={"a": np.array([False, False])})
    assert not chk.evaluate(empty).passed


def test_identity_and_limit():
    m = Measurement(values={"q": np.array([1.0, 2.0 + 1e-14])}, reference={"q": np.array([1.0, 2.0])})
    assert IdentityCheck(rtol=1e-10).evaluate(m).passed
    m.values["q"][0] = 1.001
    assert not IdentityCheck(rtol=1e-10).evaluate(m).passed
    lim = LimitCheck(intervals={"s": (0.8, 1.0)})
    assert lim.evaluate(Measurement(values={"s": np.array([0.85, 0.99])})).passed
    assert not lim.evaluate(Measurement(values={"s": np.array([0.85, np.nan])})).passed


def test_bad_check_parameters():
    with pytest.raises(ValueError, match="side"):
        SlopeCheck(predicted=-1, side="both")
    with pytest.raises(ValueError, match="tol"):
        SlopeCheck(predicted=-1, tol=-0.1)


def test_registry_selection_and_unknown():
    ids = [c.id for c in select(["large_lr"])]
    assert "large_lr.critical_rate" in ids and all(i.startswith("large_lr.") for i in ids)
    assert [c.id for c in select(["large_lr.catapult"])] == ["large_lr.catapult"]
    with pytest.raises(ValueError, match="claim"):
        select(["no_such_family"])


def test_claim_needing_full_size_is_skipped_with_reason_at_quick_size():
    from theorylab.core.claims import Claim
    from theorylab.core.verify import run_claim

    def never(ctx):  # must not run at quick size
        raise AssertionError("measured at quick size")

    c = Claim(id="demo.network_rate", title="t", statement="s", source="nowhere", tag="expected",
              check=LimitCheck(intervals={"q": (0, 1)}), measure=never,
              sizes={"quick": {}, "full": {}}, seeds={"quick": 2, "full": 8},
              needs_full="the network is far from its ERM at quick size")
    v = run_claim(c, "quick")
    assert v.status == "skipped" and "far from its ERM" in v.sentence and not v.passed
    with pytest.raises(ValueError, match="size"):
        run_claim(c, "medium")


def test_a_measurement_error_is_that_claims_failure_not_a_crash():
    from theorylab.core.claims import Claim
    from theorylab.core.verify import run_claim

    def broken(ctx):
        raise RuntimeError("solver exploded")

    c = Claim(id="demo.broken", title="t", statement="s", source="nowhere", tag="expected",
              check=LimitCheck(intervals={"q": (0, 1)}), measure=broken,
              sizes={"quick": {}, "full": {}}, seeds={"quick": 2, "full": 8})
    v = run_claim(c, "quick")
    assert v.status == "failed" and "solver exploded" in v.sentence
