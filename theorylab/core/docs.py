"""The notes on every claim, as Markdown, generated from the claims themselves so that they
cannot drift from the code: family notes, then per claim its source, provenance tag,
statement, bound, check (band, window, declared alternatives), controls, sizes, why it needs
the full size or a GPU, what calibration found, the argument behind each tolerance and what is
known to be loose, and, when a results file is given, the recorded verdict.

``theorylab docs --out docs/claims.md --results results/full-cpu/results.json`` writes
theorylab's own; a test checks that the committed file is what this module generates.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Optional, Sequence

from .registry import Family
from .report import fmt_number

__all__ = ["claims_markdown", "check_text"]


def _num(x) -> str:
    if isinstance(x, float):
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return f"{x:.6g}"
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k}: {_num(v)}" for k, v in x.items()) + "}"
    if isinstance(x, (list, tuple)):
        return "(" + ", ".join(_num(v) for v in x) + ")"
    return str(x)


def check_text(check) -> str:
    """A check's kind and the settings that differ from their defaults, in one line."""
    parts = []
    for f in dataclasses.fields(check):
        v = getattr(check, f.name)
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            default = f.default_factory()  # type: ignore[misc]
        else:
            default = object()
        if v == default or f.name in ("wrt", "bound_values") and v in (None, {}):
            continue
        parts.append(f"{f.name} = {_num(v)}")
    return f"{check.kind} check" + (": " + "; ".join(parts) if parts else "")


def _recorded(entry: dict) -> str:
    status = entry.get("status", "?")
    meas, ci = entry.get("measured"), entry.get("ci")
    txt = status
    slopes = [f"{n or 'slope'} {s['slope']:.3f} [{fmt_number(s['ci'][0], '.3f')}, {fmt_number(s['ci'][1], '.3f')}]"
              for n, s in (entry.get("series") or {}).items()
              if s.get("slope") is not None and s.get("ci")]
    if slopes:
        txt += ": " + "; ".join(slopes)
    elif isinstance(meas, (int, float)):
        txt += f": measured {meas:.3g}" + (f" [{fmt_number(ci[0])}, {fmt_number(ci[1])}]" if ci else "")
    ctl = entry.get("controls") or []
    if ctl:
        txt += "; controls " + ", ".join(f"{c['name']} {'rejected' if c.get('rejected') else c.get('outcome')}"
                                        for c in ctl)
    return txt


def _paragraphs(text: str) -> str:
    return "\n\n".join(p.strip() for p in text.strip().split("\n\n"))


def claims_markdown(families: Sequence[Family], results: Optional[str] = None,
                    results_label: Optional[str] = None) -> str:
    """The Markdown notes of ``families`` (and the verdicts recorded in ``results``)."""
    rec = {}
    if results is not None:
        rec = {e["id"]: e for e in json.loads(Path(results).read_text())["claims"]}
    label = results_label or (str(results) if results else "")
    out = ["# The claims, one by one",
           "",
           "Generated from the claims by `theorylab docs` (do not edit by hand: edit the claim and "
           "regenerate). Provenance tags: *literature* (a published result, traced), *abstract* "
           "(as an abstract states it), *derived* (our derivation, checked in `proofs_check/`), "
           "*expected* (our expectation from the theory, not a theorem), *unverified* (recalled, "
           "not checked against the paper). Theorems are upper bounds: a rate check is one-sided "
           "unless the claim says the rate is exact."]
    if label:
        out += ["", f"*Recorded* lines quote `{label}`."]
    for fam in families:
        out += ["", f"## Family `{fam.name}`: {fam.description}", "",
                f"Precision: {'float64 switched on while its claims run' if fam.x64 else 'float32 (float64 is not switched on)'}."
                f" Package: `{fam.package}`. Claims: {len(fam.claims)}."]
        notes = fam.notes.strip()
        if notes.startswith("Claims of"):  # a claims module's summary line: the heading says it
            notes = notes.partition("\n\n")[2]
        if notes:
            out += ["", _paragraphs(notes)]
        for c in sorted(fam.claims, key=lambda c: c.id):
            out += ["", f"### `{c.id}`: {c.title}", "",
                    f"- **Tag**: {c.tag}. **Source**: {c.source}.",
                    f"- **Statement**: {c.statement}"]
            if c.bound is not None:
                b = c.bound
                out.append(f"- **Bound**: `{b.expr}` ({b.tag}; {b.paper}" + (f", {b.theorem}" if b.theorem else "") + ")")
            out.append(f"- **Check**: {check_text(c.check)}")
            if c.evidence == "code":
                out.append("- **Evidence**: a code check (it can fail only through a bug); counted "
                           "apart from the theorem evidence.")
            if c.derived_from:
                out.append(f"- **Derived from**: {', '.join(f'`{d}`' for d in c.derived_from)} (same "
                           "data; not counted as evidence again).")
            for ctl in c.controls:
                out.append(f"- **Control** `{ctl.name}`: {ctl.description}")
            for size in ("quick", "full"):
                out.append(f"- **{size.capitalize()} size**: {c.seeds[size]} seeds; {_num(dict(c.sizes[size]))}")
            if c.needs_full:
                out.append(f"- **Evidence at full size only**: {c.needs_full}")
            if c.needs_gpu:
                out.append(f"- **Needs a GPU at full size**: {c.needs_gpu}")
            if c.calibration:
                out.append(f"- **Calibration**: {c.calibration}")
            if c.id in rec:
                out.append(f"- **Recorded**: {_recorded(rec[c.id])}")
            if c.notes:
                out += ["", "Tolerances, windows, and what is loose:", "", _paragraphs(c.notes)]
    return "\n".join(out) + "\n"
