"""pg.state / pg.load_state with real layers: between models, safetensors files and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import safetensors.numpy

import plugrad as pg

torch = pytest.importorskip("torch")


def _model():
    return pg.Sequential(pg.Conv(1, 4, 3), pg.BatchNorm(4), pg.Flatten(), pg.Dense(36, 5))


def test_a_trained_model_round_trips_through_safetensors_with_its_batchnorm_moments(tmp_path):
    pg.seed(0)
    src = _model()
    x = np.random.default_rng(0).standard_normal((8, 1, 5, 5)).astype(np.float32)
    y = np.arange(8) % 5
    pg.train(lambda: pg.nll(src(x), y), [()] * 3, pg.Adam(lr=0.01))
    assert src[1].moments.mean is not None
    path = tmp_path / "model.safetensors"
    safetensors.numpy.save_file(pg.state(src, host=True), path)

    pg.seed(1)
    dst = _model()  # fresh: other weights, batchnorm moments not sized yet
    pg.load_state(dst, safetensors.numpy.load_file(path))
    pg.testmode(src), pg.testmode(dst)
    np.testing.assert_array_equal(dst(x), src(x))
    np.testing.assert_array_equal(dst[1].moments.var, src[1].moments.var)


def test_pytorch_linear_weights_load_into_dense_with_a_transpose():
    torch.manual_seed(0)
    linear = torch.nn.Linear(6, 3)
    dense = pg.Dense(6, 3)
    weights = {k: v.detach().numpy() for k, v in linear.state_dict().items()}
    with pytest.raises(ValueError, match="transpose"):
        pg.load_state(dense, weights)
    # PyTorch's Linear computes x @ W.T with W (out, in); plugrad's Dense x @ W with W (in, out)
    pg.load_state(dense, {"weight": weights["weight"].T.copy(), "bias": weights["bias"]})
    x = np.random.default_rng(1).standard_normal((4, 6)).astype(np.float32)
    expected = linear(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(dense(x), expected, rtol=1e-5, atol=1e-6)
