"""A theorylab family from outside theorylab: SGD with steps theta/(mu t) on a strongly convex
quadratic. The simulation is :mod:`theorylab_sgd.simulations`, the claim
:mod:`theorylab_sgd.claims` (exported to theorylab through the ``theorylab.families`` entry
point in ``pyproject.toml``)."""
