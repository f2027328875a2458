import threading
import time

import numpy as np
import pytest

import plugrad_backends as B
from plugrad_data import DataLoader, load, save

XS = np.arange(10, dtype=np.float32) * 1.5
YS = np.arange(10) % 3


def pairs(i):
    return XS[i], YS[i]


def test_len_and_iteration_stack_items_along_axis_0():
    loader = DataLoader(pairs, 10, batch_size=4)
    assert len(loader) == 3 and loader.size == 10
    batches = list(loader)
    assert [x.tolist() for x, _ in batches] == [
        [0.0, 1.5, 3.0, 4.5],
        [6.0, 7.5, 9.0, 10.5],
        [12.0, 13.5],
    ]
    assert [y.tolist() for _, y in batches] == [[0, 1, 2, 0], [1, 2, 0, 1], [2, 0]]
    assert batches[0][0].dtype == np.float32
    dropped = DataLoader(pairs, 10, batch_size=4, drop_last=True)
    assert len(dropped) == 2 and len(list(dropped)) == 2
    assert len(DataLoader(pairs, 10)) == 10


def test_item_structures_dict_and_single_array():
    d = DataLoader(lambda i: {"img": np.full((2, 2), i), "label": i}, 5, batch_size=2)
    b = d[1]
    assert set(b) == {"img", "label"}
    assert b["img"].shape == (2, 2, 2) and b["label"].tolist() == [2, 3]
    single = DataLoader(lambda i: np.array([i, -i]), 3, batch_size=3)
    assert single[0].tolist() == [[0, 0], [1, -1], [2, -2]]


def test_indexing_by_int_and_slice():
    loader = DataLoader(pairs, 10, batch_size=3)
    assert loader[0][1].tolist() == [0, 1, 2]
    assert loader[-1][0].tolist() == [13.5]
    assert loader[3][0].tolist() == loader[-1][0].tolist()
    got = loader[1:3]
    assert isinstance(got, list) and len(got) == 2
    assert got[1][0].tolist() == [9.0, 10.5, 12.0]
    assert len(loader[:]) == 4 and len(loader[::2]) == 2
    with pytest.raises(IndexError, match="batch 4 out of range for 4"):
        loader[4]
    with pytest.raises(TypeError):
        loader["a"]


def test_shuffle_once_and_reshuffle():
    B.seed(5)
    loader = DataLoader(pairs, 10, batch_size=5, shuffle=True)
    first = [x.tolist() for x, _ in loader]
    assert [x.tolist() for x, _ in loader] == first  # GradValley: no automatic reshuffle
    assert sorted(v for b in first for v in b) == sorted(XS.tolist())
    loader.reshuffle()
    second = [x.tolist() for x, _ in loader]
    assert second != first
    assert sorted(v for b in second for v in b) == sorted(XS.tolist())
    B.seed(5)
    again = DataLoader(pairs, 10, batch_size=5, shuffle=True)
    assert [x.tolist() for x, _ in again] == first
    plain = DataLoader(pairs, 10, batch_size=5)
    plain.reshuffle()
    assert sorted(plain.order.tolist()) == list(range(10))


def test_prefetch_gives_the_same_batches_and_overlaps_loading():
    running, peak, lock = [0], [0], threading.Lock()

    def slow(i):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return XS[i], YS[i]

    B.seed(1)
    plain = DataLoader(pairs, 10, batch_size=2, shuffle=True)
    fetched = DataLoader(slow, 10, batch_size=2, prefetch=3)
    fetched.load_state(plain.state())
    a = [(x.tolist(), y.tolist()) for x, y in plain]
    b = [(x.tolist(), y.tolist()) for x, y in fetched]
    assert a == b and len(b) == 5
    assert peak[0] >= 2  # several batches were loading at once

    # loading overlaps the loop body: 5 batches of 2 slow items while the body also waits
    start = time.perf_counter()
    for _ in fetched:
        time.sleep(0.04)
    overlapped = time.perf_counter() - start
    serial = 5 * (0.04 + 2 * 0.02)
    assert overlapped < serial * 0.85


def test_prefetch_raises_at_the_failing_batch_and_can_break():
    def flaky(i):
        if i == 5:
            raise KeyError("item 5 is broken")
        return XS[i]

    loader = DataLoader(flaky, 10, batch_size=2, prefetch=2)
    seen = []
    with pytest.raises(KeyError, match="item 5"):
        for b in loader:
            seen.append(b.tolist())
    assert seen == [[0.0, 1.5], [3.0, 4.5]]
    loader = DataLoader(pairs, 10, batch_size=2, prefetch=4)
    for k, _ in enumerate(loader):
        if k == 1:
            break
    assert loader.position == 2
    assert len(list(loader)) == 5  # a new loop starts at batch 0


def test_resume_from_state_continues_with_the_next_batch(tmp_path):
    B.seed(9)
    loader = DataLoader(pairs, 10, batch_size=2, shuffle=True)
    full = [x.tolist() for x, _ in loader]
    it = iter(loader)
    head = [next(it)[0].tolist() for _ in range(3)]
    assert head == full[:3] and loader.position == 3
    save(tmp_path / "ckpt.safetensors", loader=loader.state())
    state = load(tmp_path / "ckpt.safetensors", "loader")
    assert state["position"] == 3 and state["order"].dtype == np.int64
    fresh = DataLoader(pairs, 10, batch_size=2)  # unshuffled until the state arrives
    fresh.load_state(state)
    assert fresh.position == 3
    assert [x.tolist() for x, _ in fresh] == full[3:]
    assert fresh.position == 0
    assert [x.tolist() for x, _ in fresh] == full  # the next pass starts over


def test_seek_and_state_errors():
    loader = DataLoader(pairs, 10, batch_size=3)
    loader.seek(3)
    assert [x.tolist() for x, _ in loader] == [[13.5]]
    with pytest.raises(ValueError, match=r"out of range 0\.\.4"):
        loader.seek(5)
    other = DataLoader(pairs, 10, batch_size=2)
    with pytest.raises(ValueError, match="batch_size=3 but this loader has batch_size=2"):
        other.load_state(loader.state())
    bad = loader.state()
    bad["order"] = np.zeros(10, dtype=np.int64)
    with pytest.raises(ValueError, match="permutation"):
        loader.load_state(bad)


def test_mismatched_items_give_clear_errors():
    ragged = DataLoader(lambda i: np.zeros(i + 1), 3, batch_size=3)
    with pytest.raises(ValueError, match=r"cannot stack.*\(1,\), \(2,\), \(3,\)"):
        ragged[0]
    mixed = DataLoader(lambda i: (i, i) if i else (i,), 2, batch_size=2)
    with pytest.raises(ValueError, match="tuple of 1"):
        mixed[0]
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        DataLoader(pairs, 10, batch_size=0)


def test_loader_on_backend(backend):
    xs = backend.xp.arange(8, dtype=backend.xp.float32)
    loader = DataLoader(lambda i: (xs[i] * 2, i), 8, batch_size=4, prefetch=2)
    (x0, _), (x1, i1) = loader
    assert B.of(x0).name == backend.name and x0.shape == (4,)
    assert B.to_host(x1).tolist() == [8.0, 10.0, 12.0, 14.0] and i1.tolist() == [4, 5, 6, 7]
