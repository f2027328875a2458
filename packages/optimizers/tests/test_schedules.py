"""Schedules: values at given steps, and their use wherever lr= is accepted."""

import math

import numpy as np
import pytest

import plugrad_optim as po


def test_step_decay_values():
    s = po.StepDecay(0.1, step_size=3, gamma=0.5, min_lr=0.02)
    assert [s(i) for i in (0, 2, 3, 5, 6, 9, 30)] == [0.1, 0.1, 0.05, 0.05, 0.025, 0.02, 0.02]


def test_exponential_decay_values():
    s = po.ExponentialDecay(2.0, decay_rate=0.1, decay_steps=10)
    assert s(0) == 2.0
    assert s(5) == pytest.approx(2.0 * 0.1**0.5)
    assert s(20) == pytest.approx(0.02)
    stair = po.ExponentialDecay(2.0, decay_rate=0.1, decay_steps=10, staircase=True)
    assert [stair(i) for i in (0, 9, 10, 19)] == [2.0, 2.0, pytest.approx(0.2), pytest.approx(0.2)]


def test_cosine_decay_values():
    s = po.CosineDecay(1.0, decay_steps=10, alpha=0.1)
    assert s(0) == 1.0
    assert s(5) == pytest.approx(0.1 + 0.9 * 0.5)
    assert s(10) == pytest.approx(0.1)
    assert s(100) == pytest.approx(0.1)
    assert s(3) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.3)))


def test_linear_warmup_values():
    s = po.LinearWarmup(0.4, warmup_steps=4, start=0.2)
    assert [s(i) for i in range(6)] == pytest.approx([0.2, 0.25, 0.3, 0.35, 0.4, 0.4])
    then = po.LinearWarmup(po.CosineDecay(1.0, decay_steps=2), warmup_steps=2)
    assert [then(i) for i in range(6)] == pytest.approx([0.0, 0.5, 1.0, 0.5, 0.0, 0.0])


@pytest.mark.parametrize(
    "make",
    [
        lambda: po.StepDecay(-1.0, 10),
        lambda: po.StepDecay(0.1, 0),
        lambda: po.CosineDecay(0.1, 10, alpha=2.0),
        lambda: po.LinearWarmup(0.1, warmup_steps=1.5),
    ],
)
def test_bad_schedule_arguments(make):
    with pytest.raises((ValueError, TypeError), match=r"^(StepDecay|CosineDecay|LinearWarmup): "):
        make()


def test_schedule_as_adam_lr(backend, w0, gradients):
    sched = po.LinearWarmup(po.CosineDecay(0.05, 15), warmup_steps=5)
    w = backend.asarray(w0.copy())
    opt = po.Adam(lr=sched)
    for g in gradients:
        po.update(w, backend.asarray(g), opt)
    ref, m, v = w0.copy(), np.zeros_like(w0), np.zeros_like(w0)
    for t, g in enumerate(gradients, start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g**2
        ref = ref - sched(t - 1) * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    np.testing.assert_allclose(backend.to_host(w), ref, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("cls", [po.SGD, po.Momentum, po.Nesterov, po.Rmsprop, po.RAdam])
def test_any_callable_schedule_is_accepted(cls, backend):
    seen = []

    def lr(step):
        seen.append(step)
        return 0.1 / (step + 1)

    w = backend.asarray(np.zeros(2))
    opt = cls(lr)
    for _ in range(3):
        po.update(w, backend.asarray(np.ones(2)), opt)
    assert seen == [0, 1, 2]


def test_sgd_schedule_values(backend):
    w = backend.asarray(np.zeros(1))
    opt = po.SGD(lr=po.StepDecay(1.0, step_size=1, gamma=0.5))
    for _ in range(4):
        po.update(w, backend.asarray(np.ones(1)), opt)
    np.testing.assert_allclose(backend.to_host(w), [-1.875])
