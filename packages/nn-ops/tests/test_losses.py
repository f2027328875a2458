"""Losses and metrics: Knet's example, formulas, skipping, the (model, data) forms, errors."""

import math
import warnings

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends as B
import plugrad_nn as nn


def reference_nll(scores, labels):
    s = np.asarray(scores, dtype=np.float64)
    lse = np.log(np.exp(s - s.max(axis=1, keepdims=True)).sum(axis=1)) + s.max(axis=1)
    return lse - s[np.arange(len(labels)), labels]


def test_knet_nll_example_is_2_11e_5(backend):
    # Knet's (classes, instances) matrix [12.2 0.3; 2.0 21.5; 0.0 -21.0] read as rows
    scores = backend.xp.asarray(np.array([[12.2, 2.0, 0.0], [0.3, 21.5, -21.0]]))
    value = float(nn.nll(scores, [0, 1]))
    exact = float(reference_nll(B.to_host(scores), [0, 1]).mean())
    assert value == pytest.approx(exact, rel=1e-12)
    assert value == pytest.approx(2.11e-5, rel=2e-3)  # Knet's docs misprint 2.1657e-5


def test_nll_average_false_ignore_index_and_axis(backend):
    rng = np.random.default_rng(0)
    s = rng.normal(size=(5, 4))
    labels = np.array([2, -1, 0, 3, -1])
    total, count = nn.nll(backend.xp.asarray(s), labels, average=False)
    keep = labels != -1
    expected = reference_nll(s[keep], labels[keep])
    assert count == 3 and float(total) == pytest.approx(expected.sum(), rel=1e-12)
    assert float(nn.nll(backend.xp.asarray(s), labels)) == pytest.approx(expected.mean(), rel=1e-12)
    # classes along axis 0 (Knet's layout), and along the middle of a 3-D array
    assert float(nn.nll(s.T, labels, axis=0)) == pytest.approx(expected.mean(), rel=1e-12)
    s3 = rng.normal(size=(2, 4, 3))
    l3 = np.array([[0, 1, 3], [2, 2, -1]])
    flat = np.moveaxis(s3, 1, -1).reshape(-1, 4)
    keep3 = l3.reshape(-1) != -1
    expected3 = reference_nll(flat[keep3], l3.reshape(-1)[keep3]).mean()
    assert float(nn.nll(s3, l3, axis=1)) == pytest.approx(expected3, rel=1e-12)
    assert math.isnan(float(nn.nll(s, np.full(5, -1))))


def test_nll_is_stable_for_large_scores():
    s = np.array([[1e4, 0.0, -1e4], [0.0, 3e4, 0.0]], np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = nn.nll(s, [1, 1])
    assert float(value) == pytest.approx(5e3, rel=1e-6) and value.dtype == np.float32


@pytest.mark.parametrize("axis", [-1, 0])
def test_nll_gradient_is_softmax_minus_onehot(backend, numgrad, axis):
    rng = np.random.default_rng(1)
    s = rng.normal(size=(6, 4))
    labels = np.array([1, 0, -1, 3, 3, 2])
    x = ag.Param(backend.xp.asarray(s if axis == -1 else s.T.copy()))
    numgrad(lambda: nn.nll(x, labels, axis=axis) * 3.0, [x])
    numgrad(lambda: nn.nll(x, labels, axis=axis, average=False)[0], [x])
    g = B.to_host(ag.grad(ag.diff(lambda: nn.nll(x, labels, axis=axis)), x))
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    onehot = np.eye(4)[np.maximum(labels, 0)]
    expected = (p - onehot) * (labels != -1)[:, None] / 5
    np.testing.assert_allclose(g if axis == -1 else g.T, expected, rtol=1e-12, atol=1e-15)


def test_nll_label_errors():
    s = np.zeros((3, 4))
    with pytest.raises(
        ValueError,
        match=r"nll: labels must be in \[0, 4\) or ignore_index=-1.*got values in \[0, 7\] "
        r"for scores of shape \(3, 4\) with 4 classes",
    ):
        nn.nll(s, [0, 7, 1])
    with pytest.raises(ValueError, match=r"nll: labels must be in \[0, 4\).*\[-2, 1\]"):
        nn.nll(s, [0, -2, 1])
    with pytest.raises(
        ValueError, match=r"nll: labels of shape \(2,\) do not match scores of shape \(3, 4\)"
    ):
        nn.nll(s, [0, 1])
    with pytest.raises(ValueError, match="nll: labels must be integers"):
        nn.nll(s, np.array([0.0, 1.0, 2.0]))


def test_model_data_forms_pool_all_instances():
    rng = np.random.default_rng(2)
    w = rng.normal(size=(3, 4))

    def model(x):
        return x @ w

    data = [(rng.normal(size=(n, 3)), rng.integers(0, 4, size=n)) for n in (5, 2, 7)]
    scores = np.concatenate([x @ w for x, _ in data])
    labels = np.concatenate([y for _, y in data])
    assert float(nn.nll(model, data)) == pytest.approx(reference_nll(scores, labels).mean())
    total, count = nn.nll(model, data, average=False)
    assert count == 14 and float(total) == pytest.approx(reference_nll(scores, labels).sum())
    correct = int((scores.argmax(axis=1) == labels).sum())
    assert nn.accuracy(model, data) == pytest.approx(correct / 14)
    assert nn.accuracy(model, data, average=False) == (correct, 14)
    assert nn.zeroone(model, data) == pytest.approx(1 - correct / 14)


def test_nll_model_form_is_differentiable():
    w = ag.Param(np.array([[1.0, -1.0], [0.5, 2.0]]))
    data = [
        (np.array([[1.0, 2.0]]), np.array([0])),
        (np.array([[0.0, 1.0], [1.0, 1.0]]), np.array([1, 0])),
    ]
    t = ag.diff(lambda: nn.nll(lambda x: x @ w, data))
    x = np.concatenate([d[0] for d in data])
    y = np.concatenate([d[1] for d in data])
    g = ag.grad(ag.diff(lambda: nn.nll(x @ w, y)), w)
    np.testing.assert_allclose(ag.grad(t, w), g, rtol=1e-12)


def test_accuracy_and_zeroone(backend):
    s = backend.xp.asarray(np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]))
    assert nn.accuracy(s, [1, 1, 1, -1]) == pytest.approx(2 / 3)
    assert nn.accuracy(s, [1, 1, 1, -1], average=False) == (2, 3)
    assert nn.zeroone(s, [1, 1, 1, 0]) == pytest.approx(0.25)
    assert nn.zeroone(s, [1, 1, 1, 0], average=False) == (1, 4)
    assert nn.accuracy(np.array([[0.2, 0.1], [0.0, 0.3]]).T, [0, 1], axis=0) == 1.0
    with pytest.raises(ValueError, match=r"accuracy: labels must be in \[0, 2\)"):
        nn.accuracy(s, [0, 1, 2, 0])


def test_bce_and_logistic_formulas_and_stability(backend):
    s = np.array([-3.0, -0.5, 0.0, 2.0, 800.0, -800.0])
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    p = 1 / (1 + np.exp(-s[:4]))
    naive = -(y[:4] * np.log(p) + (1 - y[:4]) * np.log(1 - p))
    expected = np.concatenate([naive, [800.0, 0.0]])
    sb, yb = backend.xp.asarray(s), backend.xp.asarray(y)
    assert float(nn.bce(sb, yb)) == pytest.approx(expected.mean(), rel=1e-12)
    assert float(nn.bce(sb, yb, average=False)) == pytest.approx(expected.sum(), rel=1e-12)
    pm = 2 * y - 1
    logistic = np.log1p(np.exp(-pm[:4] * s[:4]))
    expected = np.concatenate([logistic, [800.0, 0.0]])
    assert float(nn.logistic(sb, backend.xp.asarray(pm))) == pytest.approx(
        expected.mean(), rel=1e-12
    )
    # logistic with labels ±1 equals bce with labels 0/1
    assert float(nn.logistic(sb, backend.xp.asarray(pm))) == pytest.approx(float(nn.bce(sb, yb)))


def test_binary_loss_gradients(backend, numgrad):
    rng = np.random.default_rng(3)
    s = ag.Param(backend.xp.asarray(rng.normal(size=(3, 2))))
    t = ag.Param(backend.xp.asarray(rng.uniform(size=(3, 2))))
    numgrad(lambda: nn.bce(s, t), [s, t])
    pm = backend.xp.asarray(np.sign(rng.normal(size=(3, 2))))
    numgrad(lambda: nn.logistic(s, pm, average=False), [s])


def test_mse_and_mae(backend, numgrad):
    a = backend.xp.asarray(np.array([1.0, -2.0, 3.0]))
    b = backend.xp.asarray(np.array([0.0, 0.0, 1.0]))
    assert float(nn.mse(a, b)) == pytest.approx(3.0)
    assert float(nn.mse(a, b, average=False)) == pytest.approx(9.0)
    assert float(nn.mae(a, b)) == pytest.approx(5 / 3)
    assert float(nn.mae(a, b, average=False)) == pytest.approx(5.0)
    p = ag.Param(backend.xp.asarray(np.array([0.3, -1.2, 2.5])))
    numgrad(lambda: nn.mse(p, b) + nn.mae(p, b), [p])
    with pytest.raises(
        ValueError, match=r"mse: targets of shape \(2,\) do not match scores of shape \(3,\)"
    ):
        nn.mse(a, np.zeros(2))


@pytest.mark.parametrize("labels", [[2.0, 1.0], [-0.5, 1.0], [np.nan, 0.0]])
def test_bce_refuses_labels_outside_0_1(labels):
    with pytest.raises(ValueError, match=r"bce: labels must be in \[0, 1\] \(0 or 1, or a "):
        nn.bce(np.zeros(2), np.array(labels))
    s = ag.Param(np.zeros(2))
    with pytest.raises(ValueError, match=r"bce: labels must be in \[0, 1\]"):
        ag.diff(lambda: nn.bce(s, ag.Param(np.array(labels))))


@pytest.mark.parametrize("labels", [[0.0, 1.0], [2.0, -1.0], [0.5, 1.0]])
def test_logistic_refuses_labels_other_than_plus_or_minus_one(labels):
    with pytest.raises(ValueError, match=r"logistic: labels must be -1 or 1.* use bce"):
        nn.logistic(np.zeros(2), np.array(labels))


def _nan_cases():
    s, ignored, empty = np.zeros((3, 4)), np.full(3, -1), np.zeros((0, 4))
    no_labels = np.zeros(0, dtype=int)
    return [
        ("nll", lambda: nn.nll(s, ignored)),
        ("nll", lambda: nn.nll(empty, no_labels)),
        ("nll", lambda: nn.nll(lambda x: x, [])),
        ("accuracy", lambda: nn.accuracy(s, ignored)),
        ("accuracy", lambda: nn.accuracy(lambda x: x, [(empty, no_labels)])),
        ("accuracy", lambda: nn.zeroone(s, ignored)),
        ("bce", lambda: nn.bce(np.zeros(0), np.zeros(0))),
        ("logistic", lambda: nn.logistic(np.zeros(0), np.zeros(0))),
        ("mse", lambda: nn.mse(np.zeros(0), np.zeros(0))),
        ("mae", lambda: nn.mae(np.zeros(0), np.zeros(0))),
    ]


@pytest.mark.parametrize("case", range(len(_nan_cases())))
def test_nothing_to_average_is_a_stated_nan_with_a_warning(case):
    op, f = _nan_cases()[case]
    with pytest.warns(RuntimeWarning) as record:
        assert math.isnan(float(f()))
    messages = [str(w.message) for w in record]
    assert len(messages) == 1, messages  # ours only, not numpy's "Mean of empty slice"
    assert messages[0].startswith(f"{op}: nothing to average")
    assert "the result is NaN" in messages[0] and "average=False" in messages[0]


def test_all_ignored_labels_give_a_zero_gradient_and_sums_stay_silent():
    s = ag.Param(np.ones((3, 4)))
    with pytest.warns(RuntimeWarning, match="nll: nothing to average"):
        tape = ag.diff(lambda: nn.nll(s, np.full(3, -1)))
    np.testing.assert_array_equal(ag.grad(tape, s), np.zeros((3, 4)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total, count = nn.nll(np.zeros((3, 4)), np.full(3, -1), average=False)
        assert (float(total), count) == (0.0, 0)
        assert float(nn.bce(np.zeros(0), np.zeros(0), average=False)) == 0.0
        assert nn.accuracy(np.zeros((3, 4)), np.full(3, -1), average=False) == (0, 0)


def test_label_smoothing_per_instance_matches_its_mean_and_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    scores, labels = rng.normal(size=(5, 4)), np.array([0, 3, -1, 2, 1])
    each = nn.nll(scores, labels, label_smoothing=0.2, reduction="none")
    assert float(each[2]) == 0.0
    mean = nn.nll(scores, labels, label_smoothing=0.2)
    np.testing.assert_allclose(np.sum(each) / 4, mean, rtol=1e-12)
    ref = torch.nn.functional.cross_entropy(
        torch.tensor(scores),
        torch.tensor(labels),
        ignore_index=-1,
        label_smoothing=0.2,
        reduction="none",
    )
    np.testing.assert_allclose(each, ref.numpy(), rtol=1e-12, atol=1e-15)
