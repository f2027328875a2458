"""state(model) and load_state(model, state): weights by path, to and from safetensors."""

from __future__ import annotations

import numpy as np
import pytest
import safetensors.numpy

import plugrad_autograd as ag
import plugrad_data as D


class Norm:
    """A layer with a Param and buffers (running moments, None until first sized)."""

    def __init__(self, n, sized=True):
        self.scale = ag.Param(np.ones(n, dtype=np.float32))
        self.mean = np.zeros(n, dtype=np.float32) if sized else None
        self.count = 3  # not an array: not part of the state


class Net:
    def __init__(self, sized=True):
        self.layers = [
            {"w": ag.Param(np.arange(6, dtype=np.float32).reshape(2, 3))},
            Norm(3, sized),
        ]
        self.tied = self.layers[0]["w"]  # shared: given once, at its first path


def _randomized(net, seed):
    rng = np.random.default_rng(seed)
    for value in D.state(net).values():
        value[...] = rng.standard_normal(value.shape)
    return net


def test_state_is_a_flat_dict_of_arrays_by_path():
    net = Net()
    s = D.state(net)
    assert list(s) == ["layers[0]['w']", "layers[1].scale", "layers[1].mean"]
    assert s["layers[0]['w']"] is net.layers[0]["w"].value  # the model's own arrays
    copies = D.state(net, host=True)
    assert copies["layers[1].mean"] is not net.layers[1].mean
    np.testing.assert_array_equal(copies["layers[1].mean"], net.layers[1].mean)


def test_weights_move_between_models_through_a_safetensors_file(tmp_path):
    src, dst = _randomized(Net(), 1), Net()
    path = tmp_path / "w.safetensors"
    safetensors.numpy.save_file(D.state(src, host=True), path)
    w_before = dst.layers[0]["w"]
    D.load_state(dst, safetensors.numpy.load_file(path))
    assert dst.layers[0]["w"] is w_before and dst.tied is w_before  # same Params, new values
    for key, value in D.state(src).items():
        np.testing.assert_array_equal(D.state(dst)[key], value)


def test_buffers_not_yet_sized_are_filled():
    src, dst = _randomized(Net(), 2), Net(sized=False)
    D.load_state(dst, D.state(src))
    np.testing.assert_array_equal(dst.layers[1].mean, src.layers[1].mean)
    assert dst.layers[1].mean is not src.layers[1].mean  # a copy, not the source's array


def test_missing_and_unexpected_keys_are_named():
    state = D.state(_randomized(Net(), 3), host=True)
    del state["layers[1].scale"]
    state["layers[2].w"] = np.zeros(1, dtype=np.float32)
    dst = Net()
    before = {k: v.copy() for k, v in D.state(dst).items()}
    with pytest.raises(KeyError, match=r"missing.*layers\[1\]\.scale.*unexpected.*layers\[2\]\.w"):
        D.load_state(dst, state)
    for key, value in D.state(dst).items():  # nothing was loaded
        np.testing.assert_array_equal(value, before[key])
    D.load_state(dst, {k: v for k, v in state.items() if k != "layers[2].w"}, strict=False)
    np.testing.assert_array_equal(dst.layers[1].mean, state["layers[1].mean"])


def test_shape_and_dtype_mismatches_are_refused_with_the_fix():
    dst = Net()
    state = D.state(Net(), host=True)
    state["layers[0]['w']"] = state["layers[0]['w']"].T.copy()
    with pytest.raises(
        ValueError, match=r"layers\[0\]\['w'\].*shape \(3, 2\).*\(2, 3\).*transpose"
    ):
        D.load_state(dst, state)
    state = D.state(Net(), host=True)
    state["layers[1].scale"] = state["layers[1].scale"].astype(np.float64)
    with pytest.raises(ValueError, match=r"layers\[1\]\.scale.*float64.*float32.*astype"):
        D.load_state(dst, state)


def test_bad_arguments():
    with pytest.raises(TypeError, match="load_state"):
        D.load_state(Net(), [("a", np.zeros(1))])
    with pytest.raises(TypeError, match=r"load_state.*not an array"):
        D.load_state(Net(), {"layers[1].scale": "ones"}, strict=False)
