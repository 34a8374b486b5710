"""theorylab: theorems about learning algorithms as executable, falsifiable checks.

Quick use::

    import theorylab
    for c in theorylab.claims():
        print(c.id, c.tag, c.statement)
    verdicts = theorylab.verify(["large_lr"], size="quick")

float64 is switched on at import: several families follow errors down to 1e-10 (GD dynamics,
MDP gaps). Code that trains networks asks for float32 explicitly.
"""

__version__ = "0.1.0"

import jax as _jax

_jax.config.update("jax_enable_x64", True)

from .core.bounds import Bound  # noqa: E402
from .core.claims import Claim, Verdict  # noqa: E402
from .core.claims import all_claims as _all_claims  # noqa: E402
from .core.claims import select as _select  # noqa: E402
from .core.verify import run_claim, verify  # noqa: E402


def claims(*selectors: str):
    """The registered claims (all, or those matching ids / family names)."""
    return _select(selectors) if selectors else _all_claims()


__all__ = ["Bound", "Claim", "Verdict", "claims", "verify", "run_claim", "__version__"]
