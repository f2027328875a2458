"""Named optimizers: chains with a fixed layout whose hyperparameters read like Knet's fields.

A named optimizer is declared as a class whose fields are its hyperparameters, each with its
default and the chain member it sets (:func:`rate`, :func:`hyper`, :func:`knob`); ``layout``
lists the members and ``rule`` the one that a backend may fuse. The class gets its
``__init__`` (keywords and defaults as declared, seen by IDEs through
``dataclass_transform``), a :class:`Link` per field, its ``Args`` documentation and its
``kernel``. Every member is always present (off when its hyperparameter is 0/False), so
``opt.lr = 0.01`` or ``opt.gclip = 5`` work at any time, as Knet users change ``p.opt.lr``
during training, without changing the layout of the state.

Fused kernels: when the parameter's backend has the rule's kernel
(``backend.kernels.get(rule.kernel)``) and every member other than the rule and the
learning rate is off, one call does the whole update in place::

    kernel(param, grad, *state_arrays, lr=lr, **hyperparameters)

with the rule's ``state_arrays`` and ``kernel_hypers`` keywords (for
``"adam_update"``: ``kernel(param, grad, m, v, lr=, beta1=, beta2=, eps=, step=)``, where
``step`` is the update count including this one, for rules that count steps). The counters
advance as on the portable path, so the two paths can alternate.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import Any, ClassVar

from plugrad_backends import of

from ._base import Chain, Hyper, Transform, advance, register
from ._transforms import ClipNorm, LearningRate, Negate, WeightDecay

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # the decorator only informs type checkers

    def dataclass_transform(**kwargs: Any) -> Callable[[type], type]:
        return lambda cls: cls


LR = float | Callable[[int], float]
_LR_DOC = "the learning rate, a number >= 0 or a schedule."


class Link:
    """A named optimizer's hyperparameter: reads and writes an attribute of one member.

    Validation is the member's own (its :class:`Hyper`), with errors naming the optimizer
    and the keyword the user knows (``Adam: gclip must be >= 0``). Declared in a table row
    (:func:`knob`, :func:`hyper`, :func:`rate`) it also holds the keyword's default, whether
    it is keyword-only, and its documentation.

    Example:
        >>> from plugrad_optim import Link, Optimizer, ScaleByRmsprop, LearningRate
        >>> class Rms(Optimizer):
        ...     lr = Link(LearningRate, "lr")
        ...     rho = Link(ScaleByRmsprop, "rho")
        ...     def __init__(self, lr=0.01, rho=0.9):
        ...         super().__init__(ScaleByRmsprop(), LearningRate(), lr=lr, rho=rho)
        >>> opt = Rms(rho=0.5)
        >>> opt.rho, opt.transforms[0].rho
        (0.5, 0.5)
    """

    def __init__(
        self,
        part: type[Transform] | None,
        attr: str = "",
        *,
        default: Any = None,
        kw_only: bool = False,
        doc: str = "",
    ) -> None:
        self.part = part  # None, in a table row: the optimizer's rule
        self.attr = attr
        self.name = ""
        self.default = default
        self.kw_only = kw_only
        self.doc = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        return getattr(obj.member(self.part), self.attr)

    def __set__(self, obj: Any, value: Any) -> None:
        member = obj.member(self.part)
        spec: Hyper = getattr(type(member), self.attr)
        member.__dict__[self.attr] = spec.check(type(obj).__name__, self.name, value)


def knob(
    *, default: Any, member: type[Transform], attr: str = "", kw_only: bool = False, doc: str
) -> Any:
    """A field that sets ``member``'s attribute ``attr`` (by default the field's name)."""
    return Link(member, attr, default=default, kw_only=kw_only, doc=doc)


def hyper(*, default: Any, attr: str = "", kw_only: bool = False, doc: str) -> Any:
    """A field that sets an attribute of the optimizer's rule."""
    return Link(None, attr, default=default, kw_only=kw_only, doc=doc)


def rate(*, default: float) -> Any:
    """The learning-rate field."""
    return Link(LearningRate, "lr", default=default, doc=_LR_DOC)


@register
@dataclass_transform(field_specifiers=(knob, hyper, rate))
class Optimizer(Chain):
    """Base of the named optimizers (``SGD``, ``Adam``, ...): a chain with a fixed layout.

    Declare a named optimizer with its ``layout`` (member classes), its ``rule`` and one
    field per hyperparameter (see ``plugrad_optim._named``; ``Named`` declares ``gclip``,
    ``weight_decay`` and ``maximize`` once for all). A subclass may also write its own
    ``__init__`` with :class:`Link` descriptors.

    Attributes:
        kernel: the backend kernel name for the fused update (the rule's), or None.

    Example:
        >>> from plugrad_optim import Adam
        >>> opt = Adam(lr=0.01, gclip=1.0)
        >>> opt.lr = 0.005
        >>> opt.hyperparameters()["lr"], opt.gclip
        (0.005, 1.0)
    """

    layout: ClassVar[tuple[type[Transform], ...]] = ()
    rule: ClassVar[type[Transform] | None] = None
    kernel: ClassVar[str | None] = None
    knobs: ClassVar[dict[str, Link]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in vars(cls):
            return  # written by hand, with Links
        own = {k: v for k, v in vars(cls).items() if isinstance(v, Link)}
        for name, link in own.items():
            link.part = link.part or cls.rule
            link.attr = link.attr or name
        cls.knobs = _order(cls.knobs, own)
        if cls.rule is not None:
            cls.kernel = cls.rule.kernel
        if cls.layout:
            cls.__init__ = _make_init(cls)  # type: ignore[method-assign]
            cls.__doc__ = _with_args(cls.__doc__ or "", cls.knobs)

    def __init__(self, *transforms: Transform, **hyperparameters: Any) -> None:
        super().__init__(*transforms)
        for name, value in hyperparameters.items():
            if not isinstance(getattr(type(self), name, None), Link):
                raise TypeError(f"{type(self).__name__} has no hyperparameter {name!r}")
            setattr(self, name, value)

    def member(self, cls: type[Transform]) -> Transform:
        """The first member of type ``cls``."""
        for t in self.transforms:
            if type(t) is cls:
                return t
        raise AttributeError(f"{type(self).__name__} has no {cls.__name__} member")

    def hyperparameters(self) -> dict[str, Any]:
        """The optimizer's hyperparameters by keyword, in the constructor's order."""
        cls = type(self)
        names = inspect.signature(cls.__init__).parameters
        return {n: getattr(self, n) for n in names if isinstance(getattr(cls, n, None), Link)}

    def apply(self, param: Any, g: Any, state: Any) -> Any:
        if self.kernel is not None:
            kernel = of(param).kernels.get(self.kernel)
            if kernel is not None and self._fusable():
                self._fused(kernel, param, g, state)
                return state
        return super().apply(param, g, state)

    def _fusable(self) -> bool:
        rule = type(self).rule
        return all(
            (type(t) is rule and t.fusable()) or isinstance(t, LearningRate) or t.is_identity()
            for t in self.transforms
        )

    def _fused(self, kernel: Any, param: Any, g: Any, state: list[Any]) -> None:
        lr = 0.0
        arrays: tuple[Any, ...] = ()
        keywords: dict[str, Any] = {}
        for t, s in zip(self.transforms, state):
            if isinstance(t, LearningRate):
                lr = t.next_lr(s)
            elif type(t) is type(self).rule:
                arrays = tuple(s[name] for name in t.state_arrays)
                keywords = {k: getattr(t, attr) for k, attr in t.kernel_hypers}
                if t.counts_steps:
                    keywords["step"] = advance(s)  # as the rule's own update would
        kernel(param, g, *arrays, lr=lr, **keywords)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"


#: The keyword-only fields every rule shares come last, in this order.
SHARED = ("gclip", "weight_decay", "maximize")


def _order(inherited: dict[str, Link], own: dict[str, Link]) -> dict[str, Link]:
    """Positional fields first, then the class's own keyword-only ones, then the shared."""
    kept = {k: v for k, v in inherited.items() if k not in own}
    fields = {**kept, **own}
    positional = [k for k, v in fields.items() if not v.kw_only]
    keyword = [k for k, v in fields.items() if v.kw_only and k not in SHARED]
    keyword.sort(key=lambda k: k in kept)  # the class's own first
    keyword += [k for k in SHARED if k in fields and fields[k].kw_only]
    return {k: fields[k] for k in positional + keyword}


def _with_args(doc: str, knobs: dict[str, Link]) -> str:
    """``doc`` with an ``Args:`` section listing ``knobs``, before References/Example."""
    args = "\n    Args:\n" + "".join(f"        {n}: {k.doc}\n" for n, k in knobs.items())
    for section in ("\n    References:", "\n    Example:"):
        at = doc.find(section)
        if at >= 0:
            return doc[:at] + args + doc[at:]
    return doc.rstrip() + "\n" + args


def _make_init(cls: type[Optimizer]) -> Callable[..., None]:
    kind = inspect.Parameter
    params = [kind("self", kind.POSITIONAL_OR_KEYWORD)] + [
        kind(n, kind.KEYWORD_ONLY if k.kw_only else kind.POSITIONAL_OR_KEYWORD, default=k.default)
        for n, k in cls.knobs.items()
    ]
    signature = inspect.Signature(params, return_annotation=None)
    layout = cls.layout

    def __init__(self: Optimizer, *args: Any, **kwargs: Any) -> None:
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        del bound.arguments["self"]
        Optimizer.__init__(self, *(member() for member in layout), **bound.arguments)

    __init__.__signature__ = signature  # type: ignore[attr-defined]
    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


class NamedBase(Optimizer):
    """The fields every named rule has: ``gclip`` and ``maximize``."""

    gclip: float = knob(
        default=0.0,
        member=ClipNorm,
        attr="thresh",
        kw_only=True,
        doc="per-array gradient norm clip; 0 turns it off.",
    )
    maximize: bool = knob(
        default=False,
        member=Negate,
        attr="active",
        kw_only=True,
        doc="climb the function instead (``g = -g``).",
    )


class Named(NamedBase):
    """The fields of the rules with the members of :data:`PROLOGUE`: also coupled L2."""

    weight_decay: float = knob(
        default=0.0,
        member=WeightDecay,
        attr="wd",
        kw_only=True,
        doc="L2 penalty added to the gradient, ``g += weight_decay * w``.",
    )


#: The members every named rule starts with: gclip, maximize, coupled weight decay.
PROLOGUE: tuple[type[Transform], ...] = (ClipNorm, Negate, WeightDecay)
