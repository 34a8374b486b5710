"""The README's table of claims is generated from the recorded results by
docs/readme_table.py (never typed by hand): a test fails when it is stale, and each row's
last cell starts with the status results/full-cpu/results.json holds for the claim (or, for a
claim that run lacks, the earlier record results/full-cpu-pre21/results.json, marked as made by
older code)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import theorylab

ROOT = Path(__file__).resolve().parent.parent


def _rows(start="<!-- claims-table:start -->", end="<!-- claims-table:end -->"):
    text = (ROOT / "README.md").read_text()
    rows = {}
    for line in text[text.index(start):text.index(end)].splitlines():
        m = re.match(r"\| `([a-z_]+\.[a-z_]+)`(?: \(by older code\))? \|", line)  # a marked row counts
        if m and line.count(" | ") >= 6:
            rows[m.group(1)] = [c.strip() for c in line.strip().strip("|").split(" | ")]
    return rows


def test_the_claims_table_is_generated_from_the_records():
    out = subprocess.run([sys.executable, str(ROOT / "docs" / "readme_table.py"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_every_claim_has_a_row_and_its_full_size_cell_matches_the_record():
    rows = _rows()
    assert set(rows) == {c.id for c in theorylab.claims()}
    def entries(rel):
        path = ROOT / rel
        return {e["id"]: e for e in json.loads(path.read_text())["claims"]} if path.exists() else {}

    final, earlier = entries("results/full-cpu/results.json"), entries("results/full-cpu-pre21/results.json")
    sys.path.insert(0, str(ROOT / "docs"))
    from readme_table import FULL_APART  # full-size records of the final code kept apart

    for rel in FULL_APART:
        final = {**entries(rel), **final}
    for cid, cells in rows.items():
        full = cells[-1].replace("*", "")
        if cid in final:  # marked too once the code changes under it
            assert re.sub(r"^by older code \(\w+\): ", "", full).startswith(final[cid]["status"]), (cid, full)
        elif cid in earlier:
            commit = earlier[cid]["run"]["git_commit"][:7]
            assert full.startswith(f"by older code ({commit}): {earlier[cid]['status']}"), (cid, full)
        else:
            assert full.startswith("not run"), (cid, full)


def test_the_gpu_table_quotes_every_claim_recorded_on_a_gpu():
    """Each entry of results/full-gpu/results.json has its row with its verdict."""
    path = ROOT / "results" / "full-gpu" / "results.json"
    if not path.exists():
        return
    rows = _rows("<!-- gpu-table:start -->", "<!-- gpu-table:end -->")
    entries = json.loads(path.read_text())["claims"]
    assert set(rows) == {e["id"] for e in entries}
    for e in entries:
        assert rows[e["id"]][1] == e["status"], (e["id"], rows[e["id"]])


def test_the_benchmarks_table_quotes_every_recorded_benchmark():
    """Each results/benchmarks/NAME.json has its row, with every ratio it recorded."""
    text = (ROOT / "README.md").read_text()
    block = text[text.index("<!-- benchmarks-table:start -->"):text.index("<!-- benchmarks-table:end -->")]
    records = sorted((ROOT / "results" / "benchmarks").glob("*.json"))
    if not records:
        assert "No benchmark is recorded yet" in block
    for f in records:
        rec = json.loads(f.read_text())
        row = next(line for line in block.splitlines() if line.startswith(f"| `{f.stem}` |"))
        assert rec["ratios"] and all(f"{k} **{v:.3g}×**" in row for k, v in rec["ratios"].items()), f.stem


def test_a_calibration_or_mutation_run_by_other_code_is_marked_as_older():
    """A record whose code fingerprint is not the code's now is marked, never shown as
    evidence about this code; one made by the code as it is carries no mark."""
    sys.path.insert(0, str(ROOT / "docs"))
    from readme_table import _older

    from theorylab.core.results import code_fingerprint

    claim = next(c for c in theorylab.claims() if c.id == "pmd.johnson_bound")
    assert _older({"code": "0" * 16}, claim.id).startswith("*by older code")
    assert _older({"code": code_fingerprint(claim.package)}, claim.id) == ""
    assert _older(None, claim.id) == ""
