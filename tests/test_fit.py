import numpy as np
import pytest

from theorylab.core.fit import fit_rate


def _power_law(slope, seeds=16, noise=0.05, seed=0):
    rng = np.random.default_rng(seed)
    x = np.geomspace(10, 1e4, 8)
    y = 3.0 * x**slope * np.exp(noise * rng.standard_normal((seeds, x.size)))
    return x, y


def test_recovers_known_slope_and_ci_covers_it():
    x, y = _power_law(-0.7)
    f = fit_rate(x, y)
    assert abs(f.slope + 0.7) < 0.02
    assert f.ci[0] <= -0.7 <= f.ci[1]
    assert f.r2 > 0.99 and len(f.local_rates) == 7 and f.n_seeds == 16


def test_ci_coverage_is_roughly_nominal():
    # 95% intervals should cover the true slope in most of 40 independent experiments
    cis = [fit_rate(*_power_law(-0.5, seeds=8, seed=s)).ci for s in range(40)]
    covered = sum(lo <= -0.5 <= hi for lo, hi in cis)
    assert covered >= 32


def test_window_and_floor_are_recorded():
    x, y = _power_law(-1.0)
    y[:, -2:] = 1e-16  # a precision floor
    f = fit_rate(x, y, x_min=20, floor=1e-12)
    reasons = dict(f.dropped)
    assert reasons[10.0] == "below x_min"
    assert list(reasons.values()).count("at floor") == 2
    assert abs(f.slope + 1.0) < 0.03


def test_geometric_rate():
    k = np.arange(0, 50, 5.0)
    y = 2.0 * 0.9**k
    f = fit_rate(k, y, log_x=False)
    assert f.slope == pytest.approx(np.log(0.9), rel=1e-9)


def test_too_few_points_and_bad_shapes():
    x, y = _power_law(-1.0)
    with pytest.raises(ValueError, match="window"):
        fit_rate(x, y, x_min=5e3)
    with pytest.raises(ValueError, match="y"):
        fit_rate(x, y[:, :3])
    with pytest.raises(ValueError, match="x"):
        fit_rate(x[::-1], y)
