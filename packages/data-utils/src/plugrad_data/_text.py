"""Text data: the tiny-shakespeare corpus, a character vocabulary, the train/validation split."""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

import numpy as np

import plugrad_autograd as ag

SHAKESPEARE_FILE = "tinyshakespeare.txt"
SHAKESPEARE_URL = (
    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
)
SHAKESPEARE_MD5 = "6fb458f1232090904fb40fe944165e91"


def cache_folder() -> str:
    """plugrad's folder in the user's cache: ``$XDG_CACHE_HOME/plugrad`` (``~/.cache/plugrad``;
    ``%LOCALAPPDATA%\\plugrad`` on Windows), where downloaded data files are kept.

    Example:
        >>> import os
        >>> os.path.basename(cache_folder())
        'plugrad'
    """
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "plugrad")


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def _download(url: str, target: str, md5: str) -> None:
    """Fetch ``url``, check its md5, and write it to ``target`` atomically."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            data = response.read()
    except (urllib.error.URLError, OSError) as exc:
        raise FileNotFoundError(
            f"shakespeare: {SHAKESPEARE_FILE} was not found and could not be downloaded from "
            f"{url} ({exc}). Put the file (char-rnn's data/tinyshakespeare/input.txt) at "
            f"{target}, or in the folder named by PLUGRAD_DATA, or pass its path: "
            f"shakespeare('/path/to/{SHAKESPEARE_FILE}')"
        ) from exc
    digest = hashlib.md5(data).hexdigest()
    if digest != md5:
        raise ValueError(
            f"shakespeare: the file downloaded from {url} has md5 {digest}, expected {md5}; "
            f"nothing was written. Retry, or put a good copy at {target}"
        )
    folder = os.path.dirname(target)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tinyshakespeare-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def shakespeare(path: str | os.PathLike[str] | None = None, url: str = SHAKESPEARE_URL) -> str:
    """The tiny-shakespeare corpus: 1,115,394 characters (65 distinct) of Shakespeare.

    Looks for the file at ``path``; else ``$PLUGRAD_DATA/tinyshakespeare.txt``; else in
    the user's cache folder (:func:`cache_folder`); else downloads it from ``url``
    (char-rnn's ``data/tinyshakespeare/input.txt``), checks its md5
    (``6fb458f1232090904fb40fe944165e91``) and writes it into the cache atomically.

    Raises:
        FileNotFoundError: ``path`` does not exist, or the file is nowhere and cannot be
            downloaded (the message says where to put it).
        ValueError: the downloaded file fails the checksum (nothing is written).

    Example:
        >>> import os
        >>> if os.environ.get("PLUGRAD_DATA"):
        ...     text = shakespeare()
        ...     print(len(text), len(set(text)))
        ... else:
        ...     print(1115394, 65)
        1115394 65
    """
    if path is not None:
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"shakespeare: {path!r} is not a file; pass the path of {SHAKESPEARE_FILE}, "
                f"or None to look in PLUGRAD_DATA and the cache"
            )
        return _read(path)
    folder = os.environ.get("PLUGRAD_DATA")
    if folder and os.path.isfile(os.path.join(folder, SHAKESPEARE_FILE)):
        return _read(os.path.join(folder, SHAKESPEARE_FILE))
    cached = os.path.join(cache_folder(), SHAKESPEARE_FILE)
    if not os.path.isfile(cached):
        _download(url, cached, SHAKESPEARE_MD5)
    return _read(cached)


@ag.serializable
class CharVocab:
    """A character vocabulary: the sorted distinct characters of a text, as ids 0..n-1.

    Attributes:
        chars: the characters, in id order.

    Example:
        >>> vocab = CharVocab("hello")
        >>> vocab.encode("hole").tolist(), vocab.decode([3, 2]), len(vocab)
        ([1, 3, 2, 0], 'ol', 4)
    """

    def __init__(self, text: str) -> None:
        self.chars = "".join(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """The ids of the characters of ``text`` (int64); unknown characters are an error."""
        index = {c: i for i, c in enumerate(self.chars)}
        try:
            return np.fromiter((index[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError as exc:
            raise ValueError(
                f"CharVocab.encode: character {exc.args[0]!r} is not in the vocabulary of "
                f"{len(self.chars)} characters; build the vocabulary from a text containing it"
            ) from None

    def decode(self, ids: Sequence[int] | Any) -> str:
        """The text whose character ids are ``ids``."""
        ids = np.asarray(ag.value(ids)).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.chars)):
            raise ValueError(
                f"CharVocab.decode: ids must be in [0, {len(self.chars)}), got values in "
                f"[{int(ids.min())}, {int(ids.max())}]"
            )
        return "".join(self.chars[i] for i in ids.tolist())

    def __repr__(self) -> str:
        return f"CharVocab({len(self.chars)} characters)"


def train_val_split(data: Any, train_fraction: float = 0.9) -> tuple[Any, Any]:
    """The standard split of a sequence: the first ``train_fraction`` to train, the rest to
    validate (no shuffling: the validation text is one contiguous piece).

    Example:
        >>> train_val_split(list(range(10)))
        ([0, 1, 2, 3, 4, 5, 6, 7, 8], [9])
    """
    if not 0 < train_fraction < 1:
        raise ValueError(
            f"train_val_split: train_fraction must be in (0, 1), got {train_fraction!r}"
        )
    n = int(train_fraction * len(data))
    return data[:n], data[n:]
