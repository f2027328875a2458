"""Exceptions raised by plugrad_data."""

from __future__ import annotations

import os


class FileFormatError(ValueError):
    """A file is truncated, foreign, malformed, or written by a newer format version.

    Attributes:
        path: the file.
        problem: what is wrong with it, in words.

    Example:
        >>> err = FileFormatError("model.safetensors", "truncated")
        >>> str(err)
        'model.safetensors: truncated'
    """

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = os.fspath(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
