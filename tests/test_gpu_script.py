"""benchmarks/gpu_full.sh, the one command for a GPU machine, run here at quick size on the CPU
so that it cannot rot: one claim, every benchmark at toy sizes, the folder it promises."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "gpu_full.sh"


def _run(*args, tmp_path, console_script=True):
    """Run the script; without ``console_script``, on a PATH that has python but no ``theorylab``
    command (an offline GPU node where nothing was pip-installed)."""
    if console_script:
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    else:
        bare = tmp_path / "bare-bin"
        bare.mkdir()
        (bare / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        (bare / "python").chmod(0o755)  # a wrapper, not a link: a venv is found from the path run
        path = os.pathsep.join([str(bare), "/usr/bin", "/bin"])
    env = dict(os.environ, PATH=path)
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=900)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_gpu_script_runs_at_quick_size_and_writes_its_folder(tmp_path):
    out = tmp_path / "gpu"
    r = _run("--size", "quick", "--out", str(out), "large_lr.imbalance_identity", tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads((out / "results.json").read_text())
    assert [c["id"] for c in res["claims"]] == ["large_lr.imbalance_identity"]
    assert res["claims"][0]["status"] == "passed" and res["provenance"]["size"] == "quick"
    assert (out / "report.md").exists() and "jax" in (out / "machine.txt").read_text()
    # IEEE float32 matmuls (not TF32) wherever it runs, and the records say so
    assert "matmul precision highest" in (out / "machine.txt").read_text()
    assert res["provenance"]["matmul_precision"] == "highest"
    stages = dict(line.rsplit(" ", 1) for line in (out / "timings.txt").read_text().splitlines())
    assert "total" in stages and "verify(rc=0)" in stages
    for b in ("pmd", "rank_one", "large_lr", "manifold", "diffusion"):
        assert f"benchmark_{b}(rc=0)" in stages
        assert (out / "benchmarks" / f"{b}.txt").read_text().strip()
        rec = json.loads((out / "benchmarks" / f"{b}.json").read_text())
        assert rec["provenance"]["git_commit"] and rec["ratios"] and rec["timings_s"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_gpu_script_calibrates_over_fresh_roots(tmp_path):
    out = tmp_path / "gpu"
    r = _run("--size", "quick", "--out", str(out), "--no-bench", "--calibrate", "2", "--first-root", "5",
             "large_lr.imbalance_identity", tmp_path=tmp_path, console_script=False)
    assert r.returncode == 0, r.stderr[-2000:]
    cal = json.loads((out / "calibration" / "calibration.json").read_text())
    assert cal["roots"] == [5, 6] and cal["meta"]["size"] == "quick"
    assert cal["claims"]["large_lr.imbalance_identity"]["summary"]["passed"]["count"] == 2
    stages = dict(line.rsplit(" ", 1) for line in (out / "timings.txt").read_text().splitlines())
    assert "calibrate(rc=0)" in stages and not (out / "benchmarks" / "pmd.txt").exists()


def test_gpu_script_bad_input_is_one_line_and_exit_2(tmp_path):
    r = _run("--size", "huge", tmp_path=tmp_path)
    assert r.returncode == 2 and "--size" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = _run("--frobnicate", tmp_path=tmp_path)
    assert r.returncode == 2 and "unknown option" in r.stderr
    r = _run("--calibrate", "many", tmp_path=tmp_path)
    assert r.returncode == 2 and "--calibrate" in r.stderr and len(r.stderr.strip().splitlines()) == 1
