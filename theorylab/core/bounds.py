"""Symbolic bounds with provenance.

A :class:`Bound` wraps a sympy expression such as ``n**(-2*b/(2*b + d)) * log(n)**3`` together
with where it comes from (paper, theorem, provenance tag). It answers the questions a rate
check asks of a theorem:

* :meth:`Bound.exponent` -- the polynomial exponent in one variable with log factors stripped,
  ``lim_{x->oo} log f(x) / log x`` (for the example above: ``-2*b/(2*b + d)``);
* :meth:`Bound.log_rate` -- the geometric rate ``lim_{k->oo} log f(k) / k`` (``log(gamma)`` for
  ``gamma**k``), for linear-convergence bounds;
* :meth:`Bound.evaluate` -- numbers, through a lambdified numpy or jax.numpy function.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Mapping

import sympy

TAGS = ("abstract", "derived", "literature", "expected", "unverified")

# Names parsed as functions/constants in a bound string; every other identifier is a positive
# symbol (so "gamma" is a discount factor, not the Gamma function, and "E" stays Euler's e).
_FUNCTIONS = {"log", "exp", "sqrt", "sin", "cos", "tanh", "Abs", "Min", "Max", "pi", "E", "oo"}


def _parse(text: str) -> sympy.Expr:
    import re

    names = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", text)) - _FUNCTIONS
    local = {n: sympy.Symbol(n, positive=True) for n in names}
    try:
        return sympy.parse_expr(text, local_dict=local)
    except (SyntaxError, TypeError, sympy.SympifyError) as e:
        raise ValueError(f"expr: cannot parse {text!r}: {e}") from None


def _positive_symbols(expr: sympy.Expr) -> sympy.Expr:
    """Replace every free symbol by a positive one of the same name (sizes, rates, steps)."""
    subs = {s: sympy.Symbol(s.name, positive=True) for s in expr.free_symbols}
    return expr.xreplace(subs)


@dataclasses.dataclass(frozen=True)
class Bound:
    """A theorem's bound as a sympy expression, with provenance.

    Args:
        expr: the bound, as a sympy expression or a string sympy can parse. Every symbol is
            taken to be positive.
        paper: short reference of the source, e.g. ``"Chen et al. 2019 (arXiv 1908.01842)"``.
        theorem: where in the source (``"Theorem 1"``, ``"abstract"``, ``"derived"``).
        tag: provenance tag, one of :data:`TAGS`.
    """

    expr: Any
    paper: str = ""
    theorem: str = ""
    tag: str = "derived"

    def __post_init__(self):
        expr = self.expr
        if isinstance(expr, str):
            expr = _parse(expr)
        if not isinstance(expr, sympy.Expr):
            raise ValueError(f"expr: expected a sympy expression or string, got {type(expr)!r}")
        object.__setattr__(self, "expr", _positive_symbols(expr))
        if self.tag not in TAGS:
            raise ValueError(f"tag: must be one of {TAGS}, got {self.tag!r}")

    # -- symbols ---------------------------------------------------------------------------
    @property
    def symbols(self) -> dict[str, sympy.Symbol]:
        return {s.name: s for s in sorted(self.expr.free_symbols, key=lambda s: s.name)}

    def symbol(self, name: str) -> sympy.Symbol:
        try:
            return self.symbols[name]
        except KeyError:
            raise ValueError(
                f"wrt: {name!r} is not a symbol of the bound {self.expr} "
                f"(symbols: {', '.join(self.symbols) or 'none'})"
            ) from None

    # -- asymptotics -----------------------------------------------------------------------
    def exponent(self, wrt: str, **values) -> sympy.Expr:
        """Polynomial exponent in ``wrt`` with log factors stripped.

        Returns ``lim_{x->oo} log f / log x``; ``values`` substitutes other symbols first.
        Raises ValueError when the bound is not polynomial in ``wrt`` (e.g. ``gamma**k``).
        """
        x = self.symbol(wrt)
        expr = self.expr.subs({self.symbol(k): v for k, v in values.items()})
        logf = sympy.expand(sympy.expand_log(sympy.log(expr), force=True))
        coeff = logf.coeff(sympy.log(x))
        rest = sympy.simplify(logf - coeff * sympy.log(x))
        # Whatever is left must be o(log x): log log x, constants, ... A term linear in x
        # (geometric decay) or a power of x is not a polynomial factor.
        if rest.has(x):
            try:
                lim = sympy.limit(rest / sympy.log(x), x, sympy.oo)
            except NotImplementedError:  # e.g. k*log(gamma): sign unknown, not a power law
                lim = sympy.oo
            if not lim.is_finite:
                raise ValueError(
                    f"wrt: the bound {self.expr} is not polynomial in {wrt} "
                    f"(log f / log {wrt} -> {lim}); use log_rate for geometric bounds"
                )
            coeff = coeff + lim
        return sympy.simplify(coeff)

    def log_rate(self, wrt: str, **values) -> sympy.Expr:
        """Geometric rate ``lim_{k->oo} log f(k) / k`` (``log(gamma)`` for ``C*gamma**k``)."""
        k = self.symbol(wrt)
        expr = self.expr.subs({self.symbol(n): v for n, v in values.items()})
        logf = sympy.expand(sympy.expand_log(sympy.log(expr), force=True))
        return sympy.simplify(sympy.limit(logf / k, k, sympy.oo))

    # -- numbers ---------------------------------------------------------------------------
    @functools.cached_property
    def _args(self) -> tuple[sympy.Symbol, ...]:
        return tuple(self.symbols.values())

    def function(self, backend: str = "numpy"):
        """The lambdified bound, taking the symbols as keyword arguments."""
        if backend not in ("numpy", "jax"):
            raise ValueError(f"backend: must be 'numpy' or 'jax', got {backend!r}")
        return _lambdify(self.expr, self._args, backend)

    def evaluate(self, backend: str = "numpy", **values):
        """Evaluate at ``values`` (scalars or arrays, broadcast together)."""
        missing = [n for n in self.symbols if n not in values]
        unknown = [n for n in values if n not in self.symbols]
        if missing or unknown:
            raise ValueError(
                f"values: bound {self.expr} needs {sorted(self.symbols)}; "
                f"missing {missing}, unknown {unknown}"
            )
        return self.function(backend)(**{n: values[n] for n in self.symbols})

    def latex(self) -> str:
        return sympy.latex(self.expr)

    def describe(self) -> Mapping[str, str]:
        return {"expr": str(self.expr), "paper": self.paper, "theorem": self.theorem, "tag": self.tag}


@functools.lru_cache(maxsize=256)
def _lambdify(expr, args, backend):
    if backend == "jax":
        import jax.numpy as jnp

        return sympy.lambdify(args, expr, modules=[jnp])
    return sympy.lambdify(args, expr, modules="numpy")
