"""Derivations behind the large_lr claims (large-learning-rate GD), checked with sympy.

f(x, y) = 1/2 (x^T y - mu)^2, GD x' = x - eta r y, y' = y - eta r x with r = x^T y - mu.
"""

import sympy as sp

N = 3  # the identities are checked for vectors of this length, entry by entry symbolic


def _vectors(n=N):
    x = sp.Matrix(sp.symbols(f"x0:{n}", real=True))
    y = sp.Matrix(sp.symbols(f"y0:{n}", real=True))
    return x, y


def check_imbalance_identity_vector():
    """D_{k+1} = (1 - eta^2 r_k^2) D_k for one GD step on 1/2 (x^T y - mu)^2."""
    eta, mu = sp.symbols("eta mu", real=True)
    x, y = _vectors()
    r = (x.T * y)[0] - mu
    # the step is GD on f: check the gradient first
    f = sp.Rational(1, 2) * r**2
    gx = sp.Matrix([sp.diff(f, v) for v in x])
    gy = sp.Matrix([sp.diff(f, v) for v in y])
    assert sp.simplify(gx - r * y) == sp.zeros(N, 1) and sp.simplify(gy - r * x) == sp.zeros(N, 1)
    x1, y1 = x - eta * gx, y - eta * gy
    D = (x.T * x)[0] - (y.T * y)[0]
    D1 = (x1.T * x1)[0] - (y1.T * y1)[0]
    assert sp.expand(D1 - (1 - eta**2 * r**2) * D) == 0, "vector imbalance identity"


def check_imbalance_identity_matrix():
    """D' = D + eta^2 (Y^T R^T R Y - X^T R R^T X) for GD on 1/2 ||A - X Y^T||_F^2."""
    m, rk = 3, 2
    eta = sp.Symbol("eta", real=True)
    X = sp.Matrix(m, rk, sp.symbols(f"X0:{m * rk}", real=True))
    Y = sp.Matrix(m, rk, sp.symbols(f"Y0:{m * rk}", real=True))
    A = sp.Matrix(m, m, sp.symbols(f"A0:{m * m}", real=True))
    R = X * Y.T - A
    f = sp.Rational(1, 2) * sum(e**2 for e in R)
    GX = sp.Matrix(m, rk, lambda i, j: sp.diff(f, X[i, j]))
    GY = sp.Matrix(m, rk, lambda i, j: sp.diff(f, Y[i, j]))
    assert sp.expand(GX - R * Y) == sp.zeros(m, rk) and sp.expand(GY - R.T * X) == sp.zeros(m, rk)
    X1, Y1 = X - eta * GX, Y - eta * GY
    D = X.T * X - Y.T * Y
    D1 = X1.T * X1 - Y1.T * Y1
    pred = D + eta**2 * (Y.T * R.T * R * Y - X.T * R * R.T * X)
    assert sp.expand(D1 - pred) == sp.zeros(rk, rk), "matrix imbalance identity"


def check_gradient_flow_conserves_imbalance():
    """d/dt (||x||^2 - ||y||^2) = 0 under x' = -r y, y' = -r x (so GD's change is O(eta^2))."""
    mu = sp.Symbol("mu", real=True)
    x, y = _vectors()
    r = (x.T * y)[0] - mu
    dD = 2 * (x.T * (-r * y))[0] - 2 * (y.T * (-r * x))[0]
    assert sp.expand(dD) == 0


def check_top_hessian_eigenvalue_at_minimiser():
    """At x^T y = mu the Hessian is v v^T with v = (y, x): top eigenvalue ||x||^2 + ||y||^2."""
    mu = sp.Symbol("mu", real=True)
    x, y = _vectors()
    z = list(x) + list(y)
    r = (x.T * y)[0] - mu
    H = sp.hessian(sp.Rational(1, 2) * r**2, z)
    v = sp.Matrix(list(y) + list(x))
    # H = r * [[0, I], [I, 0]] + v v^T exactly; at r = 0 it is the rank-one v v^T
    J = sp.zeros(2 * N, 2 * N)
    for i in range(N):
        J[i, N + i] = J[N + i, i] = 1
    assert sp.expand(H - (r * J + v * v.T)) == sp.zeros(2 * N, 2 * N)
    S = (x.T * x)[0] + (y.T * y)[0]
    assert sp.expand((v * v.T) * v - S * v) == sp.zeros(2 * N, 1), "v is an eigenvector with eigenvalue S"


def check_linear_stability_threshold():
    """GD's Jacobian at a minimiser is I - eta H: the v-direction multiplier 1 - eta S has
    modulus <= 1 exactly when S <= 2/eta (eta, S > 0)."""
    eta, S = sp.symbols("eta S", positive=True)
    sol = sp.solve_univariate_inequality(sp.Abs(1 - eta * S) <= 1, S, relational=False)
    assert sol == sp.Interval(0, 2 / eta), sol


def check_stability_chain_to_gap_bound():
    """S <= 2/eta and x^T y = mu give ||x - y||^2 = S - 2 mu <= 2/eta - 2 mu, and S >= 2 mu
    (AM-GM) makes a minimiser reachable only if eta <= 1/mu."""
    eta, mu = sp.symbols("eta mu", positive=True)
    x, y = _vectors()
    S = (x.T * x)[0] + (y.T * y)[0]
    gap2 = ((x - y).T * (x - y))[0]
    xy = (x.T * y)[0]
    assert sp.expand(gap2 - (S - 2 * xy)) == 0  # then substitute x^T y = mu
    assert sp.expand(S - 2 * xy - gap2) == 0 and sp.expand((S + 2 * xy) - ((x + y).T * (x + y))[0]) == 0
    # S >= 2|x^T y| = 2 mu; with S <= 2/eta a minimiser is reachable only if 2 mu <= 2/eta,
    # i.e. eta <= 1/mu:
    sol = sp.solve_univariate_inequality(2 * mu <= 2 / eta, eta, relational=False)
    assert sol == sp.Interval.Lopen(0, 1 / mu), sol


def check_outer_losses_normalised():
    """l(0) = 0, l'(0) = 0, l''(0) = 1 for quadratic, log-cosh, pseudo-Huber; the last two are
    sub-quadratic: l''(r) < 1 for r != 0 (so the same GD steps see a flatter landscape)."""
    r = sp.Symbol("r", real=True)
    losses = {"quadratic": r**2 / 2, "logcosh": sp.log(sp.cosh(r)), "pseudohuber": sp.sqrt(1 + r**2) - 1}
    for name, l in losses.items():
        assert sp.simplify(l.subs(r, 0)) == 0, name
        assert sp.simplify(sp.diff(l, r).subs(r, 0)) == 0, name
        assert sp.simplify(sp.diff(l, r, 2).subs(r, 0)) == 1, name
    assert sp.simplify(sp.diff(losses["logcosh"], r, 2) - (1 - sp.tanh(r) ** 2)) == 0
    assert sp.simplify(sp.diff(losses["pseudohuber"], r, 2) - (1 + r**2) ** sp.Rational(-3, 2)) == 0
