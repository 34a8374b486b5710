"""docs/claims.md is what `theorylab docs` generates from the claims (it cannot drift), and no
file of the repository points users at a spec they do not have."""

import subprocess
from pathlib import Path

import theorylab
from theorylab.core.docs import check_text, claims_markdown

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "claims.md"
RESULTS = "results/full-cpu/results.json"
REGEN = f"theorylab docs diffusion large_lr manifold pmd rank_one --results {RESULTS} --out docs/claims.md"


def _own_families():
    return [f for f in theorylab.families() if f.package.startswith("theorylab.")]


def test_docs_are_generated_from_the_claims(monkeypatch):
    monkeypatch.chdir(ROOT)
    text = claims_markdown(_own_families(), RESULTS)
    assert DOCS.read_text() == text, f"docs/claims.md is stale: regenerate it with `{REGEN}`"


def test_every_claim_has_its_notes_in_the_docs():
    text = DOCS.read_text()
    for c in theorylab.claims():
        if c.package.startswith("theorylab."):
            assert f"### `{c.id}`: {c.title}" in text
            assert c.statement in text and check_text(c.check) in text


def test_no_file_points_at_a_spec_users_do_not_have():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    if not files:  # not a git checkout (an sdist): scan what is there
        files = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file() and ".git" not in p.parts]
    hits = []
    for f in files:
        p = ROOT / f
        if p.is_file() and p.suffix in (".py", ".md", ".json", ".toml", ".sh", ".txt", ""):
            if "THEOREMS" + ".md" in p.read_text(errors="ignore"):
                hits.append(f)
    assert not hits, hits
