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
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import plugrad_autograd as ag

from ._base import PUBLIC_MODULE, Transform
from ._named import SGD, Adadelta, Adagrad, Adam, Momentum, Nesterov, Rmsprop
from ._optimizer import Optimizer
from ._update import update

exhaust = ag.exhaust  # the one copy lives in plugrad_autograd; plugrad_optim.exhaust stays


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
    ``converge``, ``itertools.islice`` and ``itertools.cycle``. An iterator dropped without
    ever being iterated trained nothing: it warns (``RuntimeWarning``, pointing at the
    call) when it is garbage-collected. Write ``for loss in minimize(...)`` or call
    :func:`train`.

    ``optimizer`` goes only to Params without one. When every Param already has an
    optimizer that differs from ``optimizer`` (a second ``train(..., SGD(...))`` after
    ``train(..., Adam())``), ``optimizer`` would be ignored: a ``UserWarning`` says so and
    names the fix, :func:`set_optimizer` (or ``p.opt.lr = ...`` to change the learning
    rate only).

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
    given = optimizer is not None
    if optimizer is None:
        optimizer = Adam()
    elif not isinstance(optimizer, Transform):
        raise TypeError(
            f"minimize: optimizer must be a plugrad_optim optimizer such as Adam(lr=1e-3), got "
            f"{optimizer!r} ({type(optimizer).__name__})"
        )
    fixed = None if params is None else ag.params(params)
    where = _caller()
    steps = _steps(f, data, optimizer, fixed, where if given else None)
    if hasattr(data, "__len__"):
        return _SizedLosses(steps, where, len(data))
    return _Losses(steps, where)


def _caller() -> tuple[str, int]:
    """The file and line of the first frame outside this package (the user's call)."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(
        "plugrad_optim"
    ):
        frame = frame.f_back
    return frame.f_code.co_filename, frame.f_lineno


class _Losses(Iterator[float]):
    """minimize's lazy iterator; it warns when dropped without ever being iterated."""

    def __init__(self, steps: Iterator[float], where: tuple[str, int]) -> None:
        self._steps = steps
        self._where: tuple[str, int] | None = where

    def __iter__(self) -> Iterator[float]:
        return self

    def __next__(self) -> float:
        self._where = None
        return next(self._steps)

    def __del__(self) -> None:
        if self._where is None or sys.is_finalizing():
            return
        filename, lineno = self._where
        warnings.warn_explicit(
            "minimize(...) was never iterated, so it trained nothing: it is a lazy iterator "
            "of losses. Write `for loss in minimize(f, data, opt): ...`, or call "
            "train(f, data, opt) to run it to the end",
            RuntimeWarning,
            filename,
            lineno,
            module="plugrad_optim",
        )


class _SizedLosses(_Losses):
    """A lazy iterator that knows how many steps it will take (so ``progress`` shows a bar)."""

    def __init__(self, steps: Iterator[float], where: tuple[str, int], length: int) -> None:
        super().__init__(steps, where)
        self._length = length

    def __len__(self) -> int:
        return self._length


def _steps(
    f: Callable[..., Any],
    data: Iterable[Any],
    optimizer: Transform,
    fixed: list[Any] | None,
    where: tuple[str, int] | None,
) -> Iterator[float]:
    """The training steps; ``where`` (the call site) when ``optimizer`` was given."""
    for item in data:
        args = item if isinstance(item, tuple) else (item,)
        tape = ag.diff(f, *args)
        ps = ag.params(tape) if fixed is None else fixed
        if where is not None:
            _warn_if_ignored(ps, optimizer, where)
            where = None
        grads = []
        for p in ps:
            if p.opt is None:
                p.opt = _fresh(optimizer)
            grads.append(ag.grad(tape, p))
        update(ps, grads)
        yield float(ag.value(tape))


def _warn_if_ignored(ps: list[Any], optimizer: Transform, where: tuple[str, int]) -> None:
    """Warn when every Param already has an optimizer and none is like ``optimizer``."""
    if not ps or any(p.opt is None for p in ps):
        return
    given = repr(optimizer)
    current = sorted({repr(p.opt) for p in ps})
    if given in current:
        return
    warnings.warn_explicit(
        f"minimize: the optimizer passed, {given}, is ignored: all {len(ps)} Params already "
        f"have an optimizer ({'; '.join(current)[:300]}), which they keep. To switch, call "
        f"set_optimizer(model, {given}) before training; to change only the learning rate, "
        "set p.opt.lr for each Param (for p in params(model): p.opt.lr = 1e-4)",
        UserWarning,
        *where,
        module="plugrad_optim",
    )


def set_optimizer(model: Any, optimizer: Transform | None) -> list[Any]:
    """Give every Param of ``model`` a fresh copy of ``optimizer`` (None: no optimizer).

    The Params' old optimizers and their state (Adam's moments, step counts) are dropped;
    the next ``train``/``minimize``/``update`` uses the new ones. ``model`` is anything
    ``params()`` searches: a model, a list of Params, a dict.

    Returns:
        The Params that were set.

    Example:
        >>> import numpy as np
        >>> import plugrad_autograd as ag
        >>> from plugrad_optim import SGD, Adam, set_optimizer, train
        >>> w = ag.Param(np.array([1.0]))
        >>> _ = train(lambda: ag.sum(w * w), [()] * 3, Adam(lr=0.01))
        >>> _ = set_optimizer([w], SGD(lr=0.5))
        >>> w.opt
        SGD(lr=0.5, dampening=0.0, gclip=0.0, weight_decay=0.0, maximize=False)
    """
    if optimizer is not None and not isinstance(optimizer, Transform):
        raise TypeError(
            f"set_optimizer: optimizer must be a plugrad_optim optimizer such as SGD(lr=0.1), "
            f"or None to remove the optimizers, got {optimizer!r} ({type(optimizer).__name__})"
        )
    ps = ag.params(model)
    for p in ps:
        p.opt = None if optimizer is None else _fresh(optimizer)
    return ps


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
