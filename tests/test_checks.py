import numpy as np
import pytest

from theorylab.core.bounds import Bound
from theorylab.core.claims import (IdentityCheck, LimitCheck, Measurement, PointwiseCheck,
                                   Series, SlopeCheck, select)


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
    assert r.passed and set(r.series) == {"a", "b"}
    assert r.reported_series == "b" and r.measured == pytest.approx(2.03, abs=0.02)
    bad = _meas(1.6, seed=3)
    r = chk.evaluate(Measurement(series={"a": (a.x, a.y), "bad": (bad.x, bad.y)}))
    assert r.outcome == "failed" and r.reported_series == "bad"
    assert "a: fitted slope" in r.sentence and "bad: fitted slope" in r.sentence
    # as a control's result this does not reject: one series still passes the check
    assert not r.rejects()
    # a series may carry its own predicted exponent
    r = chk.evaluate(Measurement(series={"a": (a.x, a.y), "bad": Series(bad.x, bad.y, 1.6)}))
    assert r.passed and r.series["bad"].predicted == 1.6


def _noisy(slope, noise, seeds, seed=0):
    rng = np.random.default_rng(seed)
    x = np.geomspace(100, 1e5, 7)
    return Measurement(x=x, y=x**slope * np.exp(noise * rng.standard_normal((seeds, x.size))))


def test_the_ci_decides_passed_failed_inconclusive():
    chk = SlopeCheck(predicted=-0.5, side="upper", tol=0.0)
    assert chk.evaluate(_noisy(-0.8, 0.05, 16)).outcome == "passed"
    assert chk.evaluate(_noisy(-0.2, 0.05, 16)).outcome == "failed"
    # a slope on the edge with a wide CI: neither; the verdict says why and what would resolve it
    r = chk.evaluate(_noisy(-0.47, 0.5, 4, seed=1))
    assert r.outcome == "inconclusive", r.sentence
    assert "INCONCLUSIVE" in r.sentence and "-0.5" in r.sentence
    s = r.series[""]
    assert s.seeds_to_resolve is None or s.seeds_to_resolve > 4


def test_seeds_to_resolve_follows_one_over_sqrt_seeds():
    from theorylab.core.checks import seeds_to_resolve
    from theorylab.core.fit import RateFit

    f = RateFit(slope=-0.45, intercept=0, stderr=0.01, r2=1, ci=(-0.55, -0.35), ci_level=0.95,
                local_rates=(), x_used=(), dropped=(), n_seeds=8, log_x=True, ci_method="bootstrap-seeds")
    # half-width 0.1, distance to the edge -0.5 is 0.05: (0.1/0.05)^2 = 4x the seeds
    assert seeds_to_resolve(f, (-np.inf, -0.5)) == 32


def test_declared_alternatives_are_excluded_or_not_by_the_ci():
    m = _noisy(-0.5, 0.05, 16)
    near = SlopeCheck(predicted=-0.5, side="two-sided", tol=0.1).evaluate(m).measured + 1e-4
    chk = SlopeCheck(predicted=-0.5, side="two-sided", tol=0.1, alternatives={"parametric": -1.0})
    r = chk.evaluate(m)
    assert r.passed
    assert r.alternatives == {"parametric": True}
    assert "distinguishes from parametric" in r.sentence
    # an alternative inside a two-sided band is a definition error: no CI can pass against it
    bad = SlopeCheck(predicted=-0.5, side="two-sided", tol=0.1, alternatives={"near miss": near})
    assert bad.definition_errors() and "near miss" in bad.definition_errors()[0]
    r = bad.evaluate(m)
    assert r.outcome == "error" and "DEFINITION ERROR" in r.sentence and not r.rejects()
    # per-series alternatives replace the check's own
    m = _noisy(-0.5, 0.05, 16)
    r = chk.evaluate(Measurement(series={"s": Series(m.x, m.y, None, {"flat": 0.0})}))
    assert r.alternatives == {"flat": True}


def test_a_pass_needs_every_contradicting_alternative_excluded_and_admitted_ones_are_labelled():
    m = _noisy(-0.5, 0.3, 4, seed=3)
    f = SlopeCheck(predicted=-0.5, side="upper", tol=1.0).evaluate(m).fit
    # an upper band admits a faster rate: not a contradiction, labelled so
    chk = SlopeCheck(predicted=-0.5, side="upper", tol=1.0, alternatives={"faster": f.slope - 1e-3})
    r = chk.evaluate(m)
    assert r.passed and "admits faster" in r.sentence and r.alternatives == {}
    # an alternative outside the band contradicts the claim: a CI that reaches it cannot pass
    chk = SlopeCheck(predicted=-0.5, side="upper", tol=0.0, alternatives={"slower": -0.47})
    r = chk.evaluate(m)
    assert r.outcome != "passed" and r.alternatives == {"slower": False}
    assert "cannot distinguish from slower" in r.sentence


def test_curvature_is_a_finding_of_its_own():
    rng = np.random.default_rng(0)
    x = np.geomspace(10, 1e4, 7)
    u = np.log(x)
    # a curved window (the local slope moves from -0.3 to -0.9) and a straight one
    curved = np.exp(-0.6 * u - 0.3 * ((u - u.mean()) / (u.max() - u.min())) ** 2 * (u.max() - u.min())
                    + 0.02 * rng.standard_normal((16, 7)))
    straight = np.exp(-0.6 * u + 0.02 * rng.standard_normal((16, 7)))
    chk = SlopeCheck(predicted=-0.6, side="two-sided", tol=0.2)
    r = chk.evaluate(Measurement(x=x, y=straight))
    assert r.passed and "curvature" in r.sentence
    r = chk.evaluate(Measurement(x=x, y=curved))
    assert r.outcome == "inconclusive" and "curved beyond" in r.sentence
    # a claim that declares the tilt in advance is not held to a straight line
    assert SlopeCheck(predicted=-0.6, side="two-sided", tol=0.2, max_tilt=1.0).evaluate(
        Measurement(x=x, y=curved)).passed
    # an upper band admits a decay that speeds up toward the end, not one that slows down
    assert SlopeCheck(predicted=-0.4, side="upper", tol=0.1).evaluate(Measurement(x=x, y=curved)).passed
    slowing = np.exp(np.log(curved) + 0.6 * ((u - u.mean()) / (u.max() - u.min())) ** 2 * (u.max() - u.min()))
    r = SlopeCheck(predicted=-0.4, side="upper", tol=0.1).evaluate(Measurement(x=x, y=slowing))
    assert r.outcome == "inconclusive" and "toward a slope outside the band" in r.sentence


def test_an_empty_window_is_an_error_never_a_rejection():
    m = _meas(-0.5)
    r = SlopeCheck(predicted=-0.5, tol=0.1, window={"x_min": 1e9}).evaluate(m)
    assert r.outcome == "error" and not r.rejects()
    assert r.alternatives == {}


def test_floor_window_is_a_typed_value_of_the_measurement():
    m = _meas(-1.0)
    m.y[:, -2:] = 1e-9
    chk = SlopeCheck(predicted=-1.0, side="two-sided", tol=0.1, floor_factor=3.0)
    m.floor = 1e-9
    r = chk.evaluate(m)
    assert r.passed and len(r.fit.dropped) == 2
    m.floor = None  # a window relative to a floor the measurement lacks: no evidence
    r = chk.evaluate(m)
    assert r.outcome == "error" and "floor" in r.sentence


def test_pointwise_and_limit_report_the_fraction_of_violating_instances():
    chk = LimitCheck(intervals={"s": (0.0, 1.0)})
    r = chk.evaluate(Measurement(values={"s": np.full(59, 0.5)}))
    assert r.passed and r.counts.outside == 0
    assert 0.05 < r.counts.fraction_ci[1] < 0.07  # 0 of 59: at most ~6% (Clopper-Pearson)
    assert "0 of 59 independent instances" in r.uncertainty
    r = chk.evaluate(Measurement(values={"s": np.r_[np.full(50, 0.5), 2.0]}))
    assert r.outcome == "failed" and r.counts.outside == 1
    # nothing counted is no evidence: an error, which never rejects a control
    r = LimitCheck(intervals={"s": (0, 1)}, min_count=8).evaluate(Measurement(values={"s": np.ones(3) / 2}))
    assert r.outcome == "error" and not r.rejects()


def test_instances_are_the_unit_not_entries():
    # 8 instances x 100 iterations: one instance violating along its whole trajectory is one
    # violating instance of 8, not 100 of 800 entries
    v = np.full((8, 100), 0.5)
    v[3] = 2.0
    m = Measurement(values={"gap": v}, reference={"gap": np.ones((8, 100))})
    r = PointwiseCheck().evaluate(m)
    assert r.counts.outside == 1 and r.counts.counted == 8 and r.counts.entries == 800
    assert r.outcome == "failed"
    # two quantities on the same seeds are the same instances
    m.values["other"] = np.full((8, 100), 0.5)
    m.reference["other"] = np.ones((8, 100))
    assert PointwiseCheck().evaluate(m).counts.counted == 8
    # a deterministic chain given once, in a group of its own, counts once
    m.values["chain"] = np.full((1, 100), 0.5)
    m.reference["chain"] = np.ones((1, 100))
    m.instances["chain"] = "chain"
    assert PointwiseCheck().evaluate(m).counts.counted == 9
    # a declared tolerated rate: 1 of 8 is neither shown above nor below 25%
    r = PointwiseCheck(tolerated=0.25).evaluate(m)
    assert r.outcome == "inconclusive" and "tolerated 0.25" in r.sentence
    # with many instances and a small violating fraction it passes; a large one fails
    big = np.full((400, 3), 0.5)
    big[:4] = 2.0
    r = PointwiseCheck(tolerated=0.05).evaluate(Measurement(values={"q": big}, reference={"q": 1.0}))
    assert r.outcome == "passed"
    big[:100] = 2.0
    r = PointwiseCheck(tolerated=0.05).evaluate(Measurement(values={"q": big}, reference={"q": 1.0}))
    assert r.outcome == "failed" and r.rejects()


def test_slope_check_without_points_is_an_error_not_a_raise():
    m = _meas(-0.5)
    m.y[:] = np.nan
    r = SlopeCheck(predicted=-0.5, tol=0.1).evaluate(m)
    assert r.outcome == "error" and "no fit" in r.sentence


def test_pointwise_nan_counts_as_violation_and_empty_fails():
    chk = PointwiseCheck(rel_slack=1e-9, min_count=2)
    ok = Measurement(values={"a": np.array([0.5, 0.9])}, reference={"a": np.array([1.0, 1.0])})
    assert chk.evaluate(ok).passed
    bad = Measurement(values={"a": np.array([0.5, np.nan])}, reference={"a": np.array([1.0, 1.0])})
    assert not chk.evaluate(bad).passed
    empty = Measurement(values={"a": np.array([0.5, 0.9])}, reference={"a": 1.0},
                        mask={"a": np.array([False, False])})
    assert chk.evaluate(empty).outcome == "error"


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
    from theorylab.core.claims import Claim, Control
    from theorylab.core.verify import run_claim

    def never(ctx):  # must not run at quick size
        raise AssertionError("measured at quick size")

    c = Claim(id="demo.network_rate", title="t", statement="s", source="nowhere", tag="expected",
              check=LimitCheck(intervals={"q": (0, 1)}), measure=never,
              sizes={"quick": {}, "full": {}}, seeds={"quick": 2, "full": 8},
              controls=[Control("c", "d", lambda ctx: never(ctx))],
              needs_full="the network is far from its ERM at quick size")
    v = run_claim(c, "quick")
    assert v.status == "skipped" and "far from its ERM" in v.sentence and not v.passed
    with pytest.raises(ValueError, match="size"):
        run_claim(c, "medium")


def test_a_measurement_error_is_that_claims_failure_not_a_crash():
    from theorylab.core.claims import Claim, Control
    from theorylab.core.verify import run_claim

    def broken(ctx):
        raise RuntimeError("solver exploded")

    c = Claim(id="demo.broken", title="t", statement="s", source="nowhere", tag="expected",
              check=LimitCheck(intervals={"q": (0, 1)}), measure=broken,
              sizes={"quick": {}, "full": {}}, seeds={"quick": 2, "full": 8},
              controls=[Control("c", "d", lambda ctx: broken(ctx))])
    v = run_claim(c, "quick")
    assert v.status == "failed" and "solver exploded" in v.sentence


def _claim(measure, controls=(), check=None, cid="demo.claim"):
    from theorylab.core.claims import Claim

    return Claim(id=cid, title="t", statement="s", source="nowhere", tag="expected",
                 check=check or SlopeCheck(predicted=-0.5, side="upper", tol=0.0), measure=measure,
                 sizes={"quick": {}, "full": {}}, seeds={"quick": 2, "full": 8}, controls=controls)


def test_status_from_the_check_and_its_controls():
    from theorylab.core.claims import Control
    from theorylab.core.verify import run_claim

    good = lambda ctx: _noisy(-0.8, 0.05, 16)  # noqa: E731
    flat = lambda ctx: _noisy(0.0, 0.05, 16)  # noqa: E731
    edge = lambda ctx: _noisy(-0.47, 0.5, 4, seed=1)  # noqa: E731

    def broken(ctx):
        raise RuntimeError("solver exploded")

    assert run_claim(_claim(good, [Control("flat", "d", flat)])).status == "passed"
    assert run_claim(_claim(flat, [Control("flat", "d", lambda ctx: flat(ctx))])).status == "failed"
    assert run_claim(_claim(edge, [Control("flat", "d", flat)])).status == "inconclusive"
    # a control that passes the same check: the check cannot tell them apart
    v = run_claim(_claim(good, [Control("same", "d", lambda ctx: good(ctx))]))
    assert v.status == "failed" and "PASSED" in v.sentence
    # a control that crashes, or straddles the band, is never a rejection
    v = run_claim(_claim(good, [Control("crash", "d", broken)]))
    assert v.status == "failed" and v.controls[0].outcome == "error" and not v.controls[0].rejected
    v = run_claim(_claim(good, [Control("edge", "d", edge)]))
    assert v.status == "inconclusive" and v.control_rejected is False


def test_exit_status_of_verify():
    from theorylab.core.cli import exit_status

    assert exit_status(["passed", "skipped"]) == 0
    assert exit_status(["passed", "inconclusive"]) == 3
    assert exit_status(["inconclusive", "failed"]) == 1


def test_evidence_counts_claims_sharing_a_sweep_once():
    from theorylab.core.claims import Verdict
    from theorylab.core.verify import evidence

    vs = [Verdict("f.a", "slope", "passed", sources=[("f.shared", "s")]),
          Verdict("f.b", "slope", "passed", sources=[("f.shared", "s")]),
          Verdict("f.c", "slope", "passed", sources=[("f.c", "own")]),
          Verdict("f.d", "slope", "skipped")]
    ev = evidence(vs)
    assert (ev["claims_run"], ev["independent"], ev["shared"]) == (3, 2, [["f.a", "f.b"]])
    assert ev["theorem"] == {"run": 3, "passed": 3, "independent": 2}


def test_code_checks_and_derived_claims_are_counted_apart():
    from theorylab.core.claims import Verdict
    from theorylab.core.verify import evidence, evidence_text

    vs = [Verdict("f.a", "slope", "passed", sources=[("f.a", "s")]),
          Verdict("f.b", "slope", "failed", sources=[("f.b", "s")]),
          Verdict("f.ab", "slope", "passed", sources=[("f.a", "s")], derived_from=("f.a", "f.b")),
          Verdict("f.id", "identity", "passed", sources=[("f.id", "s")], evidence="code")]
    ev = evidence(vs)
    assert ev["theorem"] == {"run": 2, "passed": 1, "independent": 2}
    assert ev["code"] == {"run": 1, "passed": 1, "ids": ["f.id"]}
    assert ev["derived"] == {"f.ab": ["f.a", "f.b"]}
    # the same counts from results.json entries
    assert evidence([v.to_dict() for v in vs])["theorem"] == ev["theorem"]
    text = evidence_text(ev)
    assert "1 of 2 claims passed" in text and "1 of 1 passed" in text and "f.ab (from f.a, f.b)" in text


def test_evidence_label_and_derived_from_are_checked_at_definition():
    from theorylab.core.claims import Claim, Control
    from theorylab.core.registry import Family

    base = dict(id="f.x", title="t", statement="s", source="nowhere", tag="expected",
                check=LimitCheck(intervals={"q": (0, 1)}), measure=lambda ctx: None,
                sizes={"quick": {}, "full": {}}, seeds={"quick": 2, "full": 8},
                controls=[Control("c", "d", lambda ctx: None)])
    with pytest.raises(ValueError, match="evidence: claim f.x must be one of"):
        Claim(**base, evidence="bug")
    with pytest.raises(ValueError, match="derived_from: claim f.x needs a sequence"):
        Claim(**base, derived_from="f.y")
    with pytest.raises(ValueError, match="derived_from: family f has no claim f.x -> f.y"):
        Family("f", [Claim(**base, derived_from=("f.y",))])
    assert Family("f", [Claim(**base), Claim(**{**base, "id": "f.z"}, derived_from=["f.x"])]).claims[1].derived_from == ("f.x",)


def test_definition_errors_are_found_before_any_data():
    from theorylab.core.claims import Claim, Control, definition_errors

    def meas(ctx):
        raise AssertionError("must not run")

    base = dict(id="demo.def", title="t", statement="s", source="nowhere", tag="expected",
                measure=meas, sizes={"quick": {"ns": (8, 16, 32, 64)}, "full": {"ns": (8, 16, 32, 64, 128)}},
                seeds={"quick": 2, "full": 8})
    ok = SlopeCheck(predicted=-0.5, side="two-sided", tol=0.1, alternatives={"d": -1.0})
    other = lambda ctx: meas(ctx)  # noqa: E731
    assert definition_errors(Claim(check=ok, controls=[Control("c", "d", other)], **base)) == []
    # no control
    assert "no control" in definition_errors(Claim(check=ok, **base))[0]
    # a control that is the claim itself
    assert "own settings" in definition_errors(Claim(check=ok, controls=[Control("c", "d", meas)], **base))[0]
    # a two-sided band that contains an alternative
    wide = SlopeCheck(predicted=-0.5, side="two-sided", tol=0.6, alternatives={"d": -1.0})
    assert "contains the declared alternative d" in definition_errors(
        Claim(check=wide, controls=[Control("c", "d", other)], **base))[0]
    # a window that keeps too few points of the declared grid
    narrow = SlopeCheck(predicted=-0.5, side="two-sided", tol=0.1, window={"x_min": 40})
    errs = definition_errors(Claim(check=narrow, controls=[Control("c", "d", other)], grid="ns", **base))
    assert errs and "keeps 1 of the 4 points" in errs[0] and "quick" in errs[0]


def test_run_claim_refuses_a_claim_that_is_not_well_defined():
    from theorylab.core.claims import Claim
    from theorylab.core.verify import run_claim

    c = Claim(id="demo.nocontrol", title="t", statement="s", source="nowhere", tag="expected",
              check=LimitCheck(intervals={"q": (0, 1)}), measure=lambda ctx: None,
              sizes={"quick": {}, "full": {}}, seeds={"quick": 2, "full": 8})
    with pytest.raises(ValueError, match="demo.nocontrol is not well defined: it has no control"):
        run_claim(c)


def test_constancy_check_decides_from_a_simultaneous_interval():
    from theorylab.core.checks import ConstancyCheck, ConstancyResult

    rng = np.random.default_rng(0)
    x = np.array([0.125, 0.25, 0.5, 1.0])
    chk = ConstancyCheck(factor=1.37)
    flat = np.exp(0.05 * rng.standard_normal((64, 4)))
    r = chk.evaluate(Measurement(x=x, y=flat))
    assert isinstance(r, ConstancyResult) and r.outcome == "passed"
    assert r.predicted == 1.0 and r.tolerance == 1.37 and 1.0 <= r.ci[0] <= r.measured <= r.ci[1] < 1.37
    bent = np.exp(np.array([0.0, 0.6, 0.1, 0.3]) + 0.05 * rng.standard_normal((64, 4)))
    r2 = chk.evaluate(Measurement(series={"flat": (x, flat), "bent": (x, bent)}))
    assert r2.outcome == "failed" and r2.reported_series == "bent" and r2.ci[0] > 1.37
    assert not r2.rejects()  # as a control: the flat series passed, so it is not rejected
    assert chk.evaluate(Measurement(x=x, y=bent)).rejects()
    noisy = np.exp(0.1 * np.log(x) + 0.5 * rng.standard_normal((4, 4)))
    assert chk.evaluate(Measurement(x=x, y=noisy)).outcome == "inconclusive"
    one = flat.copy()
    one[1:, 2] = np.nan  # a grid point with one finite value: no evidence
    r3 = chk.evaluate(Measurement(x=x, y=one))
    assert r3.outcome == "error" and "grid point 2 keeps 1" in r3.sentence
    d = r2.to_dict()
    assert d["kind"] == "constancy" and d["series"]["bent"]["outcome"] == "failed"
    with pytest.raises(ValueError, match="factor"):
        ConstancyCheck(factor=1.0)


def test_log_spread_interval_is_simultaneous_and_contains_the_truth_at_its_level():
    from theorylab.core.fit import log_spread

    rng = np.random.default_rng(1)
    means = np.array([0.0, 0.2, 0.1])
    hits = 0
    for _ in range(200):
        sp = log_spread(np.exp(means + 0.3 * rng.standard_normal((8, 3))))
        hits += sp.lo <= 0.2 <= sp.hi
        assert sp.lo <= sp.spread <= sp.hi
    assert hits >= 190  # at least 95% (Bonferroni makes it conservative)
    with pytest.raises(ValueError, match="points >= 2"):
        log_spread(np.ones((5, 1)))


def test_a_constancy_verdict_is_calibrated_like_any_other():
    """calibrate's record reads each series' own number (a slope, or a constancy ratio)."""
    from theorylab.core.calibrate import record
    from theorylab.core.checks import ConstancyCheck
    from theorylab.core.claims import Control
    from theorylab.core.verify import run_claim

    rng = np.random.default_rng(3)
    x = np.array([0.125, 0.25, 0.5, 1.0])
    flat = lambda ctx: Measurement(x=x, y=np.exp(0.05 * rng.standard_normal((64, 4))))  # noqa: E731
    bent = lambda ctx: Measurement(x=x, y=np.exp(np.array([0, 1.0, 0, 1.0]) + 0.05 * rng.standard_normal((64, 4))))  # noqa: E731
    v = run_claim(_claim(flat, [Control("bent", "d", bent)], check=ConstancyCheck(factor=1.37)))
    assert v.status == "passed"
    r = record(v)
    assert r["series"][""]["outcome"] == "passed" and 1.0 <= r["series"][""]["ratio"] < 1.37
    assert r["controls"]["bent"]["rejected"] and r["controls"]["bent"]["series"] == {"": "failed"}

