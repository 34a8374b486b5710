"""``theorylab mutate``: how many bugs planted in a family's simulation code its claims catch.

Mutation testing measures a test suite by planting small changes in the code and counting those
no test notices; here the tests are the claims. For the claims selected:

1. The family's *simulation modules* are every module of its package except its claims
   (``claims.py`` or a ``claims/`` package), ``figures.py`` and ``__init__.py``.
2. :data:`OPERATORS` name the rewrites; libcst finds every site of each in those modules and
   rewrites one site per mutant (the rest of the source is untouched, comments included).
3. Each mutant runs in a copy of the package in a temporary folder, never in place, in a fresh
   Python process that imports the copy first; its cell cache is keyed by the copy's code
   fingerprint, so nothing computed by other code is read. The process runs every selected claim
   of that package at ``size`` on root 0 (claims that need the full size too, as ``verify
   --run-full-only`` does) and measures each claim and control again for its pins
   (:func:`theorylab.core.pins.measurement_numbers`). A process that runs past ``timeout``
   seconds is stopped.
4. The unmutated copy runs first, the same way (the *baseline*). A mutant is **killed** when a
   claim that passed in the baseline failed or turned inconclusive, a control the baseline
   rejected was not rejected, a pinned number moved beyond its tolerance (the baseline's
   numbers with the pin file's tolerance rule, or ``--pins FILE``), the process raised, or it
   timed out; the record says which. It is **equivalent** when every number and verdict is the
   baseline's to float rounding, and **survived** otherwise.
5. With ``--tests ARGS`` (pytest arguments: a family's substrate tests, say), every mutant the
   claims and pins did not kill runs those tests too, in a process that imports the mutated copy
   before anything else; they must pass on the unmutated copy, and a failing test kills the
   mutant (the record names the test; ``claims_class`` keeps the class from claims and pins alone).
   A resumed run reruns the tests where they were other tests or their files changed since.
6. The kill rate of the non-equivalent mutants, with a Wilson 95% interval, is reported per
   family and per claim (a claim's rate counts the mutants that changed its own measurement);
   with tests, the rate from the claims and pins alone is reported beside it.

``mutation.json`` is rewritten after each mutant, so a run that stops resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

from .results import atomic_write_json, atomic_write_text, provenance

__all__ = ["OPERATORS", "Mutant", "simulation_modules", "find_mutants", "apply_mutant",
           "classify", "mutate", "report_markdown"]

#: operator -> what it does (the rewrite at one site)
OPERATORS = {
    "scale_constant_0.9": "a float literal c becomes c * 0.9",
    "scale_constant_1.1": "a float literal c becomes c * 1.1",
    "perturb_exponent": "the exponent b of a ** b becomes b * 1.1",
    "swap_min_max": "min <-> max, minimum <-> maximum, argmin <-> argmax (a call's name)",
    "flip_comparison": "< <-> >, <= <-> >=, == <-> !=",
    "shift_bound": "a slice's upper bound, or the stop of range/arange, minus one",
    "drop_term": "a + b or a - b becomes a",
    "constant_fold_in": "fold_in(key, i) becomes fold_in(key, 0)",
    "lower_precision": "float64 -> float32, float32 -> float16 (a dtype's name)",
}
_SWAP = {"min": "max", "max": "min", "minimum": "maximum", "maximum": "minimum", "argmin": "argmax",
         "argmax": "argmin", "amin": "amax", "amax": "amin", "nanmin": "nanmax", "nanmax": "nanmin"}
_LOWER = {"float64": "float32", "float32": "float16"}
EXCLUDED = ("__init__.py", "figures.py", "claims.py")


def _libcst():
    try:
        import libcst
    except ImportError:  # pragma: no cover - an install without the extra
        raise ValueError("mutate: needs libcst: pip install 'theorylab[mutate]'") from None
    return libcst


@dataclasses.dataclass(frozen=True)
class Mutant:
    """One rewrite of one site: ``module`` relative to the package folder, 1-based line."""

    package: str
    module: str
    operator: str
    index: int  # the site's rank among the operator's sites in the module
    line: int
    before: str
    after: str

    @property
    def id(self) -> str:
        return f"{self.package}:{self.module}:{self.line}:{self.operator}:{self.index}"


def package_dir(package: str) -> Path:
    """The folder of an importable package."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"mutate: {package} is not an importable package")
    return Path(list(spec.submodule_search_locations)[0])


def simulation_modules(package: str) -> list[str]:
    """The simulation modules of a family package, relative to its folder (see the module doc)."""
    root = package_dir(package)
    out = []
    for f in sorted(root.rglob("*.py")):
        rel = f.relative_to(root)
        if f.name in EXCLUDED or rel.parts[0] == "claims" or "__pycache__" in rel.parts:
            continue
        out.append(str(rel))
    return out


def _terminal_name(node) -> Optional[str]:
    cst = _libcst()
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def _rewrite(node, operator: str):
    """The rewritten node when ``operator`` applies to ``node``, else None."""
    cst = _libcst()
    if operator.startswith("scale_constant") and isinstance(node, cst.Float):
        c = float(node.value.replace("_", ""))
        if c == 0.0:
            return None
        f = 0.9 if operator.endswith("0.9") else 1.1
        return cst.Float(repr(c * f))
    if operator == "perturb_exponent" and isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Power):
        return node.with_changes(right=cst.BinaryOperation(
            left=cst.ensure_type(node.right, cst.BaseExpression).with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()]),
            operator=cst.Multiply(), right=cst.Float("1.1"), lpar=[cst.LeftParen()], rpar=[cst.RightParen()]))
    if operator == "swap_min_max" and isinstance(node, cst.Call):
        name = _terminal_name(node.func)
        if name in _SWAP:
            func = node.func
            if isinstance(func, cst.Name):
                return node.with_changes(func=func.with_changes(value=_SWAP[name]))
            return node.with_changes(func=func.with_changes(attr=cst.Name(_SWAP[name])))
        return None
    if operator == "flip_comparison" and isinstance(node, cst.ComparisonTarget):
        flips = {cst.LessThan: cst.GreaterThan, cst.GreaterThan: cst.LessThan,
                 cst.LessThanEqual: cst.GreaterThanEqual, cst.GreaterThanEqual: cst.LessThanEqual,
                 cst.Equal: cst.NotEqual, cst.NotEqual: cst.Equal}
        new = flips.get(type(node.operator))
        if new is None:
            return None
        op = node.operator
        return node.with_changes(operator=new(whitespace_before=op.whitespace_before,
                                              whitespace_after=op.whitespace_after))
    if operator == "shift_bound":
        minus_one = lambda e: cst.BinaryOperation(left=e, operator=cst.Subtract(  # noqa: E731
            whitespace_before=cst.SimpleWhitespace(" "), whitespace_after=cst.SimpleWhitespace(" ")),
            right=cst.Integer("1"), lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        if isinstance(node, cst.Slice) and node.upper is not None:
            return node.with_changes(upper=minus_one(node.upper))
        if isinstance(node, cst.Call) and _terminal_name(node.func) in ("range", "arange"):
            pos = [i for i, a in enumerate(node.args) if a.keyword is None and a.star == ""]
            if not pos:
                return None
            k = pos[0] if len(pos) == 1 else pos[1]
            args = list(node.args)
            args[k] = args[k].with_changes(value=minus_one(args[k].value))
            return node.with_changes(args=args)
        return None
    if operator == "drop_term" and isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Subtract)):
        if any(isinstance(s, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)) for s in (node.left, node.right)):
            return None
        return node.left.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    if operator == "constant_fold_in" and isinstance(node, cst.Call) and _terminal_name(node.func) == "fold_in":
        if len(node.args) != 2 or (isinstance(node.args[1].value, cst.Integer) and node.args[1].value.value == "0"):
            return None
        args = [node.args[0], node.args[1].with_changes(value=cst.Integer("0"))]
        return node.with_changes(args=args)
    if operator == "lower_precision" and isinstance(node, (cst.Name, cst.Attribute)):
        name = _terminal_name(node)
        if name in _LOWER:
            if isinstance(node, cst.Name):
                return node.with_changes(value=_LOWER[name])
            return node.with_changes(attr=cst.Name(_LOWER[name]))
    return None


def _sites(source: str, operator: str, target: int = -1):
    """Walk ``source``; return the list of (line, before, after) of the operator's sites and,
    when ``target`` >= 0, the source with that site rewritten."""
    cst = _libcst()
    from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

    wrapper = MetadataWrapper(cst.parse_module(source))
    module = wrapper.module
    found: list = []

    class Walk(cst.CSTTransformer):
        METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider)

        def on_leave(self, original, updated):
            if isinstance(original, cst.Name):  # the name of an attribute is its Attribute's site
                parent = self.get_metadata(ParentNodeProvider, original, None)
                if isinstance(parent, cst.Attribute) and parent.attr is original:
                    return updated
            new = _rewrite(original, operator)
            if new is None:
                return updated
            k = len(found)
            line = self.get_metadata(PositionProvider, original).start.line
            found.append((line, module.code_for_node(original), module.code_for_node(new)))
            if k == target:
                return _rewrite(updated, operator)
            return updated

    out = wrapper.visit(Walk())
    return found, (out.code if target >= 0 else None)


def find_mutants(package: str, modules: Optional[Sequence[str]] = None,
                 operators: Optional[Sequence[str]] = None) -> list[Mutant]:
    """Every site of every operator in the package's simulation modules, in a stable order."""
    root = package_dir(package)
    out = []
    for rel in modules or simulation_modules(package):
        src = (root / rel).read_text()
        for op in operators or OPERATORS:
            sites, _ = _sites(src, op)
            for i, (line, before, after) in enumerate(sites):
                if before.strip() == after.strip():
                    continue
                out.append(Mutant(package, rel, op, i, line, _clip(before), _clip(after)))
    return out


def _clip(s: str, n: int = 160) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 3] + "..."


def apply_mutant(m: Mutant, source: str) -> str:
    """``source`` with the mutant's one site rewritten."""
    _, new = _sites(source, m.operator, m.index)
    return new


# ----------------------------------------------------------------------------------------------
# Running a copy
# ----------------------------------------------------------------------------------------------
def _copy_root(package: str) -> tuple[str, Path]:
    """(top-level package name, its folder): theorylab itself for a built-in family."""
    top = package.split(".")[0]
    return top, package_dir(top)


@contextlib.contextmanager
def _mutant_copy(package: str, mutant: Optional[Mutant]):
    """A temporary folder holding a copy of ``package``'s top-level package with ``mutant``
    applied (none: unmutated), and the environment of a process that imports the copy first:
    ``(folder, copy of the top-level package, env)``."""
    top, src_root = _copy_root(package)
    with tempfile.TemporaryDirectory(prefix="theorylab-mutant-") as tmp:
        dest = Path(tmp) / top
        shutil.copytree(src_root, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        if mutant is not None:
            rel = Path(*package.split(".")[1:]) / mutant.module
            f = dest / rel
            f.write_text(apply_mutant(mutant, f.read_text()))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([tmp] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]),
                   THEORYLAB_PROGRESS_INTERVAL="3600")
        yield Path(tmp), dest, env


def _run_json(cmd: list, env: dict, cwd, out: Path, timeout: float) -> dict:
    """Run ``cmd``; its JSON record from ``out``, or ``{"error": ...}`` / ``{"timeout": s}``."""
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    wall = time.perf_counter() - t0
    if r.returncode != 0 or not out.exists():
        tail = [line for line in (r.stderr or "").strip().splitlines() if line.strip()]
        return {"error": tail[-1] if tail else f"exit status {r.returncode}", "wall_s": wall}
    rec = json.loads(out.read_text())
    rec["wall_s"] = wall
    if rec.get("rc"):  # a test run that did not pass: pytest's error, or its summary line, says why
        errors = [line for line in (r.stderr or "").splitlines() if line.startswith("ERROR")]
        tail = errors or [line for line in (r.stdout or "").strip().splitlines() if line.strip()]
        rec["tail"] = tail[-1][:300] if tail else ""
    return rec


def run_copy(package: str, claims: Sequence[str], size: str, mutant: Optional[Mutant],
             timeout: float, cache_dir: Path) -> dict:
    """Run ``claims`` in a fresh process on a copy of ``package`` with ``mutant`` applied (none:
    the baseline). Returns the worker's record, or ``{"error": ...}`` / ``{"timeout": s}``."""
    with _mutant_copy(package, mutant) as (tmp, dest, env):
        out = tmp / "record.json"
        # compiled programs the mutation left unchanged are read, not compiled again
        env.update(JAX_COMPILATION_CACHE_DIR=str(cache_dir.parent / "jax"),
                   JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0.5")
        cmd = [sys.executable, "-c", "from theorylab.core.mutate import _worker; _worker()",
               json.dumps({"claims": list(claims), "size": size, "out": str(out), "cache": str(cache_dir),
                           "expect": str(dest)})]
        return _run_json(cmd, env, tmp, out, timeout)


def run_tests(package: str, test_args: Sequence[str], mutant: Optional[Mutant], timeout: float,
              cwd=None) -> dict:
    """Run pytest with ``test_args`` (as on its command line, paths relative to ``cwd``, by
    default the current folder) in a fresh process that imports the copy of ``package`` with
    ``mutant`` applied before anything else, so the tests see the mutated code. Returns
    ``{"rc": pytest's exit code, "failed": [node ids], "wall_s": s}``, or ``{"error": ...}`` /
    ``{"timeout": s}``."""
    with _mutant_copy(package, mutant) as (tmp, dest, env):
        out = tmp / "tests.json"
        cmd = [sys.executable, "-c",
               "import sys; sys.path.insert(0, sys.argv[1]); "
               "from theorylab.core.mutate import _test_worker; _test_worker()",
               str(tmp), json.dumps({"args": list(test_args), "out": str(out), "top": dest.name,
                                     "expect": str(dest)})]
        return _run_json(cmd, env, cwd or os.getcwd(), out, timeout)


def _worker() -> None:  # pragma: no cover - runs in the mutant's process
    """In the copy's process: run the claims and their controls, measure them again for pins."""
    args = json.loads(sys.argv[1])
    from theorylab.core.pins import measurement_numbers
    from theorylab.core.registry import family_of_claim
    from theorylab.core.verify import measure, resolve_claim, run_claim

    import importlib.util

    expect = str(Path(args["expect"]).resolve())
    for cid in args["claims"]:
        origin = str(Path(importlib.util.find_spec(resolve_claim(cid).package).origin).resolve())
        if not origin.startswith(expect):
            raise SystemExit(f"mutate worker: imported {origin}, not the copy in {expect}")
    cache = Path(args["cache"])
    out = {"claims": {}}
    for cid in args["claims"]:
        claim = resolve_claim(cid)
        fam = family_of_claim(claim)
        v = run_claim(claim, args["size"], cache_dir=cache, force=True, progress=False)
        rec = {"status": v.status,
               "controls": {c.name: bool(c.rejected) for c in v.controls},
               "numbers": {}}
        for key, ctl in [(cid, None)] + [(f"{cid}/{c.name}", c.name) for c in claim.controls]:
            try:
                m = measure(claim, args["size"], control=ctl, cache_dir=cache)
                rec["numbers"][key] = measurement_numbers(m)
            except Exception as e:  # a measurement that raises is an outcome of the mutant
                rec["numbers"][key] = {"error": {"count": -1, "what": f"{type(e).__name__}: {e}"[:200]}}
        rec["x64"] = None if fam is None else fam.x64
        out["claims"][cid] = rec
    from theorylab.core.results import atomic_write_json as _w

    _w(args["out"], out)


def pytest_args(test_args) -> list:
    """The command line of a mutant's test run: the user's arguments, quiet, no cache, and all
    in this process: never in pytest-xdist's workers, which would import the installed package
    rather than the mutated copy ("-n 0" overrides a project configuration that asks for them)."""
    import importlib.util

    args = list(test_args) + ["-q", "-p", "no:cacheprovider"]
    if importlib.util.find_spec("xdist") is not None and "no:xdist" not in args:
        args += ["-n", "0"]
    return args


def _test_worker() -> None:  # pragma: no cover - runs in the mutant's process
    """In the copy's process: check that the copy is what gets imported, then run pytest and
    record the node ids that failed."""
    import importlib

    args = json.loads(sys.argv[2])
    top = importlib.import_module(args["top"])  # imported once, from the copy: tests reuse it
    origin = str(Path(top.__file__).resolve())
    if not origin.startswith(str(Path(args["expect"]).resolve())):
        raise SystemExit(f"mutate test worker: imported {origin}, not the copy in {args['expect']}")
    import pytest

    class Collect:
        failed: list = []

        def pytest_runtest_logreport(self, report):
            if report.failed:
                Collect.failed.append(report.nodeid)

    rc = int(pytest.main(pytest_args(args["args"]), plugins=[Collect()]))
    from theorylab.core.results import atomic_write_json as _w

    _w(args["out"], {"rc": rc, "failed": Collect.failed})


# ----------------------------------------------------------------------------------------------
# Classification and summaries
# ----------------------------------------------------------------------------------------------
def _same(a: dict, b: dict) -> bool:
    """Two measurement-number dicts equal to float rounding."""
    if set(a) != set(b):
        return False
    for k in a:
        x, y = a[k], b[k]
        if "count" in x or "count" in y:
            if x.get("count") != y.get("count"):
                return False
            continue
        u, w = x.get("value"), y.get("value")
        if (u is None) != (w is None):
            return False
        if u is not None and abs(u - w) > 1e-9 * max(abs(u), abs(w), 1e-12):
            return False
    return True


def classify(baseline: dict, record: dict, pins: dict) -> dict:
    """A mutant's class from its record and the baseline's: ``{"class": killed|survived|
    equivalent, "why": [...], "claims": {id: {"changed": bool, "caught": [...]}}}``.
    ``pins``: ``{key: pinned numbers with tolerances}`` for every claim and control key."""
    from .pins import compare_numbers

    if "timeout" in record:
        return {"class": "killed", "why": [f"timed out after {record['timeout']:.0f} s"], "claims": {}}
    if "error" in record:
        return {"class": "killed", "why": [f"raised: {record['error']}"], "claims": {}}
    why, per = [], {}
    for cid, base in baseline["claims"].items():
        rec = record["claims"].get(cid)
        caught = []
        if rec is None:
            per[cid] = {"changed": True, "caught": ["not run"]}
            why.append(f"{cid}: not run")
            continue
        if base["status"] == "passed" and rec["status"] != "passed":
            caught.append(f"claim {rec['status']}")
        for name, rejected in base["controls"].items():
            if rejected and not rec["controls"].get(name, False):
                caught.append(f"control {name} not rejected")
        changed = rec["status"] != base["status"] or rec["controls"] != base["controls"]
        for key, nums in rec["numbers"].items():
            if not _same(nums, base["numbers"].get(key, {})):
                changed = True
            moved = compare_numbers(pins.get(key, {}), nums)
            if moved:
                caught.append(f"pin {key} moved ({moved[0]}{'; +%d more' % (len(moved) - 1) if len(moved) > 1 else ''})")
        per[cid] = {"changed": changed, "caught": caught}
        why += [f"{cid}: {c}" for c in caught]
    if why:
        return {"class": "killed", "why": why, "claims": per}
    if not any(p["changed"] for p in per.values()):
        return {"class": "equivalent", "why": ["every number and verdict as the baseline's"], "claims": per}
    return {"class": "survived", "why": [f"{cid}: changed, inside every tolerance" for cid, p in per.items() if p["changed"]],
            "claims": per}


def tests_digest(test_args: Sequence[str], cwd=None) -> str:
    """A hash of the test files ``test_args`` name (paths, before any ``::``, relative to
    ``cwd``; a folder counts with every ``.py`` file under it): a resumed run whose tests were
    edited since runs them again."""
    base = Path(cwd or os.getcwd())
    h = hashlib.sha256()
    for a in test_args:
        if a.startswith("-"):
            continue
        path = base / a.split("::")[0]
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.is_file() else []
        for f in files:
            h.update(str(f.relative_to(base) if f.is_relative_to(base) else f).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def with_tests(cls: dict, tests: Optional[dict]) -> dict:
    """The classification ``cls`` (from :func:`classify`) once the test suite has run on the
    mutant (``tests``: :func:`run_tests`' record, none when it did not run): a failing test, a
    test run that raised or timed out kills it. ``claims_class`` keeps the class from the claims
    and pins alone."""
    out = dict(cls, claims_class=cls.get("claims_class", cls["class"]))
    if tests is None:
        return out
    if "timeout" in tests:
        why = [f"tests timed out after {tests['timeout']:.0f} s"]
    elif "error" in tests:
        why = [f"tests raised: {tests['error']}"]
    elif tests.get("rc"):
        why = [f"test {n} failed" for n in tests.get("failed") or ()] or [f"pytest exit status {tests['rc']}"]
    else:
        return out
    return dict(out, **{"class": "killed", "why": why})


def wilson(k: int, n: int) -> Optional[list]:
    from scipy import stats

    if n == 0:
        return None
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return [round(float(ci.low), 4), round(float(ci.high), 4)]


def summarise(doc: dict) -> dict:
    """Kill rates of non-equivalent mutants, per family package and per claim."""
    fam, per_claim = {}, {}
    tested = bool(doc.get("meta", {}).get("tests"))
    for rec in doc["mutants"].values():
        c = rec.get("class")
        if c is None:
            continue
        f = fam.setdefault(rec["mutant"]["package"], {"killed": 0, "survived": 0, "equivalent": 0})
        f[c] += 1
        if tested:  # the same counts from the claims and pins alone
            g = f.setdefault("claims_and_pins", {"killed": 0, "survived": 0, "equivalent": 0})
            g[rec.get("claims_class", c)] += 1
        for cid, p in (rec.get("claims") or {}).items():
            if p.get("changed"):
                s = per_claim.setdefault(cid, {"changed": 0, "caught": 0})
                s["changed"] += 1
                s["caught"] += bool(p.get("caught"))
    for f in fam.values():
        for g in (f, f.get("claims_and_pins")):
            if g is not None:
                n = g["killed"] + g["survived"]
                g["kill_rate"] = None if n == 0 else round(g["killed"] / n, 4)
                g["wilson95"] = wilson(g["killed"], n)
    for s in per_claim.values():
        s["rate"] = round(s["caught"] / s["changed"], 4)
        s["wilson95"] = wilson(s["caught"], s["changed"])
    return {"families": fam, "claims": dict(sorted(per_claim.items()))}


def _rate(f: dict) -> str:
    ci = f["wilson95"]
    return "-" if f["kill_rate"] is None else f"{f['kill_rate']:.2f} [{ci[0]:.2f}, {ci[1]:.2f}]"


def report_markdown(doc: dict) -> str:
    s = doc.get("summary") or summarise(doc)
    meta = doc["meta"]
    lines = ["# Mutation analysis", "",
             f"Selectors {', '.join(meta['selectors']) or 'all'}; size `{meta['size']}`, root 0; "
             f"{len(doc['mutants'])} mutants of {meta['sites']} sites (seed {meta['seed']}); "
             f"pins: {meta['pins']}. Killed: a claim that passed failed or turned inconclusive, a "
             "control was not rejected, a pinned number moved, the run raised or timed out. "
             "Rates are over non-equivalent mutants, with Wilson 95% intervals."
             + (f" Tests `{' '.join(meta['tests'])}` ran on every mutant the claims and pins did not "
                "kill; a failing test kills it (the last column: claims and pins alone)."
                if meta.get("tests") else ""), "",
             "| family package | killed | survived | equivalent | kill rate [Wilson 95%] |"
             + (" claims and pins alone |" if meta.get("tests") else ""),
             "|---|---|---|---|---|" + ("---|" if meta.get("tests") else "")]
    for name, f in s["families"].items():
        row = f"| `{name}` | {f['killed']} | {f['survived']} | {f['equivalent']} | {_rate(f)} |"
        if meta.get("tests") and "claims_and_pins" in f:
            g = f["claims_and_pins"]
            row += f" {g['killed']}/{g['survived']}/{g['equivalent']}: {_rate(g)} |"
        lines.append(row)
    lines += ["", "Per claim (mutants that changed the claim's own measurement; caught by its verdict, "
              "a control or a pin):", "", "| claim | changed | caught | rate [Wilson 95%] |", "|---|---|---|---|"]
    for cid, c in s["claims"].items():
        lines.append(f"| `{cid}` | {c['changed']} | {c['caught']} | {c['rate']:.2f} "
                     f"[{c['wilson95'][0]:.2f}, {c['wilson95'][1]:.2f}] |")
    lines += ["", "## Mutants", ""]
    for mid, rec in doc["mutants"].items():
        m = rec["mutant"]
        lines.append(f"- **{rec.get('class', 'pending')}** `{m['module']}:{m['line']}` {m['operator']}: "
                     f"`{m['before']}` -> `{m['after']}`" + (f" ({rec.get('wall_s', 0):.0f} s)" if rec.get("wall_s") else ""))
        for w in (rec.get("why") or [])[:4]:
            lines.append(f"  - {w}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------
# The command
# ----------------------------------------------------------------------------------------------
def _run_task(task: dict) -> dict:
    """One mutant (module-level, so that a Dask worker can run it): its claims, then, when the
    task names tests and the claims and pins did not kill it, the tests. A task with
    ``"tests_only"`` runs only the tests (a resumed mutant classified before)."""
    m = Mutant(**task["mutant"])
    if task.get("tests_only"):
        return {"tests": run_tests(m.package, task["tests"], m, task["tests_timeout"], task["cwd"])}
    rec = run_copy(m.package, task["claims"], task["size"], m, task["timeout"], Path(task["cache"]))
    if task.get("tests") and classify(task["baseline"], rec, task["pins"])["class"] != "killed":
        rec["tests"] = run_tests(m.package, task["tests"], m, task["tests_timeout"], task["cwd"])
    return rec


def mutate(selectors: Sequence[str], *, size: str = "quick", max_mutants: Optional[int] = None,
           seed: int = 0, out_dir=None, timeout: Optional[float] = None, pins_file=None,
           operators: Optional[Sequence[str]] = None, executor=None,
           echo: Optional[Callable[[str], None]] = None, tests: Optional[Sequence[str]] = None) -> dict:
    """Mutation analysis of the simulation code behind the selected claims (see the module doc).
    Returns the ``mutation.json`` document; with ``out_dir`` writes it and ``report.md`` after
    each mutant and resumes from them. ``tests``: pytest arguments (paths relative to the current
    folder) run on every mutant the claims and pins do not kill; they must pass on the unmutated
    code, and a failure kills the mutant (the summary keeps the claims-and-pins rate beside)."""
    from .claims import select
    from .pins import MeasurementPins, with_tolerances

    claims = select(selectors)
    if max_mutants is not None and max_mutants < 1:
        raise ValueError(f"--max: must be at least 1, got {max_mutants}")
    for op in operators or ():
        if op not in OPERATORS:
            raise ValueError(f"--operator: unknown {op!r}; one of {', '.join(OPERATORS)}")
    by_pkg: dict = {}
    for c in claims:
        if not c.package:
            continue
        by_pkg.setdefault(c.package, []).append(c.id)
    if not by_pkg:
        raise ValueError("mutate: the selected claims belong to no package to mutate")
    echo = echo or (lambda s: None)
    out = Path(out_dir) if out_dir is not None else None
    work = Path(tempfile.mkdtemp(prefix="theorylab-mutate-")) if out is None else out / "work"
    work.mkdir(parents=True, exist_ok=True)

    sites = [m for pkg in by_pkg for m in find_mutants(pkg, operators=operators)]
    chosen = list(sites)
    if max_mutants is not None and max_mutants < len(chosen):
        chosen = sorted(random.Random(seed).sample(chosen, max_mutants), key=lambda m: sites.index(m))
    prov = provenance(size=size, selectors=list(selectors))
    meta = {"selectors": list(selectors), "size": size, "seed": seed, "max": max_mutants,
            "sites": len(sites), "operators": list(operators or OPERATORS),
            "pins": str(pins_file) if pins_file else "the unmutated code's own measurement (baseline)",
            "code": {pkg: _fingerprint(pkg) for pkg in by_pkg}, "tests": list(tests) if tests else None}
    doc = {"meta": meta, "provenance": prov, "baseline": {}, "mutants": {}}
    path = None if out is None else out / "mutation.json"
    if path is not None and path.exists():
        try:
            old = json.loads(path.read_text())
        except ValueError:
            old = {}
        if {k: old.get("meta", {}).get(k) for k in ("selectors", "size", "code", "pins")} == \
                {k: meta[k] for k in ("selectors", "size", "code", "pins")}:
            doc["baseline"] = old.get("baseline", {})
            doc["baseline_tests"] = old.get("baseline_tests", {})
            doc["mutants"] = {k: v for k, v in old.get("mutants", {}).items() if v.get("class")}
    save = (lambda: (atomic_write_json(path, doc), atomic_write_text(out / "report.md", report_markdown(doc)))) \
        if path is not None else (lambda: None)

    pins: dict = {}
    for pkg, ids in by_pkg.items():
        if pkg not in doc["baseline"]:
            echo(f"baseline: {pkg}, {len(ids)} claims at {size} size ...")
            rec = run_copy(pkg, ids, size, None, timeout or 3600.0, work / "cache")
            if "claims" not in rec:
                raise RuntimeError(f"mutate: the unmutated {pkg} does not run: {rec}")
            doc["baseline"][pkg] = rec
            echo(f"baseline: {pkg} in {rec['wall_s']:.0f} s")
            save()
        base = doc["baseline"][pkg]
        if pins_file is not None:
            pf = MeasurementPins(pins_file).load()["pins"]
            pins.update({k: v for k, v in pf.items() if k.split("/")[0] in base["claims"]})
            from .pins import compare_numbers

            for cid, rec in base["claims"].items():  # pins the unmutated code breaks would kill every mutant
                for key, nums in rec["numbers"].items():
                    moved = compare_numbers(pins.get(key, {}), nums)
                    if moved:
                        raise ValueError(f"--pins: the unmutated code does not hold {key}'s pins in "
                                         f"{pins_file} ({moved[0]}); regenerate them first")
        else:
            for cid, rec in base["claims"].items():
                pins.update({k: with_tolerances(v, bool(rec.get("x64"))) for k, v in rec["numbers"].items()})
    limit = {pkg: timeout or max(120.0, 5 * doc["baseline"][pkg]["wall_s"]) for pkg in by_pkg}
    tests = list(tests) if tests else None
    tests_limit = {}
    for pkg in by_pkg if tests else ():
        base_t = doc.get("baseline_tests", {}).get(pkg)
        if base_t is None or (base_t.get("args"), base_t.get("digest")) != (tests, tests_digest(tests)):
            echo(f"baseline: {pkg}, tests {' '.join(tests)} ...")
            base_t = dict(run_tests(pkg, tests, None, timeout or 3600.0), args=tests, digest=tests_digest(tests))
            if base_t.get("rc") != 0:
                what = base_t.get("error") or base_t.get("timeout") or (
                    "collected no tests" if base_t.get("rc") == 5 else
                    f"failed: {', '.join(base_t.get('failed') or []) or base_t.get('tail') or 'exit status %s' % base_t.get('rc')}")
                raise ValueError(f"--tests: they do not pass on the unmutated {pkg}: {what}")
            doc.setdefault("baseline_tests", {})[pkg] = base_t
            echo(f"baseline: {pkg} tests in {base_t['wall_s']:.0f} s")
            save()
        tests_limit[pkg] = timeout or max(120.0, 5 * base_t["wall_s"])
    digest = tests_digest(tests) if tests else None
    retest = []  # mutants classified before whose tests are missing, other tests, or edited since
    for mid, rec in doc["mutants"].items():
        t = rec.get("tests") or {}
        if (t.get("args"), t.get("digest")) != (tests, digest):
            rec["class"] = rec.get("claims_class", rec["class"])
            rec.pop("tests", None)
            if tests and rec["class"] != "killed":
                retest.append(Mutant(**rec["mutant"]))
    todo = [m for m in chosen if m.id not in doc["mutants"]]
    for m in chosen:
        if m.id in doc["mutants"]:
            continue
        doc["mutants"][m.id] = {"mutant": dataclasses.asdict(m)}
    echo(f"{len(chosen)} mutants of {len(sites)} sites; {len(chosen) - len(todo)} done before, {len(todo)} to run"
         + (f"; tests to run on {len(retest)} classified before" if retest else ""))
    todo += retest

    def done(i, record):
        m = todo[i]
        entry = doc["mutants"][m.id]
        if i >= len(todo) - len(retest):  # tests only, on a mutant classified before
            cls = {k: entry[k] for k in ("class", "why", "claims") if k in entry}
        else:
            cls = classify(doc["baseline"][m.package], record, pins)
            entry["wall_s"] = record.get("wall_s")
        t = record.get("tests")
        entry.update(with_tests(cls, t))
        if t is not None:
            entry["tests"] = dict(t, args=tests, digest=digest)
        doc["summary"] = summarise(doc)
        save()
        echo(f"[{sum(1 for r in doc['mutants'].values() if r.get('class'))}/{len(doc['mutants'])}] {m.module}:{m.line} "
             f"{m.operator}: {entry['class']}" + (f" ({entry['why'][0]})" if entry["class"] == "killed" else ""))

    common = {"size": size, "cache": str(work / "cache"), "tests": tests, "cwd": os.getcwd()}
    tasks = [dict(common, mutant=dataclasses.asdict(m), claims=by_pkg[m.package], timeout=limit[m.package],
                  tests_timeout=tests_limit.get(m.package), baseline=doc["baseline"][m.package],
                  pins={k: v for k, v in pins.items() if k.split("/")[0] in by_pkg[m.package]},
                  tests_only=i >= len(todo) - len(retest))
             for i, m in enumerate(todo)]
    if executor is None:
        for i, t in enumerate(tasks):
            done(i, _run_task(t))
    else:
        executor.run(_run_task, tasks, on_done=done)
    doc["summary"] = summarise(doc)
    save()
    if out is None:
        shutil.rmtree(work, ignore_errors=True)
    return doc


def _fingerprint(package: str) -> str:
    """A hash of the package's simulation modules and claims: what a resumed run must share."""
    root = package_dir(package)
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        if "__pycache__" not in f.parts:
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def summary_table(doc: dict) -> str:
    s = doc.get("summary") or summarise(doc)
    rows = []
    for name, f in s["families"].items():
        row = (f"{name}: killed {f['killed']}, survived {f['survived']}, equivalent {f['equivalent']}; "
               f"kill rate {_rate(f)}")
        if "claims_and_pins" in f:
            row += f" (claims and pins alone: {_rate(f['claims_and_pins'])})"
        rows.append(row)
    surv = [f"  survived: {r['mutant']['module']}:{r['mutant']['line']} {r['mutant']['operator']}: "
            f"{r['mutant']['before']} -> {r['mutant']['after']}"
            for r in doc["mutants"].values() if r.get("class") == "survived"]
    return "\n".join(rows + surv)
