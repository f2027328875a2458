"""Knet's training loop: ``minimize`` and its shortcuts are lazy iterators of losses.

Knet's bang forms (``sgd!``, ``minimize!``: run to completion, return nothing) are spelled
:func:`train` (``train(f, data, optimizer)`` is ``minimize!``) and, for any iterator,
:func:`exhaust` (``exhaust(adam(f, data))`` is ``adam!``, ``exhaust(progress(...))`` is
``progress!``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import plugrad_autograd as ag

from ._adam_family import Adam
from ._base import Transform
from ._knet import SGD, Adadelta, Adagrad, Momentum, Nesterov, Rmsprop
from ._update import update


def minimize(
    f: Callable[..., Any],
    data: Iterable[Any],
    optimizer: Transform | None = None,
    params: Any = None,
) -> Iterator[float]:
    """Train lazily: for each item of ``data``, differentiate ``f``, update, yield the loss.

    Each item is passed to ``f`` as its arguments when it is a tuple (``f(*item)``, Knet's
    ``f(x...)``: minibatches give ``(x, y)``), as the single argument otherwise. Every Param
    the loss depends on (or those of ``params``) is updated with its own ``opt``; a Param
    whose ``opt`` is None first gets a fresh copy of ``optimizer`` (its hyperparameters,
    without state). Optimizers already set are kept, so per-parameter choices and the state
    of an interrupted run survive: calling ``minimize`` again resumes exactly.

    Nothing runs until the iterator is consumed, so it composes with ``progress``,
    ``converge``, ``itertools.islice`` and ``itertools.cycle``.

    Args:
        f: the loss function; it must return a scalar.
        data: an iterable of argument tuples or single arguments.
        optimizer: the prototype optimizer for Params without one; ``Adam()`` by default.
        params: the Params to update (a list, a model, anything ``params()`` searches); by
            default every Param reached by ``f`` at each step.

    Returns:
        An iterator of the losses, as Python floats.

    Raises:
        TypeError: ``f`` is not callable, ``data`` is not iterable, or ``optimizer`` is not
            an optimizer (raised at the call, not at the first step).

    Example:
        >>> import numpy as np
        >>> import plugrad_autograd as ag
        >>> from plugrad_optim import SGD, minimize
        >>> w = ag.Param(np.array([3.0]))
        >>> losses = list(minimize(lambda c: ag.sum((w - c) ** 2), [1.0] * 20, SGD(lr=0.25)))
        >>> round(float(w.value[0]), 4), losses[0]
        (1.0, 4.0)
    """
    if not callable(f):
        raise TypeError(f"minimize: f must be a function returning the loss, got {f!r}")
    try:
        iter(data)
    except TypeError:
        raise TypeError(
            f"minimize: data must be iterable (a list, a minibatch(...), cycle(data)), got "
            f"{type(data).__name__}"
        ) from None
    if optimizer is None:
        optimizer = Adam()
    elif not isinstance(optimizer, Transform):
        raise TypeError(
            f"minimize: optimizer must be a plugrad_optim optimizer such as Adam(lr=1e-3), got "
            f"{optimizer!r} ({type(optimizer).__name__})"
        )
    fixed = None if params is None else ag.params(params)
    steps = _steps(f, data, optimizer, fixed)
    return _Sized(steps, len(data)) if hasattr(data, "__len__") else steps


class _Sized(Iterator[float]):
    """A lazy iterator that knows how many steps it will take (so ``progress`` shows a bar)."""

    def __init__(self, steps: Iterator[float], length: int) -> None:
        self._steps = steps
        self._length = length

    def __iter__(self) -> Iterator[float]:
        return self

    def __next__(self) -> float:
        return next(self._steps)

    def __len__(self) -> int:
        return self._length


def _steps(
    f: Callable[..., Any], data: Iterable[Any], optimizer: Transform, fixed: list[Any] | None
) -> Iterator[float]:
    for item in data:
        args = item if isinstance(item, tuple) else (item,)
        tape = ag.diff(f, *args)
        ps = ag.params(tape) if fixed is None else fixed
        grads = []
        for p in ps:
            if p.opt is None:
                p.opt = _fresh(optimizer)
            grads.append(ag.grad(tape, p))
        update(ps, grads)
        yield float(ag.value(tape))


def _fresh(optimizer: Transform) -> Transform:
    opt = copy.deepcopy(optimizer)
    opt.reset()
    return opt


def train(
    f: Callable[..., Any],
    data: Iterable[Any],
    optimizer: Transform | None = None,
    params: Any = None,
) -> float | None:
    """Run :func:`minimize` to the end (Knet's ``minimize!``); return the last loss.

    Args:
        f: the loss function.
        data: an iterable of argument tuples or single arguments.
        optimizer: the prototype optimizer for Params without one; ``Adam()`` by default.
        params: the Params to update; by default those reached by ``f``.

    Returns:
        The last loss, or None when ``data`` was empty.

    Example:
        >>> import numpy as np
        >>> import plugrad_autograd as ag
        >>> from plugrad_optim import Momentum, train
        >>> w = ag.Param(np.array([0.0]))
        >>> loss = train(lambda: ag.sum((w - 2.0) ** 2), [()] * 200, Momentum(lr=0.1, gamma=0.5))
        >>> round(float(w.value[0]), 4)
        2.0
    """
    return exhaust(minimize(f, data, optimizer, params))


def exhaust(iterator: Iterable[Any]) -> Any:
    """Consume an iterator; return its last value or None (Knet's bang forms, ``sgd!``).

    Example:
        >>> from plugrad_optim import exhaust
        >>> exhaust(x * x for x in range(4))
        9
    """
    last = None
    for last in iterator:  # noqa: B007
        pass
    return last


def sgd(
    f: Callable[..., Any],
    data: Iterable[Any],
    *,
    lr: Any = 0.1,
    gclip: float = 0.0,
    params: Any = None,
) -> Iterator[float]:
    """Knet's ``sgd``: ``minimize(f, data, SGD(lr=lr, gclip=gclip), params)``.

    Example:
        >>> import numpy as np
        >>> import plugrad_autograd as ag
        >>> from plugrad_optim import sgd
        >>> w = ag.Param(np.array([1.0]))
        >>> next(sgd(lambda: ag.sum(w * w), [()])), float(w.value[0])
        (1.0, 0.8)
    """
    return minimize(f, data, SGD(lr, gclip=gclip), params)


def momentum(
    f: Callable[..., Any],
    data: Iterable[Any],
    *,
    lr: Any = 0.05,
    gamma: float = 0.95,
    gclip: float = 0.0,
    params: Any = None,
) -> Iterator[float]:
    """Knet's ``momentum``: ``minimize`` with ``Momentum(lr, gamma, gclip=gclip)``.

    Example:
        >>> import numpy as np
        >>> import plugrad_autograd as ag
        >>> from plugrad_optim import momentum
        >>> w = ag.Param(np.array([1.0]))
        >>> next(momentum(lambda: ag.sum(w * w), [()])), float(w.value[0])
        (1.0, 0.9)
    """
    return minimize(f, data, Momentum(lr, gamma, gclip=gclip), params)


def nesterov(
    f: Callable[..., Any],
    data: Iterable[Any],
    *,
    lr: Any = 0.05,
    gamma: float = 0.95,
    gclip: float = 0.0,
    params: Any = None,
) -> Iterator[float]:
    """Knet's ``nesterov``: ``minimize`` with ``Nesterov(lr, gamma, gclip=gclip)``.

    Example:
        >>> import numpy as np
        >>> import plugrad_autograd as ag
        >>> from plugrad_optim import nesterov
        >>> w = ag.Param(np.array([1.0]))
        >>> next(nesterov(lambda: ag.sum(w * w), [()])), round(float(w.value[0]), 4)
        (1.0, 0.805)
    """
    return minimize(f, data, Nesterov(lr, gamma, gclip=gclip), params)


def adagrad(
    f: Callable[..., Any],
    data: Iterable[Any],
    *,
    lr: Any = 0.05,
    eps: float = 1e-6,
    gclip: float = 0.0,
    params: Any = None,
) -> Iterator[float]:
    """Knet's ``adagrad``: ``minimize`` with ``Adagrad(lr, eps, gclip=gclip)``.

    Example:
        >>> import numpy as np
        >>> import plugrad_autograd as ag
        >>> from plugrad_optim import adagrad
        >>> w = ag.Param(np.array([1.0]))
        >>> next(adagrad(lambda: ag.sum(w * w), [()])), round(float(w.value[0]), 4)
        (1.0, 0.95)
    """
    return minimize(f, data, Adagrad(lr, eps, gclip=gclip), params)


def rmsprop(
    f: Callable[..., Any],
    data: Iterable[Any],
    *,
    lr: Any = 0.01,
    rho: float = 0.9,
    eps: float = 1e-6,
    gclip: float = 0.0,
    params: Any = None,
) -> Iterator[float]:
    """Knet's ``rmsprop``: ``minimize`` with ``Rmsprop(lr, rho, eps, gclip=gclip)``.

    Example:
        >>> import numpy as np
        >>> import plugrad_autograd as ag
        >>> from plugrad_optim import rmsprop
        >>> w = ag.Param(np.array([1.0]))
        >>> next(rmsprop(lambda: ag.sum(w * w), [()])), round(float(w.value[0]), 4)
        (1.0, 0.9684)
    """
    return minimize(f, data, Rmsprop(lr, rho, eps, gclip=gclip), params)


def adadelta(
    f: Callable[..., Any],
    data: Iterable[Any],
    *,
    lr: Any = 1.0,
    rho: float = 0.9,
    eps: float = 1e-6,
    gclip: float = 0.0,
    params: Any = None,
) -> Iterator[float]:
    """Knet's ``adadelta``: ``minimize`` with ``Adadelta(lr, rho, eps, gclip=gclip)``.

    Example:
        >>> import numpy as np
        >>> import plugrad_autograd as ag
        >>> from plugrad_optim import adadelta
        >>> w = ag.Param(np.array([1.0]))
        >>> next(adadelta(lambda: ag.sum(w * w), [()])), round(float(w.value[0]), 4)
        (1.0, 0.9968)
    """
    return minimize(f, data, Adadelta(lr, rho, eps, gclip=gclip), params)


def adam(
    f: Callable[..., Any],
    data: Iterable[Any],
    *,
    lr: Any = 0.001,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    gclip: float = 0.0,
    params: Any = None,
) -> Iterator[float]:
    """Knet's ``adam``: ``minimize`` with ``Adam(lr, beta1, beta2, eps, gclip=gclip)``.

    Example:
        >>> import numpy as np
        >>> import plugrad_autograd as ag
        >>> from plugrad_optim import adam
        >>> w = ag.Param(np.array([1.0]))
        >>> next(adam(lambda: ag.sum(w * w), [()])), round(float(w.value[0]), 4)
        (1.0, 0.999)
    """
    return minimize(f, data, Adam(lr, beta1, beta2, eps, gclip=gclip), params)
