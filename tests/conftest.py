"""Tests run on the CPU with float64 and strict rank promotion, fixed keys, quick sizes."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import pytest  # noqa: E402

import theorylab  # noqa: E402,F401  (switches float64 on)

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture
def cache_dir(tmp_path):
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def cache(tmp_path_factory, request):
    """A cell cache shared by one test module (its claims run once, its twins re-read them)."""
    return tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1] + "-cache")


@pytest.fixture(scope="module")
def verdicts(cache, request):
    """Every claim of the module's ``FAMILY`` at quick size, by id."""
    from tests.helpers import family_verdicts

    return family_verdicts(request.module.FAMILY, cache)
