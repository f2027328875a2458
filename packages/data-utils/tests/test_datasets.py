import gzip
import os
import struct
from importlib import resources

import numpy as np
import pytest

from plugrad_data import FileFormatError, digits, mnist, read_idx


def test_digits_shapes_types_and_range():
    xtrn, ytrn, xtst, ytst = digits()
    assert xtrn.shape == (1437, 1, 8, 8) and xtst.shape == (360, 1, 8, 8)
    assert ytrn.shape == (1437,) and ytst.shape == (360,)
    assert xtrn.dtype == xtst.dtype == np.float32
    assert ytrn.dtype == ytst.dtype == np.int64
    assert float(xtrn.min()) == 0.0 and float(xtrn.max()) == 1.0
    assert float(xtst.min()) == 0.0 and float(xtst.max()) == 1.0
    # pixel counts 0..16 divided by 16: every value is a multiple of 1/16
    assert np.array_equal(xtrn * 16, np.round(xtrn * 16))


def test_digits_split_is_fixed_and_stratified():
    xtrn, ytrn, xtst, ytst = digits()
    assert np.bincount(ytst).tolist() == [36] * 10
    assert np.bincount(ytrn).tolist() == [142, 146, 141, 147, 145, 146, 145, 143, 138, 144]
    assert round(float(xtrn.sum()) * 16) == 449390
    assert round(float(xtst.sum()) * 16) == 112328
    assert ytrn[:10].tolist() == [1, 2, 3, 4, 5, 6, 8, 9, 0, 1]
    assert ytst[:10].tolist() == [0, 7, 4, 0, 2, 3, 7, 8, 0, 9]
    again = digits()
    assert np.array_equal(again[0], xtrn) and np.array_equal(again[3], ytst)


def test_digits_file_ships_in_the_package_with_its_notes():
    data = resources.files("plugrad_data") / "_data"
    with (data / "digits.npz").open("rb") as f, np.load(f, allow_pickle=False) as d:
        itrn, itst = d["itrn"].astype(int), d["itst"].astype(int)
    assert len(set(itrn) & set(itst)) == 0
    assert sorted(set(itrn) | set(itst)) == list(range(1797))
    notes = (data / "DIGITS.txt").read_text(encoding="utf-8")
    assert "CC BY 4.0" in notes and "Alpaydin" in notes


def idx_bytes(a: np.ndarray) -> bytes:
    code = {np.uint8: 0x08, np.int16: 0x0B, np.float32: 0x0D}[a.dtype.type]
    head = bytes([0, 0, code, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape)
    return head + a.astype(a.dtype.newbyteorder(">")).tobytes()


def write(path, data: bytes, gz: bool) -> None:
    with open(str(path) + (".gz" if gz else ""), "wb") as f:
        f.write(gzip.compress(data) if gz else data)


@pytest.fixture
def fake_mnist(tmp_path):
    rng = np.random.default_rng(0)
    parts = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": np.array([5, 0, 4, 1, 9, 2], dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": np.array([7, 2, 1], dtype=np.uint8),
    }
    parts["train-images-idx3-ubyte"][0, 0, 0] = 255
    for k, (name, a) in enumerate(parts.items()):
        write(tmp_path / name, idx_bytes(a), gz=k % 2 == 0)  # a mix of .gz and plain
    return tmp_path, parts


def test_read_idx_plain_and_gzipped(tmp_path):
    a = np.arange(-6, 6, dtype=np.int16).reshape(3, 4)
    write(tmp_path / "a", idx_bytes(a), gz=False)
    write(tmp_path / "a", idx_bytes(a), gz=True)
    for path in (tmp_path / "a", tmp_path / "a.gz"):
        got = read_idx(path)
        assert got.dtype == np.int16 and got.dtype.isnative
        assert got.tolist() == a.tolist()
    f = np.float32([[1.5, -2.25]])
    write(tmp_path / "f", idx_bytes(f), gz=False)
    assert read_idx(tmp_path / "f").tolist() == [[1.5, -2.25]]


def test_mnist_reads_the_four_files(fake_mnist):
    folder, parts = fake_mnist
    xtrn, ytrn, xtst, ytst = mnist(folder)
    assert xtrn.shape == (6, 1, 28, 28) and xtst.shape == (3, 1, 28, 28)
    assert xtrn.dtype == np.float32 and ytrn.dtype == np.int64
    assert ytrn.tolist() == [5, 0, 4, 1, 9, 2] and ytst.tolist() == [7, 2, 1]
    assert float(xtrn[0, 0, 0, 0]) == 1.0
    expected = parts["t10k-images-idx3-ubyte"][1].astype(np.float32) / 255
    assert np.array_equal(xtst[1, 0], expected)
    assert float(xtrn.max()) <= 1.0 and float(xtrn.min()) >= 0.0


def test_mnist_from_environment_variable(fake_mnist, monkeypatch):
    folder, _ = fake_mnist
    monkeypatch.setenv("PLUGRAD_MNIST", str(folder))
    assert mnist()[1].tolist() == [5, 0, 4, 1, 9, 2]
    monkeypatch.delenv("PLUGRAD_MNIST")
    with pytest.raises(FileNotFoundError, match="PLUGRAD_MNIST"):
        mnist()


def test_mnist_missing_file_says_which_file_where(fake_mnist):
    folder, _ = fake_mnist
    os.remove(folder / "t10k-images-idx3-ubyte.gz")
    with pytest.raises(FileNotFoundError) as err:
        mnist(folder)
    message = str(err.value)
    assert "t10k-images-idx3-ubyte" in message and str(folder) in message
    assert "train-labels-idx1-ubyte" in message  # lists all four names


def test_mnist_malformed_files(fake_mnist):
    folder, _ = fake_mnist
    labels = folder / "t10k-labels-idx1-ubyte"
    good = labels.read_bytes()
    labels.write_bytes(good[:-1])
    with pytest.raises(FileFormatError, match=r"t10k-labels-idx1-ubyte: truncated.*11 bytes"):
        mnist(folder)
    labels.write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(FileFormatError, match="not an IDX file"):
        mnist(folder)
    labels.write_bytes(idx_bytes(np.array([7, 2], dtype=np.uint8)))
    with pytest.raises(FileFormatError, match="2 labels for 3 images"):
        mnist(folder)
    labels.write_bytes(idx_bytes(np.array([7, 2, 12], dtype=np.uint8)))
    with pytest.raises(FileFormatError, match=r"0\.\.9"):
        mnist(folder)
    images = folder / "train-images-idx3-ubyte.gz"
    images.write_bytes(images.read_bytes()[:40])
    with pytest.raises(FileFormatError, match=r"train-images-idx3-ubyte\.gz: a damaged"):
        mnist(folder)
    assert isinstance(FileFormatError("x", "y"), ValueError)
