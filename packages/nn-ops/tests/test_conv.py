"""conv4 and deconv4: loop references, gradients to second order, errors."""

import itertools

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends as B
import plugrad_nn as nn
from plugrad_nn import _conv


def reference_conv(w, x, padding, stride, dilation, mode=0, alpha=1.0, groups=1):
    """Knet's conv4 by the definition: a loop over outputs and filter taps."""
    nd = x.ndim - 2
    pad, st, dil = (
        tuple([v] * nd) if np.isscalar(v) else tuple(v) for v in (padding, stride, dilation)
    )
    if mode == 0:
        w = w[(slice(None), slice(None)) + (slice(None, None, -1),) * nd]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    n = x.shape[0]
    o, cg = w.shape[:2]
    k = w.shape[2:]
    out = [(xp.shape[2 + i] - dil[i] * (k[i] - 1) - 1) // st[i] + 1 for i in range(nd)]
    y = np.zeros((n, o, *out))
    og = o // groups
    for b, f in itertools.product(range(n), range(o)):
        g = f // og
        for pos in itertools.product(*(range(m) for m in out)):
            total = 0.0
            for ci in range(cg):
                for tap in itertools.product(*(range(kk) for kk in k)):
                    idx = tuple(pos[i] * st[i] + tap[i] * dil[i] for i in range(nd))
                    total += xp[(b, g * cg + ci, *idx)] * w[(f, ci, *tap)]
            y[(b, f, *pos)] = total
    return alpha * y


def reference_deconv(w, x, padding, stride, dilation, mode=0, out_size=None):
    """The adjoint of reference_conv in x: scatter every input through the filter taps."""
    nd = x.ndim - 2
    pad, st, dil = (
        tuple([v] * nd) if np.isscalar(v) else tuple(v) for v in (padding, stride, dilation)
    )
    if mode == 0:
        w = w[(slice(None), slice(None)) + (slice(None, None, -1),) * nd]
    n, ci = x.shape[:2]
    co = w.shape[1]
    k = w.shape[2:]
    size = out_size or [
        (x.shape[2 + i] - 1) * st[i] - 2 * pad[i] + dil[i] * (k[i] - 1) + 1 for i in range(nd)
    ]
    full = np.zeros((n, co, *[s + 2 * p for s, p in zip(size, pad)]))
    for b, i, o in itertools.product(range(n), range(ci), range(co)):
        for pos in itertools.product(*(range(m) for m in x.shape[2:])):
            for tap in itertools.product(*(range(kk) for kk in k)):
                idx = tuple(pos[d] * st[d] + tap[d] * dil[d] for d in range(nd))
                full[(b, o, *idx)] += x[(b, i, *pos)] * w[(i, o, *tap)]
    crop = tuple(slice(p, p + s) for p, s in zip(pad, size))
    return full[(slice(None), slice(None), *crop)]


CASES_2D = [
    # padding, stride, dilation, mode, alpha, groups
    (0, 1, 1, 0, 1.0, 1),
    (1, 1, 1, 1, 1.0, 1),
    (1, 2, 1, 0, 2.0, 1),
    ((2, 0), (1, 2), (2, 1), 1, 1.0, 1),
    (1, 1, 1, 0, 1.0, 2),
]


@pytest.mark.parametrize(("padding", "stride", "dilation", "mode", "alpha", "groups"), CASES_2D)
def test_conv4_2d_matches_the_loop_reference(
    backend, padding, stride, dilation, mode, alpha, groups
):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 4, 6, 5)).astype(np.float32)
    w = rng.normal(size=(6, 4 // groups, 3, 2)).astype(np.float32)
    expected = reference_conv(w, x, padding, stride, dilation, mode, alpha, groups)
    y = nn.conv4(
        backend.xp.asarray(w),
        backend.xp.asarray(x),
        padding=padding,
        stride=stride,
        dilation=dilation,
        mode=mode,
        alpha=alpha,
        groups=groups,
    )
    assert y.dtype == np.float32
    np.testing.assert_allclose(B.to_host(y), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("batch", [2, 40])  # both im2col layouts
def test_conv4_3d_matches_the_loop_reference(backend, batch):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(batch, 2, 5, 4, 6))
    w = rng.normal(size=(3, 2, 2, 3, 2))
    for padding, stride, dilation, mode in [(0, 1, 1, 0), ((1, 0, 1), (2, 1, 1), (1, 1, 2), 1)]:
        expected = reference_conv(w, x[:2], padding, stride, dilation, mode)
        y = nn.conv4(backend.xp.asarray(w), backend.xp.asarray(x), padding, stride, dilation, mode)
        np.testing.assert_allclose(B.to_host(y)[:2], expected, rtol=1e-10, atol=1e-10)


def test_conv4_mode0_flips_the_filter_and_hand_example():
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    # cross-correlation, top-left window [[0, 1], [3, 4]] . [[1, 2], [3, 4]] = 27
    assert nn.conv4(w, x, mode=1)[0, 0, 0, 0] == 27.0
    # true convolution uses the flipped filter [[4, 3], [2, 1]]: 0*4 + 1*3 + 3*2 + 4*1 = 13
    assert nn.conv4(w, x)[0, 0, 0, 0] == 13.0
    assert nn.conv4(w, x, alpha=0.5)[0, 0, 0, 0] == 6.5


def test_batch_last_layout_agrees_with_per_instance_layout():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(64, 3, 7, 7))
    w = rng.normal(size=(4, 3, 3, 3))
    cfg = ((1, 1), (1, 1), (1, 1))
    assert _conv.batch_last(64, (7, 7))
    y_last, _ = _conv.conv_forward(x, w, *cfg, 1)
    y_inst, _ = _conv.conv_forward(x[:2], w, *cfg, 1)  # a batch of 2 uses the other layout
    assert not _conv.batch_last(2, (7, 7))
    np.testing.assert_allclose(y_last[:2], y_inst, rtol=1e-12)


@pytest.mark.parametrize(
    ("padding", "stride", "dilation", "mode", "groups"),
    [
        (0, 1, 1, 0, 1),
        (1, 2, 1, 1, 1),
        (1, 1, 2, 0, 2),
        ((0, 1), (2, 1), 1, 1, 1),
    ],
)
def test_deconv4_matches_the_scatter_reference(backend, padding, stride, dilation, mode, groups):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 4, 3, 4))
    w = rng.normal(size=(4, 3, 3, 2))
    y = nn.deconv4(
        backend.xp.asarray(w), backend.xp.asarray(x), padding, stride, dilation, mode, groups=groups
    )
    if groups == 1:
        expected = reference_deconv(w, x, padding, stride, dilation, mode)
    else:  # each group of input channels reaches its own group of output channels
        expected = np.concatenate(
            [
                reference_deconv(
                    w[2 * g : 2 * g + 2], x[:, 2 * g : 2 * g + 2], padding, stride, dilation, mode
                )
                for g in range(groups)
            ],
            axis=1,
        )
    np.testing.assert_allclose(B.to_host(y), expected, rtol=1e-10, atol=1e-10)


def test_deconv4_knet_output_size_and_output_padding():
    x = np.ones((1, 2, 5, 5), np.float32)
    w = np.ones((2, 3, 4, 4), np.float32)
    # Knet: Y = W + stride*(X - 1) - 2*padding
    assert nn.deconv4(w, x, stride=2, padding=1).shape == (1, 3, 4 + 2 * 4 - 2, 10)
    assert nn.deconv4(w, x, stride=2, padding=1, output_padding=1).shape == (1, 3, 11, 11)
    # its input gradient is a conv: conv4 maps the output back to x's shape
    y = nn.deconv4(w, x, stride=2, padding=1)
    assert nn.conv4(w, y, stride=2, padding=1).shape == x.shape


def test_deconv4_is_the_adjoint_of_conv4():
    rng = np.random.default_rng(5)
    w = rng.normal(size=(3, 2, 3, 3))
    x = rng.normal(size=(2, 2, 7, 6))
    y = rng.normal(size=nn.conv4(w, x, padding=1, stride=2).shape)
    lhs = np.sum(nn.conv4(w, x, padding=1, stride=2) * y)
    rhs = np.sum(x * nn.deconv4(w, y, padding=1, stride=2, output_padding=(0, 1)))
    assert abs(lhs - rhs) < 1e-9 * abs(lhs)


@pytest.mark.parametrize(
    ("padding", "stride", "dilation", "mode", "groups"),
    [
        (1, 2, 1, 0, 1),
        (0, 1, 2, 1, 2),
    ],
)
def test_conv4_gradients(backend, numgrad, padding, stride, dilation, mode, groups):
    rng = np.random.default_rng(6)
    w = ag.Param(backend.xp.asarray(rng.normal(size=(4, 4 // groups, 2, 3))))
    x = ag.Param(backend.xp.asarray(rng.normal(size=(2, 4, 5, 6))))
    probe = None

    def f():
        nonlocal probe
        y = nn.conv4(
            w,
            x,
            padding=padding,
            stride=stride,
            dilation=dilation,
            mode=mode,
            alpha=1.5,
            groups=groups,
        )
        if probe is None:
            probe = backend.xp.asarray(rng.normal(size=y.shape))
        return ag.sum(y * probe)

    numgrad(f, [w, x])


def test_conv4_3d_and_deconv4_gradients(backend, numgrad):
    rng = np.random.default_rng(7)
    w = ag.Param(backend.xp.asarray(rng.normal(size=(2, 2, 2, 2, 2))))
    x = ag.Param(backend.xp.asarray(rng.normal(size=(1, 2, 3, 4, 3))))
    numgrad(lambda: ag.sum(nn.conv4(w, x, padding=1, stride=2) ** 2), [w, x])
    numgrad(lambda: ag.sum(nn.deconv4(w, x, padding=1, stride=2, mode=1) ** 2), [w, x])


def test_conv4_second_order(backend):
    rng = np.random.default_rng(8)
    x = backend.xp.asarray(rng.normal(size=(2, 2, 5, 5)))
    w0 = backend.xp.asarray(rng.normal(size=(3, 2, 3, 3)))

    def input_grad_norm(w):  # d/dw of |d/dx sum(conv(w, x)^2)|^2 needs conv's rules twice
        gx = ag.grad(lambda x: ag.sum(nn.conv4(w, x, padding=1, stride=2) ** 2))(x)
        return ag.sum(gx * gx)

    g = B.to_host(ag.grad(input_grad_norm)(w0))
    flat = w0.reshape(-1)
    eps = 1e-6
    for i in [0, 7, 20, 53]:
        old = float(flat[i])
        flat[i] = old + eps
        up = float(input_grad_norm(w0))
        flat[i] = old - eps
        down = float(input_grad_norm(w0))
        flat[i] = old
        assert abs(g.reshape(-1)[i] - (up - down) / (2 * eps)) < 1e-4 * (1 + abs(g.reshape(-1)[i]))


def test_conv4_float32_stays_float32_and_mixed_dtypes_promote():
    x = np.ones((1, 1, 4, 4), np.float32)
    w = ag.Param(np.ones((1, 1, 2, 2), np.float32))
    t = ag.diff(lambda: ag.sum(nn.conv4(w, x)))
    assert ag.value(t).dtype == np.float32 and ag.grad(t, w).dtype == np.float32
    assert nn.conv4(np.ones((1, 1, 2, 2)), x).dtype == np.float64


def test_conv4_errors():
    x = np.ones((2, 3, 5, 5), np.float32)
    with pytest.raises(
        ValueError, match=r"conv4: expected x \(N, C, H, W\).*got w of shape \(4, 3, 3\) and x"
    ):
        nn.conv4(np.ones((4, 3, 3)), x)
    with pytest.raises(
        ValueError,
        match=r"conv4: x has 3 channels \(shape \(2, 3, 5, 5\)\) but w of shape \(4, 2, 3, 3\)",
    ):
        nn.conv4(np.ones((4, 2, 3, 3)), x)
    with pytest.raises(
        ValueError,
        match=r"conv4: the filter's extent \(7, 7\).*larger than the padded input \(5, 5\)",
    ):
        nn.conv4(np.ones((4, 3, 7, 7)), x)
    with pytest.raises(ValueError, match="conv4: mode must be 0"):
        nn.conv4(np.ones((4, 3, 3, 3)), x, mode=2)
    with pytest.raises(ValueError, match=r"conv4: stride must be an int or a sequence of 2 ints"):
        nn.conv4(np.ones((4, 3, 3, 3)), x, stride=(1, 1, 1))
    with pytest.raises(
        ValueError, match=r"deconv4: x has 3 channels.*expects C_in = w.shape\[0\] = 4"
    ):
        nn.deconv4(np.ones((4, 2, 3, 3)), x)


def test_kernels_from_the_backend_table_take_precedence():
    cpu = B.get("cpu")
    calls = []

    def traced_forward(x, w, padding, stride, dilation, groups):
        calls.append((x.shape, w.shape, padding, stride, dilation, groups))
        return _conv.conv_forward(x, w, padding, stride, dilation, groups)

    before = cpu.kernels.get("conv_forward")  # a kernel plugin's, when one is installed
    cpu.kernels["conv_forward"] = traced_forward
    try:
        y = nn.conv4(np.ones((2, 1, 3, 3)), np.ones((1, 1, 5, 5)), padding=1, mode=1)
    finally:
        del cpu.kernels["conv_forward"]
        if before is not None:
            cpu.kernels["conv_forward"] = before
    assert calls == [((1, 1, 5, 5), (2, 1, 3, 3), (1, 1), (1, 1), (1, 1), 1)]
    assert float(y[0, 0, 2, 2]) == 9.0


def test_conv4_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    x = rng.normal(size=(3, 4, 9, 8)).astype(np.float32)
    w = rng.normal(size=(6, 2, 3, 3)).astype(np.float32)
    y = nn.conv4(w, x, padding=1, stride=2, dilation=1, mode=1, groups=2)
    expected = torch.nn.functional.conv2d(
        torch.tensor(x), torch.tensor(w), padding=1, stride=2, groups=2
    )
    np.testing.assert_allclose(y, expected.numpy(), rtol=1e-4, atol=1e-4)
    wt = rng.normal(size=(4, 3, 3, 3)).astype(np.float32)
    yd = nn.deconv4(wt, x, padding=1, stride=2, mode=1, output_padding=1)
    expected = torch.nn.functional.conv_transpose2d(
        torch.tensor(x), torch.tensor(wt), padding=1, stride=2, output_padding=1
    )
    np.testing.assert_allclose(yd, expected.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("groups", [1, 2])
def test_conv4_of_an_empty_batch(groups):
    x = np.ones((0, 4, 6, 6), np.float32)
    w = np.ones((6, 4 // groups, 3, 3), np.float32)
    args = ((1, 1), (1, 1), (1, 1), groups)
    y, saved = _conv.conv_forward(x, w, *args)  # the portable kernels themselves
    assert y.shape == (0, 6, 6, 6)
    assert _conv.conv_backward_data(y, w, x.shape, *args).shape == x.shape
    assert _conv.conv_backward_filter(y, x, w.shape, *args, saved).shape == w.shape
    assert not _conv.conv_backward_filter(y, x, w.shape, *args, None).any()
    wp = ag.Param(w)
    tape = ag.diff(lambda: ag.sum(nn.conv4(wp, x, padding=1, groups=groups)))
    assert ag.grad(tape, wp).shape == w.shape
