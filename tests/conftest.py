"""Tests run on the CPU with strict rank promotion, fixed keys, quick sizes.

Claims are run through theorylab's own pytest plugin (fixtures ``theorylab_verdict``,
``theorylab_measure``, ``theorylab_pins``), as a user's suite would. float64 is not switched on
globally: ``verify`` switches it per family; a family test module that calls a float64 family's
functions directly declares ``FAMILY`` and its tests run inside ``theorylab.x64()``.
"""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import pytest  # noqa: E402

import theorylab  # noqa: E402

jax.config.update("jax_numpy_rank_promotion", "raise")


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
