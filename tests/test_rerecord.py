"""docs/rerecord.py: the re-record plan of a family is read off the records it holds."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs"))

import rerecord  # noqa: E402


def test_the_plan_covers_every_record_that_holds_the_family_with_its_roots():
    steps = rerecord.plan("manifold")
    by = {}
    for s in steps:
        by.setdefault(s["record"], []).append(s)
    assert set(by) == {"full-cpu", "quick-root0", "calibration-quick", "calibration-fresh",
                       "calibration-full-cpu-network", "mutation/manifold"}
    net = by["calibration-full-cpu-network"][0]["argv"]  # the network rate's fresh roots at full size
    assert net[:2] == ["calibrate", "manifold.network_rate_in_n"] and "--size full --roots" in " ".join(net)
    assert all(c.startswith("manifold.") for s in steps[:-1] for c in s["claims"])
    full = by["full-cpu"][0]["argv"]
    assert full[:1] == ["verify"] and "manifold.network_rate_in_n" in full and full[-4:] == ["--size", "full", "--out", "$R/full-cpu"]
    fresh = by["calibration-fresh"][0]["argv"]  # knn was calibrated on roots 21..25 at quick size, forced
    assert fresh[1:2] == ["manifold.knn_rate_in_n"] and "--roots 5 --first-root 21 --run-full-only" in " ".join(fresh)
    mut = by["mutation/manifold"][0]["argv"]
    assert mut[:2] == ["mutate", "manifold"] and "--tests" in mut and "tests/test_manifold.py" in mut


def test_claims_calibrated_on_other_roots_get_calls_of_their_own(tmp_path):
    import json

    (tmp_path / "calibration-fresh").mkdir()
    doc = {"meta": {"size": "quick", "force": False},
           "claims": {"large_lr.balancing": {"runs": {"21": {}, "22": {}, "30": {}}},
                      "large_lr.catapult": {"runs": {"1": {}, "2": {}}},
                      "pmd.johnson_bound": {"runs": {"1": {}}}}}
    (tmp_path / "calibration-fresh" / "calibration.json").write_text(json.dumps(doc))
    argvs = [" ".join(s["argv"]) for s in rerecord.plan("large_lr", tmp_path)]
    assert argvs == [
        "calibrate large_lr.balancing --size quick --roots 2 --first-root 21 --out $R/calibration-fresh",
        "calibrate large_lr.balancing --size quick --roots 1 --first-root 30 --out $R/calibration-fresh",
        "calibrate large_lr.catapult --size quick --roots 2 --first-root 1 --out $R/calibration-fresh"]


def test_an_unknown_family_is_one_line_and_exit_2(capsys):
    assert rerecord.main(["nosuch"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "family" in err[0] and "manifold" in err[0]


def test_the_printed_plan_ends_with_what_follows_the_records(capsys):
    assert rerecord.main(["rank_one"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# re-make the records of family rank_one") and "docs/readme_table.py" in out
    assert "theorylab verify rank_one." in out and "theorylab mutate rank_one" in out
