"""Seed features from Knet and GradValley: each against its reference's formula
or against PyTorch, with the errors for bad input."""

import io
import warnings

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends as B
import plugrad_data as D
import plugrad_nn as nn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(22)


def grad_of(f, p):
    return ag.grad(ag.diff(f), p)


# -- Knet ---------------------------------------------------------------------------------


def test_invx_is_the_reciprocal_with_its_gradient():
    x = np.array([0.5, -2.0, 4.0])
    np.testing.assert_array_equal(nn.invx(x), 1 / x)
    w = ag.Param(x.copy())
    np.testing.assert_allclose(grad_of(lambda: ag.sum(nn.invx(w)), w), -1 / x**2)
    assert ag.gcheck(lambda: ag.sum(nn.invx(w) ** 2))
    assert nn.invx(np.float32(4)) == 0.25
    assert nn.invx(np.ones(2, np.float32)).dtype == np.float32


@pytest.mark.parametrize(
    ("shape", "dims", "expected"),
    [
        ((5, 2, 3), None, (5, 6)),  # the default ndim - 1: the batch axis kept
        ((7, 4, 6), 1, (28, 6)),  # an RNN's (T, B, H) output for a dense layer
        ((2, 3, 4), 0, (24, 1)),  # Knet's row vector, read row-major
        ((2, 3, 4), 3, (1, 24)),  # Knet's column vector, read row-major
        ((2, 3, 4, 5), 2, (6, 20)),
    ],
)
def test_mat_dims_joins_the_trailing_axes(shape, dims, expected):
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    y = ag.mat(x) if dims is None else ag.mat(x, dims=dims)
    assert y.shape == expected
    np.testing.assert_array_equal(y.reshape(-1), x.reshape(-1))  # the same memory order


def test_mat_dims_errors_and_gradient():
    with pytest.raises(ValueError, match=r"mat: dims must be an int in \[0, 3\]"):
        ag.mat(np.zeros((2, 3, 4)), dims=4)
    with pytest.raises(ValueError, match="mat: dims"):
        ag.mat(np.zeros((2, 3)), dims=1.5)
    w = ag.Param(RNG.normal(size=(3, 2, 4)))
    g = grad_of(lambda: ag.sum(ag.mat(w, dims=1) * np.arange(4.0)), w)
    np.testing.assert_array_equal(g, np.broadcast_to(np.arange(4.0), (3, 2, 4)))


@pytest.mark.parametrize(("ta", "tb"), [(False, False), (True, False), (False, True), (True, True)])
def test_bmm_transposes_like_torch(ta, tb):
    a = RNG.normal(size=(4, 3, 5) if ta else (4, 5, 3))
    b = RNG.normal(size=(4, 2, 3) if tb else (4, 3, 2))
    ta_, tb_ = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ref = torch.bmm(ta_.transpose(1, 2) if ta else ta_, tb_.transpose(1, 2) if tb else tb_)
    (ref * ref).sum().backward()
    pa, pb = ag.Param(a.copy()), ag.Param(b.copy())
    tape = ag.diff(lambda: ag.sum(ag.bmm(pa, pb, transA=ta, transB=tb) ** 2))
    np.testing.assert_allclose(ag.bmm(a, b, transA=ta, transB=tb), ref.detach().numpy())
    np.testing.assert_allclose(ag.grad(tape, pa), ta_.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ag.grad(tape, pb), tb_.grad.numpy(), rtol=1e-10)


def test_pool_alpha_scales_and_nan_is_not_propagated_by_default():
    x = np.arange(16.0, dtype=np.float32).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(nn.pool(x, alpha=0.5), 0.5 * nn.pool(x))
    np.testing.assert_array_equal(nn.pool(x, mode=1, alpha=2), 2 * nn.pool(x, mode=1))
    x[0, 0, 0, 1] = np.nan  # one NaN in the first window
    x[0, 0, 2:, 2:] = np.nan  # a window of NaN only
    # Knet's default maxpoolingNanOpt=0: NaN never wins; an all-NaN window stays NaN
    np.testing.assert_array_equal(nn.pool(x)[0, 0], [[5.0, 7.0], [13.0, np.nan]])
    # nan_propagation=True (Knet's 1, PyTorch's behaviour): any NaN gives NaN
    ref = torch.nn.functional.max_pool2d(torch.tensor(x), 2).numpy()
    np.testing.assert_array_equal(nn.pool(x, nan_propagation=True), ref)
    assert np.isnan(nn.pool(x, nan_propagation=True)[0, 0, 0, 0])


def test_pool_with_infinities_and_no_nan_is_unchanged():
    x = RNG.normal(size=(1, 2, 4, 4))
    x[0, 0, 0, 0], x[0, 1, 3, 3] = np.inf, -np.inf  # their sum is NaN: the careful path
    x[0, 1, 2:, 2:] = -np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from the NaN check
        np.testing.assert_array_equal(nn.pool(x), nn.pool(x, nan_propagation=True))
    ref = torch.nn.functional.max_pool2d(torch.tensor(x), 2).numpy()
    np.testing.assert_array_equal(nn.pool(x), ref)


def test_pool_nan_inputs_get_no_gradient_and_the_others_theirs():
    x = RNG.normal(size=(1, 1, 4, 4))
    x[0, 0, 0, 0] = np.nan
    w = ag.Param(x.copy())
    g = grad_of(lambda: ag.sum(nn.pool(w, window=3, stride=1, padding=1)), w)
    clean = np.where(np.isnan(x), -np.inf, x)
    gw = ag.Param(clean)
    expected = grad_of(lambda: ag.sum(nn.pool(gw, window=3, stride=1, padding=1)), gw)
    np.testing.assert_array_equal(g, expected)
    assert g[0, 0, 0, 0] == 0


def test_pool_alpha_and_nan_propagation_errors():
    x = np.zeros((1, 1, 4, 4), np.float32)
    with pytest.raises(TypeError, match="pool: nan_propagation must be True or False"):
        nn.pool(x, nan_propagation=1)
    with pytest.raises(TypeError, match="pool: alpha must be a number"):
        nn.pool(x, alpha="2")


@pytest.mark.parametrize("algo", [0, 1, 2])
def test_softmax_algo_values_all_give_the_probabilities(algo):
    x = np.array([[1.0, 2.0, 3.0], [1000.0, 0.0, -5.0]])
    ref = torch.softmax(torch.tensor(x), dim=-1).numpy()
    np.testing.assert_allclose(nn.softmax(x, algo=algo), ref, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(
        nn.logsoftmax(x, algo=algo), torch.log_softmax(torch.tensor(x), -1).numpy(), rtol=1e-12
    )
    w = ag.Param(RNG.normal(size=(2, 3)))
    assert ag.gcheck(lambda: ag.sum(nn.softmax(w, algo=algo) * np.array([1.0, 2.0, 3.0])))


def test_softmax_bad_algo():
    with pytest.raises(ValueError, match=r"softmax: algo must be 0 .*, 1 .* or 2"):
        nn.softmax(np.zeros(3), algo=3)
    with pytest.raises(ValueError, match="logsoftmax: algo"):
        nn.logsoftmax(np.zeros(3), algo=True)


def _lstm_outputs(seed, global_seed):
    B.seed(1)  # the same weights
    lstm = nn.trainmode(nn.LSTM(3, 4, num_layers=2, dropout=0.5, seed=seed))
    B.seed(global_seed)
    x = np.linspace(0, 1, 24, dtype=np.float32).reshape(4, 2, 3)
    return [lstm(x) for _ in range(2)], lstm


def test_rnn_seed_makes_dropout_reproducible_whatever_the_global_generator():
    (a1, a2), lstm = _lstm_outputs(7, 100)
    (b1, b2), _ = _lstm_outputs(7, 200)
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.array_equal(a1, a2)  # fresh masks at every call
    assert lstm.dropout_calls == 2
    (c1, _), _ = _lstm_outputs(8, 100)
    assert not np.array_equal(a1, c1)
    (d1, _), _ = _lstm_outputs(0, 100)  # seed 0: the backend's generator, set by seed
    (e1, _), _ = _lstm_outputs(0, 100)
    (f1, _), _ = _lstm_outputs(0, 200)
    np.testing.assert_array_equal(d1, e1)
    assert not np.array_equal(d1, f1)


def test_rnn_seed_errors():
    with pytest.raises(TypeError, match="RNN: seed must be an int >= 0"):
        nn.RNN(3, 4, seed=-1)
    with pytest.raises(TypeError, match="seed must be an int"):
        nn.RNN(3, 4, seed=1.5)


def test_bnparams_takes_knets_etype_first():
    np.testing.assert_array_equal(nn.bnparams(2).value, [1, 1, 0, 0])
    assert nn.bnparams(2).value.dtype == np.float32
    p = nn.bnparams(np.float64, 3)
    assert p.value.dtype == np.float64 and p.value.tolist() == [1, 1, 1, 0, 0, 0]
    assert nn.bnparams("float16", 2).value.dtype == np.float16
    assert nn.bnparams(2, "float64").value.dtype == np.float64
    with pytest.raises(TypeError, match="bnparams: the element type was given twice"):
        nn.bnparams(np.float64, 2, atype="float32")
    with pytest.raises(TypeError, match=r"bnparams: expected 1 or 2 arguments.*bnparams\(etype"):
        nn.bnparams(np.float64, 2, 3)


def test_bilinear_takes_a_dtype_first_and_refuses_wrong_arguments():
    w = nn.bilinear(np.float64, 2, 2, 3, 3)
    assert w.dtype == np.float64
    np.testing.assert_array_equal(w, nn.bilinear(2, 2, 3, 3, dtype=np.float64))
    # Long et al.'s FCN bilinear kernel: 1 - |i - center| / factor per axis
    taps = 1 - np.abs(np.arange(4) - 1.5) / 2
    np.testing.assert_allclose(w[1, 1], np.outer(taps, taps))
    assert not w[0, 1].any()
    with pytest.raises(TypeError, match=r"bilinear: expected 4 sizes, got 3.*bilinear\(dtype"):
        nn.bilinear(2, 2, 3)
    with pytest.raises(TypeError, match="bilinear: dtype must be a floating-point type"):
        nn.bilinear(np.int32, 2, 2, 1, 1)
    with pytest.raises(TypeError, match="bilinear: factor_w must be a positive int"):
        nn.bilinear(np.float32, 2, 2.5, 1, 1)
    with pytest.raises(TypeError, match="bilinear: the dtype was given twice"):
        nn.bilinear(np.float32, 2, 2, 1, 1, dtype=np.float64)


def test_progress_accepts_knets_argument_order():
    out = io.StringIO()
    values = list(D.progress(lambda p: f"at {p.currval}", range(3), steps=1, file=out))
    assert values == [0, 1, 2]
    assert out.getvalue().rstrip().endswith("at 2")
    out2 = io.StringIO()
    assert list(D.progress(range(3), lambda p: f"at {p.currval}", steps=1, file=out2)) == [
        0,
        1,
        2,
    ]


def _batches():
    x = RNG.normal(size=(10, 4))
    y = RNG.integers(0, 3, size=10)
    return [(x[:6], y[:6]), (x[6:], y[6:])]


def test_nll_and_accuracy_model_data_pass_keywords_to_the_model():
    data = _batches()
    w = RNG.normal(size=(4, 3))
    calls = []

    def model(x, scale=1.0):
        calls.append(scale)
        return x @ w * scale

    whole_x = np.concatenate([x for x, _ in data])
    whole_y = np.concatenate([y for _, y in data])
    assert nn.nll(model, data, scale=2.0) == pytest.approx(float(nn.nll(whole_x @ w * 2, whole_y)))
    assert calls == [2.0, 2.0]
    assert nn.accuracy(model, data, scale=-1.0) == nn.accuracy(-(whole_x @ w), whole_y)
    assert nn.zeroone(model, data, scale=-1.0) == 1 - nn.accuracy(-(whole_x @ w), whole_y)
    total, count = nn.nll(model, data, average=False)
    assert count == 10 and float(total) == pytest.approx(float(nn.nll(model, data)) * 10)
    with pytest.raises(TypeError, match="use axis="):
        nn.nll(whole_x @ w, whole_y, dim=1)  # the array form still refuses PyTorch's names


@pytest.mark.parametrize("loss", [nn.mse, nn.mae])
def test_mse_mae_model_data_forms(loss):
    x, y = RNG.normal(size=(10, 3)), RNG.normal(size=(10, 2))
    data = [(x[:7], y[:7]), (x[7:], y[7:])]
    w = RNG.normal(size=(3, 2))

    def model(v, shift=0.0):
        return v @ w + shift

    assert float(loss(model, data, shift=0.5)) == pytest.approx(float(loss(x @ w + 0.5, y)))
    assert float(loss(model, data, reduction="sum")) == pytest.approx(
        float(loss(x @ w, y, average=False))
    )
    with pytest.raises(ValueError, match="reduction='none' needs one batch"):
        loss(model, data, reduction="none")


def test_quadloss_and_softloss_follow_the_old_manual():
    ypred, ygold = RNG.normal(size=(6, 2)), RNG.normal(size=(6, 2))
    assert float(nn.quadloss(ypred, ygold)) == pytest.approx(((ypred - ygold) ** 2).sum() / 12)
    s = RNG.normal(size=(5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    probs, onehot = nn.softmax(s), np.eye(4)[labels]
    assert float(nn.softloss(probs, onehot)) == pytest.approx(float(nn.nll(s, labels)))
    p = ag.Param(probs.copy())
    g = grad_of(lambda: nn.softloss(p, onehot), p)
    np.testing.assert_allclose(g, -onehot / probs / 5)


def test_l1reg_as_a_loss_term_gives_knets_update():
    # the old manual's option: dw += l1reg * sign(w); as a loss term l1reg * sum(|w|)
    w = ag.Param(np.array([0.5, -2.0, 3.0]))
    tape = ag.diff(lambda: 0.1 * ag.sum(ag.abs(w)))
    np.testing.assert_allclose(ag.grad(tape, w), 0.1 * np.sign(w.value))


# -- GradValley ----------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_reductions_match_torch(reduction):
    s = RNG.normal(size=(6, 4))
    labels = np.array([0, 3, -1, 1, 2, 3])
    t_s = torch.tensor(s, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(
        t_s, torch.tensor(labels), reduction=reduction, ignore_index=-1
    )
    p = ag.Param(s.copy())
    tape = ag.diff(lambda: ag.sum(nn.nll(p, labels, reduction=reduction) ** 2))
    np.testing.assert_allclose(nn.nll(s, labels, reduction=reduction), ref.detach().numpy())
    (ref**2).sum().backward()
    np.testing.assert_allclose(ag.grad(tape, p), t_s.grad.numpy(), rtol=1e-10, atol=1e-14)

    pairs = [
        (nn.bce, torch.nn.functional.binary_cross_entropy_with_logits, RNG.random(size=(3, 5))),
        (nn.mse, torch.nn.functional.mse_loss, RNG.normal(size=(3, 5))),
        (nn.mae, torch.nn.functional.l1_loss, RNG.normal(size=(3, 5))),
    ]
    for ours, theirs, target in pairs:
        x = RNG.normal(size=(3, 5))
        tx = torch.tensor(x, requires_grad=True)
        ref = theirs(tx, torch.tensor(target), reduction=reduction)
        (ref**2).sum().backward()
        p = ag.Param(x.copy())
        tape = ag.diff(lambda: ag.sum(ours(p, target, reduction=reduction) ** 2))  # noqa: B023
        np.testing.assert_allclose(ours(x, target, reduction=reduction), ref.detach().numpy())
        np.testing.assert_allclose(ag.grad(tape, p), tx.grad.numpy(), rtol=1e-9)


def test_logistic_reductions_follow_its_formula():
    s, y = RNG.normal(size=(4, 3)), np.where(RNG.random(size=(4, 3)) > 0.5, 1.0, -1.0)
    each = np.log1p(np.exp(-y * s))
    np.testing.assert_allclose(nn.logistic(s, y, reduction="none"), each)
    assert float(nn.logistic(s, y, reduction="sum")) == pytest.approx(each.sum())
    assert float(nn.logistic(s, y, reduction="mean")) == pytest.approx(each.mean())


def test_reduction_and_average_interact_as_documented():
    s, labels = RNG.normal(size=(4, 3)), np.array([0, 1, 2, 1])
    total, count = nn.nll(s, labels, average=False)  # Knet's (total, count)
    assert count == 4
    assert float(nn.nll(s, labels, reduction="sum")) == pytest.approx(float(total))
    assert float(nn.nll(s, labels, average=True, reduction="sum")) == pytest.approx(float(total))
    x, t = RNG.normal(size=5), RNG.normal(size=5)
    assert float(nn.mse(x, t, average=False)) == pytest.approx(float(nn.mse(x, t, reduction="sum")))
    with pytest.raises(TypeError, match="nll: pass either Knet's average= or reduction="):
        nn.nll(s, labels, average=False, reduction="mean")
    with pytest.raises(TypeError, match="mse: pass either"):
        nn.mse(x, t, average=False, reduction="none")
    with pytest.raises(ValueError, match="bce: reduction must be 'mean', 'sum' or 'none'"):
        nn.bce(x, (t > 0) * 1.0, reduction="avg")


def test_nll_reduction_none_zeroes_skipped_instances():
    s = RNG.normal(size=(3, 4))
    each = nn.nll(s, np.array([1, -1, 3]), reduction="none")
    assert each.shape == (3,) and each[1] == 0
    np.testing.assert_allclose(each[[0, 2]], nn.nll(s[[0, 2]], np.array([1, 3]), reduction="none"))
    each_axis0 = nn.nll(s.T, np.array([1, -1, 3]), axis=0, reduction="none")
    np.testing.assert_allclose(each_axis0, each)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_on_probabilities_is_gradvalleys_bce_loss(reduction):
    p = RNG.uniform(0.05, 0.95, size=(4, 3))
    t = RNG.random(size=(4, 3))
    eps = np.finfo(np.float64).eps
    each = -t * np.log(p + eps) - (1 - t) * np.log(1 - p + eps)  # GradValley's definition
    ref = {"mean": each.mean(), "sum": each.sum(), "none": each}[reduction]
    np.testing.assert_allclose(nn.binary_cross_entropy(p, t, reduction=reduction), ref)
    # GradValley's derivative: (-t/(p+eps) - (t-1)/(1-p+eps)) / n for "mean"
    w = ag.Param(p.copy())
    g = grad_of(lambda: ag.sum(nn.binary_cross_entropy(w, t, reduction=reduction)), w)
    scale = 1 / p.size if reduction == "mean" else 1
    np.testing.assert_allclose(g, (-t / (p + eps) - (t - 1) / (1 - p + eps)) * scale)
    # and PyTorch's BCELoss on probabilities, bce on the logits
    torch_ref = torch.nn.functional.binary_cross_entropy(
        torch.tensor(p), torch.tensor(t), reduction=reduction
    ).numpy()
    np.testing.assert_allclose(nn.binary_cross_entropy(p, t, reduction=reduction), torch_ref)
    logits = np.log(p / (1 - p))
    np.testing.assert_allclose(nn.bce(logits, t, reduction=reduction), torch_ref, rtol=1e-10)


def test_binary_cross_entropy_errors_name_the_logits_version():
    with pytest.raises(ValueError, match=r"probs must be probabilities in \[0, 1\].*use bce"):
        nn.binary_cross_entropy(np.array([2.0, -1.0]), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="targets in"):
        nn.binary_cross_entropy(np.array([0.5]), np.array([2.0]))
    assert np.isfinite(nn.binary_cross_entropy(np.array([0.0, 1.0]), np.array([1.0, 0.0])))
    assert nn.binary_cross_entropy(np.array([0.3], np.float32), np.array([1.0])).dtype == np.float32


def _torch_pool(kind, x, k, s, p, d):
    t = torch.tensor(x, requires_grad=True)
    if kind == "max":
        y = torch.nn.functional.max_pool2d(t, k, stride=s, padding=p, dilation=d)
    else:  # PyTorch's avg_pool2d has no dilation: build the dilated average by unfold
        cols = torch.nn.functional.unfold(t, k, dilation=d, padding=p, stride=s)
        n, c = x.shape[:2]
        kk = np.prod(k) if isinstance(k, tuple) else k * k
        h = (x.shape[2] + 2 * _pair(p)[0] - _pair(d)[0] * (_pair(k)[0] - 1) - 1) // _pair(s)[0] + 1
        y = cols.reshape(n, c, kk, -1).mean(axis=2).reshape(n, c, h, -1)
    (y * y).sum().backward()
    return y.detach().numpy(), t.grad.numpy()


def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize(
    ("k", "s", "p", "d"), [(3, 1, 0, 2), ((2, 3), (2, 1), (1, 1), (2, 3)), (2, 2, 1, 2)]
)
def test_pool_layers_dilation_match_torch(kind, k, s, p, d):
    x = RNG.normal(size=(2, 3, 9, 10))
    layer = (nn.MaxPool if kind == "max" else nn.AvgPool)(k, stride=s, padding=p, dilation=d)
    ref, ref_grad = _torch_pool(kind, x, k, s, p, d)
    w = ag.Param(x.copy())
    tape = ag.diff(lambda: ag.sum(layer(w) ** 2))
    np.testing.assert_allclose(layer(x), ref, rtol=1e-12)
    np.testing.assert_allclose(ag.grad(tape, w), ref_grad, rtol=1e-10)
    assert "dilation=" in repr(layer)


def test_maxpool_dilation_lets_no_nan_win_as_pool_does():
    x = RNG.normal(size=(1, 1, 6, 6))
    x[0, 0, 0, 0] = np.nan
    x[0, 0, 1::2, 1::2] = np.nan  # the windows of the odd rows and columns: NaN only
    w = ag.Param(x.copy())
    layer = nn.MaxPool(2, stride=1, dilation=2)
    y = layer(x)
    ref = torch.nn.functional.max_pool2d(
        torch.tensor(np.where(np.isnan(x), -np.inf, x)), 2, stride=1, dilation=2
    ).numpy()
    expected = np.where(np.isneginf(ref), np.nan, ref)
    np.testing.assert_array_equal(y, expected)
    assert np.isnan(y[0, 0, 1, 1]) and not np.isnan(y[0, 0, 0, 0])
    g = grad_of(lambda: ag.sum(ag.where(np.isnan(y), 0.0, layer(w))), w)
    assert g[0, 0, 0, 0] == 0 and np.isfinite(g).all()


def test_avgpool_dilation_excluding_padding_counts_real_inputs():
    x = np.ones((1, 1, 5, 5))
    y = nn.AvgPool(2, stride=1, padding=1, dilation=2, count_include_pad=False)(x)
    np.testing.assert_allclose(y, np.ones_like(y))
    with pytest.raises(nn.LayerInputError, match="spanning"):
        nn.MaxPool(3, dilation=3)(np.zeros((1, 1, 5, 5)))


@pytest.mark.parametrize(
    "make",
    [
        lambda a: nn.MaxPool(2, activation=a),
        lambda a: nn.AvgPool(2, activation=a),
        lambda a: nn.AdaptiveMaxPool((2, 3), activation=a),
        lambda a: nn.AdaptiveAvgPool(3, activation=a),
        lambda a: nn.BatchNorm(3, activation=a),
        lambda a: nn.Reshape((3, 6, 6), activation=a),
    ],
)
def test_activation_on_pools_batchnorm_and_reshape(make):
    x = RNG.normal(size=(2, 3, 6, 6)).astype(np.float32)
    x_in = x.reshape(2, -1) if isinstance(make(None), nn.Reshape) else x
    plain, relu, leaky = make(None), make("relu"), make("leaky_relu:0.2")
    base = plain(x_in)
    np.testing.assert_allclose(relu(x_in), np.maximum(base, 0), rtol=1e-6)
    np.testing.assert_allclose(leaky(x_in), np.where(base > 0, base, 0.2 * base), rtol=1e-6)
    assert "relu" in repr(relu)
    with pytest.raises(ValueError, match="unknown activation 'relux'"):
        make("relux")
    softmax = make("softmax")
    axis = -1 if isinstance(softmax, nn.Reshape) else 1
    np.testing.assert_allclose(softmax(x_in).sum(axis=axis), 1.0, rtol=1e-5)


def test_new_layer_options_survive_save_and_load(tmp_path):
    layers = [
        nn.MaxPool(2, dilation=2, activation="tanh"),
        nn.AdaptiveAvgPool(2, activation="relu"),
        nn.BatchNorm(3, affine=False, track_running_stats=False, activation="relu"),
        nn.Reshape((-1,), activation="sigmoid"),
    ]
    x = RNG.normal(size=(2, 3, 6, 6)).astype(np.float32)
    D.save(tmp_path / "layers.safetensors", layers=layers)
    loaded = D.load(tmp_path / "layers.safetensors", "layers")
    for before, after in zip(layers, loaded):
        assert repr(after) == repr(before)
        np.testing.assert_array_equal(after(x), before(x))


def test_batchnorm_affine_false_and_no_running_stats_match_torch():
    x = RNG.normal(size=(8, 3, 4, 4)).astype(np.float32)
    ours = nn.BatchNorm(3, affine=False, track_running_stats=False)
    ref = torch.nn.BatchNorm2d(3, affine=False, track_running_stats=False).eval()
    assert ours.params is None and ours.moments is None and ag.params(ours) == []
    for mode in (nn.trainmode, nn.testmode):  # batch statistics in both modes
        np.testing.assert_allclose(mode(ours)(x), ref(torch.tensor(x)).detach().numpy(), atol=1e-5)
    w = ag.Param(x.astype(np.float64))
    assert ag.gcheck(
        lambda: ag.sum(nn.BatchNorm(3, affine=False, track_running_stats=False)(w) ** 3)
    )
    tracked = nn.trainmode(nn.BatchNorm(3, affine=False))
    tracked(x)
    torch_tracked = torch.nn.BatchNorm2d(3, affine=False).train()
    torch_tracked(torch.tensor(x))
    np.testing.assert_allclose(
        tracked.moments.mean.reshape(-1), torch_tracked.running_mean.numpy(), rtol=1e-5
    )
    with pytest.raises(TypeError, match="BatchNorm: affine must be True or False"):
        nn.BatchNorm(3, affine="no")
    assert "affine=False" in repr(ours) and "track_running_stats=False" in repr(ours)


def test_depthwise_convolution_is_conv_with_groups_equal_to_channels():
    c, mult = 4, 2
    x = RNG.normal(size=(2, c, 7, 7)).astype(np.float32)
    depthwise = nn.Conv(c, c * mult, 3, padding=1, groups=c)
    assert depthwise.weight.shape == (c * mult, 1, 3, 3)  # one 3x3 filter set per channel
    ref = torch.nn.functional.conv2d(
        torch.tensor(x),
        torch.tensor(depthwise.weight.value),
        torch.tensor(depthwise.bias.value),
        padding=1,
        groups=c,
    )
    np.testing.assert_allclose(depthwise(x), ref.numpy(), rtol=1e-5, atol=1e-5)
    # each output channel sees only its own input channel
    x2 = x.copy()
    x2[:, 0] += 1
    changed = np.abs(depthwise(x2) - depthwise(x)).max(axis=(0, 2, 3)) > 0
    assert changed.tolist() == [True, True] + [False] * (c * mult - 2)


def test_clean_turns_recorded_state_into_arrays_so_that_save_works(tmp_path):
    lstm = nn.LSTM(3, 4, h=0, c=0)
    model = nn.Sequential(lstm, nn.Dense(4, 2))
    model.extra = {"pair": (lstm, [1.0])}
    x = RNG.normal(size=(5, 2, 3)).astype(np.float32)
    ag.diff(lambda: ag.sum(model[0](x)))
    assert isinstance(lstm.h, ag.Value)
    model.history = [lstm.h, (lstm.c, 2)]
    path = tmp_path / "m.safetensors"
    with pytest.raises(TypeError, match=r"cannot save m\[0\]\.h|cannot save m.*\.h: a recorded"):
        D.save(path, m=model)
    with pytest.raises(TypeError, match=r"call plugrad\.clean\(model\)"):
        D.save(path, m=model)
    assert not path.exists()
    h = ag.value(lstm.h)
    assert nn.clean(model) is model
    assert type(lstm.h) is type(h) and type(lstm.c) is type(h)
    assert type(model.history[0]) is type(h) and type(model.history[1][0]) is type(h)
    D.save(path, m=model)
    loaded = D.load(path, "m")
    np.testing.assert_array_equal(loaded[0].h, h)
    assert nn.clean(ag.Param(np.ones(2))).value.tolist() == [1.0, 1.0]  # Params stay


def test_clean_leaves_modules_and_functions_alone():
    import types

    holder = types.SimpleNamespace(f=lambda: 1, mod=types, params=[ag.Param(np.ones(1))])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nn.clean(holder) is holder
    assert holder.mod is types
