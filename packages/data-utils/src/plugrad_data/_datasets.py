"""Datasets: the 8x8 digits shipped in the package, and MNIST read from IDX files."""

from __future__ import annotations

import os
from importlib import resources

import numpy as np

from ._errors import FileFormatError
from ._idx import read_idx

Split = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def digits() -> Split:
    """The 8x8 handwritten digits, shipped with the package: ``(xtrn, ytrn, xtst, ytst)``.

    1797 images of the digits 0-9 (the UCI "Optical Recognition of Handwritten Digits" test
    set: Alpaydin & Kaynak 1998, CC BY 4.0; see ``_data/DIGITS.txt`` in the package) in a
    fixed, stratified split: 1437 training and 360 test images (36 of each class). Images are
    float32 numpy arrays shaped NCHW ``(N, 1, 8, 8)``, the pixel counts 0..16 divided by 16
    (so in [0, 1]); labels are int64, 0..9. Both parts keep the original order: shuffle with
    ``minibatch(..., shuffle=True)``. Arrays are on the host; move them with
    ``minibatch(..., xtype="cuda")`` or ``plugrad_backends.array``.

    Example:
        >>> xtrn, ytrn, xtst, ytst = digits()
        >>> xtrn.shape, xtst.shape, ytrn.dtype.name, float(xtrn.max())
        ((1437, 1, 8, 8), (360, 1, 8, 8), 'int64', 1.0)
    """
    ref = resources.files("plugrad_data") / "_data" / "digits.npz"
    with ref.open("rb") as f, np.load(f, allow_pickle=False) as d:
        parts = {k: d[k] for k in ("xtrn", "ytrn", "xtst", "ytst")}

    def images(a: np.ndarray) -> np.ndarray:
        return (a.astype(np.float32) / np.float32(16)).reshape(-1, 1, 8, 8)

    return (
        images(parts["xtrn"]),
        parts["ytrn"].astype(np.int64),
        images(parts["xtst"]),
        parts["ytst"].astype(np.int64),
    )


_MNIST_FILES = (
    ("train-images-idx3-ubyte", 3),
    ("train-labels-idx1-ubyte", 1),
    ("t10k-images-idx3-ubyte", 3),
    ("t10k-labels-idx1-ubyte", 1),
)


def _find(folder: str, name: str) -> str:
    # the LeCun archives unpack as "train-images-idx3-ubyte"; some copies use a dot instead
    dotted = name[::-1].replace("-", ".", 1)[::-1]
    for candidate in (name, name + ".gz", dotted, dotted + ".gz"):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            return path
    names = "\n".join(f"  {n}[.gz]" for n, _ in _MNIST_FILES)
    raise FileNotFoundError(
        f"mnist: {name} (or {name}.gz) is missing from {folder!r}. Put the four MNIST files "
        f"there, gzipped or not:\n{names}\nthen call mnist({folder!r}) or set PLUGRAD_MNIST."
    )


def mnist(path: str | os.PathLike[str] | None = None) -> Split:
    """MNIST from its four IDX files: ``(xtrn, ytrn, xtst, ytst)``.

    Reads ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (each plain or with ``.gz``)
    from the folder ``path``, or from the folder named by the environment variable
    ``PLUGRAD_MNIST`` when ``path`` is None. Nothing is downloaded. Images are float32 numpy
    arrays shaped ``(N, 1, 28, 28)`` in [0, 1] (bytes divided by 255), labels int64 0..9:
    60000 training and 10000 test instances for the real files.

    Raises:
        FileNotFoundError: no folder given, or a file is missing (the message says which
            file to put where).
        FileFormatError: a file is not IDX, is truncated, has the wrong number of
            dimensions, or images and labels disagree in count.

    Example:
        >>> import os
        >>> if os.environ.get("PLUGRAD_MNIST"):  # doctest: +SKIP
        ...     xtrn, ytrn, xtst, ytst = mnist()
    """
    if path is None:
        path = os.environ.get("PLUGRAD_MNIST")
        if not path:
            names = ", ".join(n for n, _ in _MNIST_FILES)
            raise FileNotFoundError(
                f"mnist: no folder given; call mnist('/path/to/folder') or set the environment "
                f"variable PLUGRAD_MNIST to a folder holding {names} (each plain or .gz)"
            )
    folder = os.fspath(path)
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"mnist: {folder!r} is not a folder; it should hold the four MNIST IDX files"
        )
    arrays = []
    for name, ndim in _MNIST_FILES:
        file = _find(folder, name)
        a = read_idx(file)
        if a.ndim != ndim or a.dtype != np.uint8:
            raise FileFormatError(
                file,
                f"expected a {ndim}-d uint8 IDX array for {name}, got {a.ndim}-d {a.dtype}",
            )
        if ndim == 1 and a.size and int(a.max()) > 9:
            raise FileFormatError(file, f"labels must be 0..9, found {int(a.max())}")
        arrays.append(a)
    for k in (0, 2):
        if arrays[k].shape[0] != arrays[k + 1].shape[0]:
            raise FileFormatError(
                os.path.join(folder, _MNIST_FILES[k + 1][0]),
                f"{arrays[k + 1].shape[0]} labels for {arrays[k].shape[0]} images in "
                f"{_MNIST_FILES[k][0]}",
            )

    def images(a: np.ndarray) -> np.ndarray:
        return (a.astype(np.float32) / np.float32(255))[:, None, :, :]

    return (
        images(arrays[0]),
        arrays[1].astype(np.int64),
        images(arrays[2]),
        arrays[3].astype(np.int64),
    )
