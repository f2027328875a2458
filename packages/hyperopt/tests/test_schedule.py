import math

import pytest

from plugrad_hyperopt import Bracket, Rung, hyperband_schedule


def _counts(brackets):
    return sum(b.n for b in brackets), sum(b.evaluations for b in brackets)


def test_r27_matches_knet():
    brackets = hyperband_schedule(27, 3)
    assert [(b.s, b.n, b.resource) for b in brackets] == [
        (3, 27, 1),
        (2, 12, 3),
        (1, 6, 9),
        (0, 4, 27),
    ]
    assert brackets[0].rungs == (Rung(27, 1), Rung(9, 3), Rung(3, 9), Rung(1, 27))
    assert brackets[1].rungs == (Rung(12, 3), Rung(4, 9), Rung(1, 27))
    assert _counts(brackets) == (49, 69)


def test_r81_matches_the_paper():
    brackets = hyperband_schedule(81, 3)
    # Table 1 of Li et al. (2018): R=81, eta=3.
    assert [[(r.n, r.resource) for r in b.rungs] for b in brackets] == [
        [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
        [(34, 3), (11, 9), (3, 27), (1, 81)],
        [(15, 9), (5, 27), (1, 81)],
        [(8, 27), (2, 81)],
        [(5, 81)],
    ]
    assert [b.evaluations for b in brackets] == [121, 49, 21, 10, 5]
    assert _counts(brackets) == (143, 206)


def test_r243_uses_integer_s_max():
    # The float formula loses the last bracket: log(243)/log(3) rounds below 5.
    assert math.floor(math.log(243) / math.log(3)) == 4
    brackets = hyperband_schedule(243, 3)
    assert [b.s for b in brackets] == [5, 4, 3, 2, 1, 0]
    assert [b.n for b in brackets] == [243, 98, 41, 18, 9, 6]
    assert [b.resource for b in brackets] == [1, 3, 9, 27, 81, 243]
    assert [[r.n for r in b.rungs] for b in brackets] == [
        [243, 81, 27, 9, 3, 1],
        [98, 32, 10, 3, 1],
        [41, 13, 4, 1],
        [18, 6, 2],
        [9, 3],
        [6],
    ]
    assert _counts(brackets) == (415, 611)
    assert all(b.rungs[-1].resource == 243 for b in brackets)


def test_reduction_two_and_other_powers():
    brackets = hyperband_schedule(8, 2)
    assert [(b.n, b.resource) for b in brackets] == [(8, 1), (6, 2), (4, 4), (4, 8)]
    assert _counts(brackets) == (22, 8 + 4 + 2 + 1 + 6 + 3 + 1 + 4 + 2 + 4)
    # 1000 = 10**3: the float formula gives 2.9999999999999996 there too.
    assert [b.s for b in hyperband_schedule(1000, 10)] == [3, 2, 1, 0]
    assert hyperband_schedule(1, 3) == (Bracket(0, 1, 1, (Rung(1, 1),)),)


def test_fractional_resources_are_floats():
    brackets = hyperband_schedule(100, 3)
    assert brackets[0].s == 4
    assert brackets[0].resource == pytest.approx(100 / 81)
    assert isinstance(brackets[0].resource, float)
    assert [r.resource for r in brackets[0].rungs][-1] == 100
    assert isinstance(brackets[0].rungs[-1].resource, int)
    assert brackets[2].rungs[1].resource == pytest.approx(100 / 3)


@pytest.mark.parametrize(
    ("kwargs", "exc", "words"),
    [
        ({"maxresource": 0}, ValueError, "maxresource"),
        ({"maxresource": 2.5}, TypeError, "maxresource"),
        ({"reduction": 1}, ValueError, "reduction"),
        ({"reduction": True}, TypeError, "reduction"),
    ],
)
def test_bad_arguments(kwargs, exc, words):
    with pytest.raises(exc, match=f"hyperband_schedule: {words}"):
        hyperband_schedule(**kwargs)
