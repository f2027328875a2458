"""Named optimizers: chains with a fixed layout whose hyperparameters read like Knet's fields.

``Adam(lr=1e-3)`` is a :class:`Chain` of ``ClipNorm`` (``gclip``), ``Negate`` (``maximize``),
``WeightDecay`` (``weight_decay``), ``ScaleByAdam`` and ``LearningRate``. Every member is
always present (off when its hyperparameter is 0/False), so ``opt.lr = 0.01`` or
``opt.gclip = 5`` work at any time, as Knet users change ``p.opt.lr`` during training,
without changing the layout of the state.

Fused kernels: a named optimizer with a ``kernel`` name looks it up in the parameter's
backend (``backend.kernels.get(name)``). When present, and every member other than the
rule and the learning rate is off, one call does the whole update in place::

    kernel(param, grad, *state_arrays, lr=lr, **hyperparameters)

with the rule's state arrays and hyperparameters as listed in each rule's docstring (for
``"adam_update"``: ``kernel(param, grad, m, v, lr=, beta1=, beta2=, eps=, step=)``, where
``step`` is the update count including this one). Step counters advance as on the
portable path, so the two paths can alternate.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

from plugrad_backends import of

from ._base import Chain, Hyper, Transform, register
from ._transforms import ClipNorm, LearningRate, Negate, WeightDecay


class Link:
    """A named optimizer's hyperparameter: reads and writes an attribute of one member.

    Validation is the member's own (its :class:`Hyper`), with errors naming the optimizer
    and the keyword the user knows (``Adam: gclip must be >= 0``).

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

    def __init__(self, part: type[Transform], attr: str) -> None:
        self.part = part
        self.attr = attr
        self.name = ""

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


@register
class Optimizer(Chain):
    """Base of the named optimizers (``SGD``, ``Adam``, ...): a chain with a fixed layout.

    Subclasses list their members and declare each hyperparameter with :class:`Link`;
    ``gclip``, ``weight_decay`` and ``maximize`` are declared here for all.

    Attributes:
        kernel: the backend kernel name for the fused update, or None.

    Example:
        >>> from plugrad_optim import Adam
        >>> opt = Adam(lr=0.01, gclip=1.0)
        >>> opt.lr = 0.005
        >>> opt.hyperparameters()["lr"], opt.gclip
        (0.005, 1.0)
    """

    kernel: ClassVar[str | None] = None

    gclip = Link(ClipNorm, "thresh")
    weight_decay = Link(WeightDecay, "wd")
    maximize = Link(Negate, "active")

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
        name = self.kernel
        if name is not None:
            kernel = of(param).kernels.get(name)
            if kernel is not None and self._fusable():
                self._fused(kernel, param, g, state)
                return state
        return super().apply(param, g, state)

    def _fusable(self) -> bool:
        return all(
            isinstance(t, LearningRate) or hasattr(t, "kernel_args") or t.is_identity()
            for t in self.transforms
        )

    def _fused(self, kernel: Any, param: Any, g: Any, state: list[Any]) -> None:
        lr = 0.0
        arrays: tuple[Any, ...] = ()
        hyper: dict[str, Any] = {}
        for t, s in zip(self.transforms, state):
            if isinstance(t, LearningRate):
                lr = t.next_lr(s)
            elif hasattr(t, "kernel_args"):
                arrays, hyper = t.kernel_args(s)
        kernel(param, g, *arrays, lr=lr, **hyper)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"


def prologue() -> tuple[Transform, Transform, Transform]:
    """The members every named rule starts with: gclip, maximize, coupled weight decay."""
    return ClipNorm(), Negate(False), WeightDecay()
