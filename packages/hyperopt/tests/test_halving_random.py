import pytest

from plugrad_hyperopt import hyperband, random_search, successive_halving


class Log:
    def __init__(self, first=0):
        self.calls = []
        self.drawn = first

    def getconfig(self):
        self.drawn += 1
        return self.drawn - 1

    def getloss(self, config, resource):
        self.calls.append((config, resource))
        return (config - 7) ** 2 / resource


def test_successive_halving_rungs():
    log = Log()
    result = successive_halving(log.getconfig, log.getloss, 34, 3, 3, full=True)
    # floor_log_3(34) = 3, so four rungs: 34, 11, 3 and 1 configs at 3, 9, 27 and 81.
    assert [(r, sum(1 for _, q in log.calls if q == r)) for r in (3, 9, 27, 81)] == [
        (3, 34),
        (9, 11),
        (27, 3),
        (81, 1),
    ]
    assert log.drawn == result.configs == 34
    assert (result.loss, result.config) == (0.0, 7)
    assert [c for c, r in log.calls if r == 9] == [7, 6, 8, 5, 9, 4, 10, 3, 11, 2, 12]


def test_successive_halving_is_a_hyperband_bracket():
    # The s=3 bracket of hyperband(81) is successive halving of 34 configs from resource 3.
    hb, sh = Log(), Log(first=81)
    hyperband(hb.getconfig, hb.getloss, 81, 3)
    successive_halving(sh.getconfig, sh.getloss, 34, 3, 3)
    assert len(sh.calls) == 49
    assert hb.calls[121 : 121 + 49] == sh.calls


def test_successive_halving_rungs_argument_and_fractional_resources():
    log = Log()
    result = successive_halving(log.getconfig, log.getloss, 10, 0.5, 2, rungs=2, full=True)
    assert [e.resource for e in result.history] == [0.5] * 10 + [1] * 5
    assert type(result.history[-1].resource) is int
    with pytest.raises(
        ValueError, match=r"successive_halving: rungs=5 needs n >= reduction\*\*4 = 16"
    ):
        successive_halving(log.getconfig, log.getloss, 10, 1, 2, rungs=5)
    with pytest.raises(ValueError, match="successive_halving: rungs must be an integer >= 1"):
        successive_halving(log.getconfig, log.getloss, 10, rungs=0)


def test_random_search():
    log = Log()
    result = random_search(log.getconfig, log.getloss, 12, resource=5, full=True)
    assert log.calls == [(c, 5) for c in range(12)]
    assert (result.loss, result.config, result.resource, result.trial) == (0.0, 7, 5, 7)
    assert random_search(Log().getconfig, Log().getloss, 12, 2.5) == (0.0, 7)
    assert [e.trial for e in result.history] == list(range(12))
