"""Carry recorded results across a change of the code-fingerprint rule, only where provably valid.

A record stores the fingerprint of the code that made it. When the rule that computes fingerprints
changes (which files count as result-deciding), every old fingerprint stops matching although no
result-deciding byte changed. This script re-stamps a record's fingerprint with the new rule's
value, and only when that is true:

1. it computes, from git, the old rule's fingerprint at commit ``--from`` for each built-in family
   (the old rule hashed every ``*.py`` under ``theorylab/`` except other families' packages);
2. it checks that every file the new rule hashes (:func:`theorylab.core.results.result_sources`)
   is byte-identical at ``--from`` and in the working tree, and that the set of such files is the
   same;
3. in each JSON file given, it replaces a ``"code"`` value equal to an old fingerprint of step 1
   by the new fingerprint of the same family; any other value is left alone (a record by other
   code stays stale).

So a re-stamped record was made by code whose result-deciding sources are those of the working
tree. Usage::

    python docs/restamp.py --from f248674 results/quick-root0/results.json ...
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from theorylab.builtin import BUILTIN  # noqa: E402
from theorylab.core.results import atomic_write_json, code_fingerprint, result_sources  # noqa: E402


def _git(*args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=REPO, check=True, capture_output=True).stdout


def _tree_files(commit: str) -> list[str]:
    out = _git("ls-tree", "-r", "--name-only", commit, "theorylab").decode().split()
    return sorted(f[len("theorylab/"):] for f in out if f.endswith(".py"))


def old_rule_fingerprint(commit: str, package) -> str:
    """The fingerprint the rule before the change gave at ``commit``: every ``*.py`` under
    theorylab/, sorted by path, less other families' packages."""
    own = package.split(".")[1] if package else None
    h = hashlib.sha256()
    for rel in _tree_files(commit):
        parts = rel.split("/")
        top = parts[0] if len(parts) > 1 else None
        if package is not None and top not in (None, "core", own):
            continue
        h.update(rel.encode())
        h.update(_git("show", f"{commit}:theorylab/{rel}"))
    return h.hexdigest()[:16]


def mapping(commit: str) -> dict[str, str]:
    """Old fingerprint -> new fingerprint, after checking that the result-deciding sources of
    every package are identical at ``commit`` and in the working tree."""
    root = REPO / "theorylab"
    then = set(_tree_files(commit))
    out = {}
    for package in [None] + [".".join(t.split(".")[:2]) for t in BUILTIN]:
        now = result_sources(package, root)
        missing = [f for f in now if f not in then]
        if missing:
            raise SystemExit(f"restamp: error: {missing[0]} is result-deciding now but absent at {commit}")
        changed = [f for f in now if _git("show", f"{commit}:theorylab/{f}") != (root / f).read_bytes()]
        if changed:
            raise SystemExit(f"restamp: error: {changed[0]} differs between {commit} and the working tree")
        out[old_rule_fingerprint(commit, package)] = code_fingerprint(package)
    return out


def restamp(obj, table: dict[str, str], counts: dict):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "code" and isinstance(v, str) and v in table:
                obj[k] = table[v]
                counts[v] = counts.get(v, 0) + 1
            else:
                restamp(v, table, counts)
    elif isinstance(obj, list):
        for v in obj:
            restamp(v, table, counts)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--from", dest="commit", required=True, help="the commit the records were made at")
    p.add_argument("files", nargs="+", type=Path)
    a = p.parse_args(argv)
    table = mapping(a.commit)
    for old, new in table.items():
        print(f"{old} -> {new}")
    for f in a.files:
        doc = json.loads(f.read_text())
        counts: dict = {}
        restamp(doc, table, counts)
        if counts:
            atomic_write_json(f, doc)
        print(f"{f}: {sum(counts.values())} fingerprints re-stamped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
