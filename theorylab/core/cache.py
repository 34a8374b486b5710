"""The on-disk cache: finished cells (``cells/<claim or shared sweep>/<digest>.npz``) and JAX's
compilation cache (``jax/``), under ``~/.cache/theorylab`` or ``$XDG_CACHE_HOME/theorylab``.

A cell's file name is a digest of its claim, simulation, configuration, seeds, stream, package
version and the fingerprint of the code that computes it, so edited code never reads an old
cell: it misses and recomputes. Old cells stay on disk until cleared.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

__all__ = ["info", "clear", "usage"]


def _size(path: Path) -> tuple[int, int]:
    files = [f for f in path.rglob("*") if f.is_file()] if path.exists() else []
    return sum(f.stat().st_size for f in files), len(files)


def _human(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover


def _family_prefixes() -> dict[str, set]:
    """family name -> the first components of its claim ids (pmd: pmd, hpmd, bpmd, ...)."""
    from .registry import families

    return {f.name: {f.name} | {c.id.split(".")[0] for c in f.claims} for f in families()}


def usage(root) -> dict:
    """Bytes and cells per cache folder (claim or shared sweep), and the compilation cache."""
    root = Path(root)
    cells = root / "cells"
    per = {}
    if cells.exists():
        for d in sorted(p for p in cells.iterdir() if p.is_dir()):
            size = sum(f.stat().st_size for f in d.glob("*.npz"))
            per[d.name] = (size, len(list(d.glob("*.npz"))))
    return {"root": root, "cells": per, "jax": _size(root / "jax")}


def info(root) -> str:
    """Where the cache is, its size, its cell count, per family."""
    u = usage(root)
    fams = _family_prefixes()
    by_family: dict = {}
    for name, (size, n) in u["cells"].items():
        fam = next((f for f, pre in fams.items() if name.split(".")[0] in pre), "(other)")
        s, c = by_family.get(fam, (0, 0))
        by_family[fam] = (s + size, c + n)
    total = sum(s for s, _ in u["cells"].values())
    count = sum(n for _, n in u["cells"].values())
    lines = [f"location: {u['root']}",
             f"cells: {count} in {_human(total)}",
             f"compiled programs (JAX cache): {u['jax'][1]} files in {_human(u['jax'][0])}"]
    lines += [f"  {fam}: {n} cells, {_human(s)}" for fam, (s, n) in sorted(by_family.items())]
    return "\n".join(lines)


def clear(root, family: Optional[str] = None) -> str:
    """Delete every cached cell and the compilation cache, or only ``family``'s cells."""
    root = Path(root)
    cells = root / "cells"
    if family is None:
        size, n = _size(root)
        for sub in (cells, root / "jax"):
            if sub.exists():
                shutil.rmtree(sub)
        return f"cleared {n} files ({_human(size)}) under {root}"
    fams = _family_prefixes()
    if family not in fams:
        raise ValueError(f"family: unknown family {family!r} (families: {', '.join(sorted(fams))})")
    removed, size = 0, 0
    if cells.exists():
        for d in cells.iterdir():
            if d.is_dir() and d.name.split(".")[0] in fams[family]:
                s, n = _size(d)
                shutil.rmtree(d)
                removed, size = removed + n, size + s
    return f"cleared {removed} cells of {family} ({_human(size)}) under {cells}"
