"""Results on disk: atomic writes, provenance, and the results.json format."""

from __future__ import annotations

import datetime
import functools
import io
import json
import os
import platform
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Mapping, Optional

import numpy as np


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A reader sees the old file or the new one, never a half-written one, and an interrupted
    run leaves what it had finished.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file ordinary permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode())


def atomic_write_json(path, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def save_arrays(path, arrays: Mapping[str, Any]) -> Path:
    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(v) for k, v in arrays.items()})
    return atomic_write_bytes(path, buf.getvalue())


def load_arrays(path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def git_commit(start: Path | None = None) -> str | None:
    start = Path(start or Path(__file__).resolve().parent)
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=start, capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=start, capture_output=True,
                           text=True, timeout=5).stdout.strip()
    return out.stdout.strip() + ("+dirty" if dirty else "")


# The modules whose source decides a recorded number or verdict: what is simulated, fitted,
# checked, cached and calibrated, and which claims and configurations exist. Everything else
# (the command line, reports, docs, figures, pins, the self-test, mutation analysis, the pytest
# plugin, package __init__ re-exports, and the I/O and provenance helpers of this module) only
# reads or presents results, so editing it does not stale a record or a cached cell.
RESULT_MODULES = ("core/bounds.py", "core/cache.py", "core/calibrate.py", "core/checks.py",
                  "core/claims.py", "core/executors.py", "core/fit.py", "core/precision.py",
                  "core/registry.py", "core/sweep.py", "core/verify.py", "builtin.py")


def result_sources(package: Optional[str] = None, root: Optional[Path] = None) -> list[str]:
    """The files (relative to theorylab's directory ``root``) whose source decides the results
    of the family package ``package`` (``theorylab.pmd``; every built-in family when None):
    :data:`RESULT_MODULES` and every file of the family. Sorted."""
    root = Path(root) if root is not None else Path(__file__).resolve().parent.parent
    own = package.split(".")[1] if package and package.startswith("theorylab.") else None
    fams = [d.name for d in sorted(root.iterdir()) if d.is_dir() and d.name != "core"
            and (d / "__init__.py").exists()] if package is None else ([own] if own else [])
    files = [m for m in RESULT_MODULES if (root / m).exists()]
    for fam in fams:
        files += [str(f.relative_to(root)) for f in (root / fam).rglob("*.py")]
    return sorted(files)


@functools.lru_cache(maxsize=None)
def code_fingerprint(package: Optional[str] = None) -> str:
    """A short hash of the sources that decide a result (:func:`result_sources`): theorylab's
    result-deciding core modules plus the family package ``package`` (``theorylab.pmd``, or an
    installed package such as ``theorylab_sgd``; every theorylab family when None). Cached cells
    and calibration runs made by other code are not reused, and a record whose fingerprint
    differs from the code's was made by other code. Read once per process: the process runs the
    code it imported, even if the files change under it."""
    import hashlib

    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for rel in result_sources(package, root):
        h.update(rel.encode())
        h.update((root / rel).read_bytes())
    if package and package.split(".")[0] != "theorylab":
        for f in _package_files(package):
            h.update(f"{package}/{f.name}".encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _package_files(package: str) -> list[Path]:
    """The Python sources of an importable package (or the one file of a module)."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None:
        return []
    if spec.submodule_search_locations:
        return sorted(f for d in spec.submodule_search_locations for f in Path(d).rglob("*.py"))
    return [Path(spec.origin)] if spec.origin and spec.origin.endswith(".py") else []


def code_package(module: str) -> Optional[str]:
    """The package whose source decides a module's results: ``theorylab.pmd.claims.hpmd`` ->
    ``theorylab.pmd``; ``theorylab_sgd.sims`` -> ``theorylab_sgd``; None for theorylab's core
    and for code outside any package."""
    parts = (module or "").split(".")
    if not parts[0] or parts[0] == "__main__":
        return None
    if parts[0] == "theorylab":
        return ".".join(parts[:2]) if len(parts) > 2 and parts[1] != "core" else None
    return parts[0]


def cpu_model() -> Optional[str]:
    """The CPU's model name (Linux), for the provenance of timings."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def provenance(**extra) -> dict:
    """Who, what and where a result came from."""
    import jax

    from theorylab import __version__

    devs = jax.devices()
    return {
        "package": "theorylab",
        "version": __version__,
        "git_commit": git_commit(),
        "jax_version": jax.__version__,
        "backend": jax.default_backend(),
        "devices": [str(d) for d in devs],
        "device_kind": getattr(devs[0], "device_kind", None) if devs else None,
        # float32 matmuls on an accelerator: JAX's default is TF32 on recent NVIDIA GPUs
        "matmul_precision": jax.config.jax_default_matmul_precision or "default",
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "time_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        **extra,
    }


def load_results(out_dir) -> dict:
    path = Path(out_dir) / "results.json"
    if not path.exists():
        raise ValueError(f"DIR: no results.json in {out_dir}")
    return json.loads(path.read_text())
