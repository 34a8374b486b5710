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


@pytest.fixture(scope="session")
def family_runs(tmp_path_factory):
    """``family -> (cell cache, {claim id: verdict})``: every claim of a family at quick size,
    run once per session and shared by tests/test_claims.py and the family's own module."""
    from tests.helpers import family_verdicts

    runs = {}

    def get(family: str):
        if family not in runs:
            cache = tmp_path_factory.mktemp(f"{family}-cache")
            runs[family] = (cache, family_verdicts(family, cache))
        return runs[family]

    return get


@pytest.fixture(scope="module")
def cache(family_runs, request):
    """The cell cache of the module's ``FAMILY`` run (its claims ran once, tests re-read it)."""
    return family_runs(request.module.FAMILY)[0]


@pytest.fixture(scope="module")
def verdicts(family_runs, request):
    """Every claim of the module's ``FAMILY`` at quick size, by id."""
    return family_runs(request.module.FAMILY)[1]
