"""The ``engine="dask"`` side of the loaders: a delimited file as a dask DataFrame whose partitions are parsed and
checked by the same per-chunk functions as the pandas engine.

An uncompressed file is cut into byte blocks of whole lines, one task each; a compressed file (``.zip``, ``.gz``, ...)
cannot be cut and is one task. Tasks read the files themselves, so the workers of a distributed cluster must see the
same paths (as with ``dask.dataframe.read_csv``). Computing uses whatever scheduler dask is set to: the cluster of an
active ``dask.distributed.Client``, or dask's default local one.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pandas as pd

from .._errors import ChipwarError
from ._tabular import DEFAULT_CHUNKSIZE, iter_chunks

ENGINES = ("pandas", "dask")
DEFAULT_BLOCKSIZE = 64 * 2**20  # bytes of text per task: about a million rows of BACI or PatentsView
_COMPRESSED = (".zip", ".gz", ".bz2", ".xz", ".zst", ".tar")

Parse = Callable[[pd.DataFrame, Path, int], pd.DataFrame]


def check_engine(engine: str) -> None:
    """Raise ChipwarError unless ``engine`` is a known engine (and dask is installed for ``"dask"``)."""
    if engine not in ENGINES:
        raise ChipwarError(f"engine must be one of {list(ENGINES)}, got {engine!r}")
    if engine == "dask":
        try:
            import dask.dataframe  # noqa: F401
        except ImportError as err:
            raise ChipwarError(
                "engine='dask' needs dask[dataframe]; install it with `pip install chipwar[dask]`"
            ) from err


def byte_spans(path: Path, blocksize: int) -> list[tuple[int, int] | None]:
    """Byte ranges of whole data lines (the header excluded) of about ``blocksize`` bytes covering ``path``;
    ``[None]`` (the whole file in one task) for a compressed or small file."""
    if path.suffix.lower() in _COMPRESSED:
        return [None]
    size = path.stat().st_size
    bounds = []
    with path.open("rb") as fh:
        fh.readline()  # the header
        position = fh.tell()
        while position < size:
            bounds.append(position)
            fh.seek(position + blocksize)
            fh.readline()  # to the end of the line the cut falls in
            position = max(fh.tell(), position + 1)
    if len(bounds) <= 1:
        return [None]
    bounds.append(size)
    return list(itertools.pairwise(bounds))


def _line_of(path: Path, offset: int) -> int:
    """Physical line number (from 1) of the line starting at byte ``offset``."""
    newlines = 0
    with path.open("rb") as fh:
        while fh.tell() < offset:
            newlines += fh.read(min(2**24, offset - fh.tell())).count(b"\n")
    return newlines + 1


def _parse_piece(piece: tuple[Path, tuple[int, int] | None], parse: Parse, read: dict) -> pd.DataFrame:
    path, span = piece

    def run(first_line: int) -> pd.DataFrame:
        chunks = iter_chunks(path, span=span, first_line=first_line, **read)
        parts = [parse(chunk, path, line) for chunk, line in chunks]
        return pd.concat(parts, ignore_index=True) if parts else parse(_empty_chunk(read), path, first_line)

    if span is None:
        return run(2)
    try:
        # a block does not know its line numbers without counting the lines before it; that costs a read of
        # everything before the block, so it is done only to name the line of an error
        return run(0)
    except ChipwarError:
        return run(_line_of(path, span[0]))  # raises the same error, now with the right line


def _empty_chunk(read: dict) -> pd.DataFrame:
    numeric = set(read.get("numeric", ()))
    return pd.DataFrame({c: pd.Series([], dtype="float64" if c in numeric else str) for c in read["columns"]})


def settings():
    """The dask configuration the loaders build and compute their graphs in.

    Text columns keep the pandas engine's dtype (dask would turn them into ``string[pyarrow]``, missing values
    pd.NA, and the engines would not give equal tables), and joins shuffle with tasks: the peer-to-peer shuffle
    dask picks on a distributed cluster re-raises a failed task's error as a RuntimeError, which would hide the
    ChipwarError naming the bad line of a file.
    """
    import dask

    return dask.config.set({"dataframe.convert-string": False, "dataframe.shuffle.method": "tasks"})


def read_frame(
    paths: list[Path],
    parse: Parse,
    columns: list[str],
    blocksize: int = DEFAULT_BLOCKSIZE,
    chunksize: int = DEFAULT_CHUNKSIZE,
    **read,
):
    """A dask DataFrame of ``parse(chunk, path, first_line)`` over the chunks of ``paths`` (in order), where the chunks
    are those :func:`chipwar.io._tabular.iter_chunks` yields with ``columns`` and the keywords ``read``."""
    import dask.dataframe as dd

    read = {"columns": columns, "chunksize": chunksize, **read}
    pieces = [(path, span) for path in paths for span in byte_spans(path, blocksize)]
    meta = parse(_empty_chunk(read), paths[0], 2)
    return dd.from_map(partial(_parse_piece, parse=parse, read=read), pieces, meta=meta, enforce_metadata=False)
