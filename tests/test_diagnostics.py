"""The diagnosis scripts under benchmarks/ (they record values under results/diagnostics/):
their summaries count what they say, and bad input names the parameter (exit 2)."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import diffusion_floor  # noqa: E402
import manifold_control  # noqa: E402
import rpmd_envelope  # noqa: E402
import rpmd_iterations  # noqa: E402


def test_rpmd_envelope_counts_instances_that_cross_and_the_tail_contraction():
    g = rpmd_envelope.GAMMA
    k = np.arange(40)
    on = 0.45 * g ** k            # D_0 = 0: the envelope is gap_0 gamma^k, and this row is on it
    slow = 0.5 * 0.95 ** k        # contracts by 0.95 > gamma a step: crosses from k = 1
    f = np.stack([on, slow])
    s = rpmd_envelope.summarise(f, np.zeros_like(f))
    assert (s["instances"], s["crossing"], s["first_crossing_k_min"]) == (2, 1, 1)
    lo, hi = s["crossing_fraction_ci95"]
    assert 0 < lo < 0.5 < hi <= 1  # Clopper-Pearson for 1 of 2
    assert s["tail_contraction_max"] == pytest.approx(0.95, abs=1e-9)
    assert s["tail_contraction_over_gamma"] == 1 and s["worst_ratio"] > 1


def test_rpmd_envelope_runs_the_four_cells_on_the_same_instances(tmp_path):
    import theorylab

    with theorylab.x64():
        cells = rpmd_envelope.run_cells([1], 3, 12, (0.0, 0.2), ("linear", "geometric"))
    assert set(cells) == {(0.0, "linear"), (0.0, "geometric"), (0.2, "linear"), (0.2, "geometric")}
    f0 = {c: v[0][:, 0] for c, v in cells.items()}
    # the same instances and the same start: gap_0 agrees across schedules at each radius
    assert np.allclose(f0[(0.0, "linear")], f0[(0.0, "geometric")])
    assert np.allclose(f0[(0.2, "linear")], f0[(0.2, "geometric")])
    assert all(np.all(np.isfinite(v[0])) and v[0].shape == (3, 13) for v in cells.values())


def test_rpmd_iterations_counts_steps_to_each_accuracy_and_censors_past_the_budget():
    k = np.arange(61)
    fast = 2.0 * 0.5 ** k          # halves a step: 10^-j is reached at ceil(j log2 10)
    slow = 2.0 * 0.9 ** k          # reaches 10^-1, 10^-2 in 22, 44 steps, not 10^-3 by k = 60
    N = rpmd_iterations.iterations(np.stack([fast, slow]))
    assert N[0].tolist() == [float(np.ceil(j * np.log2(10))) for j in range(1, 7)]
    assert N[1, :2].tolist() == [22.0, 44.0] and np.all(np.isinf(N[1, 2:]))
    # the 90th percentile is an order statistic: a censored one is +inf, and so is the slope
    assert np.isinf(rpmd_iterations.q90_slope(N.T))
    assert rpmd_iterations.q90_slope(N[:1].T) == pytest.approx(
        np.polyfit(np.log(1 / rpmd_iterations.EPS), np.log(N[0]), 1)[0])
    # N = c / Delta over 40 instances: the slope of log N on log(1/Delta) is 1 at every eps
    delta = np.geomspace(1e-3, 1e-1, 40)
    out = rpmd_iterations.gap_dependence(np.outer(1 / delta, np.ones(6)), delta)
    assert all(v[0] == pytest.approx(1.0) and v[3] == 40 for v in out.values())


@pytest.mark.parametrize("script, argv, name", [
    (rpmd_iterations, ["--steps", "0"], "--steps"),
    (rpmd_envelope, ["--roots", "0"], "--roots"),
    (manifold_control, ["--seeds", "1"], "--seeds"),
    (manifold_control, ["--steps", "30"], "--steps"),
    (diffusion_floor, ["--seeds", "1"], "--seeds"),
])
def test_diagnosis_bad_input_names_the_parameter_and_exits_2(script, argv, name, capsys):
    with pytest.raises(SystemExit) as e:
        script.main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and name in err[-1]
