"""State: inspectable, restorable bit for bit, saveable by plugrad's generic saver; kernels."""

import copy

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_optim as po
from plugrad_backends import of

OPTIMIZERS = [
    lambda: po.SGD(lr=0.05, weight_decay=0.1, dampening=0.2),
    lambda: po.Momentum(gclip=2.0),
    lambda: po.Nesterov(maximize=True),
    lambda: po.Adagrad(),
    lambda: po.Rmsprop(),
    lambda: po.Adadelta(),
    lambda: po.Adam(lr=po.CosineDecay(0.01, 20)),
    lambda: po.Adamax(),
    lambda: po.AMSGrad(),
    lambda: po.NAdam(),
    lambda: po.RAdam(),
    lambda: po.AdamW(lr=po.LinearWarmup(0.01, 5)),
    lambda: po.chain(po.ClipNorm(1.0, global_norm=True), po.ExpDecay(0.5, 0.5, 4), po.SGD(1.0)),
    lambda: po.apply_nesterov_momentum(po.Rmsprop(lr=po.StepDecay(0.01, 5)), momentum=0.5),
    lambda: po.chain(po.InvDecay(0.1), po.ClipValue(0.5), po.Adam()),
]
IDS = [
    "SGD",
    "Momentum",
    "Nesterov",
    "Adagrad",
    "Rmsprop",
    "Adadelta",
    "Adam",
    "Adamax",
    "AMSGrad",
    "NAdam",
    "RAdam",
    "AdamW",
    "chain-expdecay",
    "lasagne-nesterov",
    "chain-inv",
]


def run(backend, opt, w, grads):
    for g in grads:
        po.update(w, backend.asarray(g), opt)
    return w


@pytest.mark.parametrize("make", OPTIMIZERS, ids=IDS)
def test_restored_state_continues_bit_for_bit(make, backend, w0, gradients):
    straight = run(backend, make(), backend.asarray(w0.copy()), gradients)

    first = make()
    w = run(backend, first, backend.asarray(w0.copy()), gradients[:10])
    resumed = make()  # a new optimizer given a copy of the old one's state
    resumed.state = copy.deepcopy(first.state)
    w_resumed = backend.asarray(backend.to_host(w).copy())
    run(backend, resumed, w_resumed, gradients[10:])

    np.testing.assert_array_equal(backend.to_host(w_resumed), backend.to_host(straight))
    # the original continues identically too: the copy shares nothing with it
    run(backend, first, w, gradients[10:])
    np.testing.assert_array_equal(backend.to_host(w), backend.to_host(straight))


def to_saved(x):
    """What a generic saver does: registered objects become their __dict__, arrays host copies."""
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if isinstance(x, (list, tuple)):
        return type(x)(to_saved(v) for v in x)
    if isinstance(x, dict):
        return {k: to_saved(v) for k, v in x.items()}
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return ("array", of(x).name, of(x).to_host(x).copy())
    name = ag.serializable_name(type(x))
    assert ag.serializable_class(name) is type(x), f"{type(x).__qualname__} is not registered"
    return ("object", name, to_saved(vars(x)))


def from_saved(x, backend):
    if isinstance(x, tuple) and x and x[0] == "array":
        return backend.asarray(x[2])
    if isinstance(x, tuple) and x and x[0] == "object":
        obj = ag.serializable_class(x[1]).__new__(ag.serializable_class(x[1]))
        obj.__dict__.update(from_saved(x[2], backend))
        return obj
    if isinstance(x, (list, tuple)):
        return type(x)(from_saved(v, backend) for v in x)
    if isinstance(x, dict):
        return {k: from_saved(v, backend) for k, v in x.items()}
    return x


@pytest.mark.parametrize("make", OPTIMIZERS, ids=IDS)
def test_saver_round_trip_resumes_exactly(make, backend, w0, gradients):
    straight = run(backend, make(), backend.asarray(w0.copy()), gradients)
    opt = make()
    w = run(backend, opt, backend.asarray(w0.copy()), gradients[:10])
    saved = to_saved(opt)
    loaded = from_saved(saved, backend)
    assert type(loaded) is type(opt) and repr(loaded) == repr(opt)
    run(backend, loaded, w, gradients[10:])
    np.testing.assert_array_equal(backend.to_host(w), backend.to_host(straight))


def test_collection_state_round_trip(backend):
    opt = po.Adam()
    ws = {"a": backend.asarray(np.zeros(2)), "b": [backend.asarray(np.zeros(1))]}
    po.update(ws, {"a": backend.asarray(np.ones(2)), "b": [backend.asarray(np.ones(1))]}, opt)
    loaded = from_saved(to_saved(opt), backend)
    assert isinstance(loaded.state, po.CollectionState)
    assert loaded.state.states["b"][0][3]["count"] == 1


def test_every_public_class_is_registered_under_a_stable_name():
    # Hyper, Link and Joint describe optimizers; they are never saved themselves.
    classes = [getattr(po, n) for n in po.__all__ if isinstance(getattr(po, n), type)]
    for cls in classes:
        if cls in (po.Hyper, po.Link, po.Joint):
            continue
        name = ag.serializable_name(cls)
        assert name == f"plugrad_optim.{cls.__qualname__}"
        assert ag.serializable_class(name) is cls


def test_optimizers_hold_plain_data_only(backend):
    opt = po.chain(po.ClipNorm(1.0), po.Adam(lr=po.LinearWarmup(po.CosineDecay(0.1, 10), 3)))
    po.update(backend.asarray(np.zeros(2)), backend.asarray(np.ones(2)), opt)
    to_saved(opt)  # raises on anything that is not data or a registered object


# -- fused kernels ------------------------------------------------------------------------------


def sgd_update(param, grad, *, lr):
    param -= lr * grad


def momentum_update(param, grad, velocity, *, lr, gamma):
    velocity *= gamma
    velocity -= lr * grad
    param += velocity


def nesterov_update(param, grad, velocity, *, lr, gamma):
    velocity *= gamma
    velocity -= lr * grad
    param += gamma * velocity - lr * grad


def adagrad_update(param, grad, G, *, lr, eps):
    G += grad * grad
    param -= lr * grad / of(G).xp.sqrt(G + eps)


def rmsprop_update(param, grad, G, *, lr, rho, eps):
    G *= rho
    G += (1 - rho) * grad * grad
    param -= lr * grad / of(G).xp.sqrt(G + eps)


def adadelta_update(param, grad, G, delta, *, lr, rho, eps):
    xp = of(G).xp
    G *= rho
    G += (1 - rho) * grad * grad
    dw = grad * xp.sqrt(delta + eps) / xp.sqrt(G + eps)
    delta *= rho
    delta += (1 - rho) * dw * dw
    param -= lr * dw


def adam_update(param, grad, m, v, *, lr, beta1, beta2, eps, step):
    xp = of(m).xp
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * grad * grad
    param -= lr * (m / (1 - beta1**step)) / (xp.sqrt(v / (1 - beta2**step)) + eps)


KERNELS = [
    (po.SGD, sgd_update),
    (po.Momentum, momentum_update),
    (po.Nesterov, nesterov_update),
    (po.Adagrad, adagrad_update),
    (po.Rmsprop, rmsprop_update),
    (po.Adadelta, adadelta_update),
    (po.Adam, adam_update),
]


@pytest.mark.parametrize(("cls", "kernel"), KERNELS, ids=[c.__name__ for c, _ in KERNELS])
def test_backend_kernel_is_used_with_the_documented_signature(
    cls, kernel, backend, monkeypatch, w0, gradients
):
    calls = []

    def counting(*args, **kwargs):
        calls.append(kwargs)
        kernel(*args, **kwargs)

    portable_opt = cls(lr=po.StepDecay(0.05, 7))
    portable = run(backend, portable_opt, backend.asarray(w0.copy()), gradients)
    monkeypatch.setitem(backend.kernels, cls.kernel, counting)
    fused_opt = cls(lr=po.StepDecay(0.05, 7))
    fused = run(backend, fused_opt, backend.asarray(w0.copy()), gradients)
    assert len(calls) == 20
    assert calls[-1]["lr"] == pytest.approx(0.05 * 0.1**2)
    np.testing.assert_allclose(backend.to_host(fused), backend.to_host(portable), rtol=1e-10)
    assert_same_state(backend, fused_opt.state, portable_opt.state)


def assert_same_state(backend, a, b):
    assert type(a) is type(b)
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_state(backend, x, y)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert_same_state(backend, a[k], b[k])
    elif hasattr(a, "shape"):
        np.testing.assert_allclose(backend.to_host(a), backend.to_host(b), rtol=1e-10)
    else:
        assert a == b


def test_adam_kernel_step_counts_and_fallback(backend, monkeypatch):
    steps = []
    monkeypatch.setitem(
        backend.kernels,
        "adam_update",
        lambda *a, **k: (steps.append(k["step"]), adam_update(*a, **k)),
    )
    w = backend.asarray(np.zeros(2))
    opt = po.Adam()
    for _ in range(3):
        po.update(w, backend.asarray(np.ones(2)), opt)
    opt.gclip = 0.5  # a member the kernel does not cover is on: the portable path runs
    po.update(w, backend.asarray(np.ones(2)), opt)
    opt.gclip = 0.0
    po.update(w, backend.asarray(np.ones(2)), opt)
    assert steps == [1, 2, 3, 5]
    assert opt.state[3]["count"] == 5 and opt.state[4]["count"] == 5


def test_named_optimizers_document_every_keyword_once():
    import inspect

    named = [getattr(po, n) for n in po.__all__]
    named = [c for c in named if isinstance(c, type) and issubclass(c, po.Optimizer)]
    named = [c for c in named if c is not po.Optimizer]
    assert len(named) == 12
    for cls in named:
        params = list(inspect.signature(cls).parameters)
        assert params == list(cls().hyperparameters())
        args = cls.__doc__.split("Args:")[1]
        for name in params:
            assert args.count(f"\n        {name}: ") == 1, (cls.__name__, name)
