"""Derivations behind the diffusion claims (diffusion on a low-dimensional subspace), in sympy.

* The score decomposition grad log p_t(x) = A grad log p_t^z(A^T x) - (I - A A^T) x / h(t) for a
  Gaussian latent, entry by entry (D = 3, d = 1 and D = 3, d = 2 with a rotated A).
* The exponential integrator's coefficients solve the linear reverse SDE exactly, and the exact
  reverse process ends with orthogonal variance h(t0) (up to e^{-T} terms).
* Early stopping: balancing (1/t0) n^(-2/(d+5)) against t0 gives t0 ~ n^(-1/(d+5)).
"""

import sympy as sp

t, t0, t1, T, n, d = sp.symbols("t t0 t1 T n d", positive=True)


def _alpha_h(tt):
    return sp.exp(-tt / 2), 1 - sp.exp(-tt)


def _check_decomposition(A, s2):
    """x = A z with z ~ N(0, s2 I_d): X_t ~ N(0, alpha^2 s2 A A^T + h I)."""
    D, dd = A.shape
    x = sp.Matrix(sp.symbols(f"x0:{D}", real=True))
    a, hh = _alpha_h(t)
    cov = a**2 * s2 * A * A.T + hh * sp.eye(D)
    logp = -sp.Rational(1, 2) * (x.T * cov.inv() * x)[0]
    grad = sp.Matrix([sp.diff(logp, xi) for xi in x])
    y = A.T * x
    latent = -y / (a**2 * s2 + hh)  # grad log N(0, (alpha^2 s2 + h) I_d) at y
    pred = A * latent - (x - A * y) / hh
    assert sp.simplify(grad - pred) == sp.zeros(D, 1), "score decomposition"


def check_score_decomposition_gaussian_latent():
    """The decomposition for a Gaussian latent, d = 1 and d = 2 in D = 3 (an orthonormal A)."""
    s2 = sp.Symbol("s2", positive=True)
    A1 = sp.Matrix([1, 2, 2]) / 3
    _check_decomposition(A1, s2)
    c, s = sp.Rational(3, 5), sp.Rational(4, 5)
    A2 = sp.Matrix([[c, 0], [s, 0], [0, 1]])
    A2 = sp.Matrix([[1, 0, 0], [0, c, -s], [0, s, c]]) * A2  # rotate: no coordinate-aligned shortcut
    assert sp.simplify(A2.T * A2) == sp.eye(2)
    _check_decomposition(A2, s2)


def check_exponential_integrator_is_exact_for_the_orthogonal_part():
    """For dx = (1/2 - 1/h(t)) x dtau + dW in reverse time, one step t1 -> t0 has
    Phi = sinh(t0/2)/sinh(t1/2), noise variance 2 sinh^2(t0/2)(coth(t0/2) - coth(t1/2)), and the
    drift of a constant r integrates to 2 sinh(t0/2) log(tanh(t1/4)/tanh(t0/4)); steps compose,
    and from variance h(T) at T the exact variance at t0 is h(t0)."""
    a = sp.Rational(1, 2) - 1 / (1 - sp.exp(-t))
    Phi = sp.sinh(t0 / 2) / sp.sinh(t1 / 2)
    # d/dt0 of log Phi(t1 -> t0) = -a(t0) (the ODE in reverse time)
    assert sp.simplify((sp.diff(sp.log(Phi), t0) + a.subs(t, t0)).rewrite(sp.exp)) == 0
    var = 2 * sp.sinh(t0 / 2) ** 2 * (sp.coth(t0 / 2) - sp.coth(t1 / 2))
    # variance propagation: dV/dtau = 2 a V + 1, i.e. dV/dt0 = -(2 a(t0) V + 1) along the step
    Vexpr = Phi**2 * sp.Symbol("V1") + var
    assert sp.simplify((sp.diff(Vexpr, t0) + 2 * a.subs(t, t0) * Vexpr + 1).rewrite(sp.exp)) == 0
    c = 2 * sp.sinh(t0 / 2) * sp.log(sp.tanh(t1 / 4) / sp.tanh(t0 / 4))
    assert sp.simplify((sp.diff(c, t0) + a.subs(t, t0) * c + 1).rewrite(sp.exp)) == 0  # the r coefficient
    # from the stationary start V(T) = h(T), the variance at t0 is h(t0) exactly
    _, hT = _alpha_h(t1)
    _, h0 = _alpha_h(t0)
    assert sp.simplify((Vexpr.subs(sp.Symbol("V1"), hT) - h0).rewrite(sp.exp)) == 0


def check_early_stopping_balance():
    """(1/t0) n^(-2/(d+5)) + t0 is minimised at t0 ~ n^(-1/(d+5)), giving n^(-1/(d+5))."""
    risk = n ** (-2 / (d + 5)) / t0 + t0
    sol = sp.solve(sp.Eq(sp.diff(risk, t0), 0), t0)
    assert len(sol) == 1
    expo = sp.simplify(sp.limit(sp.log(sol[0]) / sp.log(n), n, sp.oo))
    assert sp.simplify(expo + 1 / (d + 5)) == 0
    r = sp.simplify(risk.subs(t0, sol[0]))
    assert sp.simplify(sp.limit(sp.log(r) / sp.log(n), n, sp.oo) + 1 / (d + 5)) == 0
