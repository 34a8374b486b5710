"""The PMD family: MDP substrate against independent oracles, algorithm invariants, bad
inputs, and every claim at quick size with its control."""


import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import linprog, minimize, minimize_scalar

import theorylab
from theorylab import pmd
from theorylab.core import sweep as sweep_mod
from theorylab.pmd import algorithms as alg
from theorylab.pmd import simulations as sims

KEY = jax.random.PRNGKey(7)


def _numpy_value_iteration(P, c, gamma, tol=1e-14):
    """An independent oracle: plain value iteration in numpy."""
    V = np.zeros(P.shape[0])
    while True:
        Vn = (c + gamma * P @ V).min(1)
        if np.abs(Vn - V).max() < tol * (1 - gamma):
            return Vn
        V = Vn


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.99])
def test_solver_matches_value_iteration(gamma):
    m = pmd.garnet(jax.random.fold_in(KEY, int(gamma * 100)), 12, 4, 3, gamma)
    sol = pmd.solve(m)
    V = _numpy_value_iteration(np.asarray(m.P), np.asarray(m.c), gamma)
    # Value iteration stops within 1e-14; the solve's rounding is ~cond * eps * ||V||.
    assert np.abs(np.asarray(sol.V) - V).max() < 1e-10 / (1 - gamma)
    # the returned policy is optimal and greedy w.r.t. its Q
    assert np.all(np.asarray(sol.optimal)[np.arange(12), np.argmax(np.asarray(sol.pi), 1)])


def test_evaluate_matches_a_direct_numpy_solve():
    m = pmd.garnet(KEY, 9, 3, 9, 0.8)
    pi = np.asarray(jax.random.dirichlet(KEY, jnp.ones(3), (9,)))
    V, Q = pmd.evaluate(m, jnp.asarray(pi))
    P, c = np.asarray(m.P), np.asarray(m.c)
    Ppi, cpi = np.einsum("sa,san->sn", pi, P), (pi * c).sum(1)
    Vn = np.linalg.solve(np.eye(9) - 0.8 * Ppi, cpi)
    np.testing.assert_allclose(np.asarray(V), Vn, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(Q), c + 0.8 * P @ Vn, rtol=1e-12)


def test_stationary_distribution_is_invariant_even_for_multichain():
    for m in (pmd.garnet(KEY, 10, 3, 2, 0.9), pmd.multichain(KEY, 10, 3, 3, 0.9)):
        sol = pmd.solve(m)
        Ppi = np.einsum("sa,san->sn", np.asarray(sol.pi), np.asarray(m.P))
        nu = np.asarray(sol.nu)
        assert nu.min() >= 0 and abs(nu.sum() - 1) < 1e-12
        np.testing.assert_allclose(nu @ Ppi, nu, atol=1e-12)
    half = np.asarray(sol.nu)[:5].sum()  # the multichain one: both classes are charged
    assert 0 < half < 1


def test_planted_ties_keep_the_optimal_value():
    m = pmd.garnet(KEY, 15, 4, 4, 0.9)
    t = pmd.plant_ties(m, jax.random.fold_in(KEY, 1), 1.0)
    s0, s1 = pmd.solve(m), pmd.solve(t)
    np.testing.assert_allclose(np.asarray(s1.V), np.asarray(s0.V), atol=1e-13)
    assert np.all(np.asarray(s1.optimal).sum(1) == 2)


def test_near_ties_plant_an_action_gap_of_exactly_delta():
    m = pmd.garnet(KEY, 15, 4, 4, 0.9)
    t = pmd.near_ties(m, jax.random.fold_in(KEY, 1), 1.0, 1e-3)
    s0, s1 = pmd.solve(m), pmd.solve(t)
    np.testing.assert_allclose(np.asarray(s1.V), np.asarray(s0.V), atol=1e-13)
    gap = np.sort(np.asarray(s1.Q - s1.V[:, None]), 1)[:, 1]  # second-smallest action gap
    np.testing.assert_allclose(gap, 1e-3, atol=1e-12)


def test_chain_improves_one_state_per_policy_iteration():
    S, A, g = 8, 3, 0.9
    m = pmd.chain(S, A, g)
    s = pmd.solve(m)
    dist = S - 1 - np.arange(S)
    np.testing.assert_allclose(np.asarray(s.V), (1 - g**dist) / (1 - g), atol=1e-12)
    assert np.all(np.asarray(s.optimal)[:-1, 0]) and not np.any(np.asarray(s.optimal)[:-1, 1:])
    pi = np.zeros((S, A))
    pi[:, 1] = 1.0  # stay everywhere
    steps = 0
    while not np.all(np.asarray(s.optimal)[np.arange(S), pi.argmax(1)]):
        _, Q = pmd.evaluate(m, jnp.asarray(pi))
        new = np.asarray(Q).argmin(1)
        assert np.sum(new[:-1] == 0) == min(steps + 1, S - 1)  # the wave moves one state
        pi = np.eye(A)[new]
        steps += 1
    assert steps == S - 1


def test_min_quadratic_optimal_has_the_least_discounted_regulariser():
    m = pmd.plant_ties(pmd.garnet(KEY, 12, 4, 4, 0.9), jax.random.fold_in(KEY, 2), 1.0)
    s = pmd.solve(m)
    pi = pmd.min_quadratic_optimal(m, s.optimal)
    opt = np.asarray(s.optimal)
    assert np.all(np.asarray(pi)[~opt] == 0) and np.allclose(np.asarray(pi).sum(1), 1)

    def reg(p):  # discounted regulariser: value with h = 1/2 ||p - uniform||^2 minus V*
        h = 0.5 * jnp.sum((p - 1.0 / m.A) ** 2, -1)
        return np.asarray(pmd.evaluate(m, p, h)[0] - s.V)

    split = jnp.asarray(opt / opt.sum(1, keepdims=True))
    rng = np.random.default_rng(0)
    for other in [split] + [jnp.asarray(opt * w / (opt * w).sum(1, keepdims=True))
                            for w in rng.random((5,) + opt.shape)]:
        assert np.all(reg(pi) <= reg(other) + 1e-10)


def test_regularized_solution_is_a_soft_fixed_point():
    m = pmd.garnet(KEY, 8, 3, 3, 0.9)
    mu = 0.1
    s = pmd.solve_regularized(m, mu)
    np.testing.assert_allclose(np.asarray(s.pi), np.asarray(jax.nn.softmax(-s.Q / mu, -1)), atol=1e-10)


def test_kl_prox_equals_a_numerical_argmin():
    rng = np.random.default_rng(0)
    q = rng.dirichlet(np.ones(4))
    Q = rng.normal(size=4)
    eta, mu = 0.7, 0.3
    p = np.exp(np.asarray(alg.kl_prox(jnp.log(jnp.asarray(q))[None], jnp.asarray(Q)[None], eta, mu))[0])

    def obj(z):
        x = np.exp(z - z.max())
        x = x / x.sum()
        return eta * Q @ x + eta * mu * (x * np.log(x)).sum() + (x * np.log(x / q)).sum()

    z = minimize(obj, np.zeros(4), method="BFGS", options={"gtol": 1e-12}).x
    x = np.exp(z - z.max())
    np.testing.assert_allclose(p, x / x.sum(), atol=1e-6)
    assert obj(np.log(p)) <= obj(z) + 1e-12


def test_euclidean_prox_is_the_simplex_projection():
    rng = np.random.default_rng(1)
    v = rng.normal(size=(20, 5)) * 3
    p = np.asarray(alg.proj_simplex(jnp.asarray(v)))
    assert np.all(p >= 0) and np.allclose(p.sum(1), 1, atol=1e-14)
    for row, pr in zip(v, p):  # KKT: p = max(v - theta, 0) for one theta per row
        theta = (row - pr)[pr > 0]
        assert np.ptp(theta) < 1e-12
        assert np.all(row[pr == 0] <= theta[0] + 1e-12)
    # a huge step lands exactly on the vertex of the best action (finite-time exactness)
    big = np.asarray(alg.euclid_prox(jnp.full((1, 3), 1 / 3), jnp.array([[1.0, 0.0, 2.0]]), 1e10))
    assert big.tolist() == [[0.0, 1.0, 0.0]]


@pytest.mark.parametrize("divergence", ["kl", "euclidean"])
def test_regularizer_is_tau_times_the_divergence_to_uniform(divergence):
    """h^pi(s) = tau KL(pi(s) || uniform) or tau/2 ||pi(s) - uniform||^2, as its docstring says,
    against numpy (a vertex included: 0 log 0 = 0)."""
    rng = np.random.default_rng(3)
    pi = rng.dirichlet(np.ones(4), size=6)
    pi[0] = [1.0, 0.0, 0.0, 0.0]
    logits = np.log(np.where(pi > 0, pi, 1.0))
    tau = 0.3
    h = np.asarray(alg.regularizer(jnp.asarray(pi), jnp.asarray(logits), tau, divergence))
    if divergence == "kl":
        ref = tau * np.array([sum(p * np.log(4 * p) for p in row if p > 0) for row in pi])
    else:
        ref = tau / 2 * ((pi - 0.25) ** 2).sum(1)
    np.testing.assert_allclose(h, ref, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("divergence", ["kl", "euclidean"])
def test_policies_stay_on_the_simplex(divergence):
    m = pmd.garnet(KEY, 10, 4, 4, 0.9)
    ref = pmd.solve(m)
    tr = pmd.pmd(m, ref, 30, schedule="adaptive", divergence=divergence)
    pi = np.asarray(tr["pi_next"])
    assert pi.min() >= 0 and np.allclose(pi.sum(1), 1, atol=1e-12)
    gap = np.asarray(tr["f_gap"])
    assert np.all(np.diff(gap) <= 1e-12)  # exact PMD improves monotonically


def test_robust_inner_maxima_match_independent_solvers():
    rng = np.random.default_rng(2)
    S, r = 7, 0.3
    for _ in range(4):
        V = rng.normal(size=S)
        P = rng.dirichlet(np.ones(S))
        # l1 ball as a linear program in (p, t): max V.p, |p - P| <= t, sum t <= r
        c = np.concatenate([-V, np.zeros(S)])
        A_ub = np.block([[np.eye(S), -np.eye(S)], [-np.eye(S), -np.eye(S)],
                         [np.zeros((1, S)), np.ones((1, S))]])
        lp = linprog(c, A_ub=A_ub, b_ub=np.concatenate([P, -P, [r]]),
                     A_eq=np.concatenate([np.ones(S), np.zeros(S)])[None], b_eq=[1],
                     bounds=[(0, None)] * (2 * S))
        assert float(pmd.worst_l1(jnp.asarray(V), jnp.asarray(P), r)) == pytest.approx(-lp.fun, abs=1e-9)
        # KL ball through its dual, minimised by scipy over log lambda
        dual = minimize_scalar(lambda t: np.exp(t) * r + np.exp(t) * np.log(P @ np.exp(V / np.exp(t))),
                               bounds=(-6, 6), method="bounded", options={"xatol": 1e-12})
        assert float(pmd.worst_kl(jnp.asarray(V), jnp.asarray(P), r)) == pytest.approx(dual.fun, abs=1e-8)


def test_robust_evaluation_with_zero_radius_is_the_nominal_one():
    m = pmd.garnet(KEY, 8, 3, 3, 0.9)
    pi = jnp.full((8, 3), 1 / 3)
    V, _ = pmd.evaluate(m, pi)
    Vr, _ = pmd.robust_evaluate(m, pi, 0.0, "l1")
    np.testing.assert_allclose(np.asarray(Vr), np.asarray(V), atol=1e-10)


@pytest.mark.parametrize("kind", ["l1", "kl"])
@pytest.mark.parametrize("delta", [0.3, 0.02, 1e-3])
def test_planted_gap_is_exact_and_keeps_the_robust_solution(kind, delta):
    """rpmd.increasing_steps_linear's instances: re-solving the planted MDP from scratch gives
    the same V_r* and greedy policy, and a smallest action gap of exactly delta (raised where
    gaps were smaller, lowered where every gap was larger)."""
    for i in range(3):
        m = pmd.garnet(jax.random.fold_in(KEY, i), 8, 3, 3, 0.9)
        ref = pmd.robust_solve(m, 0.2, kind)
        new = pmd.robust_solve(pmd.plant_gap(m, ref, delta), 0.2, kind)
        np.testing.assert_allclose(np.asarray(new.V), np.asarray(ref.V), atol=1e-9)
        assert np.array_equal(np.asarray(new.pi), np.asarray(ref.pi))
        assert float(pmd.smallest_gap(new)) == pytest.approx(delta, rel=1e-8)
        gaps = np.asarray(new.Q - new.Q.min(-1, keepdims=True))[np.asarray(new.pi) == 0]
        assert gaps.min() >= delta * (1 - 1e-8)


def test_empirical_mdp_is_a_valid_mdp():
    m = pmd.garnet(KEY, 6, 2, 3, 0.9)
    e = pmd.empirical(m, KEY, 50.0)
    P = np.asarray(e.P)
    assert np.allclose(P.sum(-1), 1) and np.all(P[np.asarray(m.P) == 0] == 0)
    assert np.allclose(P * 50, np.round(P * 50))  # counts out of m


@pytest.mark.parametrize("bad, match", [
    (lambda: pmd.MDP(np.ones((3, 2, 3)), np.zeros((3, 2)), 0.9), "P: each row"),
    (lambda: pmd.MDP(np.full((3, 2, 3), 1 / 3), np.zeros((2, 2)), 0.9), "c: must have shape"),
    (lambda: pmd.MDP(np.full((3, 2, 4), 1 / 4), np.zeros((3, 2)), 0.9), "P: must have shape"),
    (lambda: pmd.MDP(np.full((3, 2, 3), 1 / 3), np.zeros((3, 2)), 1.0), "gamma"),
    (lambda: pmd.MDP(np.full((3, 2, 3), 1 / 3), np.full((3, 2), np.nan), 0.9), "c: costs"),
    (lambda: pmd.garnet(KEY, 5, 2, 6, 0.9), "branching"),
    (lambda: pmd.garnet(KEY, 0, 2, 1, 0.9), "S"),
    (lambda: pmd.garnet(KEY, 5, 2, 2, -0.1), "gamma"),
    (lambda: pmd.multichain(KEY, 5, 2, 2, 0.9), "S"),
    (lambda: pmd.pmd(pmd.garnet(KEY, 4, 2, 2, 0.9), None, 3, schedule="cosine"), "schedule"),
    (lambda: pmd.hpmd(pmd.garnet(KEY, 4, 2, 2, 0.9), None, 3, q="soft"), "q"),
    (lambda: pmd.bpmd(pmd.garnet(KEY, 4, 2, 2, 0.9), None, 3, KEY, sampling="greedy"), "sampling"),
    (lambda: pmd.worst_l1 and pmd.robust.check_set("box", 0.1), "kind"),
    (lambda: pmd.robust.check_set("l1", -1.0), "radius"),
])
def test_bad_inputs_are_clear_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()


def test_one_compile_for_a_sweep_over_gamma_and_schedules():
    sweep_mod.TRACE_COUNTS.clear()
    sw = sweep_mod.Sweep("test.pmd", 0)
    static = {"S": 6, "A": 2, "branching": 2, "steps": 5}
    dyn = {"eta0": 1.0, "mu": 0.0, "c0": 1.0, "noise": 0.0, "bias": 0.0, "samples": 1.0}
    sw.run(sims.pmd_garnet, [(static, {**dyn, "gamma": g, "schedule": alg.schedule_id(s)})
                             for g in (0.5, 0.9) for s in alg.SCHEDULES], 2)
    assert list(sweep_mod.TRACE_COUNTS.values()) == [1]


# ----------------------------------------------------------------------------------------
# Every claim and control at quick size
# ----------------------------------------------------------------------------------------
FAMILY = "pmd"  # its substrate tests run in the family's precision (conftest)
CLAIMS = [c.id for c in theorylab.claims("pmd")]


def test_family_covers_the_issue():
    prefixes = {c.split(".")[0] for c in CLAIMS}
    assert prefixes == {"pmd", "hpmd", "bpmd", "rpmd", "spmd"}
    assert len(CLAIMS) == 17


def test_hybrid_sampling_converges_where_on_policy_stalls():
    m = pmd.multichain(KEY, 8, 3, 3, 0.9)
    mu = 0.1
    ref = pmd.solve_regularized(m, mu)
    rho = jnp.where(jnp.arange(8) < 4, 0.25, 0.0)

    def final(sampling):
        tr = pmd.bpmd(m, ref, 300, KEY, sampling=sampling, eta=(1 - 0.9) / (0.9 * mu), mu=mu, rho=rho)
        L = np.asarray(tr["f_gap"] + mu / 0.1 * tr["kl_star"])
        return L[-1] / L[0]

    assert final("hybrid") < 0.05 < final("on_policy")
