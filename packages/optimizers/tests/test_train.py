"""minimize and its shortcuts: lazy, Knet's per-Param optimizers, resumable, convergent."""

import itertools

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_optim as po


def regression(backend, noise=0.0, n=200, batch=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3))
    w_true, b_true = np.array([1.5, -2.0, 0.5]), 0.3
    y = x @ w_true + b_true + noise * rng.standard_normal(n)
    batches = [
        (backend.asarray(x[i : i + batch]), backend.asarray(y[i : i + batch]))
        for i in range(0, n, batch)
    ]
    design = np.hstack([x, np.ones((n, 1))])
    best = np.linalg.lstsq(design, y, rcond=None)[0]
    return batches, best


def linear_model(backend):
    w = ag.Param(backend.asarray(np.zeros(3)))
    b = ag.Param(backend.asarray(np.zeros(1)))

    def loss(x, y):
        return ag.mean((x @ w + b - y) ** 2)

    return w, b, loss


def converge(losses, alpha=0.1):
    """Knet's converge rule, as in the source notes (plugrad_data provides it)."""
    avgx, avgp = float("inf"), 0.0
    for x in losses:
        if avgx == float("inf"):
            avgx = x
        p = x - avgx
        avgx = alpha * x + (1 - alpha) * avgx
        avgp = alpha * p + (1 - alpha) * avgp
        if avgp > 0:
            return
        yield x


@pytest.mark.parametrize(
    "optimizer",
    [
        po.SGD(lr=0.1),
        po.Momentum(),
        po.Nesterov(),
        po.Adam(lr=0.05),
        po.Adagrad(lr=0.5),
        po.Rmsprop(lr=po.ExponentialDecay(0.05, 0.1, 500)),
        po.Adadelta(lr=po.CosineDecay(5.0, 1500)),
        po.AdamW(lr=0.05, weight_decay=0.0),
        po.RAdam(lr=0.05),
        po.NAdam(lr=po.ExponentialDecay(0.05, 0.1, 500)),
        po.AMSGrad(lr=0.05),
        po.Adamax(lr=0.05),
    ],
    ids=lambda o: type(o).__name__,
)
def test_minimize_converges_on_least_squares(optimizer, backend):
    batches, best = regression(backend, batch=200)  # full batch: a fixed convex problem
    w, b, loss = linear_model(backend)
    losses = list(itertools.islice(po.minimize(loss, itertools.cycle(batches), optimizer), 1500))
    assert all(isinstance(v, float) for v in losses)
    assert losses[-1] < 1e-6 < losses[0]
    np.testing.assert_allclose(backend.to_host(w.value), best[:3], atol=2e-3)
    np.testing.assert_allclose(backend.to_host(b.value), best[3:], atol=2e-3)
    assert isinstance(w.opt, type(optimizer)) and w.opt is not optimizer
    assert w.opt is not b.opt and optimizer.state is None


def test_composes_with_converge_on_cycled_data(backend):
    batches, best = regression(backend, noise=0.5, batch=200)
    w, b, loss = linear_model(backend)
    losses = po.minimize(loss, itertools.cycle(batches), po.Adam(lr=0.05))
    kept = list(itertools.islice(converge(losses), 5000))  # islice only guards the test
    assert 10 < len(kept) < 5000
    np.testing.assert_allclose(backend.to_host(w.value), best[:3], atol=0.1)
    np.testing.assert_allclose(backend.to_host(b.value), best[3:], atol=0.1)


def test_minimize_is_lazy(backend):
    calls = []
    w = ag.Param(backend.asarray(np.ones(2)))

    def f(c):
        calls.append(c)
        return ag.sum(w * c)

    it = po.minimize(f, [1.0, 2.0, 3.0], po.SGD(lr=0.5))
    assert calls == [] and w.opt is None
    assert next(it) == 2.0
    assert calls == [1.0]
    np.testing.assert_allclose(backend.to_host(w.value), [0.5, 0.5])


def test_items_unpack_only_when_tuples(backend):
    seen = []
    w = ag.Param(backend.asarray(np.ones(1)))

    def f(*args):
        seen.append(len(args))
        return ag.sum(w * w)

    po.exhaust(po.minimize(f, [(1, 2), [1, 2], 5, ()]))
    assert seen == [2, 1, 1, 0]


def test_existing_optimizers_are_kept(backend):
    frozen = ag.Param(backend.asarray(np.ones(2)), opt=po.SGD(lr=0.0))
    free = ag.Param(backend.asarray(np.ones(2)))
    mine = frozen.opt
    po.train(lambda: ag.sum(frozen * free), [()] * 3, po.SGD(lr=0.5))
    assert frozen.opt is mine
    np.testing.assert_array_equal(backend.to_host(frozen.value), [1.0, 1.0])
    np.testing.assert_allclose(backend.to_host(free.value), [-0.5, -0.5])
    assert isinstance(free.opt, po.SGD) and free.opt.lr == 0.5


def test_params_restricts_the_update(backend):
    a = ag.Param(backend.asarray(np.ones(1)))
    b = ag.Param(backend.asarray(np.ones(1)))
    po.train(lambda: ag.sum(a * b), [()] * 2, po.SGD(lr=0.5), params=[a])
    np.testing.assert_allclose(backend.to_host(a.value), [0.0])
    np.testing.assert_array_equal(backend.to_host(b.value), [1.0])
    assert b.opt is None

    class Model:
        def __init__(self):
            self.layers = [{"w": a}]

    with pytest.warns(UserWarning, match="is ignored"):
        po.train(lambda: ag.sum(a * b), [()], po.SGD(lr=1.0), params=Model())
    np.testing.assert_allclose(backend.to_host(a.value), [-0.5])  # a keeps its SGD(lr=0.5)


def test_unused_param_is_left_alone(backend):
    used = ag.Param(backend.asarray(np.ones(1)))
    unused = ag.Param(backend.asarray(np.ones(1)))
    po.train(lambda: ag.sum(used * used), [()], po.Adam(), params=[used, unused])
    np.testing.assert_array_equal(backend.to_host(unused.value), [1.0])
    assert unused.opt is not None and unused.opt.state is None


@pytest.mark.parametrize(
    "optimizer", [po.Adam(lr=0.05), po.Nesterov(), po.Adadelta()], ids=lambda o: type(o).__name__
)
def test_stopping_and_resuming_equals_one_run(optimizer, backend):
    batches, _ = regression(backend, noise=0.1)
    data = batches * 3
    w1, b1, loss1 = linear_model(backend)
    straight = list(po.minimize(loss1, data, optimizer))
    w2, b2, loss2 = linear_model(backend)
    first = list(po.minimize(loss2, data[:13], optimizer))
    with pytest.warns(UserWarning, match="is ignored"):  # opts already set: kept
        second = list(po.minimize(loss2, data[13:], po.SGD(lr=123.0)))
    assert first + second == straight
    np.testing.assert_array_equal(backend.to_host(w2.value), backend.to_host(w1.value))
    np.testing.assert_array_equal(backend.to_host(b2.value), backend.to_host(b1.value))


SHORTCUTS = [
    (po.sgd, {"lr": 0.3, "gclip": 1.0}, po.SGD),
    (po.momentum, {"lr": 0.1, "gamma": 0.5, "gclip": 1.0}, po.Momentum),
    (po.nesterov, {"lr": 0.1, "gamma": 0.5}, po.Nesterov),
    (po.adagrad, {"lr": 0.1, "eps": 1e-3}, po.Adagrad),
    (po.rmsprop, {"lr": 0.1, "rho": 0.5, "eps": 1e-3}, po.Rmsprop),
    (po.adadelta, {"lr": 0.5, "rho": 0.5, "eps": 1e-3}, po.Adadelta),
    (po.adam, {"lr": 0.1, "beta1": 0.5, "beta2": 0.9, "eps": 1e-4, "gclip": 2.0}, po.Adam),
]


@pytest.mark.parametrize(
    ("shortcut", "kwargs", "cls"), SHORTCUTS, ids=[s.__name__ for s, _, _ in SHORTCUTS]
)
def test_shortcuts_are_minimize_with_knets_rules(shortcut, kwargs, cls, backend):
    w = ag.Param(backend.asarray(np.array([3.0, -1.0])))
    ref = backend.asarray(np.array([3.0, -1.0]))
    ref_opt = cls(**kwargs)
    losses = list(shortcut(lambda: ag.sum(w * w), [()] * 5, **kwargs))
    for _ in range(5):
        po.update(ref, 2 * ref.copy(), ref_opt)
    assert losses[0] == 10.0 and len(losses) == 5
    np.testing.assert_array_equal(backend.to_host(w.value), backend.to_host(ref))
    assert type(w.opt) is cls and w.opt.hyperparameters() == ref_opt.hyperparameters()


def test_shortcut_defaults_are_knets():
    import inspect

    def defaults(f):
        return {
            k: p.default
            for k, p in inspect.signature(f).parameters.items()
            if p.default is not inspect.Parameter.empty and k != "params"
        }

    assert defaults(po.sgd) == {"lr": 0.1, "gclip": 0.0}
    assert defaults(po.momentum) == {"lr": 0.05, "gamma": 0.95, "gclip": 0.0}
    assert defaults(po.nesterov) == {"lr": 0.05, "gamma": 0.95, "gclip": 0.0}
    assert defaults(po.adagrad) == {"lr": 0.05, "eps": 1e-6, "gclip": 0.0}
    assert defaults(po.rmsprop) == {"lr": 0.01, "rho": 0.9, "eps": 1e-6, "gclip": 0.0}
    assert defaults(po.adadelta) == {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "gclip": 0.0}
    assert defaults(po.adam) == {
        "lr": 0.001,
        "beta1": 0.9,
        "beta2": 0.999,
        "eps": 1e-8,
        "gclip": 0.0,
    }
    assert isinstance(inspect.signature(po.minimize).parameters["optimizer"].default, type(None))


def test_train_and_exhaust(backend):
    w = ag.Param(backend.asarray(np.array([2.0])))
    last = po.train(lambda: ag.sum(w * w), [()] * 3, po.SGD(lr=0.25))
    assert last == pytest.approx(0.5**2 * 2.0**2 * 0.5**2 * 4 / 4)  # w: 2 -> 1 -> 0.5
    assert po.train(lambda: ag.sum(w * w), []) is None
    assert po.exhaust(iter([1, 2, 3])) == 3 and po.exhaust([]) is None


def test_minimize_errors(backend):
    w = ag.Param(backend.asarray(np.ones(2)))
    with pytest.raises(TypeError, match=r"minimize: data must be iterable .* got int"):
        po.minimize(lambda: ag.sum(w), 5)
    with pytest.raises(TypeError, match=r"minimize: optimizer must be .*'adam' \(str\)"):
        po.minimize(lambda: ag.sum(w), [()], "adam")
    with pytest.raises(TypeError, match=r"minimize: f must be a function"):
        po.minimize(3, [()])
    with pytest.raises(ValueError, match=r"scalar"):
        next(po.minimize(lambda: w * 2.0, [()]))
