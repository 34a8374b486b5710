"""Derivations behind the PMD claims (policy mirror descent), checked with sympy.

Notation: Delta_k = f(pi_k) - f(pi*), D_k = E_nu* D(pi*, pi_k). Two standard facts (Lan 2023,
Lemmas 2-4) give, for the prox step with weight mu >= 0 on a 1-strongly convex h,

    eta_k (Delta_{k+1} - gamma Delta_k) <= D_k - (1 + eta_k mu) D_{k+1}.          (R)

The checks below verify the algebra that turns (R) into the claimed rates, and the closed form
of the KL prox step.
"""

import sympy as sp

A = 3  # actions in the symbolic prox check


def check_kl_prox_closed_form():
    """p ∝ exp((log q - eta Q)/(1 + eta mu)) satisfies the optimality conditions of
    min_p eta <Q, p> + eta mu sum p log p + KL(p || q) over the simplex: the gradient is the
    same constant (the multiplier of sum p = 1) in every coordinate."""
    eta, mu = sp.symbols("eta mu", positive=True)
    Q = sp.symbols(f"Q0:{A}", real=True)
    q = sp.symbols(f"q0:{A}", positive=True)
    w = [sp.exp((sp.log(q[a]) - eta * Q[a]) / (1 + eta * mu)) for a in range(A)]
    Z = sum(w)
    p = [wa / Z for wa in w]
    grad = [eta * Q[a] + eta * mu * (sp.log(p[a]) + 1) + sp.log(p[a]) - sp.log(q[a]) + 1 for a in range(A)]
    for a in range(1, A):
        diff = sp.simplify(sp.expand_log(grad[a] - grad[0], force=True))
        assert diff == 0, f"KL prox: gradient differs between actions 0 and {a}: {diff}"
    assert sp.simplify(sum(p) - 1) == 0


def check_regularized_rate():
    """With 1 + eta mu = 1/gamma, (R) divided by eta reads
    Delta_{k+1} + mu/(1-gamma) D_{k+1} <= gamma (Delta_k + mu/(1-gamma) D_k): L_k <= gamma^k L_0."""
    gamma, mu = sp.symbols("gamma mu", positive=True)
    eta = (1 - gamma) / (gamma * mu)
    assert sp.simplify(1 + eta * mu - 1 / gamma) == 0
    assert sp.simplify((1 + eta * mu) / eta - mu / (1 - gamma)) == 0  # weight of D_{k+1}
    assert sp.simplify(1 / eta - gamma * mu / (1 - gamma)) == 0       # D_k / eta = gamma mu/(1-gamma) D_k


def check_constant_step_rate(K: int = 6):
    """Summing (R) with mu = 0 and a constant eta over k < K telescopes to
    (1-gamma) sum_{t=1}^{K-1} Delta_t + Delta_K - gamma Delta_0 <= D_0/eta, and monotone Delta
    gives (1-gamma) K Delta_K <= gamma Delta_0 + D_0/eta."""
    gamma = sp.Symbol("gamma", positive=True)
    Dl = sp.symbols(f"Delta0:{K + 1}", real=True)
    lhs = sum(Dl[t + 1] - gamma * Dl[t] for t in range(K))
    tele = (1 - gamma) * sum(Dl[1:K]) + Dl[K] - gamma * Dl[0]
    assert sp.expand(lhs - tele) == 0
    # tele + gamma Delta_0 - (1-gamma) K Delta_K is a sum of non-negative terms when Delta is
    # non-increasing: (1-gamma) sum_{t<K} (Delta_t - Delta_K) + gamma Delta_K (Delta_K >= 0).
    rest = (1 - gamma) * sum(Dl[t] - Dl[K] for t in range(1, K)) + gamma * Dl[K]
    assert sp.expand(tele + gamma * Dl[0] - (1 - gamma) * K * Dl[K] - rest) == 0


def check_geometric_step_envelope(K: int = 6):
    """With eta_k = eta_0 / gamma^k, (R)/(eta_k gamma^{k+1}) telescopes to
    Delta_K / gamma^K <= Delta_0 + D_0 / (gamma eta_0)."""
    gamma, eta0 = sp.symbols("gamma eta0", positive=True)
    Dl = sp.symbols(f"Delta0:{K + 1}", real=True)
    D = sp.symbols(f"D0:{K + 1}", real=True)
    total = 0
    for k in range(K):
        eta_k = eta0 / gamma**k
        # (R): eta_k (Delta_{k+1} - gamma Delta_k) <= D_k - D_{k+1}; divide by eta_k gamma^{k+1}
        assert sp.simplify(eta_k * gamma ** (k + 1) - eta0 * gamma) == 0
        total += (Dl[k + 1] / gamma ** (k + 1) - Dl[k] / gamma**k) - (D[k] - D[k + 1]) / (eta0 * gamma)
    closed = Dl[K] / gamma**K - Dl[0] - (D[0] - D[K]) / (eta0 * gamma)
    assert sp.simplify(total - closed) == 0


def check_adaptive_step_sum():
    """Johnson et al.'s error sum with c_t = c0 gamma^(2(t+1)):
    (1/(1-gamma)) sum_{t=1}^k c_{t-1}/gamma^t = c0 gamma (1 - gamma^k)/(1-gamma)^2 <= c0/(1-gamma)^2."""
    gamma, c0 = sp.symbols("gamma c0", positive=True)
    k, t = sp.symbols("k t", integer=True, positive=True)
    s = sp.summation(c0 * gamma ** (2 * t) / gamma**t, (t, 1, k)) / (1 - gamma)
    closed = c0 * gamma * (1 - gamma**k) / (1 - gamma) ** 2
    for kv in (1, 2, 5):
        for gv in (sp.Rational(1, 2), sp.Rational(9, 10)):
            assert sp.simplify((s - closed).subs({k: kv, gamma: gv})) == 0
    slack = sp.factor(c0 / (1 - gamma) ** 2 - closed)
    # c0 (1 - gamma + gamma^(k+1)) / (1-gamma)^2 >= 0 for gamma in (0, 1)
    assert sp.simplify(slack - c0 * (1 - gamma + gamma ** (k + 1)) / (1 - gamma) ** 2) == 0
