"""benchmarks/profile_full.py: per-claim wall time split into parts that add up to it."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "profile_full.py"


def test_profile_splits_each_claims_wall_time_into_parts_that_add_up(tmp_path):
    r = subprocess.run([sys.executable, str(SCRIPT), "large_lr.catapult", "large_lr.critical_rate",
                        "--size", "quick", "--out", str(tmp_path)], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    rec = json.loads((tmp_path / "profile.json").read_text())
    assert rec["provenance"]["size"] == "quick" and rec["provenance"]["git_commit"]
    assert rec["skipped"] == ["large_lr.critical_rate"]  # needs the full size
    (row,) = rec["claims"]
    assert row["id"] == "large_lr.catapult" and row["status"] == "passed"
    parts = [row[p] for p in rec["parts"]]
    assert abs(sum(parts) - row["wall_s"]) < 0.01 and min(parts[:-1]) >= 0
    assert row["compile_s"] > 0 and row["figure_s"] > 0 and row["rss_mb"] > 0
    assert "large_lr.catapult" in (tmp_path / "profile.txt").read_text()


def test_profile_bad_claim_is_one_line_and_exit_2():
    r = subprocess.run([sys.executable, str(SCRIPT), "no_such_family.claim"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2 and "claims" in r.stderr
