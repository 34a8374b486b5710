"""Families of claims: theorylab's own and those of installed packages.

A :class:`Family` is a name, a tuple of claims and the precision its simulations need. A
family module builds its claims as plain values, with no side effect on import, and exports
one ``FAMILY``. theorylab's own families are listed once, in :mod:`theorylab.builtin`;
another installed package adds families through the entry-point group ``theorylab.families``
(each entry point names a ``Family``, or a module that exports ``FAMILY``)::

    [project.entry-points."theorylab.families"]
    sgd = "theorylab_sgd.claims:FAMILY"

A family that cannot be loaded (an import error, a duplicate claim id, no ``FAMILY``) does
not take the others down: :func:`load` keeps it as a :class:`LoadError`, ``theorylab list``
names it on one line and lists the rest, and selecting it is a one-line error.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Optional, Sequence

from .claims import Claim

GROUP = "theorylab.families"

__all__ = ["GROUP", "DefinitionError", "Family", "LoadError", "families", "load", "all_claims",
           "select", "family_of_claim", "clear", "claim_errors", "check_definitions"]


@dataclasses.dataclass(frozen=True)
class Family:
    """One family of claims.

    ``notes``: the set-up and sources shared by the claims, printed in docs/claims.md.
    ``x64``: the simulations need float64 (errors followed down to 1e-10); ``verify`` and
    ``calibrate`` switch it on for this family's claims only, and restore it afterwards. A
    family that trains networks in float32 leaves it False. ``package`` is the import name whose
    source decides the family's results (its fingerprint keys cached cells); by default the
    package the claims' ``measure`` functions live in."""

    name: str
    claims: tuple
    x64: bool = False
    description: str = ""
    package: str = ""
    #: the family's notes in Markdown-able prose (set-up, sources): the claims module's docstring
    notes: str = ""

    def __post_init__(self):
        if not self.name or not self.name.replace("_", "").isalnum():
            raise ValueError(f"name: a family name is a Python identifier, got {self.name!r}")
        claims = tuple(self.claims)
        for c in claims:
            if not isinstance(c, Claim):
                raise ValueError(f"claims: family {self.name} holds {type(c).__name__}, not a Claim")
        ids = [c.id for c in claims]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"claims: family {self.name} defines {', '.join(dup)} twice")
        other = sorted(c.id for c in claims if c.family != self.name)
        if other:
            raise ValueError(f"claims: {', '.join(other)} belong to another family than {self.name!r} "
                             "(set Claim.family, or start the id with the family name)")
        missing = sorted({f"{c.id} -> {d}" for c in claims for d in c.derived_from if d not in ids})
        if missing:
            raise ValueError(f"derived_from: family {self.name} has no claim {', '.join(missing)}")
        object.__setattr__(self, "claims", claims)
        if not self.package and claims:
            object.__setattr__(self, "package", claims[0].package or "")


@dataclasses.dataclass(frozen=True)
class LoadError:
    """A family that could not be loaded: where it came from and why, in one line."""

    name: str
    origin: str  # "theorylab" or the distribution that declared the entry point
    target: str  # "module:attr"
    error: str

    def line(self) -> str:
        return (f"family {self.name!r} from {self.origin} ({self.target}) could not be loaded: "
                f"{self.error}")


def _builtin_targets() -> list[tuple[str, str]]:
    from theorylab.builtin import BUILTIN

    return [(t.split(".")[1], t) for t in BUILTIN]


def _entry_points() -> list[tuple[str, str, str]]:
    """(name, distribution, "module:attr") of the installed ``theorylab.families`` entry points."""
    from importlib.metadata import entry_points

    out = []
    for ep in entry_points(group=GROUP):
        dist = getattr(getattr(ep, "dist", None), "name", None) or "an installed package"
        out.append((ep.name, dist, ep.value))
    return out


def _resolve(target: str) -> Family:
    mod_name, _, attr = target.partition(":")
    obj = importlib.import_module(mod_name)
    for part in (attr or "FAMILY").split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, Family):  # a module (or object) that exports FAMILY
        obj = getattr(obj, "FAMILY", obj)
    if not isinstance(obj, Family):
        raise ValueError(f"{target} is a {type(obj).__name__}, not a theorylab Family")
    return obj


_LOADED: Optional[tuple] = None


def load(refresh: bool = False) -> tuple[tuple[Family, ...], tuple[LoadError, ...]]:
    """Every family (theorylab's, then installed ones by name) and the ones that failed.
    Read once per process (``refresh`` reads the entry points again)."""
    global _LOADED
    if _LOADED is not None and not refresh:
        return _LOADED
    fams: list[Family] = []
    errors: list[LoadError] = []
    seen: dict = {}
    targets = [(n, "theorylab", t) for n, t in _builtin_targets()]
    builtin = {t for _, _, t in targets}
    targets += sorted((e for e in _entry_points() if e[2] not in builtin), key=lambda e: e[0])
    for name, origin, target in targets:
        try:
            fam = _resolve(target)
            for c in fam.claims:
                if c.id in seen:
                    raise ValueError(f"claim id {c.id!r} is already defined by family {seen[c.id]!r}")
            if any(f.name == fam.name for f in fams):
                raise ValueError(f"a family named {fam.name!r} is already loaded")
        except Exception as e:  # a broken plugin must not take the others down
            msg = f"{type(e).__name__}: {e}".splitlines()[0]
            errors.append(LoadError(name, origin, target, msg))
            continue
        for c in fam.claims:
            seen[c.id] = fam.name
        fams.append(fam)
    _LOADED = (tuple(fams), tuple(errors))
    return _LOADED


def clear() -> None:
    """Forget the loaded families (the next call reads the entry points again)."""
    global _LOADED
    _LOADED = None


def families() -> tuple[Family, ...]:
    return load()[0]


def all_claims() -> list[Claim]:
    return sorted((c for f in families() for c in f.claims), key=lambda c: c.id)


def family_of_claim(claim: Claim) -> Optional[Family]:
    for f in families():
        if any(c is claim for c in f.claims):
            return f
    for f in families():
        if f.name == claim.family:
            return f
    return None


class DefinitionError(ValueError):
    """Selected claims that cannot mean what they say (:func:`definition_errors`): one line per
    claim, naming it."""


_ERRORS: dict = {}


def claim_errors(claims: Sequence[Claim]) -> dict:
    """``{claim id: [reason, ...]}`` of the claims with definition errors (checked once per
    claim value and process)."""
    from .claims import definition_errors

    out = {}
    for c in claims:
        key = id(c)
        if key not in _ERRORS or _ERRORS[key][0] is not c:
            _ERRORS[key] = (c, definition_errors(c))
        if _ERRORS[key][1]:
            out[c.id] = _ERRORS[key][1]
    return out


def check_definitions(claims: Sequence[Claim]) -> None:
    """Raise :class:`DefinitionError` (one line per claim) when a claim has a definition error."""
    bad = claim_errors(claims)
    if bad:
        raise DefinitionError("\n".join(f"claim {cid} is not well defined: {'; '.join(r)}"
                                         for cid, r in sorted(bad.items())))


def select(selectors: Sequence[str] = (), *, strict: bool = True) -> list[Claim]:
    """Claims matching ids, id prefixes (``hpmd``) or family names; all when empty. A selector
    that names a family that failed to load is a one-line error saying why; with ``strict`` (the
    default) a selected claim with a definition error is a :class:`DefinitionError`."""
    claims = _select(selectors)
    if strict:
        check_definitions(claims)
    return claims


def _select(selectors: Sequence[str] = ()) -> list[Claim]:
    claims = all_claims()
    if not selectors:
        return claims
    broken = {e.name: e for e in load()[1]}
    out: list[Claim] = []
    for sel in selectors:
        hit = [c for c in claims
               if c.id == sel or c.id.startswith(sel + ".") or c.family == sel]
        if not hit:
            root = sel.split(".")[0]
            if root in broken:
                raise ValueError(f"claim: {broken[root].line()}")
            known = sorted({c.family for c in claims} | {c.id.split(".")[0] for c in claims})
            raise ValueError(f"claim: unknown claim or family {sel!r} (families: {', '.join(known)})")
        out.extend(c for c in hit if c not in out)
    return out
