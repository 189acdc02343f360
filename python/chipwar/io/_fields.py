"""Find rows with fewer fields than the header, which pandas' parser pads with empty fields without a word.

A cut-off line (``P1<tab>1<tab>A`` where the table has seven columns) would otherwise be read as a row whose last
fields are blank, and dropped or counted as if its blanks were data. The scan counts the separators outside double
quotes on every line, in blocks, with numpy (a few seconds per gigabyte).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

_BLOCK = 1 << 24  # bytes scanned at a time
_QUOTE, _NEWLINE, _RETURN = ord('"'), ord("\n"), ord("\r")


def _short_lines(block: np.ndarray, inside_quotes: bool, sep: int, n_fields: int) -> tuple[np.ndarray, np.ndarray]:
    """Line indices (within ``block``, whole lines only) with fewer than ``n_fields`` fields, and the positions of
    the line ends; ``inside_quotes``: the block starts within a quoted field (a position is quoted when an odd
    number of quotes precede it)."""
    is_sep = block == sep
    is_newline = block == _NEWLINE
    if inside_quotes or _QUOTE in block:
        unquoted = (np.cumsum(block == _QUOTE, dtype=np.int32) + inside_quotes) % 2 == 0
        is_sep &= unquoted
        is_newline &= unquoted
    newline = np.flatnonzero(is_newline)
    # separators up to each line end, differenced: the separators of each whole line
    counts = np.diff(np.cumsum(is_sep, dtype=np.int32)[newline], prepend=0)
    starts = np.concatenate([[0], newline[:-1] + 1])[: newline.size]
    length = newline - starts
    blank = (length == 0) | ((length == 1) & (block[starts] == _RETURN))  # pandas skips blank lines too
    return np.flatnonzero((counts < n_fields - 1) & ~blank), newline


def _blocks(source: Path | bytes) -> Iterable[bytes]:
    if isinstance(source, bytes):
        yield source
        return
    with pd.io.common.get_handle(source, "rb", compression="infer", is_text=False) as handle:
        while block := handle.handle.read(_BLOCK):
            yield block


def first_short_line(source: Path | bytes, sep: str, n_fields: int, skip_lines: int) -> int | None:
    """Index (0-based, among all lines of ``source``, counting the ``skip_lines`` skipped ones) of the first line
    after ``skip_lines`` with fewer than ``n_fields`` fields, or None."""
    seen, tail, inside = 0, b"", False
    for raw in _blocks(source):
        data = tail + raw
        block = np.frombuffer(data, dtype=np.uint8)
        short, ends = _short_lines(block, inside, ord(sep), n_fields)
        short = short[short + seen >= skip_lines]
        if short.size:
            return seen + int(short[0])
        end = int(ends[-1]) + 1 if ends.size else 0
        inside ^= bool(np.count_nonzero(block[:end] == _QUOTE) % 2)
        seen, tail = seen + len(ends), data[end:]
    if tail.strip():  # a last line without its newline
        block = np.frombuffer(tail + b"\n", dtype=np.uint8)
        short, _ = _short_lines(block, inside, ord(sep), n_fields)
        if short.size and seen >= skip_lines:
            return seen
    return None
