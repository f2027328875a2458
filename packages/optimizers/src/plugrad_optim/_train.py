"""Knet's training loop: ``minimize`` and its shortcuts are lazy iterators of losses.

Knet's bang forms (``sgd!``, ``minimize!``: run to completion, return nothing) are spelled
:func:`train` (``train(f, data, optimizer)`` is ``minimize!``) and, for any iterator,
:func:`exhaust` (``exhaust(adam(f, data))`` is ``adam!``, ``exhaust(progress(...))`` is
``progress!``). The shortcuts ``sgd``, ``momentum``, ``nesterov``, ``adagrad``, ``rmsprop``,
``adadelta`` and ``adam`` are made from the rules' table, so their defaults are the rules'.

Example:
    >>> import numpy as np
    >>> import plugrad_autograd as ag
    >>> from plugrad_optim import adam, sgd
    >>> w = ag.Param(np.array([1.0]))
    >>> next(sgd(lambda: ag.sum(w * w), [()])), float(w.value[0])
    (1.0, 0.8)
    >>> v = ag.Param(np.array([1.0]))
    >>> next(adam(lambda: ag.sum(v * v), [()])), round(float(v.value[0]), 4)
    (1.0, 0.999)
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import plugrad_autograd as ag

from ._base import PUBLIC_MODULE, Transform
from ._named import SGD, Adadelta, Adagrad, Adam, Momentum, Nesterov, Rmsprop
from ._optimizer import Optimizer
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


def shortcut(cls: type[Optimizer]) -> Callable[..., Iterator[float]]:
    """Knet's shortcut for a rule: ``minimize(f, data, cls(...), params)``.

    Its keywords are the rule's positional hyperparameters and ``gclip``, with the rule's
    defaults (``adam(f, data, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, gclip=0.0)``).
    """
    kind = inspect.Parameter
    names = [n for n, k in cls.knobs.items() if not k.kw_only] + ["gclip"]
    signature = inspect.Signature(
        [kind("f", kind.POSITIONAL_OR_KEYWORD), kind("data", kind.POSITIONAL_OR_KEYWORD)]
        + [kind(n, kind.KEYWORD_ONLY, default=cls.knobs[n].default) for n in names]
        + [kind("params", kind.KEYWORD_ONLY, default=None)]
    )
    name = cls.__name__.lower()

    def run(f: Callable[..., Any], data: Iterable[Any], **keywords: Any) -> Iterator[float]:
        bound = signature.bind(f, data, **keywords)
        bound.apply_defaults()
        hyper = {n: bound.arguments[n] for n in names}
        return minimize(f, data, cls(**hyper), bound.arguments["params"])

    call = ", ".join(n for n in names if n != "gclip")
    run.__name__ = run.__qualname__ = name
    run.__module__ = PUBLIC_MODULE
    run.__signature__ = signature  # type: ignore[attr-defined]
    run.__doc__ = (
        f"Knet's ``{name}``: ``minimize(f, data, {cls.__name__}({call}, gclip=gclip), "
        f"params)``, a lazy iterator of losses; the keywords' defaults are "
        f":class:`{cls.__name__}`'s."
    )
    return run


sgd = shortcut(SGD)
momentum = shortcut(Momentum)
nesterov = shortcut(Nesterov)
adagrad = shortcut(Adagrad)
rmsprop = shortcut(Rmsprop)
adadelta = shortcut(Adadelta)
adam = shortcut(Adam)
