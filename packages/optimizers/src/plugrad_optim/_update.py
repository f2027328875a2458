"""Knet's ``update!``: apply optimizers in place to Params, arrays and collections of them."""

from __future__ import annotations

import weakref
from typing import Any

from plugrad_autograd import Param
from plugrad_backends import of

from ._base import Owned, Run, Transform, check_lr, check_real, register
from ._named import SGD

_DEFAULT_LR = 0.1
_DEFAULT_GCLIP = 0.0


class _Job:
    """One planned update: the optimizer, the weight's array, its gradient, and where the
    state lives (``holder[key]``, owned by ``keeper`` for ``weight`` at position ``slot``)."""

    __slots__ = ("opt", "array", "grad", "holder", "key", "keeper", "slot", "weight")

    def __init__(
        self, opt: Transform, array: Any, grad: Any, holder: Any, key: Any, keeper: Any = None
    ) -> None:
        self.opt, self.array, self.grad = opt, array, grad
        self.holder, self.key, self.keeper = holder, key, keeper
        self.slot: Any = ()
        self.weight: Any = None

    def start(self) -> Any:
        """The state to update with: the held one, or a fresh one."""
        state = self.holder[self.key]
        return self.opt.init(self.array) if state is None else state

    def finish(self, state: Any) -> None:
        self.holder[self.key] = state
        if self.keeper is not None:
            _bind(self.keeper, self.slot, self.weight)

    def run(self) -> Run:
        """The portable update as a generator (it yields where a global norm is needed)."""
        u, state = yield from self.opt.run(self.grad, self.start(), self.array)
        self.array -= u
        self.finish(state)
        return None, None


@register
class CollectionState(Owned):
    """The state of one optimizer that serves a whole collection of weights.

    ``update(ws, gs, opt)`` with a single optimizer and a list/tuple/dict of weights keeps
    one state per weight in ``opt.state.states``, a structure matching the weights (lists
    for lists and tuples, dicts for dicts; None until a weight's first update).

    Attributes:
        states: the per-weight states.

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import Adam, update
        >>> ws, opt = [np.zeros(2), np.zeros(3)], Adam()
        >>> update(ws, [np.ones(2), np.ones(3)], opt)
        >>> [s[3]["count"] for s in opt.state.states]
        [1, 1]
    """

    def __init__(self, states: Any) -> None:
        self.states = states

    def __repr__(self) -> str:
        return f"CollectionState({self.states!r})"


def update(w: Any, g: Any, opt: Any = None, lr: Any = _DEFAULT_LR, gclip: float = 0.0) -> None:
    """Update weights in place with their gradients (Knet's ``update!``).

    Three forms, as Knet's:

    - ``update(w, g)``: ``w`` a Param uses ``w.opt``; a Param without optimizer, or a raw
      array, takes plain SGD with ``lr`` and ``gclip``.
    - ``update(w, g, opt)``: ``opt`` updates ``w``, keeping its state in ``opt.state``
      (created on the first update, shaped and placed like the weight). For a collection
      of weights a single ``opt`` keeps one state per weight (:class:`CollectionState`);
      a matching list/tuple/dict of optimizers gives each weight its own.
    - ``w`` and ``g`` may be matching lists, tuples and dicts (nested) of Params and arrays.

    A state belongs to one weight: an optimizer whose state was made for another weight
    that still exists is refused (one ``Adam`` given to two Params would mix their
    moments); ``copy.deepcopy(opt)`` or ``opt.reset()`` gives a fresh one. Every
    ``ClipNorm(..., global_norm=True)`` of the call uses the joint norm of the gradients
    reaching them. A ``None`` gradient (a weight that took no part) is skipped. Everything
    is checked before any weight changes. The update runs on the weight's backend, in
    place, with no host synchronization, and keeps no state outside its arguments (threads
    may update their own models at once).

    Args:
        w: a Param, an array, or a list/tuple/dict of them.
        g: the matching gradient(s); None entries are skipped.
        opt: an optimizer, a matching collection of optimizers (None entries fall back as
            above), or None.
        lr: the learning rate of the default SGD (number or schedule).
        gclip: the gradient clip of the default SGD.

    Raises:
        TypeError: a weight, gradient or optimizer of an unsupported type.
        ValueError: collections that do not match, a gradient of the wrong shape, a negative
            learning rate, ``lr``/``gclip`` given together with ``opt``, or an optimizer
            holding another weight's state.

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import Adam, update
        >>> w = np.array([1.0, 2.0])
        >>> update(w, np.array([1.0, -1.0]), lr=0.5)
        >>> w
        array([0.5, 2.5])
        >>> ws = {"a": np.zeros(2), "b": np.zeros(1)}
        >>> update(ws, {"a": np.ones(2), "b": None}, Adam(lr=0.1))
        >>> ws["a"].round(6), ws["b"]
        (array([-0.1, -0.1]), array([0.]))
    """
    if opt is not None and (lr != _DEFAULT_LR or gclip != _DEFAULT_GCLIP):
        raise ValueError(
            f"update: lr= and gclip= configure the default SGD used when no optimizer is "
            f"given, but opt={opt!r} was given too; set them on the optimizer instead, e.g. "
            f"Adam(lr=0.01, gclip=1.0)"
        )
    _check_opt_arg(opt)
    planner = _Planner(lr, gclip)
    planner.plan(w, g, opt, ())
    together = []
    for job in planner.jobs:
        if job.opt.joins_call():
            together.append(job)
        else:
            job.finish(job.opt.apply(job.array, job.grad, job.start()))
    if together:
        _run_together(together)


def _run_together(jobs: list[_Job]) -> None:
    """Run the jobs in lock step: at each point where some of them yield a :class:`Joint`,
    the values of the same ``combine`` are combined once and each job gets its reply."""
    running = [(job.run(), None) for job in jobs]
    while running:
        asks: dict[Any, list[tuple[Any, Any]]] = {}
        for run, reply in running:
            try:
                joint = run.send(reply)
            except StopIteration:
                continue
            asks.setdefault(joint.combine, []).append((run, joint.value))
        running = []
        for combine, waiting in asks.items():
            replies = combine([value for _, value in waiting])
            running += [(run, r) for (run, _), r in zip(waiting, replies)]


class _Planner:
    """Walks weights, gradients and optimizers together; checks everything; lists the jobs."""

    def __init__(self, lr: Any, gclip: float) -> None:
        self.lr = lr
        self.gclip = gclip
        self.jobs: list[_Job] = []
        self._default: SGD | None = None
        self._owners: dict[int, tuple[Any, ...]] = {}

    def default(self) -> SGD:
        if self._default is None:
            lr = check_lr("update", "lr", self.lr)
            gclip = check_real("update", "gclip", self.gclip, low=0.0)
            self._default = SGD(lr, gclip=gclip)
        return self._default

    def plan(self, w: Any, g: Any, o: Any, path: tuple[Any, ...]) -> None:
        if g is None:
            return
        if _is_collection(w):
            if isinstance(o, Transform):
                self.plan_shared(w, g, o, path)
                return
            pairs = _pairs(w, g, path)
            if o is None:
                for k, wi, gi in pairs:
                    self.plan(wi, gi, None, (*path, k))
                return
            if not _same_structure(w, o):
                raise ValueError(
                    f"update: weights and optimizers do not match at {_where(path)}: weights "
                    f"are {_describe(w)}, optimizers are {_describe(o)}; pass one optimizer "
                    f"for the whole collection, or a collection of optimizers shaped like it"
                )
            for k, wi, gi in pairs:
                self.plan(wi, gi, o[k], (*path, k))
            return
        if o is None:
            if isinstance(w, Param) and w.opt is not None:
                o = w.opt
                if not isinstance(o, Transform):
                    raise TypeError(
                        f"update: the Param at {_where(path)} has opt={o!r} "
                        f"({type(o).__name__}), not an optimizer; set p.opt = Adam() or "
                        f"another plugrad_optim optimizer"
                    )
            else:
                o = self.default()
                a = _leaf(w, g, o, path)
                self.jobs.append(_Job(o, a, g, {"state": None}, "state"))
                return
        elif not isinstance(o, Transform):
            raise TypeError(
                f"update: opt must be an optimizer such as Adam() for the weight at "
                f"{_where(path)}, got {o!r} ({type(o).__name__})"
            )
        a = _leaf(w, g, o, path)
        first = self._owners.setdefault(id(o), path)
        if first != path:
            raise ValueError(
                f"update: one {type(o).__name__} object serves two weights, at {_where(first)} "
                f"and {_where(path)}, but it holds the state of one weight; give each weight "
                f"its own copy (copy.deepcopy(opt)), or pass the collection and a single "
                f"optimizer: update(ws, gs, opt)"
            )
        holder = vars(o)
        holder.setdefault("state", None)
        if isinstance(holder["state"], CollectionState):
            raise ValueError(
                f"update: {o!r} holds the states of a collection of weights and cannot also "
                f"update the single weight at {_where(path)}; use a separate optimizer "
                f"(copy.deepcopy(opt)) or opt.reset() to start afresh"
            )
        self.jobs.append(self.owned(_Job(o, a, g, holder, "state", o), w, (), path))

    def owned(self, job: _Job, w: Any, slot: Any, path: tuple[Any, ...]) -> _Job:
        """``job`` with its weight checked against the one its state already belongs to."""
        if job.holder[job.key] is not None:
            owner = _owner(job.keeper, slot)
            if owner is not None and owner is not w and not _same_weight(owner, w, job.array):
                raise ValueError(
                    f"update: this {type(job.opt).__name__} object already holds the state of "
                    f"another weight ({_describe(owner)}) and cannot also update "
                    f"{_describe(w)} at {_where(path)}: its moments would mix both weights' "
                    f"gradients. Give each weight its own optimizer (p.opt = "
                    f"copy.deepcopy(opt), or minimize(..., optimizer=opt), which copies it), "
                    f"or call opt.reset() to start afresh with this weight"
                )
        job.slot, job.weight = slot, w
        return job

    def plan_shared(self, w: Any, g: Any, o: Transform, path: tuple[Any, ...]) -> None:
        state = vars(o).get("state")
        if state is None:
            o.state = state = CollectionState(_skeleton(w))
        elif not isinstance(state, CollectionState):
            raise ValueError(
                f"update: {o!r} holds the state of a single weight and cannot also serve the "
                f"collection at {_where(path)} ({_describe(w)}); give each weight its own "
                f"optimizer (Param.opt or a matching list of optimizers) or call opt.reset()"
            )
        self._plan_states(w, g, o, vars(state), "states", path)

    def _plan_states(
        self, w: Any, g: Any, o: Transform, holder: Any, key: Any, path: tuple[Any, ...]
    ) -> None:
        if g is None:
            return
        if not _is_collection(w):
            job = _Job(o, _leaf(w, g, o, path), g, holder, key, vars(o)["state"])
            self.jobs.append(self.owned(job, w, path, path))
            return
        pairs = _pairs(w, g, path)
        sub = holder[key]
        if not _same_structure(w, sub):
            raise ValueError(
                f"update: {type(o).__name__}'s state was made for other weights at "
                f"{_where(path)}: it has {_describe(sub)}, the weights are {_describe(w)}; "
                f"use a fresh optimizer or call opt.reset()"
            )
        for k, wi, gi in pairs:
            self._plan_states(wi, gi, o, sub, k, (*path, k))


def _owner(keeper: Owned, slot: Any) -> Any:
    ref = keeper.owners().get(slot)
    return None if ref is None else ref()


def _bind(keeper: Owned, slot: Any, weight: Any) -> None:
    owners = keeper.owners()
    ref = owners.get(slot)
    if ref is None or ref() is not weight:
        try:  # noqa: SIM105 (cheaper than contextlib.suppress on every update)
            owners[slot] = weakref.ref(weight)
        except TypeError:  # an array type without weak references: nothing to check against
            pass


def _same_weight(owner: Any, w: Any, array: Any) -> bool:
    """A Param and its own array are one weight."""
    if owner is w or owner is array:
        return True
    return isinstance(owner, Param) and owner.value is array


def _check_opt_arg(opt: Any) -> None:
    if opt is None or isinstance(opt, (Transform, list, tuple, dict)):
        return
    hint = f"; optimizers are objects: use {opt}() " if isinstance(opt, str) else ""
    raise TypeError(
        f"update: opt must be an optimizer such as Adam(), a matching list/tuple/dict of "
        f"optimizers, or None; got {opt!r} ({type(opt).__name__}){hint}"
    )


def _is_collection(x: Any) -> bool:
    return isinstance(x, (list, tuple, dict))


def _pairs(w: Any, g: Any, path: tuple[Any, ...]) -> list[tuple[Any, Any, Any]]:
    if isinstance(w, dict):
        if isinstance(g, dict) and g.keys() == w.keys():
            return [(k, w[k], g[k]) for k in w]
    elif isinstance(g, (list, tuple)) and len(g) == len(w):
        return list(zip(range(len(w)), w, g))
    raise ValueError(
        f"update: weights and gradients do not match at {_where(path)}: weights are "
        f"{_describe(w)}, gradients are {_describe(g)}; pass gradients in the same structure "
        f"as the weights, e.g. [grad(tape, p) for p in ws]"
    )


def _same_structure(w: Any, other: Any) -> bool:
    if isinstance(w, dict):
        return isinstance(other, dict) and other.keys() == w.keys()
    return isinstance(other, (list, tuple)) and len(other) == len(w)


def _skeleton(w: Any) -> Any:
    if isinstance(w, dict):
        return {k: _skeleton(v) for k, v in w.items()}
    if isinstance(w, (list, tuple)):
        return [_skeleton(v) for v in w]
    return None


def _leaf(w: Any, g: Any, o: Transform, path: tuple[Any, ...]) -> Any:
    name = type(o).__name__
    a = w.value if isinstance(w, Param) else w
    backend = of(a)
    if not isinstance(a, backend.array_types) or not hasattr(a, "__setitem__"):
        raise TypeError(
            f"update ({name}): the weight at {_where(path)} is {_describe(w)}, which cannot be "
            f"updated in place; pass Params, arrays of a registered backend, or "
            f"lists/tuples/dicts of them"
        )
    if a.dtype.kind != "f":
        raise TypeError(
            f"update ({name}): the weight at {_where(path)} has dtype {a.dtype}; optimizers "
            f"update float arrays, e.g. pg.array(x, dtype='float32')"
        )
    if not getattr(getattr(a, "flags", None), "writeable", True):
        raise ValueError(
            f"update ({name}): the weight at {_where(path)} is read-only; if this runs inside "
            f"diff, update after diff returns"
        )
    gbackend = of(g)
    if not isinstance(g, gbackend.array_types) or not hasattr(g, "shape"):
        raise TypeError(
            f"update ({name}): the gradient at {_where(path)} is {_describe(g)}, not an "
            f"array; pass the array grad(tape, w) returns"
        )
    if gbackend is not backend:
        raise ValueError(
            f"update ({name}): the weight at {_where(path)} is on backend {backend.name!r} "
            f"but its gradient on {gbackend.name!r}; move the gradient first, e.g. "
            f"pg.array(g, device={backend.name!r})"
        )
    if tuple(g.shape) != tuple(a.shape):
        raise ValueError(
            f"update ({name}): gradient shape {tuple(g.shape)} does not match weight shape "
            f"{tuple(a.shape)} at {_where(path)}; pass the gradient of this very weight, "
            f"e.g. grad(tape, w)"
        )
    return a


def _where(path: tuple[Any, ...]) -> str:
    return "w" + "".join(f"[{k!r}]" for k in path)


def _describe(x: Any, depth: int = 0) -> str:
    if isinstance(x, Param):
        return f"Param{_shape(x.value)}"
    if isinstance(x, dict):
        if depth:
            return f"dict of {len(x)}"
        return "a dict {" + ", ".join(f"{k!r}: {_describe(v, 1)}" for k, v in x.items()) + "}"
    if isinstance(x, (list, tuple)):
        kind = type(x).__name__
        if depth:
            return f"{kind} of {len(x)}"
        items = [_describe(v, 1) for v in x[:4]] + (["..."] if len(x) > 4 else [])
        return f"a {kind} of {len(x)} [" + ", ".join(items) + "]"
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return f"{type(x).__name__}{_shape(x)}"
    if x is None:
        return "None"
    return type(x).__name__ if depth else f"a {type(x).__name__}"


def _shape(a: Any) -> str:
    return str(tuple(a.shape))
