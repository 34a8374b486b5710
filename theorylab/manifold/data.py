"""Data on low-dimensional manifolds in R^D: manifolds, targets of controlled smoothness, samples.

Manifolds are given by an isometric embedding into a small R^{D0} and a uniform sampler;
:func:`draw` rotates the embedded points into R^D by a random orthonormal frame from the key
and zero-pads to ``D_max`` coordinates (padding changes no distance, so one compiled program
serves every ``D <= D_max``; ``D`` itself may be traced).

Built in: ``circle`` (d = 1, in R^2), ``torus`` (the flat torus T^d, in R^{2d} as
(cos t_1, sin t_1, ..., cos t_d, sin t_d); T^2 lies in R^4), ``sphere`` (S^2 in R^3), and the
negative control ``cube`` (points filling [-1, 1]^D, which no low-dimensional structure
helps). :func:`register_manifold` adds a manifold from a sampler and its dimension.

Targets: a random Fourier series in the intrinsic angles (circle, torus; the cube uses its
first two coordinates as angles pi x) with coefficients g_k |k|^-(beta + d/2), g_k standard
normal, random phases, scaled to unit variance exactly (the cosines are orthogonal under the
uniform law). Such a function lies in the Sobolev space H^s for every s < beta. On other
manifolds the series runs over the ambient coordinates of the embedding (decay chosen so that
its trace on the manifold has the same smoothness), scaled to unit variance over a large
reference sample.

Samples are nested: the size-n sample is the first n points of one draw at the largest n, and
the test points are shared across n and D, so seeds pair across the whole grid.
Precision: float32 (the errors measured are ~1e-3 of a unit-variance target).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

DTYPE = jnp.float32


@dataclasses.dataclass(frozen=True)
class Manifold:
    """A d-dimensional manifold embedded isometrically in R^{ambient}.

    ``sample(key, n) -> (coords (n, c), points (n, ambient))``: uniform points and their
    intrinsic coordinates (angles for the torus; anything the target can use).
    ``angles`` says the coordinates are angles in [0, 2 pi) (the Fourier target uses them).
    """

    name: str
    d: int
    ambient: int
    sample: Callable
    angles: bool = False


_MANIFOLDS: dict[str, Manifold] = {}


def register_manifold(name: str, d: int, ambient: int, sample: Callable, angles: bool = False) -> Manifold:
    """Add a manifold: ``sample(key, n)`` returns ``(coords, points)`` with points of shape
    ``(n, ambient)`` drawn uniformly (w.r.t. the volume) from the embedded manifold."""
    if not isinstance(d, int) or d < 1:
        raise ValueError(f"d: the intrinsic dimension must be a positive integer, got {d!r}")
    if not isinstance(ambient, int) or ambient <= d:
        raise ValueError(f"ambient: the embedding dimension must exceed d={d}, got {ambient!r}")
    m = Manifold(name, d, ambient, sample, angles)
    _MANIFOLDS[name] = m
    return m


def _uniform(key, shape, lo, hi):
    n = int(np.prod(shape))
    return jax.random.uniform(key, (n,), DTYPE, lo, hi).reshape(shape)


def _torus_sampler(d):
    def sample(key, n):
        t = _uniform(key, (n, d), 0.0, 2 * math.pi)
        pts = jnp.stack([jnp.cos(t), jnp.sin(t)], axis=-1).reshape(n, 2 * d)
        return t, pts
    return sample


def _sphere_sample(key, n):
    g = jax.random.normal(key, (n * 3,), DTYPE).reshape(n, 3)
    p = g / jnp.linalg.norm(g, axis=-1, keepdims=True)
    return p, p


register_manifold("circle", 1, 2, _torus_sampler(1), angles=True)
for _d in (2, 3):
    register_manifold("torus" if _d == 2 else f"torus{_d}", _d, 2 * _d, _torus_sampler(_d), angles=True)
register_manifold("sphere", 2, 3, _sphere_sample)


def manifold(name: str) -> Manifold:
    if name == "cube":
        raise ValueError("manifold: 'cube' is the negative control, not a manifold; use draw(..., 'cube')")
    if name not in _MANIFOLDS:
        raise ValueError(f"manifold: unknown manifold {name!r} (known: {', '.join(sorted(_MANIFOLDS))}, "
                         "or register_manifold)")
    return _MANIFOLDS[name]


def intrinsic_dim(name: str) -> int:
    return 2 if name == "cube" else manifold(name).d  # the cube target varies in 2 coordinates


# ----------------------------------------------------------------------------------------
# Targets
# ----------------------------------------------------------------------------------------
def frequencies(dims: int, kmax: int) -> np.ndarray:
    """Nonzero integer frequencies of Z^dims with |k|_inf <= kmax, one of each +-k pair."""
    ks = [k for k in itertools.product(range(-kmax, kmax + 1), repeat=dims)
          if any(k) and k[next(i for i, v in enumerate(k) if v)] > 0]
    return np.asarray(ks, np.float32)


KMAX = {1: 512, 2: 40, 3: 12}  # frequency cut-offs: the tail beyond holds < 1e-3 of the variance at beta >= 1


class Target(NamedTuple):
    freqs: jax.Array   # (m, c) integer frequencies
    coef: jax.Array    # (m,) amplitudes a_k (already scaled to unit variance)
    phase: jax.Array   # (m,)
    angular: bool      # on angles (True) or on ambient coordinates times pi (False)
    kmax: int


def target(key, name: str, beta) -> Target:
    """A random Fourier series of smoothness ``beta`` for manifold ``name`` (traceable in beta)."""
    if name == "cube" or manifold(name).angles:
        dims = 2 if name == "cube" else manifold(name).d
        angular = True
    else:
        dims, angular = manifold(name).ambient, False
    d = intrinsic_dim(name)
    # decay |k|^-(beta + d/2) on the intrinsic torus; for an ambient series in R^D0 the decay
    # |k|^-(beta + D0 - d/2) gives H^s(R^D0), s < beta + (D0 - d)/2, whose trace on the
    # d-dimensional manifold has s < beta (the trace theorem loses (D0 - d)/2)
    p = beta + d / 2 if angular else beta + dims - d / 2
    kmax = KMAX.get(dims, 8)
    F = frequencies(dims, kmax)
    kg, kp = jax.random.split(key)
    norm = jnp.sqrt(jnp.sum(jnp.asarray(F) ** 2, axis=-1))
    coef = jax.random.normal(kg, (F.shape[0],), DTYPE) * norm ** (-p)
    phase = _uniform(kp, (F.shape[0],), 0.0, 2 * math.pi)
    t = Target(jnp.asarray(F), coef, phase, angular, kmax)
    if angular:  # E cos(k.t + phi)^2 = 1/2 and the terms are orthogonal under the uniform law
        return t._replace(coef=coef / jnp.sqrt(jnp.sum(coef**2) / 2))
    _, ref = manifold(name).sample(jax.random.fold_in(key, 7), 20000)  # unit variance, empirically
    return t._replace(coef=coef / jnp.std(evaluate(t, ref, ref)))


def _angular_sum(t: Target, theta):
    """sum_k a_k cos(k.theta + phi_k) as Re(sum_k c_k prod_j e^{i k_j theta_j}): the
    coefficients on a dense (2K+1)^c grid contracted one angle at a time, so the cost is a few
    matmuls and 2K+1 complex exponentials per angle, not one cosine per point and term."""
    K, c = t.kmax, theta.shape[-1]
    idx = tuple((t.freqs[:, j].astype(jnp.int32) + K) for j in range(c))
    C = jnp.zeros((2 * K + 1,) * c, jnp.complex64).at[idx].add(t.coef * jnp.exp(1j * t.phase))
    ks = jnp.arange(-K, K + 1, dtype=DTYPE)
    E = [jnp.exp(1j * theta[:, j:j + 1] * ks[None, :]).astype(jnp.complex64) for j in range(c)]
    acc = E[0] @ C.reshape(2 * K + 1, -1)  # (n, (2K+1)^(c-1))
    for j in range(1, c):
        acc = jnp.sum(acc.reshape(acc.shape[0], 2 * K + 1, -1) * E[j][:, :, None], axis=1)
    return jnp.real(acc[:, 0]).astype(DTYPE)


def evaluate(t: Target, coords, points):
    """The target at points with intrinsic coordinates ``coords`` (ambient ``points``)."""
    if t.angular:
        return _angular_sum(t, coords)
    z = math.pi * points
    return jnp.cos(z @ t.freqs.T + t.phase[None, :]) @ t.coef


# ----------------------------------------------------------------------------------------
# Samples
# ----------------------------------------------------------------------------------------
def frame(key, D, D_max: int, k: int):
    """``k`` orthonormal columns spanning a random subspace of the first ``D`` of ``D_max``
    coordinates (``D`` may be traced). Gram-Schmidt by hand: no LAPACK call, so the program can
    run in several threads (see theorylab.core.sweep.run_keys)."""
    G = jax.random.normal(key, (D_max * k,), DTYPE).reshape(D_max, k)
    G = jnp.where((jnp.arange(D_max) < D)[:, None], G, 0.0)
    cols = []
    for j in range(k):
        v = G[:, j]
        for _ in range(2):  # twice: orthogonal to rounding error
            for q in cols:
                v = v - (q @ v) * q
        cols.append(v / jnp.linalg.norm(v))
    return jnp.stack(cols, axis=1)


class Sample(NamedTuple):
    x: jax.Array       # (n_max, D_max) inputs, zero beyond coordinate D
    y: jax.Array       # (n_max,) noisy responses
    f: jax.Array       # (n_max,) noiseless target values
    x_test: jax.Array  # (n_test, D_max)
    f_test: jax.Array  # (n_test,)


def draw(key, name: str, *, n_max: int, n_test: int, D, D_max: int, beta, sigma,
         ambient_sigma=0.0) -> Sample:
    """One seed's data: a target, ``n_max`` nested training points with noise ``sigma``, and
    ``n_test`` test points, in R^D zero-padded to ``D_max`` (traceable in D, beta, sigma).
    ``ambient_sigma`` > 0 adds N(0, ambient_sigma^2) to each of the D coordinates of every
    input (training and test; the target keeps the clean point): data near, not on, the
    manifold, whose off-manifold energy D ambient_sigma^2 grows with D."""
    kt, kx, ke, kq, kz = jax.random.split(key, 5)
    tgt = target(kt, name, beta)
    n = n_max + n_test
    if name == "cube":
        u = _uniform(kx, (n, D_max), -1.0, 1.0)
        pts = jnp.where((jnp.arange(D_max) < D)[None, :], u, 0.0)
        f = evaluate(tgt, math.pi * pts[:, :2], None)
    else:
        m = manifold(name)
        coords, emb = m.sample(kx, n)
        pts = emb @ frame(kq, D, D_max, m.ambient).T
        f = evaluate(tgt, coords, emb)
    amb = jax.random.normal(kz, (n * D_max,), DTYPE).reshape(n, D_max)
    pts = pts + ambient_sigma * jnp.where((jnp.arange(D_max) < D)[None, :], amb, 0.0)
    noise = sigma * jax.random.normal(ke, (n_max,), DTYPE)
    return Sample(pts[:n_max], f[:n_max] + noise, f[:n_max], pts[n_max:], f[n_max:])


def sample(key, name: str, *, n: int, D: int, beta: float = 1.0, sigma: float = 0.5,
           n_test: int = 1000) -> Sample:
    """One checked draw: ``n`` noisy points on manifold ``name`` (or ``"cube"``) in R^D with a
    random target of smoothness ``beta``, and ``n_test`` test points."""
    check_data_params(name=name, d=intrinsic_dim(name) if name != "cube" else None, D=D, n=n,
                      beta=beta, sigma=sigma)
    if not isinstance(n_test, (int, np.integer)) or n_test < 1:
        raise ValueError(f"n_test: must be a positive integer, got {n_test!r}")
    return draw(key, name, n_max=int(n), n_test=int(n_test), D=int(D), D_max=int(D), beta=float(beta),
                sigma=float(sigma))


def check_data_params(*, name=None, d=None, D=None, n=None, n_min_split=None, beta=None, sigma=None) -> None:
    """Raise ``ValueError`` naming the first bad parameter (concrete values only)."""
    if name is not None and name != "cube":
        manifold(name)
    if D is not None:
        if not isinstance(D, (int, np.integer)) or D < 1:
            raise ValueError(f"D: the ambient dimension must be a positive integer, got {D!r}")
        if name is not None and name != "cube":
            m = manifold(name)
            if D < m.ambient:
                raise ValueError(f"D: {name} is embedded in R^{m.ambient}; D must be at least that, got {D}")
        if d is not None and d >= D:
            raise ValueError(f"d: the intrinsic dimension must be below D={D}, got {d}")
    if n is not None:
        need = n_min_split or 2
        if not isinstance(n, (int, np.integer)) or n < need:
            raise ValueError(f"n: need at least {need} points (a training and a validation part), got {n!r}")
    if beta is not None and not (math.isfinite(beta) and beta > 0):
        raise ValueError(f"beta: the smoothness must be finite and > 0, got {beta!r}")
    if sigma is not None and not (math.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"sigma: the noise level must be finite and >= 0, got {sigma!r}")
