"""Floating-point precision, switched where a claim needs it and restored afterwards.

Importing theorylab leaves ``jax.config`` alone. A family declares once whether its
simulations need float64 (:attr:`theorylab.core.registry.Family.x64`); ``verify`` and
``calibrate`` run that family's claims inside :func:`x64` and restore the setting after each
claim. To call a float64 family's functions directly, do the same::

    import theorylab
    with theorylab.x64():
        trace = theorylab.pmd.pmd(mdp, ...)

The setting is process-wide while the block runs (worker threads of a sweep see it too), so do
not run unrelated float32 JAX code in another thread meanwhile.
"""

from __future__ import annotations

import contextlib

__all__ = ["x64"]


@contextlib.contextmanager
def x64(enabled: bool = True):
    """Set ``jax_enable_x64`` to ``enabled`` for the block; restore the previous value after."""
    import jax

    before = bool(jax.config.jax_enable_x64)
    if before == bool(enabled):
        yield
        return
    jax.config.update("jax_enable_x64", bool(enabled))
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", before)
