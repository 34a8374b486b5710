"""Policy mirror descent and its variants, each one ``lax.scan`` returning a per-iteration trace.

PMD step (Lan 2023): ``pi_{k+1}(s) = argmin_p eta_k [<Q_k(s, .), p> + h^p(s)] + D(p, pi_k(s))``.

* KL divergence, ``h = tau * KL(p || uniform)`` (entropy regularisation, ``tau = mu``): closed
  form ``log pi_{k+1} ∝ (log pi_k - eta_k Q_k) / (1 + eta_k tau)`` (proofs_check/pmd.py).
  Computed in log space with ``Q - min_a Q`` so a step of 1e10 does not swamp ties.
* Euclidean divergence ``D = 1/2 ||p - q||^2``, ``h = tau/2 ||p - uniform||^2``: a projection
  ``Proj_simplex((pi_k - eta_k Q_k + eta_k tau u) / (1 + eta_k tau))`` by sorting.

Step-size schedules (``schedule``): ``constant`` ``eta0``; ``geometric`` ``eta0 / gamma^k``;
``linear`` ``eta0 (k + 1)``; ``decaying`` ``eta0 / (k + 1)``; ``adaptive`` the rule of Johnson,
Pike-Burke and Rebeschini (NeurIPS 2023): ``eta_k = max_s D(greedy_k(s), pi_k(s)) / c_k`` with
``c_k = c0 gamma^(2(k+1))``; ``homotopic`` ``eta0 / gamma^(2(k+1))``, homotopic PMD's own step
sequence (with ``eta0 = (1 - gamma)/(gamma tau0)`` it is the step HPMD takes, ``eta_k tau_k =
(1 - gamma)/gamma``), so plain PMD can run HPMD's schedule without its regularisation (the
schedule-matched control of the homotopy). Steps are capped at ``eta_max`` so float64 keeps the ties; the
trace records the step actually taken.

Each trace row ``k`` describes the policy ``pi_k`` *before* update ``k`` (row 0 is the start),
measured against a reference :class:`~theorylab.pmd.mdp.Solution`:

* ``gap_inf`` ``||V^{pi_k} - V*||_inf``; ``f_gap`` ``E_{nu*}[V^{pi_k} - V*]`` (Lan's objective);
* ``kl_star`` ``E_{nu*} KL(pi*(s) || pi_k(s))``;
* ``log_m`` the log of the non-optimal mass ``E_{nu*} sum_{a not in A*(s)} pi_k(a|s)``, computed
  in log space so it never underflows; ``eta`` the step used at ``k``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .mdp import (MDP, Solution, evaluate, evaluate_pair, kl_uniform, policy_kernel, q_from_v,
                  solve_pair, uniform)

SCHEDULES = ("constant", "geometric", "linear", "decaying", "adaptive", "homotopic")
DIVERGENCES = ("kl", "euclidean")


def check_options(schedule="constant", divergence: str = "kl") -> None:
    if isinstance(schedule, str) and schedule not in SCHEDULES:
        raise ValueError(f"schedule: must be one of {SCHEDULES}, got {schedule!r}")
    if divergence not in DIVERGENCES:
        raise ValueError(f"divergence: must be one of {DIVERGENCES}, got {divergence!r}")


def schedule_id(name: str) -> int:
    """The index of a schedule name: pass it as a traced value so that one compiled program
    serves every schedule."""
    check_options(name)
    return SCHEDULES.index(name)


# ----------------------------------------------------------------------------------------
# One prox step
# ----------------------------------------------------------------------------------------
def proj_simplex(v):
    """Euclidean projection of each row of ``v`` onto the simplex (sort-based, Duchi et al.
    2008). Rows are shifted by their maximum first (the projection is shift-equivariant) so
    huge entries do not cost precision."""
    v = v - v.max(-1, keepdims=True)
    n = v.shape[-1]
    u = -jnp.sort(-v, axis=-1)
    css = jnp.cumsum(u, -1) - 1.0
    ind = jnp.broadcast_to(jnp.arange(1, n + 1, dtype=v.dtype), v.shape)
    rho = jnp.sum(u - css / ind > 0, -1, keepdims=True)
    theta = jnp.take_along_axis(css, rho - 1, -1) / rho
    return jnp.maximum(v - theta, 0.0)


def kl_prox(logits, Q, eta, tau=0.0):
    """Closed-form KL prox step in log space; ``eta`` may be per state ``(S, 1)``."""
    adv = Q - Q.min(-1, keepdims=True)
    z = (logits - eta * adv) / (1.0 + eta * tau)
    return jax.nn.log_softmax(z, -1)


def euclid_prox(pi, Q, eta, tau=0.0):
    """Euclidean prox step with the optional pull ``tau/2 ||p - uniform||^2``."""
    A = pi.shape[-1]
    adv = Q - Q.min(-1, keepdims=True)
    return proj_simplex((pi - eta * adv + eta * tau / A) / (1.0 + eta * tau))


def _log(pi):
    return jnp.where(pi > 0, jnp.log(jnp.where(pi > 0, pi, 1.0)), -jnp.inf)


def regularizer(pi, logits, tau, divergence: str):
    """Per-state ``h^pi(s)``: ``tau KL(pi(s) || uniform)`` or ``tau/2 ||pi(s) - uniform||^2``."""
    A = pi.shape[-1]
    if divergence == "kl":
        return tau * (jnp.sum(jnp.where(pi > 0, pi * logits, 0.0), -1) + jnp.log(A))
    return 0.5 * tau * jnp.sum((pi - 1.0 / A) ** 2, -1)


def greedy_divergence(pi, logits, Q, divergence: str):
    """``D(greedy(s), pi(s))`` for the (first) greedy action of ``Q``: ``-log pi(a*|s)`` or
    ``1/2 ||e_{a*} - pi(s)||^2``. Using one greedy action (not the minimiser over all greedy
    policies) can only enlarge the adaptive step, which keeps Johnson et al.'s condition."""
    a = jnp.argmin(Q, -1)
    if divergence == "kl":
        return -jnp.take_along_axis(logits, a[:, None], -1)[:, 0]
    e = jax.nn.one_hot(a, pi.shape[-1], dtype=pi.dtype)
    return 0.5 * jnp.sum((e - pi) ** 2, -1)


def step_size(schedule, k, eta0, gamma, *, D=None, c0=1.0, eta_max=1e10):
    """The step ``eta_k`` of a schedule (see the module docstring), capped at ``eta_max``.

    ``schedule`` is a name or its (possibly traced) index from :func:`schedule_id`; ``D`` (the
    per-state greedy divergences) is only used by ``adaptive``.
    """
    idx = schedule_id(schedule) if isinstance(schedule, str) else schedule
    kf = jnp.asarray(k, jnp.float64)
    dmax = 0.0 if D is None else jnp.max(D)
    etas = jnp.stack([eta0 * jnp.ones_like(kf),                       # constant
                      eta0 * gamma ** (-kf),                          # geometric
                      eta0 * (kf + 1.0),                              # linear
                      eta0 / (kf + 1.0),                              # decaying
                      dmax / (c0 * gamma ** (2.0 * (kf + 1.0))),      # adaptive
                      eta0 * gamma ** (-2.0 * (kf + 1.0))])            # homotopic
    return jnp.minimum(etas[idx], eta_max)


# ----------------------------------------------------------------------------------------
# Trace metrics
# ----------------------------------------------------------------------------------------
def metrics(ref: Solution, V, pi, logits) -> dict:
    """Distances of ``pi`` (values ``V``) to the reference solution (module docstring)."""
    nu = ref.nu
    logstar = _log(ref.pi)
    kl = jnp.sum(jnp.where(ref.pi > 0, ref.pi * (logstar - logits), 0.0), -1)
    lognu = _log(nu)
    log_m = jax.nn.logsumexp(jnp.where(ref.optimal, -jnp.inf, lognu[:, None] + logits))
    return {"gap_inf": jnp.max(jnp.abs(V - ref.V)), "f_gap": nu @ (V - ref.V),
            "kl_star": nu @ kl, "log_m": log_m}


def _policy(state, divergence):
    """``(pi, logits)`` from the carried policy representation."""
    if divergence == "kl":
        return jnp.exp(state), state
    return state, _log(state)


def initial(mdp: MDP, divergence: str):
    """The uniform policy in the representation the divergence carries."""
    S, A = mdp.S, mdp.A
    if divergence == "kl":
        return jnp.full((S, A), -jnp.log(A), dtype=jnp.float64)
    return jnp.full((S, A), 1.0 / A, dtype=jnp.float64)


def prox(state, Q, eta, tau, divergence):
    if divergence == "kl":
        return kl_prox(state, Q, eta, tau)
    return euclid_prox(state, Q, eta, tau)


# ----------------------------------------------------------------------------------------
# PMD
# ----------------------------------------------------------------------------------------
def pmd(mdp: MDP, ref: Solution, steps: int, *, schedule="constant", eta0=1.0, mu=0.0,
        divergence: str = "kl", c0=1.0, eta_max=1e10, noise=0.0, bias=0.0, key=None,
        samples=None) -> dict:
    """Run PMD; returns the trace (rows 0..steps) and ``pi_next``, the policy after row ``steps``.

    Args:
        mdp, ref: the MDP and its reference solution (``solve`` or ``solve_regularized``).
        schedule, eta0, c0, eta_max: the step sizes (module docstring); ``schedule`` may be a
            traced index (:func:`schedule_id`).
        mu: entropy (KL) or quadratic (Euclidean) regularisation weight; ``V`` then includes it.
        noise: sup-norm ``b`` of i.i.d. U[-b, b] errors added to ``Q`` (inexact PMD).
        bias: a deterministic error of sup-norm ``bias``: ``+bias`` on the reference's optimal
            actions, ``-bias`` elsewhere (the least favourable direction).
        samples: if given, ``Q`` is estimated from ``samples`` next states per ``(s, a)``
            (a generative model): exact evaluation of the policy in the empirical MDP.
        key: PRNG key for ``noise``/``samples``.
    """
    check_options(schedule, divergence)
    key = jax.random.PRNGKey(0) if key is None else key
    gamma = mdp.gamma

    def body(carry, k):
        state, key = carry
        key, kq = jax.random.split(key)
        pi, logits = _policy(state, divergence)
        h = regularizer(pi, logits, mu, divergence)
        if samples is None:
            V, Q = evaluate(mdp, pi, h)
            Qhat = Q
        else:  # exact values for the trace, the empirical MDP's Q for the update
            emp = empirical(mdp, kq, samples)
            (Ppi, cpi), (Pe, _) = policy_kernel(mdp, pi), policy_kernel(emp, pi)
            eye = jnp.eye(mdp.S)
            V, Ve = solve_pair(eye - gamma * Ppi, cpi + h, eye - gamma * Pe, cpi + h)
            Q, Qhat = q_from_v(mdp, V), q_from_v(emp, Ve)
        out = metrics(ref, V, pi, logits)
        Qhat = Qhat + noise * uniform(kq, Q.shape, -1.0, 1.0)
        Qhat = Qhat + bias * jnp.where(ref.optimal, 1.0, -1.0)
        out["q_err"] = jnp.max(jnp.abs(Qhat - Q))  # sup-norm error of the Q the update uses
        D = greedy_divergence(pi, logits, Qhat, divergence)
        eta = step_size(schedule, k, eta0, gamma, D=D, c0=c0, eta_max=eta_max)
        out["eta"] = eta
        return (prox(state, Qhat, eta, mu, divergence), key), out

    (state, _), tr = jax.lax.scan(body, (initial(mdp, divergence), key), jnp.arange(steps + 1))
    tr["pi_next"] = _policy(state, divergence)[0]  # pi_{steps+1}, after the last update
    return tr


def empirical(mdp: MDP, key, m) -> MDP:
    """The empirical MDP from ``m`` sampled next states per ``(s, a)`` (generative model).

    Counts are drawn as one multinomial per ``(s, a)`` (``jax.random.multinomial``), so the
    cost does not grow with ``m`` and ``m`` may be a traced value (one compile per shape).
    """
    counts = jax.random.multinomial(key, jnp.asarray(m, jnp.float64), mdp.P, dtype=jnp.float64)
    return MDP(counts / m, mdp.c, mdp.gamma)


# ----------------------------------------------------------------------------------------
# Homotopic PMD
# ----------------------------------------------------------------------------------------
def hpmd(mdp: MDP, ref: Solution, steps: int, *, tau0=1.0, tau_rate=None, divergence: str = "kl",
         q="regularized", eta_max=1e12, homotopy=True) -> dict:
    """Homotopic PMD (Li, Lan, Zhao 2022): regularisation ``tau_k`` toward the uniform policy
    shrinks geometrically while ``eta_k tau_k = (1 - gamma)/gamma`` stays fixed.

    ``tau_k = tau0 * tau_rate^(k+1)`` with ``tau_rate = gamma^2`` by default (the schedule is
    recalled, [unverified]); ``homotopy=False`` keeps ``tau_k = tau0`` (the control).
    ``q="regularized"`` updates with Q of the ``tau_k``-regularised MDP (the paper's method; the
    last iterate then tends to the optimal policy of maximal discounted entropy);
    ``q="plain"`` with the unregularised Q (the limit is then the per-state uniform split over
    optimal actions). The trace's gaps are always those of the unregularised MDP; ``tau`` and
    ``eta`` are recorded. ``q`` and ``homotopy`` may also be traced booleans (``q`` then means
    "regularised"), so one compiled program serves every variant.
    """
    check_options("constant", divergence)
    if isinstance(q, str) and q not in ("regularized", "plain"):
        raise ValueError(f"q: must be 'regularized' or 'plain', got {q!r}")
    q_reg = (q == "regularized") if isinstance(q, str) else q
    gamma = mdp.gamma
    rate = jnp.where(homotopy, gamma**2 if tau_rate is None else tau_rate, 1.0)

    def body(state, k):
        pi, logits = _policy(state, divergence)
        tau = tau0 * rate ** (k + 1.0)
        (V, Q0), (_, Qtau) = evaluate_pair(mdp, pi, regularizer(pi, logits, tau, divergence))
        out = metrics(ref, V, pi, logits)
        Q = jnp.where(q_reg, Qtau, Q0)
        eta = jnp.minimum((1.0 - gamma) / (gamma * tau), eta_max)
        out.update(eta=eta, tau=tau)
        return prox(state, Q, eta, tau, divergence), out

    state, tr = jax.lax.scan(body, initial(mdp, divergence), jnp.arange(steps + 1, dtype=jnp.float64))
    tr["pi_next"] = _policy(state, divergence)[0]  # pi_{steps+1}, after the last update
    return tr


# ----------------------------------------------------------------------------------------
# Block PMD
# ----------------------------------------------------------------------------------------
SAMPLINGS = ("uniform", "on_policy", "hybrid")


def bpmd(mdp: MDP, ref: Solution, steps: int, key, *, sampling: str = "uniform", eta=1.0, mu=0.0,
         rho=None) -> dict:
    """Block PMD (Lan, Li, Zhao 2022): each iteration updates the policy at one sampled state.

    ``sampling``: ``uniform`` over states; ``on_policy`` from the discounted visitation
    ``d_rho^{pi_k} = (1 - gamma) rho (I - gamma P_{pi_k})^{-1}`` of the current policy from the
    start distribution ``rho`` (uniform by default); ``hybrid`` one or the other with
    probability 1/2. KL divergence with entropy weight ``mu`` and a constant step ``eta``.
    """
    if sampling not in SAMPLINGS:
        raise ValueError(f"sampling: must be one of {SAMPLINGS}, got {sampling!r}")
    S, gamma = mdp.S, mdp.gamma
    rho = jnp.full((S,), 1.0 / S) if rho is None else rho

    def body(carry, k):
        logits, key = carry
        key, ks, kc = jax.random.split(key, 3)
        pi = jnp.exp(logits)
        h = mu * kl_uniform(pi)
        if sampling == "uniform":
            V, Q = evaluate(mdp, pi, h)
            probs = jnp.full((S,), 1.0 / S)
        else:  # values and the visitation d = (1-gamma) (I - gamma P_pi)^-T rho in one solve
            Ppi, cpi = policy_kernel(mdp, pi)
            M = jnp.eye(S) - gamma * Ppi
            V, d = solve_pair(M, cpi + h, M.T, (1 - gamma) * rho)
            Q = q_from_v(mdp, V)
            d = jnp.maximum(d, 0.0)
            probs = d if sampling == "on_policy" else jnp.where(jax.random.bernoulli(kc), 1.0 / S, d)
        out = metrics(ref, V, pi, logits)
        s = jax.random.choice(ks, S, p=probs / probs.sum())
        new = kl_prox(logits, Q, eta, mu)
        logits = jnp.where((jnp.arange(S) == s)[:, None], new, logits)
        out["state"] = s
        return (logits, key), out

    _, tr = jax.lax.scan(body, (initial(mdp, "kl"), key), jnp.arange(steps + 1))
    return tr
