import json
from pathlib import Path

import pytest

from theorylab.core.cli import main


@pytest.mark.parametrize("argv, needle", [
    (["verify", "no_such_claim"], "claim"),
    (["verify", "--size", "huge"], "--size"),
    (["verify", "--seeds", "0"], "--seeds"),
    (["verify", "--seeds", "many"], "--seeds"),
    (["report", "/nonexistent/dir"], "DIR"),
    (["verify", "--root", "-1"], "--root"),
    (["verify", "--root", "abc"], "--root"),
    (["calibrate", "large_lr", "--roots", "0"], "--roots"),
    (["calibrate", "large_lr", "--roots", "abc"], "--roots"),
    (["calibrate", "large_lr"], "--roots"),
    (["verify", "large_lr.catapult", "--out", "/nonexistent/parent/out"], "--out"),
    (["calibrate", "large_lr", "--roots", "2", "--out", "/nonexistent/parent/out"], "--out"),
    (["mutate", "nope"], "claim"),
    (["mutate", "large_lr", "--max", "0"], "--max"),
    (["mutate", "large_lr", "--out", "/nonexistent/parent/out"], "--out"),
    (["mutate", "large_lr", "--operator", "bogus"], "--operator"),
    (["mutate", "large_lr", "--pins", "/nonexistent/pins.json"], "--pins"),
    (["mutate", "large_lr", "--tests", ""], "--tests"),
    (["mutate", "large_lr", "--tests", "tests/'unclosed"], "--tests"),
    (["mutate"], "claims"),
])
def test_bad_input_is_one_line_and_exit_2(argv, needle, capsys):
    with pytest.raises(SystemExit) as e:
        code = main(argv)
        raise SystemExit(code)
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err and "Traceback" not in err


def test_list(capsys):
    assert main(["list"]) == 0
    assert "large_lr.critical_rate" in capsys.readouterr().out


def test_verify_writes_results_and_report(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["verify", "large_lr.imbalance_identity", "--out", str(out), "--no-cache", "-q"]) == 0
    res = json.loads((out / "results.json").read_text())
    c = res["claims"][0]
    for field in ("id", "passed", "kind", "predicted", "measured", "ci", "tolerance", "control_rejected", "figure"):
        assert field in c
    assert c["passed"] is True and c["control_rejected"] is True and c["kind"] == "identity"
    assert c["status"] == "passed" and c["outcome"] == "passed" and "deterministic" in c["uncertainty"]
    assert c["controls"][0]["outcome"] == "failed" and res["evidence"]["independent"] == 1
    assert (out / c["figure"]).exists()
    assert c["run"]["x64"] is True and res["provenance"]["version"]  # the family declares float64
    assert main(["report", str(out)]) == 0
    assert "large_lr.imbalance_identity" in (out / "report.md").read_text()


def test_out_that_is_a_file_is_refused_before_any_work(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["verify", "large_lr.catapult", "--out", str(f)]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and len(err.strip().splitlines()) == 1


def test_root_draws_fresh_seeds_and_root_0_is_the_default(tmp_path):
    import theorylab

    # critical_rate needs the full size for its evidence; force runs it at quick size anyway
    kw = dict(size="quick", cache_dir=tmp_path, force=True)
    v0, = theorylab.verify(["large_lr.critical_rate"], **kw)
    v0b, = theorylab.verify(["large_lr.critical_rate"], root=0, **kw)
    v1, = theorylab.verify(["large_lr.critical_rate"], root=1, **kw)
    assert v0.measured == v0b.measured and v0.root == 0 and v1.root == 1
    assert v1.measured != v0.measured and v1.outcome in ("passed", "inconclusive")
    assert theorylab.verify(["large_lr.critical_rate"], size="quick", cache_dir=tmp_path)[0].status == "skipped"


def test_calibrate_writes_rates_with_wilson_intervals_and_resumes(tmp_path, capsys):
    out = tmp_path / "cal"
    run = ["calibrate", "large_lr.critical_rate", "--run-full-only", "--out", str(out)]
    assert main(run + ["--roots", "1", "-q"]) == 0
    doc = json.loads((out / "calibration.json").read_text())
    assert list(doc["claims"]["large_lr.critical_rate"]["runs"]) == ["1"]
    # a second call with more roots keeps root 1 (resumes) and adds root 2 only
    assert main(run + ["--roots", "2"]) == 0
    err = capsys.readouterr().err
    assert "root 2" in err and "root 1:" not in err
    doc = json.loads((out / "calibration.json").read_text())
    s = doc["claims"]["large_lr.critical_rate"]["summary"]
    assert s["roots"] == 2 and s["passed"]["count"] == 2  # roots 1 and 2 both pass
    lo, hi = s["passed"]["wilson95"]
    assert 0.3 < lo < 0.5 and hi == 1.0  # Wilson interval of 2/2
    assert s["controls"]["below_critical"]["count"] == 2
    assert set(s["alternatives"]) == {"k^(-1) (quadratic step map)", "k^(-1/3) (quartic)"}
    assert s["alternatives"]["k^(-1/3) (quartic)"]["count"] == 2
    assert doc["provenance"]["size"] == "quick" and doc["roots"] == [1, 2]
    assert main(["report", str(out)]) == 0
    text = (out / "report.md").read_text()
    assert "Calibration" in text and "control below_critical" in text and "[0.34, 1.00]" in text
    # another claim calibrated into the same file is added; the first one's runs are kept
    assert main(["calibrate", "large_lr.imbalance_identity", "--roots", "1", "-q", "--run-full-only",
                 "--out", str(out)]) == 0
    doc = json.loads((out / "calibration.json").read_text())
    assert list(doc["claims"]["large_lr.critical_rate"]["runs"]) == ["1", "2"]
    assert list(doc["claims"]["large_lr.imbalance_identity"]["runs"]) == ["1"]
    # the file's roots are now the last call's (root 1); the kept claim is still counted over
    # both of its roots in the report, and the report says which call ran what
    assert main(["report", str(out), "--html"]) == 0
    text = (out / "report.md").read_text()
    row = next(line for line in text.splitlines() if line.startswith("| `large_lr.critical_rate`"))
    assert "2/2 [0.34, 1.00]" in row
    assert "The last call ran `large_lr.imbalance_identity` on roots 1..1" in text
    assert "roots 1..2 (2): `large_lr.critical_rate`" in text
    assert "2/2 [0.34, 1.00]" in (out / "report.html").read_text()


def test_one_folder_filled_by_several_runs_keeps_each_claim_with_its_run(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["verify", "large_lr.imbalance_identity", "--out", str(out), "-q"]) == 0
    assert main(["verify", "large_lr.catapult", "--out", str(out), "-q"]) == 0
    res = json.loads((out / "results.json").read_text())
    assert [c["id"] for c in res["claims"]] == ["large_lr.catapult", "large_lr.imbalance_identity"]
    for c in res["claims"]:
        assert c["run"]["code"] and c["run"]["backend"] == "cpu" and c["wall_s"] > 0
    assert res["evidence"]["claims_run"] == 2
    # another root is another experiment: the folder starts afresh
    assert main(["verify", "large_lr.catapult", "--out", str(out), "--root", "3", "-q"]) == 0
    assert [c["id"] for c in json.loads((out / "results.json").read_text())["claims"]] == ["large_lr.catapult"]
    assert main(["report", str(out)]) == 0
    assert "*Run*:" in (out / "report.md").read_text()


def test_gpu_only_claims_are_skipped_at_full_size_on_a_cpu(monkeypatch):
    import dataclasses

    from theorylab.core import verify as V
    from theorylab.core.claims import select

    claim = dataclasses.replace(select(["large_lr.catapult"])[0], needs_gpu="about 3 h on 2 cores")
    v = V.run_claim(claim, "full")
    assert v.status == "skipped" and "needs a GPU" in v.sentence and "3 h" in v.sentence
    assert V.skip_reason(claim, "quick") == "" and V.skip_reason(claim, "full", force=True) == ""


def test_progress_lines_with_eta_and_heartbeat_when_not_a_terminal():
    import io
    import time

    from theorylab.core.sweep import Progress

    buf = io.StringIO()
    p = Progress("claim [sim]", 3, True, interval=0.2, stream=buf)
    time.sleep(0.5)  # a long first cell: the heartbeat says which cell runs
    p.step(computed_s=0.5)
    p.step("(cached)")
    time.sleep(0.25)
    p.step(computed_s=0.25)
    p.close()
    lines = buf.getvalue().splitlines()
    assert any("cell 1 running for" in ln for ln in lines)
    assert lines[-1].strip().startswith("claim [sim]: 3/3 cells") and "\r" not in buf.getvalue()
    assert Progress("x", 4, False).eta() is None
    q = Progress("x", 4, False)
    q.step(computed_s=2.0)
    q.step("(cached)")
    assert q.eta() == 4.0  # 2 s per computed cell, 2 cells left


def test_a_run_cut_off_half_way_keeps_its_finished_claims_and_cells_and_resumes(tmp_path, monkeypatch):
    import dataclasses

    import theorylab
    from theorylab.core import claims as C

    out, cache = tmp_path / "out", tmp_path / "cache"
    ids = ["large_lr.imbalance_identity", "large_lr.catapult"]
    real = C.select(ids)

    def interrupted(ctx):
        raise KeyboardInterrupt  # the second claim is cut off

    cut = [real[0], dataclasses.replace(real[1], measure=interrupted)]
    monkeypatch.setattr(C, "select", lambda sel: cut)
    monkeypatch.setattr("theorylab.core.verify.select", lambda sel: cut)
    with pytest.raises(KeyboardInterrupt):
        theorylab.verify(ids, out_dir=out, cache_dir=cache)
    kept = json.loads((out / "results.json").read_text())["claims"]
    assert [c["id"] for c in kept] == ["large_lr.imbalance_identity"]
    monkeypatch.undo()
    v = theorylab.verify(ids, out_dir=out, cache_dir=cache)
    assert [x.status for x in v] == ["passed", "passed"]
    assert v[0].info["sweep"].get("computed", 0) == 0  # the finished claim's cells came from the cache
    assert v[1].info["sweep"]["computed"] > 0


def test_report_and_docs_print_an_interval_unbounded_on_one_side(tmp_path, capsys):
    """JSON stores infinities as "inf"/"-inf" (a one-sided tolerance); reports print them."""
    import shutil
    from pathlib import Path

    rec = Path(__file__).resolve().parent.parent / "results" / "full-cpu-distribution-recovery"
    shutil.copy(rec / "results.json", tmp_path / "results.json")
    assert main(["report", str(tmp_path)]) == 0
    text = (tmp_path / "report.md").read_text()
    assert "-inf..inf" in text and "diffusion.distribution_recovery" in text
    assert main(["docs", "diffusion", "--results", str(tmp_path / "results.json"),
                 "--out", str(tmp_path / "claims.md")]) == 0
    assert "[-inf, inf]" in (tmp_path / "claims.md").read_text()


def test_report_html_is_one_self_contained_page_with_every_figure(tmp_path):
    """`theorylab report DIR --html` on a recorded folder with a calibration in a subfolder:
    the page parses with balanced tags, embeds every figure as a data URI (no file it points
    to), names every claim, and carries the calibration table."""
    import shutil
    from html.parser import HTMLParser
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "results"
    shutil.copytree(root / "full-gpu", tmp_path / "run")
    (tmp_path / "run" / "calibration").mkdir()
    shutil.copy(root / "calibration-full-cpu" / "calibration.json", tmp_path / "run" / "calibration")
    assert main(["report", str(tmp_path / "run"), "--html"]) == 0
    page = (tmp_path / "run" / "report.html").read_text()

    class Page(HTMLParser):
        void = {"meta", "img", "br", "hr", "link", "input"}

        def __init__(self):
            super().__init__()
            self.stack, self.imgs, self.ids, self.errors = [], [], set(), []

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "img":
                self.imgs.append(a.get("src", ""))
            if "id" in a:
                self.ids.add(a["id"])
            if tag not in self.void:
                self.stack.append(tag)

        def handle_endtag(self, tag):
            if not self.stack or self.stack.pop() != tag:
                self.errors.append(tag)

    p = Page()
    p.feed(page)
    p.close()
    assert not p.errors and not p.stack, (p.errors, p.stack)
    res = json.loads((tmp_path / "run" / "results.json").read_text())
    figured = [c for c in res["claims"] if c.get("figure") and (tmp_path / "run" / c["figure"]).exists()]
    assert figured and len(p.imgs) == len(figured)
    assert all(src.startswith("data:image/png;base64,") for src in p.imgs)
    assert {c["id"] for c in res["claims"]} <= p.ids
    assert "Calibration over fresh root seeds" in page and "calibration/calibration.json" in page
    assert "Wilson 95%" in page and "rpmd.increasing_steps_linear" in page


@pytest.mark.parametrize("argv, near", [
    (["verify", "large_lr.critcal_rate"], "large_lr.critical_rate"),
    (["calibrate", "hpmdd", "--roots", "2"], "hpmd"),
    (["list", "rank_on"], "rank_one"),
    (["verify", "nosuch.critical_rat"], "large_lr.critical_rate"),  # an unknown family: the claim's name
    (["verify", "nosuch.rate_in_t"], "diffusion.score_rate_in_n"),
])
def test_an_unknown_selector_suggests_its_near_matches(argv, near, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and near in err.split("did you mean ")[1].rstrip("?").split(", ")


def test_calibrate_without_out_writes_a_default_folder_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["calibrate", "large_lr.imbalance_identity", "--roots", "1"]) == 0
    cap = capsys.readouterr()
    assert "writing to theorylab-calibration-quick/" in cap.err
    assert (tmp_path / "theorylab-calibration-quick" / "calibration.json").exists()
    assert "theorylab-calibration-quick/calibration.json" in cap.out
    # verify without --out writes nothing (its verdicts are on standard output)
    (tmp_path / "theorylab-calibration-quick").rename(tmp_path / "kept")
    assert main(["verify", "large_lr.imbalance_identity", "-q"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept"]


def test_an_accelerator_at_tf32_precision_is_warned_about():
    from theorylab.core.cli import matmul_precision_warning

    line = matmul_precision_warning("gpu", None)
    assert "JAX_DEFAULT_MATMUL_PRECISION=highest" in line and "\n" not in line
    assert matmul_precision_warning("gpu", "tensorfloat32")
    assert matmul_precision_warning("gpu", "highest") is None and matmul_precision_warning("gpu", "float32") is None
    assert matmul_precision_warning("cpu", None) is None


def _recorded_verdicts(path):
    """The verdicts of a results.json, as the table reads them (infinities stored as strings)."""
    from types import SimpleNamespace as N

    def num(v):
        if isinstance(v, str) and v in ("inf", "-inf", "nan"):
            return float(v)
        if isinstance(v, list):
            return [num(x) for x in v]
        return {k: num(x) for k, x in v.items()} if isinstance(v, dict) else v

    doc = json.loads((Path(__file__).resolve().parent.parent / path).read_text())
    return [N(claim_id=c["id"], predicted=num(c["predicted"]), measured=num(c["measured"]), ci=num(c["ci"]),
              status=c["status"], control_rejected=c.get("control_rejected"),
              controls=[N(name=x["name"], rejected=x["rejected"]) for x in c.get("controls") or []])
            for c in doc["claims"]]


@pytest.mark.parametrize("path", ["results/quick-root0/results.json", "results/full-cpu/results.json"])
def test_the_verify_table_fits_100_columns(path):
    """Every claim of the recorded runs: limit checks' bands and values show as their count (they
    are in the sentences verify prints below the table), and no line passes 100 columns."""
    from theorylab.core.report import verdict_table

    verdicts = _recorded_verdicts(path)
    text = verdict_table(verdicts)
    lines = text.splitlines()
    assert max(len(x) for x in lines) <= 100, max(lines, key=len)
    for v in verdicts:
        row = next(x for x in lines if x.split()[0] == v.claim_id)
        assert row.split()[-1] == v.status.upper()
        if isinstance(v.predicted, dict):
            assert f"{len(v.predicted)} limit" in row
    assert "sentence below" in lines[-1]


def test_the_verify_table_never_cuts_a_claim_id():
    from types import SimpleNamespace as N

    from theorylab.core.report import verdict_table

    long_id = "a_family_with_a_long_name." + "x" * 80
    v = N(claim_id=long_id, predicted=-0.5, measured=-0.51234, ci=[-0.6, -0.4], status="passed",
          control_rejected=True, controls=[N(name="c", rejected=True)])
    row = verdict_table([v]).splitlines()[2]
    assert row.startswith(long_id) and row.endswith("PASSED") and "rejected" in row


def test_a_reader_that_goes_away_ends_the_command_quietly():
    """`theorylab list | head -1`: the command stops with exit 0 and no traceback once the
    reader has closed the pipe."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    p = subprocess.Popen([sys.executable, "-m", "theorylab.core.cli", "list", "-v"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env, cwd=root, bufsize=0)
    first = p.stdout.read(10)
    p.stdout.close()  # the reader goes away before the listing is written
    err = p.stderr.read().decode()
    assert first and p.wait(timeout=120) == 0, err
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
