"""What the benchmark scripts share."""

import time

import numpy as np


def timed(fn, *args, repeat=1):
    """Best wall time of ``repeat`` calls of ``fn(*args)`` (waiting for JAX results), and the
    last result."""
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn(*args)
        if hasattr(out, "block_until_ready"):
            out.block_until_ready()
        best = min(best, time.perf_counter() - t)
    return best, out
