"""Symbolic checks (sympy) of the derivation steps behind the claims, one module per family.

Each module defines functions named ``check_*`` that raise AssertionError on failure.
``python -m proofs_check`` runs them all; pytest runs them through tests/test_proofs_check.py.
"""

import importlib
import pkgutil

FAMILIES = [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]


def all_checks():
    """(name, function) for every check of every family module."""
    out = []
    for fam in FAMILIES:
        mod = importlib.import_module(f"{__name__}.{fam}")
        for name in sorted(dir(mod)):
            if name.startswith("check_") and callable(getattr(mod, name)):
                out.append((f"{fam}.{name}", getattr(mod, name)))
    return out
