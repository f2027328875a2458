"""gcheck: numerical gradient checking of a tape's gradients."""

from __future__ import annotations

import numpy as np

import plugrad_autograd as ag
import plugrad_backends


def _param(backend, values, dtype="float32"):
    return ag.Param(plugrad_backends.array(np.asarray(values), device=backend.name, dtype=dtype))


@ag.primitive
def _gcheck_cube(x):
    return x * x * x


ag.defvjp(_gcheck_cube, lambda dy, y, x: dy * 3 * x * x)


@ag.primitive
def _gcheck_cube_wrong(x):
    return x * x * x


ag.defvjp(_gcheck_cube_wrong, lambda dy, y, x: dy * 2 * x * x)  # should be 3 x^2


def test_gcheck_true_for_correct_rules(backend, capsys):
    w = _param(backend, [0.5, -1.0, 2.0])
    assert ag.gcheck(lambda: ag.sum(ag.tanh(w) * w)) is True
    assert ag.gcheck(lambda: ag.sum(_gcheck_cube(w))) is True
    assert capsys.readouterr().out == ""  # verbose=1 prints failures only


def test_gcheck_a_model_with_several_params_and_arguments(backend):
    rng = np.random.default_rng(16)
    w = _param(backend, rng.standard_normal((3, 4)))
    b = _param(backend, rng.standard_normal(3))
    x = plugrad_backends.array(rng.standard_normal((4, 5)), device=backend.name)
    y = plugrad_backends.array(rng.integers(0, 3, 5), device=backend.name)

    def loss(inputs, labels, scale=1.0):
        scores = w @ inputs + ag.expand_dims(b, 1)
        logp = scores - ag.logsumexp(scores, axis=0, keepdims=True)
        picked = logp[labels, np.arange(5)]
        return -scale * ag.mean(picked)

    assert ag.gcheck(loss, x, y, kw={"scale": 2.0}, nsample=12) is True


def test_gcheck_with_params_passed_as_arguments(backend):
    w = _param(backend, [[0.2, -0.4], [1.0, 0.3]])
    assert ag.gcheck(lambda p: ag.sum(ag.sin(p @ p)), w) is True


def test_gcheck_false_for_a_wrong_rule(backend, capsys):
    w = _param(backend, [0.5, -1.0, 2.0])
    assert ag.gcheck(lambda: ag.sum(_gcheck_cube_wrong(w)), verbose=0) is False
    assert capsys.readouterr().out == ""


def test_gcheck_prints_failures_with_verbose_1(backend, capsys):
    w = _param(backend, [0.5, -1.0, 2.0])
    assert ag.gcheck(lambda: ag.sum(_gcheck_cube_wrong(w))) is False
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 3  # every element is wrong: 2x^2 against 3x^2
    assert all("MISMATCH" in line and line.startswith("gcheck:") for line in lines)
    assert "analytic 2 " in out and "numeric 3 " in out  # x = -1: 2 against 3
    assert "param 0 (3,)" in out


def test_gcheck_prints_every_comparison_with_verbose_2(backend, capsys):
    w = _param(backend, np.linspace(-1.0, 1.0, 6))
    assert ag.gcheck(lambda: ag.sum(w * w), verbose=2, nsample=4) is True
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 4
    assert all(line.endswith(" ok") for line in lines)


def test_gcheck_samples_nsample_elements(backend, capsys):
    w = _param(backend, np.linspace(0.5, 2.0, 50))  # every element fails
    assert ag.gcheck(lambda: ag.sum(_gcheck_cube_wrong(w)), nsample=7) is False
    assert len(capsys.readouterr().out.strip().splitlines()) == 7


def test_gcheck_tolerances(backend):
    # a rule off by 1%: within rtol=0.05, outside rtol=0.001 (atol 0)
    @ag.primitive
    def _gcheck_almost(x):
        return x * x

    ag.defvjp(_gcheck_almost, lambda dy, y, x: dy * 2.02 * x)
    w = _param(backend, [1.0, 2.0, 3.0])
    assert ag.gcheck(lambda: ag.sum(_gcheck_almost(w))) is True
    assert ag.gcheck(lambda: ag.sum(_gcheck_almost(w)), atol=0.0, rtol=1e-3, verbose=0) is False


def test_gcheck_restores_params(backend):
    values = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    w = _param(backend, values)
    array_before = w.value
    ag.gcheck(lambda: ag.sum(_gcheck_cube_wrong(w)), verbose=0)
    assert w.value is array_before
    assert w.dtype == np.float32
    np.testing.assert_array_equal(plugrad_backends.to_host(w.value), values)
    # and the Param still works normally
    t = ag.diff(lambda: ag.sum(w * w))
    np.testing.assert_allclose(plugrad_backends.to_host(ag.grad(t, w)), 2 * values)


def test_gcheck_with_a_param_that_takes_no_part(backend):
    w = _param(backend, [1.0, 2.0])
    unused = _param(backend, [3.0])
    assert ag.gcheck(lambda u: ag.sum(w * w), unused) is True


def test_gcheck_of_a_non_scalar_function_checks_its_sum(backend):
    w = _param(backend, [0.5, -1.0, 2.0])
    assert ag.gcheck(lambda: ag.tanh(w) * w) is True
