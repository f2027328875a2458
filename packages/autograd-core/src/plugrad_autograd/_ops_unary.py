"""Elementwise functions of one array: Knet's KnetArray unary list, with gradient rules.

Each op is one line: its name, its forward on the backend's ``xp`` (or ``special`` for
scipy.special-like functions), and its rule in terms of ``dy`` (the output gradient), ``y``
(the output) and ``x`` (the input). Rules use plugrad ops, so they differentiate again.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from plugrad_backends import of

from ._backend import run_kernel, xp_of
from ._primitive import defvjp, primitive, zerograd
from ._tape import Box

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_PI = math.pi
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0


def _unary(name: str, forward: Callable[[Any], Any], vjp: Callable[..., Any] | None) -> Any:
    forward.__name__ = forward.__qualname__ = name
    forward.__doc__ = f"Elementwise ``{name}(x)``, differentiable."
    op = primitive(forward)
    defvjp(op, vjp)
    return op


def _discrete(name: str, forward: Callable[[Any], Any]) -> Any:
    forward.__name__ = forward.__qualname__ = name
    forward.__doc__ = f"Elementwise ``{name}(x)``; zero gradient."
    return zerograd(forward)


_xp = xp_of


def _kernel(name: str, portable: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A forward that runs the backend's kernel ``name`` when it has one (see run_kernel)."""
    return lambda x: run_kernel(name, portable, x)


def _kernel_rule(name: str, rule: Callable[..., Any]) -> Callable[..., Any]:
    """A vjp that runs the kernel ``name`` on raw arrays and ``rule`` (plugrad ops, so
    differentiable again) while a higher-order pass records it."""

    def vjp(dy: Any, y: Any, x: Any) -> Any:
        if isinstance(dy, Box) or isinstance(y, Box) or isinstance(x, Box):
            return rule(dy, y, x)
        return run_kernel(name, rule, dy, y, x)

    return vjp


def _sp(x: Any) -> Any:
    return of(x).special


abs = _unary("abs", lambda x: _xp(x).abs(x), lambda dy, y, x: dy * sign(x))
square = _unary("square", lambda x: x * x, lambda dy, y, x: dy * 2 * x)
abs2 = square
sqrt = _unary("sqrt", lambda x: _xp(x).sqrt(x), lambda dy, y, x: dy * 0.5 / y)
cbrt = _unary("cbrt", lambda x: _xp(x).cbrt(x), lambda dy, y, x: dy / (3 * y * y))
exp = _unary("exp", _kernel("exp", lambda x: _xp(x).exp(x)), lambda dy, y, x: dy * y)
exp2 = _unary("exp2", lambda x: _xp(x).exp2(x), lambda dy, y, x: dy * y * _LN2)
exp10 = _unary("exp10", lambda x: _xp(x).exp(x * _LN10), lambda dy, y, x: dy * y * _LN10)
expm1 = _unary("expm1", lambda x: _xp(x).expm1(x), lambda dy, y, x: dy * (y + 1))
log = _unary("log", _kernel("log", lambda x: _xp(x).log(x)), lambda dy, y, x: dy / x)
log2 = _unary("log2", lambda x: _xp(x).log2(x), lambda dy, y, x: dy / (x * _LN2))
log10 = _unary("log10", lambda x: _xp(x).log10(x), lambda dy, y, x: dy / (x * _LN10))
log1p = _unary("log1p", lambda x: _xp(x).log1p(x), lambda dy, y, x: dy / (1 + x))
sin = _unary("sin", lambda x: _xp(x).sin(x), lambda dy, y, x: dy * cos(x))
cos = _unary("cos", lambda x: _xp(x).cos(x), lambda dy, y, x: -dy * sin(x))
tan = _unary("tan", lambda x: _xp(x).tan(x), lambda dy, y, x: dy * (1 + y * y))
arcsin = _unary("arcsin", lambda x: _xp(x).arcsin(x), lambda dy, y, x: dy / sqrt(1 - x * x))
arccos = _unary("arccos", lambda x: _xp(x).arccos(x), lambda dy, y, x: -dy / sqrt(1 - x * x))
arctan = _unary("arctan", lambda x: _xp(x).arctan(x), lambda dy, y, x: dy / (1 + x * x))
sinh = _unary("sinh", lambda x: _xp(x).sinh(x), lambda dy, y, x: dy * cosh(x))
cosh = _unary("cosh", lambda x: _xp(x).cosh(x), lambda dy, y, x: dy * sinh(x))
tanh = _unary(
    "tanh",
    _kernel("tanh", lambda x: _xp(x).tanh(x)),
    _kernel_rule("tanh_grad", lambda dy, y, x: dy * (1 - y * y)),
)
arcsinh = _unary("arcsinh", lambda x: _xp(x).arcsinh(x), lambda dy, y, x: dy / sqrt(x * x + 1))
arccosh = _unary("arccosh", lambda x: _xp(x).arccosh(x), lambda dy, y, x: dy / sqrt(x * x - 1))
arctanh = _unary("arctanh", lambda x: _xp(x).arctanh(x), lambda dy, y, x: dy / (1 - x * x))
sinpi = _unary("sinpi", lambda x: _xp(x).sin(_PI * x), lambda dy, y, x: dy * _PI * cospi(x))
cospi = _unary("cospi", lambda x: _xp(x).cos(_PI * x), lambda dy, y, x: -dy * _PI * sinpi(x))
erf = _unary("erf", lambda x: _sp(x).erf(x), lambda dy, y, x: dy * _TWO_OVER_SQRT_PI * exp(-x * x))
erfc = _unary(
    "erfc", lambda x: _sp(x).erfc(x), lambda dy, y, x: -dy * _TWO_OVER_SQRT_PI * exp(-x * x)
)
erfcx = _unary(
    "erfcx",
    lambda x: _sp(x).erfcx(x),
    lambda dy, y, x: dy * (2 * x * y - _TWO_OVER_SQRT_PI),
)
erfinv = _unary(
    "erfinv", lambda x: _sp(x).erfinv(x), lambda dy, y, x: dy * _SQRT_PI_OVER_TWO * exp(y * y)
)
erfcinv = _unary(
    "erfcinv",
    lambda x: _sp(x).erfcinv(x),
    lambda dy, y, x: -dy * _SQRT_PI_OVER_TWO * exp(y * y),
)
gamma = _unary("gamma", lambda x: _sp(x).gamma(x), lambda dy, y, x: dy * y * digamma(x))
lgamma = _unary("lgamma", lambda x: _sp(x).gammaln(x), lambda dy, y, x: dy * digamma(x))
loggamma = lgamma
digamma = _unary("digamma", lambda x: _sp(x).digamma(x), lambda dy, y, x: dy * trigamma(x))


@primitive
def polygamma(n: int, x: Any) -> Any:
    """The ``n``-th derivative of the digamma function, differentiable in ``x``."""
    out = of(x).special.polygamma(n, x)
    return out.astype(x.dtype, copy=False) if x.dtype.kind == "f" else out


defvjp(polygamma, None, lambda dy, y, n, x: dy * polygamma(n + 1, x))
trigamma = _unary("trigamma", lambda x: polygamma.raw(1, x), lambda dy, y, x: dy * polygamma(2, x))

sign = _discrete("sign", lambda x: _xp(x).sign(x))
round = _discrete("round", lambda x: _xp(x).round(x))
floor = _discrete("floor", lambda x: _xp(x).floor(x))
ceil = _discrete("ceil", lambda x: _xp(x).ceil(x))
trunc = _discrete("trunc", lambda x: _xp(x).trunc(x))

# Array-API spellings of the inverse functions.
asin, acos, atan = arcsin, arccos, arctan
asinh, acosh, atanh = arcsinh, arccosh, arctanh
