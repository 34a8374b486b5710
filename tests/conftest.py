"""Tests run on the CPU with strict rank promotion, fixed keys, quick sizes.

Claims are run through theorylab's own pytest plugin (fixtures ``theorylab_verdict``,
``theorylab_measure``, ``theorylab_pins``), as a user's suite would. float64 is not switched on
globally: ``verify`` switches it per family; a family test module that calls a float64 family's
functions directly declares ``FAMILY`` and its tests run inside ``theorylab.x64()``.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")
#: the session's own cache home, so that no test reads or writes the user's ~/.cache/theorylab;
#: JAX's persistent compilation cache lives in it (theorylab's layout: ``theorylab/jax``), and a
#: CLI subprocess with a cache home of its own links to it (:func:`share_compiled`): its cells
#: stay its own, the programs compiled earlier in the session are not compiled again. The cache
#: is keyed by the program (HLO), the backend and the flags, so sharing it changes no number.
SESSION_CACHE = Path(tempfile.mkdtemp(prefix="theorylab-tests-"))
atexit.register(shutil.rmtree, SESSION_CACHE, ignore_errors=True)
os.environ["XDG_CACHE_HOME"] = str(SESSION_CACHE)
COMPILED = SESSION_CACHE / "theorylab" / "jax"
COMPILED.mkdir(parents=True)

import jax  # noqa: E402
import pytest  # noqa: E402

import theorylab  # noqa: E402

jax.config.update("jax_numpy_rank_promotion", "raise")
jax.config.update("jax_compilation_cache_dir", str(COMPILED))  # as the CLI sets it
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


def share_compiled(cache_home) -> str:
    """``cache_home`` (a folder, for XDG_CACHE_HOME) with ``theorylab/jax`` linked to the
    session's compiled programs; its cells stay its own. Not for a test of ``cache clear``,
    which removes the programs folder it finds."""
    d = Path(cache_home) / "theorylab"
    d.mkdir(parents=True, exist_ok=True)
    if not (d / "jax").exists():
        (d / "jax").symlink_to(COMPILED, target_is_directory=True)
    return str(cache_home)


@pytest.fixture(scope="session")
def compiled_cache():
    """:func:`share_compiled`, for tests that run the CLI in a subprocess."""
    return share_compiled


@pytest.fixture(autouse=True)
def _family_precision(request):
    """Tests of a family's substrate run in the precision the family declares."""
    name = getattr(request.module, "FAMILY", None)
    fam = {f.name: f for f in theorylab.families()}.get(name)
    if fam is None:
        yield
        return
    with theorylab.x64(fam.x64):
        yield


@pytest.fixture
def cache_dir(tmp_path):
    return tmp_path / "cache"
