"""docs/tutorial.md runs: every code block that starts with ``# file: PATH`` is written to a
folder, ``run.py`` is executed there, both claims pass with their controls rejected, each claim's
file stays within the 40 lines the tutorial promises, and the pyproject's entry point names the
family the page builds."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "tutorial.md"


def _files() -> dict[str, str]:
    blocks = re.findall(r"```(?:python|toml)\n(.*?)```", PAGE.read_text(), flags=re.S)
    files = {}
    for b in blocks:
        first, _, rest = b.partition("\n")
        if first.startswith("# file: "):
            files[first[len("# file: "):].strip()] = b
    return files


def test_the_tutorial_writes_the_files_it_promises():
    files = _files()
    assert set(files) == {"theorylab_toy/mc.py", "theorylab_toy/gd.py", "theorylab_toy/__init__.py",
                          "run.py", "pyproject.toml"}
    for claim_file in ("theorylab_toy/mc.py", "theorylab_toy/gd.py"):
        assert len(files[claim_file].strip().splitlines()) <= 40, claim_file
    ep = tomllib.loads(files["pyproject.toml"])["project"]["entry-points"]["theorylab.families"]
    assert ep == {"toy": "theorylab_toy:FAMILY"}


def test_the_tutorials_code_runs_and_its_claims_pass_with_controls_rejected(tmp_path):
    for name, text in _files().items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]),
               JAX_PLATFORMS="cpu", MPLBACKEND="Agg")
    check = ("import theorylab_toy as t; f = t.FAMILY; "
             "print('family', f.name, sorted(c.id for c in f.claims), f.package)")
    r = subprocess.run([sys.executable, "run.py"], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    lines = r.stdout.splitlines()
    # the output the page quotes
    for quoted in ("toy.mc_rate_in_n passed fitted slope -1.055 (95% CI -1.142..-0.968",
                   "toy.gd_sublinear_bound passed gap: worst measured/bound 0.13, 0 of 6400 entries over"):
        assert quoted.replace("\n", " ") in r.stdout and quoted in PAGE.read_text().replace("\n", " "), quoted
    assert [line.split()[1:] for line in lines if line.startswith("  control")] == [
        ["biased", "rejected"], ["step_near_2_over_L", "rejected"]], r.stdout
    r = subprocess.run([sys.executable, "-c", check], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.split("\n")[0] == ("family toy ['toy.gd_sublinear_bound', 'toy.mc_rate_in_n'] "
                                       "theorylab_toy")
