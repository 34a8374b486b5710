"""Sweep-ready simulations of the PMD family: ``sim(key, static, dynamic) -> dict of arrays``.

Each seed draws one random MDP from its key (a Garnet MDP, one with planted ties, or a
multichain one), solves it exactly, runs one method, and returns its trace. The sweep vmaps
over seeds, so every call runs a batch of independent MDP instances; shape-defining settings
(sizes, step counts, method names) are ``static``, numbers (discount, steps, noise) are traced.
float64 throughout.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from . import algorithms as alg
from . import robust as rob
from .mdp import (chain, garnet, max_entropy_optimal, min_quadratic_optimal, multichain, near_ties,
                  plant_ties, solve, solve_regularized)


def _garnet(key, static, gamma):
    return garnet(key, static["S"], static["A"], static["branching"], gamma)


def pmd_garnet(key, static, dynamic):
    """PMD on a Garnet MDP (or, with static ``instance="chain"``, on the deterministic hard
    chain of ``mdp.chain``; with ``instance="near_ties"`` on a Garnet MDP whose planted ties
    are broken by ``static["delta"]``, ``mdp.near_ties``). static: S, A, branching, steps, divergence, regularized (bool:
    entropy weight ``mu`` and the regularised reference), sampled (bool: Q from ``samples`` next
    states per pair). dynamic: gamma, schedule (an index, ``algorithms.schedule_id``), eta0,
    mu, c0, noise, bias, samples."""
    k1, k2 = jax.random.split(key)
    d = dynamic
    inst = static.get("instance", "garnet")
    if inst == "chain":
        mdp = chain(static["S"], static["A"], d["gamma"])
    elif inst == "near_ties":
        k1, k3 = jax.random.split(k1)
        mdp = near_ties(_garnet(k1, static, d["gamma"]), k3, 0.5, static["delta"])
    else:
        mdp = _garnet(k1, static, d["gamma"])
    mu = d["mu"] if static.get("regularized") else 0.0
    ref = solve_regularized(mdp, mu) if static.get("regularized") else solve(mdp)
    tr = alg.pmd(mdp, ref, static["steps"], schedule=d["schedule"], eta0=d["eta0"], mu=mu,
                 divergence=static.get("divergence", "kl"), c0=d["c0"], noise=d["noise"],
                 bias=d["bias"], key=k2,
                 samples=d["samples"] if static.get("sampled") else None)
    tr["potential"] = tr["f_gap"] + mu / (1.0 - mdp.gamma) * tr["kl_star"]
    return tr


def hpmd_ties(key, static, dynamic):
    """Homotopic (or plain) PMD on a Garnet MDP with planted ties.

    static: S, A, branching, steps, method ("hpmd" or "pmd"), divergence. dynamic: gamma,
    tau0, ties; for HPMD q_regularized and homotopy (0/1) and tau_rate (tau_k = tau0
    tau_rate^(k+1); gamma^2 when absent); for PMD schedule (an index) and eta0.
    Returns the trace, the final policy's sup distance to the maximal-entropy optimal policy
    (computed independently), to the optimal policy of least discounted regulariser of the run's
    own divergence (``dist_limit``; the same policy for KL) and to the per-state uniform split over optimal actions, the
    first iteration with exactly zero non-optimal mass (steps + 1 if never) and the last
    log10 ratio of non-optimal masses.
    """
    k1, k2 = jax.random.split(key)
    d = dynamic
    mdp = plant_ties(_garnet(k1, static, d["gamma"]), k2, d["ties"])
    ref = solve(mdp)
    steps, div = static["steps"], static.get("divergence", "kl")
    if static["method"] == "hpmd":
        tr = alg.hpmd(mdp, ref, steps, tau0=d["tau0"], divergence=div, q=d["q_regularized"] > 0,
                      homotopy=d["homotopy"] > 0, tau_rate=d.get("tau_rate"))
    else:
        tr = alg.pmd(mdp, ref, steps, schedule=d["schedule"], eta0=d["eta0"], divergence=div, eta_max=1e12)
    last = tr.pop("pi_next")
    target = max_entropy_optimal(mdp, ref.optimal)
    # the limit the homotopy selects for this divergence (least discounted regulariser)
    own = target if div == "kl" else min_quadratic_optimal(mdp, ref.optimal)
    split = ref.optimal / ref.optimal.sum(-1, keepdims=True)
    log_m = tr["log_m"]
    exact = jnp.isneginf(log_m)
    ratio = (log_m[1:] - log_m[:-1]) / jnp.log(10.0)
    finite = jnp.isfinite(ratio)
    last_ratio = jnp.where(finite.any(), ratio[jnp.max(jnp.where(finite, jnp.arange(ratio.size), -1))], jnp.nan)
    tr.update(dist_maxent=jnp.max(jnp.abs(last - target)), dist_limit=jnp.max(jnp.abs(last - own)), dist_split=jnp.max(jnp.abs(last - split)),
              first_exact=jnp.where(exact.any(), jnp.argmax(exact), steps + 1),
              last_log10_ratio=last_ratio, log10_ratio=ratio)
    return tr


def bpmd_garnet(key, static, dynamic):
    """Block PMD, ``replicas`` independent sampling runs on one MDP, averaged.

    static: S, A, branching, steps, sampling, replicas, multichain (bool), start ("uniform" or
    "first_half": the on-policy start distribution). dynamic: gamma, mu, eta_scale (the step is
    ``eta_scale (1 - gamma)/(gamma mu)``). Returns the replica-mean potential
    ``L_k = f_gap + mu/(1-gamma) E_nu* KL``. (Batch PMD on the same MDPs is ``pmd_garnet`` on the
    same stream: both draw the MDP from the first half of the key. Running it in this program
    would put two independent batched solves in flight, which deadlocked XLA's CPU runtime.)
    """
    k1, k2 = jax.random.split(key)
    d = dynamic
    S = static["S"]
    mdp = (multichain(k1, S, static["A"], static["branching"], d["gamma"]) if static.get("multichain")
           else _garnet(k1, static, d["gamma"]))
    mu = d["mu"]
    ref = solve_regularized(mdp, mu)
    eta = d["eta_scale"] * (1 - mdp.gamma) / (mdp.gamma * mu)
    rho = (jnp.where(jnp.arange(S) < S // 2, 2.0 / S, 0.0) if static.get("start") == "first_half"
           else jnp.full((S,), 1.0 / S))
    steps = static["steps"]

    def one(k):
        tr = alg.bpmd(mdp, ref, steps, k, sampling=static["sampling"], eta=eta, mu=mu, rho=rho)
        return tr["f_gap"] + mu / (1 - mdp.gamma) * tr["kl_star"]

    L = jax.vmap(one)(jax.random.split(k2, static["replicas"]))
    return {"potential": L.mean(0), "potential_replicas": L}


def rpmd_garnet(key, static, dynamic):
    """Robust PMD on a Garnet MDP with an ``l1`` or ``kl`` ball of ``radius`` around each row.
    static: S, A, branching, steps, kind, and optionally planted (bool: the instance's robust
    action gap planted at ``dynamic["delta"]`` by :func:`robust.plant_gap`). dynamic: gamma,
    radius, schedule (an index), eta0, delta (when planted). The trace gains ``gap``, the
    instance's robust action gap (:func:`robust.smallest_gap`, re-solved after planting)."""
    d = dynamic
    mdp = _garnet(key, static, d["gamma"])
    ref = rob.robust_solve(mdp, d["radius"], static["kind"])
    if static.get("planted", False):
        mdp = rob.plant_gap(mdp, ref, d["delta"])
        ref = rob.robust_solve(mdp, d["radius"], static["kind"])
    out = rob.rpmd(mdp, ref, static["steps"], radius=d["radius"], kind=static["kind"],
                   schedule=d["schedule"], eta0=d["eta0"])
    return {**out, "gap": rob.smallest_gap(ref)}


def robust_contraction(key, static, dynamic):
    """``||T V - T U||_inf`` and ``||V - U||_inf`` for random policies and value pairs.

    Half the pairs are independent Gaussian vectors (scale 1/(1-gamma)); the other half are
    ``U = V + t 1`` shifts, for which the ratio is exactly gamma (the modulus is tight).
    static: S, A, branching, pairs, kind. dynamic: gamma, radius.
    """
    d = dynamic
    k1, k2, k3, k4 = jax.random.split(key, 4)
    mdp = _garnet(k1, static, d["gamma"])
    n, S, A = static["pairs"], static["S"], static["A"]
    scale = 1.0 / (1.0 - mdp.gamma)
    V = jax.random.normal(k2, (n * S,), jnp.float64).reshape(n, S) * scale
    U = jax.random.normal(k3, (n * S,), jnp.float64).reshape(n, S) * scale
    half = jnp.arange(n) < n // 2
    U = jnp.where(half[:, None], U, V + U[:, :1])
    logits = jax.random.normal(k4, (n * S * A,), jnp.float64).reshape(n, S, A)
    pi = jax.nn.softmax(logits, -1)
    T = jax.vmap(lambda p, v: rob.robust_bellman(mdp, p, v, d["radius"], static["kind"]))
    return {"lhs": jnp.max(jnp.abs(T(pi, V) - T(pi, U)), -1), "dist": jnp.max(jnp.abs(V - U), -1),
            "gamma": mdp.gamma}
