"""A toy backend: numpy arrays of a distinct subclass, kept apart from the CPU's.

``ToyArray`` stands for another library's arrays (a GPU's, a remote device's): arithmetic
with a plain numpy array is refused, as cupy refuses numpy arrays, and every function of
the backend's namespace ``xp`` returns ToyArrays. plugrad's ops compute with ``xp``, so a
model whose Params live on "toy" trains there.
"""

import types

import numpy as np
import scipy.special

from plugrad_backends import Backend, ThreadGenerators, hookimpl


class ToyArray(np.ndarray):
    """A numpy array that lives on the 'toy' device."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        arrays = [*inputs, *kwargs.get("out", ())]
        if any(_defers(a) for a in arrays):
            return NotImplemented  # e.g. a plugrad Param: its own operators take over
        if any(type(a) is np.ndarray and a.ndim > 0 for a in arrays):
            raise TypeError(
                f"toy: {ufunc.__name__} got a numpy array beside a toy array; move it "
                "with pg.array(x, device='toy')"
            )
        plain = [a.view(np.ndarray) if isinstance(a, ToyArray) else a for a in inputs]
        outs = kwargs.get("out")
        if outs:
            kwargs["out"] = tuple(o.view(np.ndarray) for o in outs)
        result = getattr(ufunc, method)(*plain, **kwargs)
        if outs:  # in place (x += y): the very arrays written to, as numpy gives
            return outs[0] if len(outs) == 1 else outs
        return _toy(result)


def _defers(x):
    """True for an operand with an __array_ufunc__ of its own (not numpy's, not ours)."""
    hook = getattr(type(x), "__array_ufunc__", None)
    return hook is not None and hook not in (np.ndarray.__array_ufunc__, ToyArray.__array_ufunc__)


def _toy(result):
    """numpy's result with every array (and numeric scalar) in it as a ToyArray.

    A device library's reductions give 0-d arrays on the device, not host scalars.
    """
    if isinstance(result, np.generic) and result.dtype.kind in "biufc":
        return np.asarray(result).view(ToyArray)
    if isinstance(result, np.ndarray) and not isinstance(result, ToyArray):
        return result.view(ToyArray)
    if isinstance(result, tuple):
        return tuple(_toy(r) for r in result)
    if isinstance(result, list):
        return [_toy(r) for r in result]
    return result


class _Wrapped:
    """A numpy function, ufunc or generator whose array results are ToyArrays."""

    def __init__(self, target):
        self._target = target

    def __call__(self, *args, **kwargs):
        return _toy(self._target(*args, **kwargs))

    def __getattr__(self, name):
        return _wrap(getattr(self._target, name))


def _wrap(attr):
    if isinstance(attr, types.ModuleType) or (callable(attr) and not isinstance(attr, type)):
        return _Wrapped(attr)  # functions, ufuncs, generators' methods, submodules
    return attr  # dtypes, classes, constants


class ToyNamespace(types.ModuleType):
    """numpy, returning ToyArrays: the backend's ``xp``."""

    def __getattr__(self, name):
        return _wrap(getattr(np, name))


class ToyBackend(Backend):
    name = "toy"  # what users pass as device="toy"
    xp = ToyNamespace("toy_numpy")  # the array namespace every op computes with
    special = scipy.special  # erf, gammaln, ... (ufuncs: they keep ToyArrays)
    array_types = (ToyArray,)  # how plugrad recognizes this backend's arrays

    def __init__(self):
        super().__init__()
        self._generators = ThreadGenerators(lambda seed: _Wrapped(np.random.default_rng(seed)))

    def from_host(self, x, dtype=None):
        return np.array(x, dtype=dtype).view(ToyArray)

    def asarray(self, x, dtype=None):
        if isinstance(x, ToyArray) and (dtype is None or x.dtype == np.dtype(dtype)):
            return x
        return np.asarray(x, dtype=dtype).view(ToyArray)

    def to_host(self, x):
        return np.asarray(x).view(np.ndarray).copy()

    def seed(self, n):  # pg.seed(n) calls this
        self._generators.seed(n)

    @property
    def rng(self):  # initializers, dropout and shuffles draw from it
        return self._generators.get()

    def devices(self):
        return ["toy device 0"]


def sgd_update(param, grad, lr):
    np.subtract(param, lr * grad, out=param)


@hookimpl
def plugrad_backends():
    return [ToyBackend()]


@hookimpl
def plugrad_kernels(backend):
    if backend.name == "toy":
        return {"sgd_update": sgd_update}
    return None
