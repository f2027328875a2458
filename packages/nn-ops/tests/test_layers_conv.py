"""Conv and ConvTranspose: against conv4/deconv4, by hand, against PyTorch when present."""

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends as B
from plugrad_nn import _layers as nn
from plugrad_nn._conv import conv4, deconv4

rng = np.random.default_rng(0)


def _normal(*shape):
    return rng.normal(size=shape).astype("float32")


def test_conv_is_cross_correlation_by_hand():
    conv = nn.Conv(1, 1, (2, 2), bias=False)
    conv.weight[:] = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    x = np.arange(9, dtype="float32").reshape(1, 1, 3, 3)
    # top-left window [[0, 1], [3, 4]] . [[1, 2], [3, 4]] = 0 + 2 + 9 + 16
    np.testing.assert_allclose(conv(x)[0, 0], [[27.0, 37.0], [57.0, 67.0]])


def test_conv_matches_conv4_with_bias_and_activation(backend):
    conv = nn.to(
        nn.Conv(
            4,
            6,
            (3, 2),
            stride=(2, 1),
            padding=(1, 0),
            dilation=(1, 2),
            groups=2,
            activation="relu",
        ),
        device=backend.name,
    )
    x = backend.xp.asarray(_normal(2, 4, 7, 6))
    expected = conv4(
        conv.weight.value, x, padding=(1, 0), stride=(2, 1), dilation=(1, 2), mode=1, groups=2
    )
    expected = np.maximum(B.to_host(expected) + B.to_host(conv.bias.value)[:, None, None], 0)
    np.testing.assert_allclose(B.to_host(conv(x)), expected, rtol=1e-5, atol=1e-6)
    assert conv.weight.shape == (6, 2, 3, 2)


def test_conv_3d():
    conv = nn.Conv(2, 3, (3, 3, 3), padding=1)
    x = _normal(2, 2, 4, 5, 6)
    expected = conv4(conv.weight.value, x, padding=1, mode=1) + conv.bias.value.reshape(
        1, 3, 1, 1, 1
    )
    np.testing.assert_allclose(conv(x), expected, rtol=1e-5, atol=1e-6)
    assert repr(conv) == "Conv(2 -> 3, 3x3x3, padding=1)"


def test_conv_gradients_through_every_input(backend):
    conv = nn.to(nn.Conv(2, 3, 3, stride=2, padding=1, activation="tanh"), device=backend.name)
    x = ag.Param(backend.xp.asarray(_normal(2, 2, 5, 5)))
    assert ag.gcheck(lambda: ag.sum(conv(x) ** 2), verbose=0)


def test_conv_input_checks():
    conv = nn.Conv(3, 8, 5)
    with pytest.raises(
        nn.LayerInputError,
        match=r"Conv\(3 -> 8, 5x5\): expected input of "
        r"shape \(N, C, H, W\) with C = 3 channels, got shape \(2, 1, 28, 28\)",
    ):
        conv(np.zeros((2, 1, 28, 28), "float32"))
    with pytest.raises(
        nn.LayerInputError,
        match=r"spatial size \(3, 3\).*smaller than the "
        r"kernel's extent \(5, 5\)",
    ):
        conv(np.zeros((2, 3, 3, 3), "float32"))
    with pytest.raises(ValueError, match="divisible by groups=2"):
        nn.Conv(3, 8, 3, groups=2)
    with pytest.raises(ValueError, match="kernel_size must be"):
        nn.Conv(3, 8, (3,))


def test_conv_transpose_matches_deconv4_and_inverts_the_shape(backend):
    up = nn.to(
        nn.ConvTranspose(4, 2, 3, stride=2, padding=1, output_padding=1, groups=2),
        device=backend.name,
    )
    x = backend.xp.asarray(_normal(2, 4, 5, 5))
    y = up(x)
    assert y.shape == (2, 2, 10, 10)
    expected = deconv4(up.weight.value, x, padding=1, stride=2, mode=1, groups=2, output_padding=1)
    expected = B.to_host(expected) + B.to_host(up.bias.value)[:, None, None]
    np.testing.assert_allclose(B.to_host(y), expected, rtol=1e-5, atol=1e-6)
    down = nn.Conv(2, 4, 3, stride=2, padding=1)
    assert down(B.to_host(y)).shape == x.shape


def test_conv_transpose_by_hand_and_gradients():
    up = nn.ConvTranspose(1, 1, 2, stride=2, bias=False)
    up.weight[:] = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    x = np.array([[[[1.0, -1.0]]]], "float32")
    # each input pixel stamps the kernel times itself into its own 2x2 block
    np.testing.assert_allclose(up(x)[0, 0], [[1.0, 2.0, -1.0, -2.0], [3.0, 4.0, -3.0, -4.0]])
    up3 = nn.ConvTranspose(2, 3, (2, 2, 2), stride=2, activation="sigmoid")
    x3 = ag.Param(_normal(1, 2, 2, 3, 2))
    assert up3(x3).shape == (1, 3, 4, 6, 4)
    assert ag.gcheck(lambda: ag.sum(up3(x3) ** 2), verbose=0)
    with pytest.raises(ValueError, match="output_padding"):
        nn.ConvTranspose(1, 1, 3, stride=2, output_padding=2)


def test_conv_layers_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    conv = nn.Conv(4, 6, (3, 2), stride=(2, 1), padding=(1, 1), dilation=(2, 1), groups=2)
    x = _normal(2, 4, 9, 7)
    ref = torch.nn.functional.conv2d(
        torch.from_numpy(x),
        torch.from_numpy(conv.weight.value),
        torch.from_numpy(conv.bias.value),
        stride=(2, 1),
        padding=(1, 1),
        dilation=(2, 1),
        groups=2,
    )
    np.testing.assert_allclose(conv(x), ref.numpy(), rtol=1e-4, atol=1e-5)
    up = nn.ConvTranspose(
        4,
        6,
        (3, 2),
        stride=(3, 2),
        padding=(1, 0),
        output_padding=(2, 1),
        dilation=(1, 2),
        groups=2,
    )
    ref = torch.nn.functional.conv_transpose2d(
        torch.from_numpy(x),
        torch.from_numpy(up.weight.value),
        torch.from_numpy(up.bias.value),
        stride=(3, 2),
        padding=(1, 0),
        output_padding=(2, 1),
        dilation=(1, 2),
        groups=2,
    )
    np.testing.assert_allclose(up(x), ref.numpy(), rtol=1e-4, atol=1e-5)
