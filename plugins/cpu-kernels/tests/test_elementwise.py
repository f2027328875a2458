"""Elementwise kernels against the portable path: exp, log, tanh, sigm, the activations."""

from __future__ import annotations

import numpy as np
import pytest

import plugrad_nn._activations as A

DTYPES = [np.float32, np.float64]

PORTABLE = {
    "exp": np.exp,
    "log": np.log,
    "tanh": np.tanh,
    "sigm": lambda x: A._sigm_raw(np, x),
    "relu": A._relu_raw,
    "leaky_relu": lambda x: A._leaky_relu_raw(x, 0.1),
    "elu": lambda x: A._elu_raw(x, 0.7),
    "gelu": lambda x: A._gelu_raw(x, False),
    "gelu_tanh": lambda x: A._gelu_raw(x, True),
}


def _cancelling(name, x):
    """An absolute tolerance of a few ulp of ``x`` for gelu (see assert_matches)."""
    if not name.startswith("gelu") or x.size == 0:
        return None
    return 4 * float(np.finfo(x.dtype).eps) * float(np.abs(x).max())


def _kernel(table, name):
    if name == "leaky_relu":
        return lambda x: table["leaky_relu"](x, 0.1)
    if name == "elu":
        return lambda x: table["elu"](x, 0.7)
    if name == "gelu":
        return lambda x: table["gelu"](x, False)
    if name == "gelu_tanh":
        return lambda x: table["gelu"](x, "tanh")
    return table[name]


def _inputs(dtype, rng):
    """Odd, empty, large (threaded), transposed and strided arrays."""
    big = rng.normal(0, 4, size=(301, 229)).astype(dtype)
    return [
        np.zeros((0,), dtype),
        rng.normal(0, 3, size=(7,)).astype(dtype),
        rng.normal(0, 3, size=(3, 5, 2)).astype(dtype),
        big,
        big.T,  # non-contiguous
        big[::3, 1::2],  # strided
        np.linspace(-30, 30, 1001).astype(dtype),
    ]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(PORTABLE))
def test_forward_equals_portable(table, threads, matches, name, dtype):
    rng = np.random.default_rng(0)
    kernel = _kernel(table, name)
    for x in _inputs(dtype, rng):
        if name == "log":
            x = np.abs(x) + dtype(1e-3)
        with np.errstate(all="ignore"):
            want = PORTABLE[name](x)
        matches(kernel(x), want, dtype, _cancelling(name, x))


EDGES = {
    "exp": [
        0.0,
        -0.0,
        1.0,
        -1.0,
        88.0,
        89.0,
        709.0,
        710.0,
        -87.0,
        -103.0,
        -745.0,
        -746.0,
        1e-8,
        -1e-8,
        np.inf,
        -np.inf,
        np.nan,
    ],
    "log": [
        1.0,
        2.0,
        0.5,
        1e-38,
        1e-40,
        1e-310,
        3e38,
        1e300,
        0.0,
        -0.0,
        -1.0,
        np.inf,
        np.nan,
        1.0 + 1e-7,
        1.0 - 1e-7,
    ],
    "tanh": [
        0.0,
        -0.0,
        1e-10,
        -1e-7,
        0.3,
        -0.6,
        5.0,
        9.0,
        10.0,
        19.0,
        25.0,
        np.inf,
        -np.inf,
        np.nan,
    ],
    "sigm": [0.0, 1.0, -1.0, 30.0, -30.0, -80.0, -100.0, -700.0, -800.0, 800.0, np.inf, -np.inf],
    "elu": [0.0, -1e-9, -1e-3, -0.5, -20.0, -200.0, 3.0],
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(EDGES))
def test_special_values(table, matches, name, dtype):
    with np.errstate(all="ignore"):  # 1e300 is inf in float32
        x = np.array(EDGES[name], dtype=dtype)
        want = PORTABLE[name](x)
        got = _kernel(table, name)(x)
    matches(got, want, dtype)


RULES = {
    "relu": lambda dy, y, x: dy * (y > 0),
    "leaky_relu": lambda dy, y, x: np.where(x > 0, dy, dy * 0.1),
    "elu": lambda dy, y, x: np.where(x > 0, dy, dy * (y + 0.7)),
    "sigm": lambda dy, y, x: dy * y * (1 - y),
    "tanh": lambda dy, y, x: dy * (1 - y * y),
    "gelu": lambda dy, y, x: A._gelu_vjp(dy, y, x, False),
    "gelu_tanh": lambda dy, y, x: A._gelu_vjp(dy, y, x, True),
}


def _grad_kernel(table, name):
    extra = {"leaky_relu": (0.1,), "elu": (0.7,), "gelu": (False,), "gelu_tanh": ("tanh",)}
    key = "gelu_grad" if name.startswith("gelu") else f"{name}_grad"
    return lambda dy, y, x: table[key](dy, y, x, *extra.get(name, ()))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(RULES))
def test_gradient_equals_portable(table, threads, matches, name, dtype):
    rng = np.random.default_rng(1)
    for x in _inputs(dtype, rng):
        y = PORTABLE[name](x)
        dy = rng.normal(size=x.shape).astype(dtype)
        if x.ndim == 2:
            dy = np.asfortranarray(dy)  # a layout unlike x's
        want = RULES[name](dy, y, x)
        matches(_grad_kernel(table, name)(dy, y, x), want, dtype, _cancelling(name, x * dy))


def test_other_dtypes_are_left_to_the_portable_path(table):
    assert table["tanh"](np.ones(3, np.float16)) is NotImplemented
    assert table["exp"](np.ones(3, np.int64)) is NotImplemented
    assert table["relu"](1.0) is NotImplemented  # a Python float
    assert table["relu"](np.float16(1.0)) is NotImplemented
    assert table["tanh_grad"](np.ones(3), np.ones(3, np.float32), np.ones(3)) is NotImplemented


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["sigm", "gelu", "elu"])
def test_a_numpy_scalar_gets_the_numbers_of_a_one_element_array(table, name, dtype):
    # nn's activations promise the same result for 0.3 and [0.3]: both take the kernel
    x = dtype(0.3)
    got = table[name](x)
    assert isinstance(got, np.generic) and got.dtype == np.dtype(dtype)
    assert got == table[name](np.array([x]))[0]
    dy, y = dtype(0.7), table[name](x)
    grad = table[f"{name}_grad"](dy, y, x)
    assert isinstance(grad, np.generic)
    assert grad == table[f"{name}_grad"](np.array([dy]), np.array([y]), np.array([x]))[0]
