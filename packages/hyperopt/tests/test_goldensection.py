import math
import random
import warnings

import pytest

from plugrad_hyperopt import GOLDEN_RATIO, goldensection


def _quadratic(center):
    return lambda x: sum((a - c) ** 2 for a, c in zip(x, center)) + 3.0


@pytest.mark.parametrize(
    "center",
    [(1.7,), (-2.2,), (0.35,), (2.0, -1.0), (-0.4, 1.3), (1.0, -2.0, 0.6), (3.3, 0.2, -1.1)],
)
def test_shifted_quadratics(center):
    fmin, xmin = goldensection(_quadratic(center), len(center))
    assert isinstance(xmin, tuple) and len(xmin) == len(center)
    assert all(isinstance(v, float) for v in xmin)
    assert all(abs(a - c) <= 0.1 for a, c in zip(xmin, center))
    assert fmin == pytest.approx(3.0, abs=0.02)
    assert fmin == _quadratic(center)(xmin)


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("dxmin", [0.1, 0.01])
def test_random_quadratics_within_final_step(n, dxmin):
    # The search stops once every step is <= dxmin; the last bracket can be up to
    # dxmin*accel wide, which bounds the error.
    rng = random.Random(n)
    for _ in range(40):
        center = [rng.uniform(-3, 3) for _ in range(n)]
        _, xmin = goldensection(_quadratic(center), n, dxmin=dxmin)
        assert max(abs(a - c) for a, c in zip(xmin, center)) <= dxmin * GOLDEN_RATIO


def test_exact_steps_in_one_dimension():
    history = {}
    fmin, xmin = goldensection(lambda x: (x[0] - 0.5) ** 2, 1, history=history)
    phi = GOLDEN_RATIO
    # f(1) ties f(0): no move, step back by -1/phi (worse), forward by 1/phi**2 (better),
    # then 1 and 0 again (cached), 1/phi (a tie that rounds better), 1 and 1/phi**2 (cached),
    # and 1/phi + 1/phi**4 (worse), after which every step is below dxmin.
    expected = [0, 1, -1 / phi, 1 / phi**2, 1 / phi, 1 / phi + 1 / phi**4]
    assert [x[0] for x in history] == pytest.approx(expected)
    assert xmin[0] == pytest.approx(1 / phi)
    assert fmin == pytest.approx((1 / phi - 0.5) ** 2)


def test_nan_out_of_range():
    # Minimum of the quadratic at 2.0, but f is only defined for x <= 1.2.
    calls = []

    def f(x):
        calls.append(x)
        return math.nan if x[0] > 1.2 else (x[0] - 2.0) ** 2

    fmin, xmin = goldensection(f, 1, dxmin=0.01)
    # 2.618, 1.618, 1.236 and 1.202 are out of range (1.236 is tried three times, cached).
    assert sum(math.isnan(f(x)) for x in list(calls)) == 4
    # NaN counts as worse, so the search stays in range and stops next to the edge.
    assert 1.2 - 2 * 0.01 * GOLDEN_RATIO <= xmin[0] <= 1.2
    assert xmin[0] == pytest.approx(1.1803398874989486)
    assert fmin == pytest.approx((xmin[0] - 2.0) ** 2)


def test_nan_in_one_dimension_of_two():
    def f(x):
        if x[1] < -0.5:
            return math.nan
        return (x[0] + 1.0) ** 2 + (x[1] + 2.0) ** 2

    fmin, xmin = goldensection(f, 2)
    assert abs(xmin[0] + 1.0) <= 0.1
    assert -0.5 < xmin[1] <= -0.5 + 0.1 * GOLDEN_RATIO
    assert fmin == pytest.approx((2 - 1 / GOLDEN_RATIO**2) ** 2, abs=1e-12)


def test_history_caches_and_is_reused():
    calls = []

    def f(x):
        calls.append(x)
        return (x[0] - 1.1) ** 2 + (x[1] - 0.4) ** 2

    history = {}
    first = goldensection(f, 2, history=history)
    assert len(calls) == len(history) == len(set(calls))
    assert history[(0.0, 0.0)] == pytest.approx(1.1**2 + 0.4**2)
    assert all(history[x] == f(x) for x in list(history))
    calls.clear()
    assert goldensection(f, 2, history=history) == first
    assert calls == []


def test_verbose_prints_each_step(capsys):
    history = {}
    goldensection(lambda x: (x[0] - 0.5) ** 2, 1, verbose=True, history=history)
    lines = capsys.readouterr().out.splitlines()
    # Nine steps, three of them answered from the cache.
    assert len(lines) == 9
    assert len(history) == 6
    assert lines[0].startswith("goldensection step 1: f0=0.25 x0=(0) f1=0.25 x1=(1)")


def test_accel_and_dxmin_change_the_search():
    f = _quadratic((1.234,))
    coarse, fine = {}, {}
    goldensection(f, 1, dxmin=0.5, history=coarse)
    _, xmin = goldensection(f, 1, dxmin=0.001, accel=2.0, history=fine)
    assert len(coarse) < len(fine)
    assert abs(xmin[0] - 1.234) <= 0.002


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "words"),
    [
        ((42, 1), {}, TypeError, "f must be callable"),
        ((abs, 0), {}, ValueError, "n must be"),
        ((abs, 1.5), {}, TypeError, "n must be"),
        ((abs, 1), {"dxmin": 0}, ValueError, "dxmin"),
        ((abs, 1), {"accel": 1.0}, ValueError, "accel"),
        ((abs, 1), {"history": []}, TypeError, "history"),
    ],
)
def test_bad_arguments(args, kwargs, exc, words):
    with pytest.raises(exc, match=f"goldensection: {words}"):
        goldensection(*args, **kwargs)


def test_nan_everywhere_warns_that_the_result_is_no_minimum():
    with pytest.warns(RuntimeWarning, match=r"goldensection: f returned NaN at all \d+ points"):
        fmin, xmin = goldensection(lambda x: math.nan, 2)
    assert math.isnan(fmin) and xmin == (0.0, 0.0)


def test_nan_at_the_start_warns_that_the_search_could_not_move():
    def f(x):
        return math.nan if x == (0.0,) else (x[0] - 2.0) ** 2

    with pytest.warns(RuntimeWarning, match=r"goldensection: f is NaN at the start.*x = 0"):
        fmin, xmin = goldensection(f, 1)
    assert math.isnan(fmin) and xmin == (0.0,)


def test_a_finite_result_gives_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fmin, _ = goldensection(lambda x: math.nan if x[0] > 1.2 else (x[0] - 2.0) ** 2, 1)
    assert math.isfinite(fmin)
