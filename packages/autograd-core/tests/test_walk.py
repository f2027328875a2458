"""walk: every reachable object once, with its path; params() is built on it."""

import functools

import numpy as np

import plugrad_autograd as ag


class Slotted:
    __slots__ = ("w", "unset")

    def __init__(self, w):
        self.w = w


def test_walk_gives_each_object_once_with_its_path():
    w, b = ag.Param([1.0]), ag.Param([0.0])
    inner = Slotted(w)
    model = {"layers": [inner, (b, w)], "name": "m", "scale": 2.0, "table": np.zeros(3)}
    model["self"] = model  # a cycle
    seen = list(ag.walk(model))
    paths = {id(obj): path for path, obj in seen}
    assert len(paths) == len(seen)  # each object once
    assert paths[id(w)] == "['layers'][0].w"  # the first path found, through a slot
    assert paths[id(b)] == "['layers'][1][0]"
    assert paths[id(model["table"])] == "['table']"
    assert seen[0] == ("", model)
    assert not any(isinstance(obj, (str, float)) for _, obj in seen)
    assert ag.params(model) == [w, b]


def test_walk_does_not_enter_params_arrays_or_code():
    w = ag.Param([1.0])
    holder = type("Holder", (), {})()
    holder.fn = functools.partial(print, ag.Param([3.0]))
    holder.cls = type("Local", (), {"p": ag.Param([4.0])})
    holder.w = w
    assert ag.params(holder) == [w]
    assert [type(obj).__name__ for _, obj in ag.walk(holder)] == [
        "Holder",
        "partial",
        "type",
        "Param",
    ]


def test_walk_into_limits_what_is_entered_beyond_the_root():
    class Box:
        def __init__(self, *items):
            self.items = list(items)

    leaf = Box(ag.Param([1.0]))
    root = Box(leaf, [Box()])
    only_lists = [path for path, _ in ag.walk(root, into=lambda o: isinstance(o, list))]
    assert only_lists == ["", ".items", ".items[0]", ".items[1]", ".items[1][0]"]
