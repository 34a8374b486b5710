"""Finite discounted MDPs with costs: the container, generators, exact evaluation, solvers.

Conventions (Lan 2023): costs ``c(s, a)`` are minimised, ``V^pi(s) = E sum_t gamma^t
[c(s_t, a_t) + h^pi(s_t)]`` with an optional per-state regulariser ``h``, and
``Q^pi(s, a) = c(s, a) + gamma sum_s' P(s'|s, a) V^pi(s')`` (no ``h`` at the current state).
Policies are ``(S, A)`` arrays of probabilities (or of log-probabilities where the name says
``logits``).

Precision: float64 throughout. The checks of this family follow gaps down to 1e-11 and the
homotopic method's tie splitting, both of which break in float32.

Every function works on one MDP and vmaps over a batch of MDPs of equal shape.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

#: Actions whose Q is within this of the state's minimum count as optimal (float64 Q of size
#: up to 1/(1-gamma) = 100 carries rounding errors near 1e-13; genuine gaps of a random MDP
#: are many orders larger).
OPTIMAL_ATOL = 1e-10


def _is_concrete(x) -> bool:
    return isinstance(x, (np.ndarray, np.generic, float, int)) or (
        isinstance(x, jax.Array) and not isinstance(x, jax.core.Tracer))


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class MDP:
    """A finite discounted MDP: transitions ``P (S, A, S)``, costs ``c (S, A)``, discount ``gamma``.

    Concrete arrays are validated on construction (shapes agree, rows of ``P`` are
    distributions, costs finite, ``gamma`` in (0, 1)); inside ``jit``/``vmap`` the leaves are
    tracers and validation is left to whoever built them (the generators below build valid MDPs).
    """

    P: jax.Array
    c: jax.Array
    gamma: jax.Array

    def __post_init__(self):
        if all(_is_concrete(v) for v in (self.P, self.c, self.gamma)):
            validate(self.P, self.c, self.gamma)

    @property
    def S(self) -> int:
        return self.P.shape[-3]

    @property
    def A(self) -> int:
        return self.P.shape[-2]


def validate(P, c, gamma) -> None:
    """Raise ``ValueError`` naming the parameter if ``(P, c, gamma)`` is not a valid MDP."""
    P, c, g = np.asarray(P), np.asarray(c), np.asarray(gamma)
    if P.ndim < 3 or P.shape[-1] != P.shape[-3]:
        raise ValueError(f"P: must have shape (S, A, S), got {P.shape}")
    if c.shape != P.shape[:-1]:
        raise ValueError(f"c: must have shape (S, A) = {P.shape[:-1]}, got {c.shape}")
    if not np.all(np.isfinite(P)) or np.any(P < 0):
        raise ValueError("P: entries must be finite and non-negative")
    if not np.allclose(P.sum(-1), 1.0, rtol=0, atol=1e-10):
        raise ValueError(f"P: each row P[s, a, :] must sum to 1 (worst {np.abs(P.sum(-1) - 1).max():.2e})")
    if not np.all(np.isfinite(c)):
        raise ValueError("c: costs must be finite")
    if not (np.all(g > 0) and np.all(g < 1)):
        raise ValueError(f"gamma: must lie in (0, 1), got {g}")


def uniform(key, shape, lo=0.0, hi=1.0):
    """U[lo, hi) float64 draws of ``shape``, drawn flat and reshaped: multi-dimensional shapes
    make XLA compile the threefry generator an order of magnitude slower on the CPU (seconds)."""
    n = int(np.prod(shape))
    return jax.random.uniform(key, (n,), jnp.float64, lo, hi).reshape(shape)


def _check_sizes(**sizes) -> None:
    for name, v in sizes.items():
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name}: must be a positive integer, got {v!r}")


def _check_gamma(gamma) -> None:
    if _is_concrete(gamma) and not (0 < float(gamma) < 1):
        raise ValueError(f"gamma: must lie in (0, 1), got {gamma}")


# ----------------------------------------------------------------------------------------
# Generators
# ----------------------------------------------------------------------------------------
def garnet(key, S: int, A: int, branching: int, gamma) -> MDP:
    """A Garnet MDP (Archibald, McKinnon, Thomas 1995).

    Each ``(s, a)`` moves to ``branching`` distinct next states chosen uniformly, with
    Dirichlet(1) weights; costs are U[0, 1]. Vmaps over ``key``.
    """
    _check_sizes(S=S, A=A, branching=branching)
    if branching > S:
        raise ValueError(f"branching: must be at most S = {S}, got {branching}")
    _check_gamma(gamma)
    k1, k2, k3 = jax.random.split(key, 3)
    _, nxt = jax.lax.top_k(uniform(k1, (S, A, S)), branching)
    w = -jnp.log1p(-uniform(k2, (S, A, branching)))  # Exp(1): normalised, Dirichlet(1)
    w = w / w.sum(-1, keepdims=True)
    P = jnp.einsum("sab,sabn->san", w, jax.nn.one_hot(nxt, S, dtype=jnp.float64))
    c = uniform(k3, (S, A))
    return MDP(P, c, jnp.asarray(gamma, jnp.float64))


def chain(S: int, A: int, gamma) -> MDP:
    """A chain on which policy improvement moves one state per iteration (a hard instance).

    States ``0 .. S-2`` form a line toward the absorbing, cost-free goal ``S-1``. Action 0
    advances one state at cost 1; actions ``1 .. A-1`` stay at cost ``1 - gamma^(S-1)/2``.
    Advancing is optimal everywhere (its value ``(1 - gamma^m)/(1 - gamma)`` at distance ``m``
    is below staying's ``(1 - gamma^(S-1)/2)/(1 - gamma)``), but one advance step costs more
    than one stay step, so a state prefers to advance only once the next state's policy
    already advances: the improvement travels from the goal one state per iteration, and the
    sup-norm gap shrinks like ``gamma^k``, the rate the upper bounds give. Deterministic.
    """
    _check_sizes(S=S, A=A)
    if S < 3 or A < 2:
        raise ValueError(f"S, A: a chain needs S >= 3 and A >= 2, got S={S}, A={A}")
    _check_gamma(gamma)
    g = jnp.asarray(gamma, jnp.float64)
    s = jnp.arange(S)
    nxt = jnp.where(s < S - 1, s + 1, S - 1)
    adv = jax.nn.one_hot(nxt, S, dtype=jnp.float64)          # (S, S)
    stay = jnp.eye(S, dtype=jnp.float64)
    P = jnp.concatenate([adv[:, None, :], jnp.broadcast_to(stay[:, None, :], (S, A - 1, S))], 1)
    c_stay = 1.0 - g ** (S - 1) / 2
    c = jnp.concatenate([jnp.ones((S, 1)), jnp.full((S, A - 1), 1.0) * c_stay], 1)
    c = jnp.where((s == S - 1)[:, None], 0.0, c)
    return MDP(P, c, g)


def multichain(key, S: int, A: int, branching: int, gamma) -> MDP:
    """Two closed classes of ``S // 2`` states each (block-diagonal Garnet).

    Under every policy the chain never leaves the half it starts in, so a sampling
    distribution generated from a start in the first half never sees the second half.
    """
    _check_sizes(S=S, A=A, branching=branching)
    if S < 2 or S % 2:
        raise ValueError(f"S: must be an even number >= 2, got {S}")
    h = S // 2
    k1, k2 = jax.random.split(key)
    m1, m2 = garnet(k1, h, A, min(branching, h), gamma), garnet(k2, h, A, min(branching, h), gamma)
    z = jnp.zeros((h, A, h))
    P = jnp.concatenate([jnp.concatenate([m1.P, z], -1), jnp.concatenate([z, m2.P], -1)], 0)
    return MDP(P, jnp.concatenate([m1.c, m2.c], 0), m1.gamma)


def plant_ties(mdp: MDP, key, fraction: float = 0.5) -> MDP:
    """Give about ``fraction`` of the states a second optimal action.

    In each chosen state the best non-optimal action's cost is lowered by its gap
    ``Q*(s, a) - V*(s)``; ``V*`` is unchanged (it still solves the Bellman equation) and the two
    actions become exactly tied up to float64 rounding (~1e-15).
    """
    sol = solve(mdp)
    gap = sol.Q - sol.V[:, None]
    second = jnp.argmin(jnp.where(sol.optimal, jnp.inf, gap), axis=-1)
    chosen = uniform(key, (mdp.S,)) < fraction
    lower = jax.nn.one_hot(second, mdp.A, dtype=jnp.float64) * jnp.take_along_axis(
        gap, second[:, None], -1) * chosen[:, None]
    return MDP(mdp.P, mdp.c - lower, mdp.gamma)


def near_ties(mdp: MDP, key, fraction: float = 0.5, delta: float = 1e-3) -> MDP:
    """:func:`plant_ties`, then the planted second action made worse by exactly ``delta``: in
    about ``fraction`` of the states the action gap is ``delta`` (``V*`` is unchanged), so an
    estimate of ``Q`` with errors above ``delta/2`` can pick the wrong action there."""
    sol = solve(mdp)
    tied = plant_ties(mdp, key, fraction)
    new = solve(tied)
    second = new.optimal & ~sol.optimal  # the planted optimal action
    return MDP(tied.P, tied.c + delta * second, tied.gamma)


# ----------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------
def policy_kernel(mdp: MDP, pi):
    """``P_pi (S, S)`` and ``c_pi (S,)`` of a policy ``pi (S, A)``."""
    return jnp.einsum("sa,san->sn", pi, mdp.P), jnp.sum(pi * mdp.c, -1)


def evaluate(mdp: MDP, pi, h=None):
    """Exact ``(V^pi, Q^pi)`` by one linear solve ``(I - gamma P_pi) V = c_pi + h``.

    Args:
        mdp: the MDP.
        pi: ``(S, A)`` action probabilities.
        h: optional ``(S,)`` regulariser value ``h^pi(s)`` added to the per-state cost.
    """
    Ppi, cpi = policy_kernel(mdp, pi)
    if h is not None:
        cpi = cpi + h
    S = mdp.S
    V = jnp.linalg.solve(jnp.eye(S) - mdp.gamma * Ppi, cpi)
    return V, q_from_v(mdp, V)


def evaluate_pair(mdp: MDP, pi, h):
    """``(V, Q)`` without and with the regulariser ``h``, from one solve with two right-hand
    sides: one factorisation instead of two (and, on the CPU, no two batched LAPACK calls in
    flight at once -- with batches of 256 and more those deadlocked XLA in jax 0.10.2)."""
    Ppi, cpi = policy_kernel(mdp, pi)
    W = jnp.linalg.solve(jnp.eye(mdp.S) - mdp.gamma * Ppi, jnp.stack([cpi, cpi + h], -1))
    V, Vh = W[:, 0], W[:, 1]
    return (V, q_from_v(mdp, V)), (Vh, q_from_v(mdp, Vh))


def solve_pair(M1, b1, M2, b2):
    """``M1^{-1} b1`` and ``M2^{-1} b2`` from one block-diagonal solve, for the same reason as
    :func:`evaluate_pair` (at these sizes the 8x flops cost less than a second LAPACK call)."""
    S = M1.shape[-1]
    Z = jnp.zeros_like(M1)
    x = jnp.linalg.solve(jnp.block([[M1, Z], [Z, M2]]), jnp.concatenate([b1, b2]))
    return x[:S], x[S:]


def q_from_v(mdp: MDP, V):
    """``Q(s, a) = c(s, a) + gamma sum_s' P(s'|s, a) V(s')``."""
    return mdp.c + mdp.gamma * jnp.einsum("san,n->sa", mdp.P, V)


def stationary(Ppi, rho=None, squarings: int = 64):
    """The Cesaro-limit distribution ``rho lim_n (1/n) sum_t P_pi^t``.

    Computed as ``rho M^(2^squarings)`` for the lazy chain ``M = (I + P_pi)/2`` (same
    Cesaro limit, aperiodic), squaring with row renormalisation after each step (without it
    rounding drift overflows the rows after ~64 squarings). Works for chains that are not
    ergodic: the limit then depends on ``rho`` (uniform by default).
    """
    S = Ppi.shape[-1]
    M = 0.5 * (jnp.eye(S) + Ppi)

    def sq(M, _):
        M = M @ M
        return M / M.sum(-1, keepdims=True), None

    M, _ = jax.lax.scan(sq, M, None, length=squarings)
    rho = jnp.full((S,), 1.0 / S) if rho is None else rho
    nu = rho @ M
    return nu / nu.sum()


# ----------------------------------------------------------------------------------------
# Solvers
# ----------------------------------------------------------------------------------------
class Solution(NamedTuple):
    """Reference solution: ``V*``, ``Q*``, an optimal policy, the optimal action sets, and the
    stationary distribution ``nu*`` of that policy (uniform start, Cesaro limit)."""

    V: jax.Array
    Q: jax.Array
    pi: jax.Array
    optimal: jax.Array
    nu: jax.Array
    iterations: jax.Array


def solve(mdp: MDP, max_iter: int = 200, atol: float = OPTIMAL_ATOL) -> Solution:
    """Policy iteration in float64 (Howard 1960): exact evaluation, greedy improvement.

    The current action is kept unless another is better by more than 1e-12, so exact ties
    cannot make it cycle. Stops when the policy is stable (at most ``max_iter`` rounds).
    """
    A = mdp.A
    a0 = jnp.argmin(mdp.c, -1)

    def cond(st):
        _, changed, it = st
        return changed & (it < max_iter)

    def body(st):
        a, _, it = st
        _, Q = evaluate(mdp, jax.nn.one_hot(a, A, dtype=jnp.float64))
        keep = jnp.take_along_axis(Q, a[:, None], -1)[:, 0] <= Q.min(-1) + 1e-12
        new = jnp.where(keep, a, jnp.argmin(Q, -1))
        return new, jnp.any(new != a), it + 1

    a, _, it = jax.lax.while_loop(cond, body, (a0, jnp.asarray(True), jnp.asarray(0)))
    pi = jax.nn.one_hot(a, A, dtype=jnp.float64)
    V, Q = evaluate(mdp, pi)
    Ppi, _ = policy_kernel(mdp, pi)
    return Solution(V, Q, pi, Q <= Q.min(-1, keepdims=True) + atol, stationary(Ppi), it)


def neg_entropy(pi):
    """``sum_a pi log pi`` per state (0 log 0 = 0)."""
    return jnp.sum(jnp.where(pi > 0, pi * jnp.log(jnp.where(pi > 0, pi, 1.0)), 0.0), -1)


def kl_uniform(pi):
    """``KL(pi(s) || uniform) = sum_a pi log pi + log A`` per state."""
    return neg_entropy(pi) + jnp.log(pi.shape[-1])


def solve_regularized(mdp: MDP, mu, max_iter: int = 200, tol: float = 1e-13) -> Solution:
    """The optimal policy of the entropy-regularised MDP, ``h^pi(s) = mu KL(pi(s) || uniform)``
    (Lan's negative entropy ``mu sum_a pi log pi`` shifted by the constant ``mu log A``, which
    moves every value by ``mu log A / (1 - gamma)`` and changes no policy).

    Soft policy iteration: ``pi <- softmax(-Q^pi / mu)`` with exact regularised evaluation,
    until ``V`` changes by less than ``tol`` (it converges quadratically near the optimum).
    ``optimal`` is all-true (every action has positive probability).
    """
    S, A = mdp.S, mdp.A

    def cond(st):
        _, _, dv, it = st
        return (dv > tol) & (it < max_iter)

    def body(st):
        logits, V, _, it = st
        pi = jnp.exp(logits)
        Vn, Q = evaluate(mdp, pi, mu * kl_uniform(pi))
        return jax.nn.log_softmax(-Q / mu, -1), Vn, jnp.max(jnp.abs(Vn - V)), it + 1

    init = (jnp.full((S, A), -jnp.log(A), dtype=jnp.float64), jnp.full((S,), jnp.inf),
            jnp.asarray(jnp.inf), jnp.asarray(0))
    logits, _, _, it = jax.lax.while_loop(cond, body, init)
    pi = jnp.exp(logits)
    V, Q = evaluate(mdp, pi, mu * kl_uniform(pi))
    Ppi, _ = policy_kernel(mdp, pi)
    return Solution(V, Q, pi, jnp.ones((S, A), bool), stationary(Ppi), it)


def max_entropy_optimal(mdp: MDP, optimal, tol: float = 1e-14, max_iter: int = 5000):
    """The optimal policy of maximal discounted entropy, independently of any PMD code.

    Among policies supported on the optimal action sets every one is optimal, so maximising
    ``E sum_t gamma^t H(pi(s_t))`` is a soft value iteration restricted to ``optimal``:
    ``W(s) = log sum_{a in A*(s)} exp(gamma P(s, a) . W)``, ``pi(a|s) ∝ exp(gamma P(s, a) . W)``.
    """
    def soft(W):
        z = jnp.where(optimal, mdp.gamma * jnp.einsum("san,n->sa", mdp.P, W), -jnp.inf)
        return z

    def cond(st):
        _, dw, it = st
        return (dw > tol) & (it < max_iter)

    def body(st):
        W, _, it = st
        Wn = jax.nn.logsumexp(soft(W), -1)
        return Wn, jnp.max(jnp.abs(Wn - W)), it + 1

    W, _, _ = jax.lax.while_loop(cond, body, (jnp.zeros(mdp.S), jnp.asarray(jnp.inf), jnp.asarray(0)))
    return jax.nn.softmax(soft(W), -1)



def min_quadratic_optimal(mdp: MDP, optimal, tol: float = 1e-14, max_iter: int = 5000):
    """The optimal policy of least discounted Euclidean regulariser, independently of PMD code.

    The Euclidean analogue of :func:`max_entropy_optimal`: among policies supported on the
    optimal action sets, minimise ``E sum_t gamma^t h(pi(s_t))`` with
    ``h(p) = 1/2 ||p - uniform||^2`` by value iteration restricted to ``optimal``:
    ``W(s) = min_{p in simplex(A*(s))} h(p) + gamma sum_a p_a P(s, a) . W``, whose minimiser is
    the Euclidean projection of ``uniform - gamma P W`` onto the optimal actions' simplex.
    """
    A = mdp.A
    big = 1e30  # non-optimal entries sit far below the simplex: the projection gives them 0

    def policy(W):
        g = mdp.gamma * jnp.einsum("san,n->sa", mdp.P, W)
        v = jnp.where(optimal, 1.0 / A - g, -big)
        v = v - jnp.max(v, -1, keepdims=True)
        u = -jnp.sort(-v, axis=-1)
        css = jnp.cumsum(u, -1) - 1.0
        ind = jnp.broadcast_to(jnp.arange(1, A + 1, dtype=v.dtype), v.shape)
        rho = jnp.sum(u - css / ind > 0, -1, keepdims=True)
        theta = jnp.take_along_axis(css, rho - 1, -1) / rho
        p = jnp.where(optimal, jnp.maximum(v - theta, 0.0), 0.0)
        return p, g

    def cond(st):
        _, dw, it = st
        return (dw > tol) & (it < max_iter)

    def body(st):
        W, _, it = st
        p, g = policy(W)
        Wn = 0.5 * jnp.sum((p - 1.0 / A) ** 2, -1) + jnp.sum(p * g, -1)
        return Wn, jnp.max(jnp.abs(Wn - W)), it + 1

    W, _, _ = jax.lax.while_loop(cond, body, (jnp.zeros(mdp.S), jnp.asarray(jnp.inf), jnp.asarray(0)))
    return policy(W)[0]
