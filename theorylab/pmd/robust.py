"""Robust MDPs with (s, a)-rectangular uncertainty sets, and robust PMD (Li, Lan, Zhao 2022).

The adversary picks, for every ``(s, a)`` separately, a kernel ``p`` in a set around the nominal
row ``P(s, a, .)`` that maximises the expected cost-to-go ``<p, V>``. Two sets are offered:

* ``l1``: ``{p in simplex : ||p - P(s, a)||_1 <= r}`` -- the maximiser moves mass ``r/2`` (or
  all there is) from the lowest-``V`` states to the highest-``V`` state: closed form by sorting.
* ``kl``: ``{p : KL(p || P(s, a)) <= r}`` -- by duality (Nilim and El Ghaoui 2005)
  ``max <p, V> = min_{lam > 0} lam r + lam log E_{P(s,a)} exp(V / lam)``, a one-dimensional
  convex problem solved by bisection on ``log lam`` for ``KL(p_lam || P) = r``.

The robust Bellman operator ``(T^pi V)(s) = sum_a pi(a|s)[c(s, a) + gamma sigma_{s,a}(V)]`` is a
gamma-contraction in the sup norm (Iyengar 2005); robust policy evaluation iterates it until the
sup-norm change is below ``tol`` (the value error is then at most ``gamma tol / (1 - gamma)``).
float64 throughout.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .algorithms import kl_prox, metrics, step_size
from .mdp import MDP, Solution

SETS = ("l1", "kl")


def check_set(kind: str, radius) -> None:
    if kind not in SETS:
        raise ValueError(f"kind: uncertainty set must be one of {SETS}, got {kind!r}")
    if isinstance(radius, (int, float)) and not radius >= 0:
        raise ValueError(f"radius: must be non-negative, got {radius}")


def worst_l1(V, P, radius):
    """``max <p, V>`` over ``||p - P||_1 <= radius`` in the simplex, for rows ``P (..., S)``."""
    order = jnp.argsort(V)
    ps = P[..., order]
    top = ps[..., -1]
    delta = jnp.minimum(radius / 2.0, 1.0 - top)
    before = jnp.cumsum(ps, -1) - ps
    remove = jnp.clip(delta[..., None] - before, 0.0, ps)
    remove = remove.at[..., -1].set(0.0)
    q = (ps - remove).at[..., -1].add(delta)
    return q @ V[order]


def worst_kl(V, P, radius, iters: int = 100):
    """``max <p, V>`` over ``KL(p || P) <= radius`` via the one-dimensional dual (module doc)."""
    V = jnp.broadcast_to(V, P.shape)
    logP = jnp.where(P > 0, jnp.log(jnp.where(P > 0, P, 1.0)), -jnp.inf)
    vmax = jnp.max(jnp.where(P > 0, V, -jnp.inf), -1)
    spread = jnp.maximum(vmax - jnp.min(jnp.where(P > 0, V, jnp.inf), -1), 1e-12)

    def kl_at(lam):
        z = logP + (V - vmax[..., None]) / lam[..., None]
        logp = z - jax.nn.logsumexp(z, -1, keepdims=True)
        return jnp.sum(jnp.where(P > 0, jnp.exp(logp) * (logp - logP), 0.0), -1)

    def dual(lam):
        z = logP + (V - vmax[..., None]) / lam[..., None]
        return lam * radius + vmax + lam * jax.nn.logsumexp(z, -1)

    lo, hi = jnp.log(spread * 1e-8), jnp.log(spread * 1e8)

    def body(_, b):
        lo, hi = b
        mid = 0.5 * (lo + hi)
        big = kl_at(jnp.exp(mid)) > radius  # KL decreases in lam: root lies above mid
        return jnp.where(big, mid, lo), jnp.where(big, hi, mid)

    lo, hi = jax.lax.fori_loop(0, iters, body, (lo, hi))
    # The dual is an upper bound at every lam; its minimum over the bracket ends is the value.
    # If even the smallest lam has KL <= r, the ball contains the point mass on argmax: vmax.
    val = jnp.minimum(dual(jnp.exp(hi)), dual(jnp.exp(lo)))
    return jnp.where(kl_at(jnp.exp(jnp.log(spread * 1e-8))) <= radius, vmax, jnp.minimum(val, vmax))


def worst_case(V, P, radius, kind: str):
    """``sigma_{s,a}(V)`` for every row of ``P (S, A, S)``."""
    check_set(kind, radius)
    return worst_l1(V, P, radius) if kind == "l1" else worst_kl(V, P, radius)


def robust_q(mdp: MDP, V, radius, kind: str):
    return mdp.c + mdp.gamma * worst_case(V, mdp.P, radius, kind)


def robust_bellman(mdp: MDP, pi, V, radius, kind: str):
    """``T^pi V`` (module docstring)."""
    return jnp.sum(pi * robust_q(mdp, V, radius, kind), -1)


def _fixed_point(step, V0, tol, max_iter):
    def cond(st):
        _, d, it = st
        return (d > tol) & (it < max_iter)

    def body(st):
        V, _, it = st
        Vn = step(V)
        return Vn, jnp.max(jnp.abs(Vn - V)), it + 1

    V, _, _ = jax.lax.while_loop(cond, body, (V0, jnp.asarray(jnp.inf), jnp.asarray(0)))
    return V


def robust_evaluate(mdp: MDP, pi, radius, kind: str, tol: float = 1e-12, max_iter: int = 5000,
                    V0=None):
    """Robust ``(V^pi, Q^pi)``: iterate ``T^pi`` until the sup-norm change is below ``tol``."""
    V0 = jnp.zeros(mdp.S) if V0 is None else V0
    V = _fixed_point(lambda V: robust_bellman(mdp, pi, V, radius, kind), V0, tol, max_iter)
    return V, robust_q(mdp, V, radius, kind)


def robust_solve(mdp: MDP, radius, kind: str, tol: float = 1e-12, max_iter: int = 5000) -> Solution:
    """Robust value iteration ``V <- min_a [c + gamma sigma(V)]``; the greedy policy, the optimal
    sets and (for ``f``) the uniform weighting in place of ``nu*``."""
    V = _fixed_point(lambda V: robust_q(mdp, V, radius, kind).min(-1), jnp.zeros(mdp.S), tol, max_iter)
    Q = robust_q(mdp, V, radius, kind)
    pi = jax.nn.one_hot(jnp.argmin(Q, -1), mdp.A, dtype=jnp.float64)
    opt = Q <= Q.min(-1, keepdims=True) + 1e-10
    return Solution(V, Q, pi, opt, jnp.full((mdp.S,), 1.0 / mdp.S), jnp.asarray(0))


def smallest_gap(ref: Solution):
    """The instance's robust action gap: over states, the least ``Q_r*(s, a) - V_r*(s)`` of a
    non-greedy action (``ref.pi`` is one-hot on the greedy one)."""
    gap = ref.Q - ref.Q.min(-1, keepdims=True)
    return jnp.min(jnp.where(ref.pi > 0, jnp.inf, gap))


def plant_gap(mdp: MDP, ref: Solution, delta) -> MDP:
    """The MDP whose robust action gap (:func:`smallest_gap`) is exactly ``delta > 0``.

    Every non-greedy action within ``delta`` of the best at its state has its cost raised to
    ``delta`` above it, and the non-greedy action of least gap is moved to exactly ``delta``
    (down, if every gap exceeded it). ``V_r*`` and the greedy policy are unchanged: on
    ``(s, a)``-rectangular sets ``Q_r*(s, a) = c(s, a) + gamma sigma_{s,a}(V_r*)`` moves with
    ``c(s, a)`` alone, and no non-greedy action comes closer than ``delta`` to ``V_r*(s)``, so
    ``V_r*`` is still the fixed point of ``V <- min_a Q_r``. ``ref`` is
    :func:`robust_solve`'s solution of ``mdp``."""
    gap = ref.Q - ref.Q.min(-1, keepdims=True)
    greedy = ref.pi > 0
    masked = jnp.where(greedy, jnp.inf, gap)
    least = masked == jnp.min(masked)
    lift = jnp.where(greedy, 0.0, jnp.where(least, delta - gap, jnp.maximum(delta - gap, 0.0)))
    return MDP(mdp.P, mdp.c + lift, mdp.gamma)


def rpmd(mdp: MDP, ref: Solution, steps: int, *, radius=0.1, kind: str = "l1",
         schedule="linear", eta0=1.0, tol: float = 1e-12) -> dict:
    """Robust PMD with the KL divergence: ``log pi_{k+1} ∝ log pi_k - eta_k Q_r^{pi_k}``, where
    ``Q_r`` is the robust Q of the current policy (evaluated to ``tol``). ``ref`` is
    :func:`robust_solve`'s solution; ``f_gap`` is the uniform average of ``V_r^{pi_k} - V_r*``.
    Each robust evaluation warm-starts from the previous one."""
    check_set(kind, radius)

    def body(carry, k):
        logits, V = carry
        pi = jnp.exp(logits)
        V, Q = robust_evaluate(mdp, pi, radius, kind, tol, V0=V)
        out = metrics(ref, V, pi, logits)
        eta = step_size(schedule, k, eta0, mdp.gamma)
        out["eta"] = eta
        return (kl_prox(logits, Q, eta), V), out

    init = (jnp.full((mdp.S, mdp.A), -jnp.log(mdp.A), dtype=jnp.float64), jnp.zeros(mdp.S))
    _, tr = jax.lax.scan(body, init, jnp.arange(steps + 1))
    return tr
