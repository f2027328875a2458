"""The transform protocol, ``chain``, and the checks every constructor shares.

A transform is a small object holding hyperparameters only. ``init(param)`` makes the
per-parameter state (arrays shaped and placed like ``param``, step counters as Python ints);
``update(g, state, param)`` turns an incoming gradient into an outgoing one and returns it
with the new state. The outgoing array of the last transform is subtracted from the
parameter, so a transform sees the same sign convention as Knet's and Flux's rules
(``w -= lr * g``). ``update`` may change the state's arrays in place (that is where the
speed comes from) but never the incoming gradient: the autograd tape may share one gradient
array between several parameters.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Generator
from typing import Any, ClassVar, NamedTuple, TypeVar

from plugrad_autograd import serializable
from plugrad_backends import of

T = TypeVar("T", bound=type)

#: The module every registered class is saved under, whatever private module defines it,
#: so that files saved today still load after the code moves.
PUBLIC_MODULE = "plugrad_optim"


def register(cls: T) -> T:
    """Register ``cls`` with plugrad's saver under the stable name ``plugrad_optim.<Name>``."""
    cls.__module__ = PUBLIC_MODULE
    return serializable(cls)


# -- checks --------------------------------------------------------------------------------


def check_real(
    owner: str,
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    hint: str = "",
) -> float:
    """``value`` as a Python float, or a ValueError/TypeError naming ``owner`` and the range.

    Python floats keep array dtypes: a numpy float64 scalar would turn float32 arrays into
    float64 ones (NEP 50), so hyperparameters are stored as plain floats.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{owner}: {name} must be a real number, got {value!r} ({type(value).__name__})"
        )
    v = float(value)
    bad_low = low is not None and (v <= low if low_open else v < low)
    bad_high = high is not None and (v >= high if high_open else v > high)
    if bad_low or bad_high or v != v:
        lo = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
        hi = "" if high is None else f"{'<' if high_open else '<='} {high:g}"
        rng = " and ".join(s for s in (lo, hi) if s)
        extra = f"; {hint}" if hint else ""
        raise ValueError(f"{owner}: {name} must be {rng}, got {value!r}{extra}")
    return v


def check_int(owner: str, name: str, value: Any, *, low: int = 1) -> int:
    """``value`` as an int >= ``low``, or an error naming ``owner``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{owner}: {name} must be an integer, got {value!r} ({type(value).__name__})"
        )
    if value < low:
        raise ValueError(f"{owner}: {name} must be >= {low}, got {value!r}")
    return int(value)


def check_bool(owner: str, name: str, value: Any) -> bool:
    """``value`` if it is a bool, or a TypeError naming ``owner``."""
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
    return value


def check_lr(owner: str, name: str, value: Any) -> float | Callable[[int], float]:
    """A learning rate: a float >= 0 or a schedule (a callable step -> lr)."""
    if callable(value):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{owner}: {name} must be a number >= 0 or a schedule (a callable step -> lr, "
            f"e.g. CosineDecay(0.1, 1000)), got {value!r} ({type(value).__name__})"
        )
    return check_real(
        owner, name, value, low=0.0, hint="to climb the function instead use maximize=True"
    )


class Hyper:
    """A validated hyperparameter: a class attribute that checks every value assigned.

    The value lives in the instance's ``__dict__`` under the same name, so instances stay
    plain data for plugrad's saver, which rebuilds them without calling ``__init__``.

    Args:
        kind: ``"real"``, ``"int"``, ``"bool"`` or ``"lr"`` (a number >= 0 or a schedule).
        default: the value of instances saved before this hyperparameter existed.
        **limits: ``low``, ``high``, ``low_open``, ``high_open`` for reals, ``low`` for ints.

    Example:
        >>> from plugrad_optim import Hyper, Transform
        >>> class Scale(Transform):
        ...     factor = Hyper(low=0.0)
        ...     def __init__(self, factor):
        ...         self.factor = factor
        ...     def update(self, g, state, param):
        ...         return g * self.factor, state
        >>> Scale(-1.0)
        Traceback (most recent call last):
        ValueError: Scale: factor must be >= 0, got -1.0
    """

    _NONE = object()

    def __init__(self, kind: str = "real", default: Any = _NONE, **limits: Any) -> None:
        self.kind = kind
        self.default = default
        self.limits = limits
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__.get(self.name, self.default)
        if value is Hyper._NONE:
            raise AttributeError(self.name)
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.name] = self.check(type(obj).__name__, self.name, value)

    def check(self, owner: str, name: str, value: Any) -> Any:
        """``value`` validated (and normalized) for ``owner``'s hyperparameter ``name``."""
        if self.kind == "real":
            return check_real(owner, name, value, **self.limits)
        if self.kind == "int":
            return check_int(owner, name, value, **self.limits)
        if self.kind == "bool":
            return check_bool(owner, name, value)
        return check_lr(owner, name, value)


# -- the protocol ---------------------------------------------------------------------------

#: A transform's ``run``: it yields a :class:`Joint` where it needs every gradient that
#: reaches the same point in one ``update`` call, and receives its share of the answer.
Run = Generator[Any, Any, tuple[Any, Any]]


class Joint(NamedTuple):
    """What ``run`` yields to join the other weights of an ``update`` call.

    ``update`` collects the ``value`` of every weight whose transform yields a Joint with the
    same ``combine`` at that point, calls ``combine(values)`` once, and sends each weight
    its entry of the returned list. A global-norm clip combines into the joint norm; a
    data-parallel average combines into one bucketed allreduce.
    """

    #: ``list of values -> list of replies``, one reply per value, in order.
    combine: Callable[[list[Any]], list[Any]]
    #: this weight's contribution (usually its gradient).
    value: Any


def advance(state: dict[str, Any]) -> int:
    """Count one more update in ``state["count"]``; return its number (1 for the first).

    The one step counter of every transform that counts: schedules see ``number - 1``,
    bias corrections ``number``.
    """
    number = state["count"] + 1
    state["count"] = number
    return number


class Owned:
    """Holds per-weight state for one weight at a time: which weight is not saved or copied.

    ``update`` records the weight an optimizer's state belongs to (a weak reference kept out
    of ``__dict__``, so the saver and ``copy.deepcopy`` see only the hyperparameters and the
    state) and refuses to mix in another weight's gradients.
    """

    __slots__ = ("__dict__", "__weakref__", "_owners")

    def owners(self) -> dict[Any, Any]:
        """Weak references to the weights served, by position (``()`` for a single weight)."""
        try:
            return self._owners
        except AttributeError:
            self._owners: dict[Any, Any] = {}
            return self._owners

    def __getstate__(self) -> dict[str, Any]:
        return self.__dict__


@register
class Transform(Owned):
    """Base of every gradient transformation and optimizer.

    Subclasses hold hyperparameters as attributes and define ``init`` and ``update``. Any
    transform can serve as a parameter's optimizer (``Param.opt``): the per-parameter state
    then lives in its ``state`` attribute, created on the first update. A transform inside a
    :class:`Chain` keeps no state of its own: the chain's state is the list of its members'
    states.

    Instances hold only numbers, strings, None, containers and other registered objects, so
    plugrad's saver stores them (with their state) and rebuilds them without ``__init__``.

    A rule that a backend may fuse into one kernel names it in ``kernel``, with its
    keywords (``kernel_hypers``: pairs of keyword and attribute); the kernel receives the
    rule's ``state_arrays`` (see :class:`Rule`) and, with ``counts_steps``, ``step=`` the
    update number.

    Attributes:
        state: the per-parameter state when used as an optimizer; None until the first update.

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import ClipValue
        >>> clip = ClipValue(1.0)
        >>> u, _ = clip.update(np.array([-3.0, 0.5]), clip.init(np.zeros(2)), np.zeros(2))
        >>> u
        array([-1. ,  0.5])
    """

    state: Any = None
    kernel: ClassVar[str | None] = None
    state_arrays: ClassVar[tuple[str, ...]] = ()
    kernel_hypers: ClassVar[tuple[tuple[str, str], ...]] = ()
    counts_steps: ClassVar[bool] = False

    def init(self, param: Any) -> Any:
        """The state for one parameter array (None for a stateless transform)."""
        return None

    def update(self, g: Any, state: Any, param: Any) -> tuple[Any, Any]:
        """Transform the incoming gradient ``g`` of ``param``; return ``(g_out, state)``."""
        raise NotImplementedError(f"{type(self).__name__} defines no update")

    def run(self, g: Any, state: Any, param: Any) -> Run:
        """``update`` as a generator: it yields a :class:`Joint` where it needs the other
        gradients of the ``update`` call (see :class:`ClipNorm`) and receives its reply."""
        return self.update(g, state, param)
        yield  # a generator that yields nothing unless overridden

    def joins_call(self) -> bool:
        """True when ``run`` will yield a :class:`Joint` (a global-norm clip is on, say)."""
        return False

    def apply(self, param: Any, g: Any, state: Any) -> Any:
        """Update the array ``param`` in place with gradient ``g``; return the new state."""
        u, state = self.update(g, state, param)
        param -= u
        return state

    def reset(self) -> None:
        """Forget the per-parameter state (the next update starts afresh)."""
        self.state = None

    def is_identity(self) -> bool:
        """True when the transform currently passes gradients through unchanged."""
        return False

    def fusable(self) -> bool:
        """True when a backend's ``kernel`` can do this rule's update as configured now."""
        return self.kernel is not None

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k != "state")
        return f"{type(self).__name__}({args})"


class Rule(Transform):
    """A transform with per-weight arrays: the base of the optimizers' rules.

    ``state_arrays`` names the arrays (zeros shaped and placed like the weight, in the order
    a fused kernel receives them); with ``counts_steps`` the state also counts the updates.
    A subclass defines ``step(g, state, t)``, ``t`` the update number (1, 2, ...; 0 when it
    does not count).
    """

    def init(self, param: Any) -> dict[str, Any]:
        xp = of(param).xp
        state: dict[str, Any] = {"count": 0} if self.counts_steps else {}
        for name in self.state_arrays:
            state[name] = xp.zeros_like(param)
        return state

    def update(self, g: Any, state: Any, param: Any) -> tuple[Any, Any]:
        return self.step(g, state, advance(state) if self.counts_steps else 0), state

    def step(self, g: Any, state: dict[str, Any], t: int) -> Any:
        """The step to subtract, updating ``state``'s arrays in place."""
        raise NotImplementedError(f"{type(self).__name__} defines no step")


@register
class Chain(Transform):
    """Transforms applied one after the other (optax's ``chain``, Flux's ``Optimiser``).

    Each member receives what the previous one produced; the first gets the gradient and the
    last one's output is subtracted from the parameter. So ``chain(ClipValue(1), SGD(0.1))``
    clips the gradient and then scales it, while ``chain(SGD(0.1), ClipValue(1))`` clips
    the step. The state is the list of the members' states.

    Attributes:
        transforms: the members, in order.

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import chain, ClipValue, SGD, update
        >>> w = np.zeros(2)
        >>> update(w, np.array([5.0, -0.5]), chain(ClipValue(1.0), SGD(lr=0.1)))
        >>> w
        array([-0.1 ,  0.05])
    """

    def __init__(self, *transforms: Transform) -> None:
        for i, t in enumerate(transforms):
            if not isinstance(t, Transform):
                raise TypeError(
                    f"chain: member {i} is {t!r} ({type(t).__name__}), not a transform; "
                    f"pass transforms or optimizers such as ClipNorm(1.0), Adam(), "
                    f"LearningRate(0.1)"
                )
        self.transforms = list(transforms)

    def init(self, param: Any) -> list[Any]:
        return [t.init(param) for t in self.transforms]

    def update(self, g: Any, state: Any, param: Any) -> tuple[Any, Any]:
        for i, t in enumerate(self.transforms):
            g, state[i] = t.update(g, state[i], param)
        return g, state

    def run(self, g: Any, state: Any, param: Any) -> Run:
        for i, t in enumerate(self.transforms):
            g, state[i] = yield from t.run(g, state[i], param)
        return g, state

    def joins_call(self) -> bool:
        return any(t.joins_call() for t in self.transforms)

    def is_identity(self) -> bool:
        return all(t.is_identity() for t in self.transforms)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self.transforms))})"


def chain(*transforms: Transform) -> Chain:
    """Compose transforms: each gets what the previous one produced (see :class:`Chain`).

    Args:
        *transforms: transforms or optimizers, applied in this order.

    Returns:
        A :class:`Chain`, itself usable as an optimizer or inside another chain.

    Raises:
        TypeError: a member is not a transform.

    Example:
        >>> from plugrad_optim import chain, ClipNorm, Adam
        >>> opt = chain(ClipNorm(1.0, global_norm=True), Adam(lr=1e-3))
        >>> len(opt.transforms)
        2
    """
    return Chain(*transforms)
