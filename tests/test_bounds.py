import numpy as np
import pytest
import sympy as sp

from theorylab.core.bounds import Bound


@pytest.mark.parametrize("expr, wrt, expected", [
    ("n**(-2*b/(2*b+d)) * log(n)**3", "n", "-2*b/(2*b+d)"),
    ("C * n**(-1/2)", "n", "-1/2"),
    ("sigma**2 / d", "d", "-1"),
    ("sigma**2 / d", "sigma", "2"),
    ("log(n)/n", "n", "-1"),
    ("n**(-2/(d+5)) / t0 * log(n)**2 * log(log(n))", "n", "-2/(d+5)"),
    ("(n + 1)**(-1)", "n", "-1"),
])
def test_exponent_strips_logs(expr, wrt, expected):
    e = Bound(expr).exponent(wrt)
    assert sp.simplify(e - sp.sympify(expected).subs(
        {s: sp.Symbol(s.name, positive=True) for s in sp.sympify(expected).free_symbols})) == 0


def test_exponent_with_values():
    assert float(Bound("n**(-2*b/(2*b+d))").exponent("n", b=1, d=2)) == pytest.approx(-0.5)


def test_geometric_bound_is_not_polynomial_but_has_log_rate():
    b = Bound("gamma**k * L0")
    with pytest.raises(ValueError, match="wrt"):
        b.exponent("k")
    assert sp.simplify(b.log_rate("k") - sp.log(sp.Symbol("gamma", positive=True))) == 0


def test_evaluate_numpy_and_jax():
    b = Bound("2/eta - 2*mu")
    np.testing.assert_allclose(b.evaluate(eta=np.array([0.5, 1.0]), mu=1.0), [2.0, 0.0])
    assert float(b.evaluate(backend="jax", eta=0.5, mu=1.0)) == pytest.approx(2.0)
    assert "eta" in b.latex()


def test_bad_inputs_name_the_parameter():
    with pytest.raises(ValueError, match="tag"):
        Bound("n", tag="folklore")
    with pytest.raises(ValueError, match="wrt"):
        Bound("n**2").exponent("m")
    with pytest.raises(ValueError, match="values"):
        Bound("n**2").evaluate(m=1)
