import json

import pytest

from theorylab.core.cli import main


@pytest.mark.parametrize("argv, needle", [
    (["verify", "no_such_claim"], "claim"),
    (["verify", "--size", "huge"], "--size"),
    (["verify", "--seeds", "0"], "--seeds"),
    (["verify", "--seeds", "many"], "--seeds"),
    (["report", "/nonexistent/dir"], "DIR"),
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
    assert (out / c["figure"]).exists()
    assert res["provenance"]["x64"] is True and res["provenance"]["version"]
    assert main(["report", str(out)]) == 0
    assert "large_lr.imbalance_identity" in (out / "report.md").read_text()
