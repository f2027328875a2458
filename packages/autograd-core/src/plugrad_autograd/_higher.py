"""Derivatives built from ``grad``: Jacobians, Hessians, Hessian-vector products."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._diff import grad
from ._ops_reduce import sum as sum_
from ._ops_shape import getitem, reshape, stack
from ._tape import _raw


def jacobian(f: Callable[..., Any], argnum: int = 0) -> Callable[..., Any]:
    """A function giving the Jacobian of ``f``: shape ``f(x).shape + x.shape``.

    One reverse pass per output element; meant for small outputs.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> ag.jacobian(lambda x: x * x)(np.array([1.0, 2.0]))
        array([[2., 0.],
               [0., 4.]])
    """

    def jac(*args: Any, **kwargs: Any) -> Any:
        shape = _raw(f(*args, **kwargs)).shape
        size = 1
        for n in shape:
            size *= n
        rows = [
            grad(lambda *a, i=i: getitem(reshape(f(*a, **kwargs), (-1,)), i), argnum=argnum)(*args)
            for i in range(size)
        ]
        x = args[argnum]
        return reshape(stack(rows), tuple(shape) + tuple(_raw(x).shape))

    return jac


def hessian(f: Callable[..., Any], argnum: int = 0) -> Callable[..., Any]:
    """A function giving the Hessian of scalar ``f``: the Jacobian of its gradient.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> ag.hessian(lambda x: ag.sum(x ** 3))(np.array([1.0, 2.0]))
        array([[ 6.,  0.],
               [ 0., 12.]])
    """
    return jacobian(grad(f, argnum=argnum), argnum=argnum)


def hvp(f: Callable[..., Any], argnum: int = 0) -> Callable[..., Any]:
    """A function ``(*args, v)`` giving the Hessian of ``f`` times ``v``, in two passes.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> ag.hvp(lambda x: ag.sum(x ** 3))(np.array([1.0, 2.0]), np.array([1.0, 1.0]))
        array([ 6., 12.])
    """
    g = grad(f, argnum=argnum)

    def product(*args: Any) -> Any:
        *xs, v = args
        return grad(lambda *a: sum_(g(*a) * v), argnum=argnum)(*xs)

    return product
