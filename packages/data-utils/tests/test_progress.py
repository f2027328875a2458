import io
import re

import numpy as np
import pytest

import plugrad_autograd as ag
from plugrad_data import STOP, converge, progress
from plugrad_data._progress import _speed

LINE = re.compile(
    r"┣(?P<bar>.{20})┫ \[(?P<pct>\d+\.\d\d)%, (?P<n>\d+)/(?P<total>\d+), "
    r"(?P<elapsed>\d\d:\d\d)/(?P<est>\d\d:\d\d|\?), (?P<rate>[\d.]+|\?)(?P<unit>it/s|s/it)\]"
    r"(?: (?P<msg>.*?))?\s*$"
)
OPEN = re.compile(
    r"\[(?P<n>\d+), (?P<elapsed>\d\d:\d\d), (?P<rate>[\d.]+|\?)(?P<unit>it/s|s/it)\]"
    r"(?: (?P<msg>.*?))?\s*$"
)


def lines(out: io.StringIO) -> list[str]:
    text = out.getvalue()
    assert text.startswith("\r") and text.endswith("\n") and text.count("\n") == 1
    return [s for s in text[:-1].split("\r") if s]


def test_known_length_fields_and_final_line():
    out = io.StringIO()
    seen = list(progress(range(7), msg=lambda p: f"{p.currval * 1.5:.3f}", steps=2, file=out))
    assert seen == list(range(7))
    drawn = [LINE.match(s) for s in lines(out)]
    assert all(drawn)
    assert [int(m["n"]) for m in drawn] == [1, 2, 4, 6, 7]
    assert {int(m["total"]) for m in drawn} == {7}
    assert [m["pct"] for m in drawn] == ["14.29", "28.57", "57.14", "85.71", "100.00"]
    assert [m["msg"] for m in drawn] == ["0.000", "1.500", "4.500", "7.500", "9.000"]
    assert drawn[0]["bar"] == "██▊" + " " * 17  # 20/7 cells: 2 full, then 6/8 of one
    assert drawn[-1]["bar"] == "█" * 20
    assert drawn[-1]["elapsed"] == "00:00" and drawn[-1]["unit"] == "it/s"
    assert float(drawn[-1]["rate"]) > 1


def test_bar_glyphs_follow_knet():
    out = io.StringIO()
    progress(range(1040), steps=903, file=out).run()
    m = LINE.match(lines(out)[1])
    assert m["n"] == "903" and m["pct"] == "86.83"
    assert m["bar"] == "█" * 17 + "▎" + "  "


def test_message_is_called_at_draws_and_sees_the_count():
    calls = []
    out = io.StringIO()
    p = progress(
        iter("abcdef"), msg=lambda p: calls.append((p.curriter, p.currval)), steps=4, file=out
    )
    assert p.run() == "f"
    assert calls == [(1, "a"), (4, "d"), (6, "f")]


def test_unknown_length_form():
    out = io.StringIO()
    progress((i * i for i in range(5)), msg=lambda p: p.currval, steps=2, file=out).run()
    drawn = [OPEN.match(s) for s in lines(out)]
    assert all(drawn) and "┣" not in out.getvalue()
    assert [(int(m["n"]), m["msg"]) for m in drawn] == [(1, "0"), (2, "1"), (4, "9"), (5, "16")]


def test_default_draws_first_and_last_only_for_a_fast_loop():
    out = io.StringIO()
    progress(range(1000), file=out).run()
    drawn = [LINE.match(s) for s in lines(out)]
    assert [int(m["n"]) for m in drawn] == [1, 1000]
    assert not drawn[-1]["msg"]


def test_seconds_zero_draws_every_value():
    out = io.StringIO()
    progress(range(4), seconds=0, file=out).run()
    assert [int(LINE.match(s)["n"]) for s in lines(out)] == [1, 2, 3, 4]


def test_stop_value_ends_the_loop():
    out = io.StringIO()
    p = progress(range(100), msg=lambda p: STOP if p.currval >= 5 else "ok", steps=1, file=out)
    assert list(p) == [0, 1, 2, 3, 4]
    assert p.stopped and p.curriter == 6
    last = LINE.match(lines(out)[-1])
    assert last["n"] == "6" and last["pct"] == "6.00" and not last["msg"]
    assert repr(STOP) == "plugrad_data.STOP"


def test_break_still_ends_the_line():
    out = io.StringIO()
    for x in progress(range(50), file=out):
        if x == 9:
            break
    drawn = [LINE.match(s) for s in lines(out)]
    assert int(drawn[-1]["n"]) == 10


def test_progress_is_lazy_and_reiterable():
    out = io.StringIO()
    p = progress([1, 2, 3], file=out)
    assert out.getvalue() == "" and len(p) == 3
    assert list(p) == [1, 2, 3] and list(p) == [1, 2, 3]
    assert out.getvalue().count("\n") == 2
    with pytest.raises(ValueError, match="steps"):
        progress([1], steps=0)


def test_speed_format():
    assert _speed(10, 4.0) == "2.50it/s"
    assert _speed(3, 6.0) == "2.00s/it"
    assert _speed(0, 1.0) == "?it/s"


def test_writes_to_stderr_by_default(capsys):
    progress(range(3)).run()
    err = capsys.readouterr().err
    assert LINE.match(err.rstrip("\n").split("\r")[-1])["n"] == "3"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 2, 3], [1]),
        ([3, 2, 1, 2, 3, 4, 5, 6, 7, 8], [3, 2, 1, 2, 3, 4]),
        ([5.0] * 500, [5.0] * 500),
        ([], []),
        ([10, 9, 8, 7, 6], [10, 9, 8, 7, 6]),
    ],
)
def test_converge_knet_cases(values, expected):
    assert list(converge(values)) == expected


def test_converge_state_follows_knet_rule():
    c = converge([3, 2, 1, 2, 3, 4, 5, 6])
    assert c.run() == 4
    assert c.stopped
    # by hand: the 7th value 5 gives p = 2.19241 and avgp = 0.219241 - 0.086985
    assert c.avgp == pytest.approx(0.132256, abs=1e-9)
    assert c.avgx == pytest.approx(3.026831, abs=1e-9)


def test_converge_alpha_and_constant_stream_never_stops():
    import itertools

    assert len(list(itertools.islice(converge(itertools.repeat(1.0)), 10_000))) == 10_000
    # a slower average reacts later: [3,2,1,2,...] stops at 4 with alpha=0.1, later with 0.01
    ramp = [3, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert len(list(converge(ramp, alpha=0.01))) > len(list(converge(ramp)))
    with pytest.raises(ValueError, match="alpha"):
        converge([1], alpha=0)


def test_converge_reads_arrays_and_params_and_yields_them_unchanged(backend):
    xs = [backend.xp.asarray(v, dtype=backend.xp.float32) for v in (1.0, 2.0, 3.0)]
    got = list(converge(xs))
    assert len(got) == 1 and got[0] is xs[0]
    params = [ag.Param(np.float32(v)) for v in (3, 2, 1, 2, 3, 4, 5)]
    assert list(converge(params)) == params[:6]


def test_progress_of_converge():
    out = io.StringIO()
    values = iter([4.0, 3.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    last = progress(converge(values), msg=lambda p: p.currval, file=out).run()
    assert last == 5.0
    final = OPEN.match(lines(out)[-1])
    assert final["n"] == "6" and final["msg"] == "5.0"
