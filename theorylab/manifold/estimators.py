"""Reference estimators that validate the pipeline: k-nearest neighbours and Nadaraya-Watson.

Both use only distances, which an isometric embedding and a rotation leave unchanged: their
rates adapt to the intrinsic dimension by construction (Kpotufe 2011; Bickel and Li 2007), so
they check the data, the targets and the fits, not the theorem about networks.

Constants are fixed once, in advance, not per n: ``k = 0.5 n^(2 beta/(2 beta + d))`` and the
Gaussian bandwidth ``h = 0.7 n^(-1/(2 beta + d))``. Both balance squared bias against variance
(proofs_check/manifold.py). ``k`` is not rounded: the nested k-NN averages the ``floor(k)``
nearest responses and the next one with weight ``k - floor(k)`` (dividing by ``k``), so ``k``
and the error vary continuously with n. With k rounded, a k tuned by a large dimension takes
only the values 1, 2, 3 over the whole grid and the error's slope in n is a step function's
(issue 22).

Nested samples make every n cheap: each test point's training points are sorted by distance
once, and the k nearest among the first n are the first k sorted entries whose index is below
n. On the CPU the sort goes to numpy through ``jax.pure_callback``: XLA's CPU sort took 60x
longer than ``np.argsort`` on these rows (7.3 s against 0.11 s per seed for 1000 x 4096). Distances are formed in float64 (in float32 the expansion |a|^2 + |b|^2 - 2 a.b loses the
small distances that matter at large n).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

K_CONST = 0.5
H_CONST = 0.7


def sq_distances(a, b):
    """Squared Euclidean distances ``(len(a), len(b))`` in float64."""
    a = a.astype(jnp.float64)
    b = b.astype(jnp.float64)
    d2 = jnp.sum(a**2, -1)[:, None] + jnp.sum(b**2, -1)[None, :] - 2 * a @ b.T
    return jnp.maximum(d2, 0.0)


def _np_argsort(d2):
    return np.argsort(np.asarray(d2), axis=-1, kind="stable").astype(np.int32)


def argsort_rows(d2):
    """Indices that sort each row (numpy on the CPU, XLA's sort on an accelerator)."""
    if jax.default_backend() == "cpu":
        return jax.pure_callback(_np_argsort, jax.ShapeDtypeStruct(d2.shape, jnp.int32), d2,
                                 vmap_method="expand_dims")
    return jnp.argsort(d2, axis=-1).astype(jnp.int32)


def _np_smallest(d2, k):
    d2 = np.asarray(d2)
    part = np.argpartition(d2, k - 1, axis=-1)[..., :k]
    order = np.take_along_axis(d2, part, -1).argsort(-1, kind="stable")
    return np.take_along_axis(part, order, -1).astype(np.int32)


def smallest_k(d2, k: int):
    """Indices of the ``k`` smallest entries of each row, nearest first (numpy's
    ``argpartition`` on the CPU, ``lax.top_k`` on an accelerator)."""
    if jax.default_backend() == "cpu":
        return jax.pure_callback(lambda a: _np_smallest(a, k), jax.ShapeDtypeStruct(d2.shape[:-1] + (k,), jnp.int32),
                                 d2, vmap_method="expand_dims")
    return jax.lax.top_k(-d2, k)[1].astype(jnp.int32)


def k_of_n(n, beta, d, c=K_CONST):
    """The (fractional) number of neighbours, at least 1."""
    return jnp.maximum(c * n ** (2 * beta / (2 * beta + d)), 1.0)


def h_of_n(n, beta, d, c=H_CONST):
    return c * n ** (-1.0 / (2 * beta + d))


def knn_nested(order, y, ns, ks):
    """k-NN predictions at every n of ``ns`` (static) with ``ks`` neighbours (traced, possibly
    fractional: the ``floor(k) + 1``-th nearest enters with weight ``k - floor(k)``): ``order``
    is each test point's training indices sorted by distance."""
    ys = y[order]  # (n_test, n_max) responses in distance order
    preds = []
    for n, k in zip(ns, ks):
        inside = order < n
        rank = jnp.cumsum(inside, axis=-1)
        whole = jnp.floor(k)
        w = jnp.where(inside & (rank <= whole), 1.0, jnp.where(inside & (rank == whole + 1), k - whole, 0.0))
        preds.append(jnp.sum(w * ys, -1) / k)
    return jnp.stack(preds)


def nw_nested(d2, y, ns, hs):
    """Nadaraya-Watson predictions with a Gaussian kernel of bandwidth ``hs`` at every n; the
    weights are shifted by each row's smallest distance, so they never all underflow."""
    idx = jnp.arange(d2.shape[-1])
    preds = []
    for n, h in zip(ns, hs):
        inside = (idx < n)[None, :]
        dmin = jnp.min(jnp.where(inside, d2, jnp.inf), -1, keepdims=True)
        w = jnp.where(inside, jnp.exp(-(d2 - dmin) / (2 * h**2)), 0.0)
        preds.append((w @ y.astype(w.dtype)) / jnp.sum(w, -1))
    return jnp.stack(preds)


def reference_errors(sample, ns, beta, d, *, k_const=K_CONST, h_const=H_CONST, block: int = 100) -> dict:
    """Test MSE against the noiseless target of k-NN and Nadaraya-Watson at every n of ``ns``.
    The test points go through in blocks of ``block`` (``lax.map``): the distances, their order
    and the gathered responses are ``block x n_max`` at a time, not ``n_test x n_max`` (at full
    size and 16 seeds at once, 69 GB)."""
    nn = jnp.asarray(ns, jnp.float64)
    ks = k_of_n(nn, beta, d, k_const)
    hs = h_of_n(nn, beta, d, h_const)
    y64 = sample.y.astype(jnp.float64)
    m = sample.x_test.shape[0]
    b = block if m % block == 0 else m

    def one(args):
        xq, fq = args
        d2 = sq_distances(xq, sample.x)
        knn = knn_nested(argsort_rows(d2), y64, ns, ks)
        nw = nw_nested(d2, sample.y, ns, hs)
        f = fq.astype(jnp.float64)[None, :]
        return jnp.sum((knn - f) ** 2, -1), jnp.sum((nw - f) ** 2, -1)

    se_knn, se_nw = jax.lax.map(one, (sample.x_test.reshape(m // b, b, -1), sample.f_test.reshape(m // b, b)))
    return {"knn": se_knn.sum(0) / m, "nw": se_nw.sum(0) / m, "k": ks, "h": hs}


def _np_knn_indices(xq, xt, k):
    """Brute-force k nearest training points of each query, in numpy (float64 BLAS)."""
    xq, xt = np.asarray(xq, np.float64), np.asarray(xt, np.float64)
    d2 = (xq**2).sum(-1)[..., :, None] + (xt**2).sum(-1)[..., None, :] - 2 * np.matmul(xq, np.swapaxes(xt, -1, -2))
    return _np_smallest(d2, k)


def knn_predict(x_train, y_train, x_query, k: int):
    """Plain k-NN regression (for a user, and for the benchmark against scikit-learn). On the
    CPU the distances and the partial sort run in numpy through one callback (XLA's float64
    distances and its sort were 6x slower than scikit-learn's brute force); on an accelerator
    they stay in XLA."""
    if jax.default_backend() == "cpu":
        idx = jax.pure_callback(lambda q, t: _np_knn_indices(q, t, k),
                                jax.ShapeDtypeStruct(x_query.shape[:-1] + (k,), jnp.int32),
                                x_query, x_train, vmap_method="expand_dims")
    else:
        idx = smallest_k(sq_distances(x_query, x_train), k)
    return jnp.mean(y_train[idx], -1)
