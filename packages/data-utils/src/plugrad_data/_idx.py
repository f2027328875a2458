"""The IDX file format of the MNIST files (LeCun et al.), gzipped or not."""

from __future__ import annotations

import gzip
import os
import struct
import zlib

import numpy as np

from ._errors import FileFormatError

# IDX type codes; the data are big-endian.
_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (gzip-compressed or plain: detected from its bytes) into numpy.

    The header is two zero bytes, a type code (0x08 ubyte, 0x09 byte, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions, then each dimension as a
    big-endian uint32; the data follow, big-endian, row-major. The result has native byte
    order.

    Raises:
        FileNotFoundError: no file at ``path``.
        FileFormatError: the file is not IDX, or is truncated or too long (the message names
            the file and what is wrong).

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "t-idx1-ubyte")
        >>> with open(path, "wb") as f:
        ...     _ = f.write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]))
        >>> read_idx(path).tolist()
        [7, 8, 9]
    """
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise FileFormatError(path, f"a damaged or truncated gzip file ({e})") from None
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in _DTYPES:
        raise FileFormatError(
            path,
            f"not an IDX file (magic bytes {raw[:4].hex() or 'missing'}; expected 0000 followed "
            "by a type code 08/09/0b/0c/0d/0e and a dimension count)",
        )
    dtype, ndim = _DTYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise FileFormatError(path, f"truncated IDX header ({len(raw)} of {header} bytes)")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "longer than its header says"
        raise FileFormatError(
            path,
            f"{what}: an IDX {dtype.name} array of shape {shape} needs {expected} bytes, "
            f"the file has {len(raw)}",
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))
