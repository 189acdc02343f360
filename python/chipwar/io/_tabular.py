"""Chunked reading of delimited text files with errors that name the file, the line and the column.

Line numbers count physical lines from 1 (the header) and assume no quoted field spans several lines, which holds for
every format chipwar reads.
"""

from __future__ import annotations

import gzip
import io
import lzma
import re
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import ChipwarError
from ._fields import first_short_line

DEFAULT_CHUNKSIZE = 500_000
MISSING_TOKENS = ("", "NA", "N/A", "NaN", "nan")


def existing_file(path: str | Path, what: str) -> Path:
    """``path`` as a Path, or ChipwarError when it is not an existing file."""
    path = Path(path)
    if not path.is_file():
        raise ChipwarError(f"{path}: no such {what} file; check the path (a directory or a typo gives this error)")
    return path


# what the decompressors raise for a cut-off or damaged .gz / .zip / .xz / .bz2 file (bz2 raises OSError or EOFError)
_DAMAGED = (EOFError, zlib.error, gzip.BadGzipFile, zipfile.BadZipFile, lzma.LZMAError)


@contextmanager
def damaged_file_errors(path: Path) -> Iterator[None]:
    """Turn a decompressor's error on a truncated or corrupt file into ChipwarError naming the file and the fix."""
    try:
        yield
    except _DAMAGED as err:
        raise ChipwarError(
            f"{path}: the compressed file is truncated or corrupt ({type(err).__name__}: {err}); download it again "
            "(an interrupted download leaves such a file), or check it with e.g. `gzip -t`"
        ) from err


def _parser_error(path: Path, err: Exception, hint: str, lines_before: int = 0) -> ChipwarError:
    """``lines_before``: physical lines preceding what pandas read (its line numbers start after them)."""
    message = str(err).strip()
    found = re.search(r"line (\d+)|row (\d+)", message)
    where = f", line {lines_before + int(found.group(1) or int(found.group(2)) + 1)}" if found else ""
    return ChipwarError(f"{path}{where}: malformed row ({message}); {hint}")


def read_header(path: Path, sep: str, encoding: str) -> list[str]:
    """The column names of ``path`` (a leading byte-order mark and surrounding spaces removed)."""
    try:
        with damaged_file_errors(path):
            header = pd.read_csv(path, sep=sep, nrows=0, encoding=encoding, index_col=False)
    except pd.errors.EmptyDataError as err:
        raise ChipwarError(f"{path}: the file is empty; expected a header line with column names") from err
    except UnicodeDecodeError as err:
        raise ChipwarError(f"{path}, line 1: cannot decode the header as {encoding} ({err.reason})") from err
    except pd.errors.ParserError as err:
        raise _parser_error(path, err, "the header line must list the column names") from err
    return [str(c).lstrip("\ufeff").strip() for c in header.columns]


def require_header(path: Path, header: list[str], required: Iterable[str], fmt: str) -> None:
    """Raise ChipwarError naming the file and the required columns missing from its header (line 1)."""
    missing = [c for c in required if c not in header]
    if missing:
        raise ChipwarError(
            f"{path}, line 1: column(s) {missing} missing from the header; a {fmt} file needs "
            f"{list(required)} (found {header[:20]})"
        )


def _check_surplus(spare: pd.Series, path: Path, first_line: int, hint: str) -> None:
    surplus = spare.to_numpy(dtype=object) != ""
    if surplus.any():
        i = int(np.flatnonzero(surplus)[0])
        raise ChipwarError(f"{path}, line {first_line + i}: malformed row (more fields than the header); {hint}")


def iter_chunks(
    path: Path,
    columns: list[str],
    sep: str = ",",
    encoding: str = "utf-8",
    chunksize: int = DEFAULT_CHUNKSIZE,
    fmt: str = "CSV",
    numeric: Iterable[str] = (),
    span: tuple[int, int] | None = None,
    first_line: int = 2,
) -> Iterator[tuple[pd.DataFrame, int]]:
    """Yield ``(chunk, first_line)``: columns ``columns`` of ``path`` in chunks, with the line number of each chunk's
    first row, so memory stays bounded by ``chunksize`` rows.

    With ``span=(start, stop)``, only the whole data lines in that byte range of an uncompressed file are read (the
    header still comes from line 1) and ``first_line`` is the line number of the span's first row; this is how the
    dask engine splits one file among tasks.

    Columns in ``numeric`` are parsed as float64 by pandas' C parser (the missing tokens give NaN; a value that is
    not a number raises ChipwarError naming its line and column). Other fields stay text, missing fields being empty
    strings; check numeric columns with :func:`numbers`.
    """
    header = read_header(path, sep, encoding)
    require_header(path, header, columns, fmt)
    numeric = [c for c in numeric if c in columns]
    # one spare column catches a surplus field: empty it is a trailing delimiter (as on Comtrade data rows),
    # otherwise the row is malformed
    spare = "\0surplus"
    names = [*header, spare]
    hint = f"every line of a {fmt} file must have the {len(header)} fields of its header"
    if span is None:
        source, skip = lambda: path, 1
    else:
        with path.open("rb") as fh:
            fh.seek(span[0])
            data = fh.read(span[1] - span[0])
        source, skip = lambda: io.BytesIO(data), 0
    with damaged_file_errors(path):
        short = first_short_line(path if span is None else data, sep, len(header), skip)
    if short is not None:
        raise ChipwarError(
            f"{path}, line {first_line + short - skip}: malformed row (fewer fields than the header); {hint}"
        )
    # every column is read: pandas cannot select columns when the spare one is absent from all rows
    read = partial(pd.read_csv, sep=sep, encoding=encoding, header=None, names=names, skipinitialspace=True)
    line = first_line
    try:
        with (
            damaged_file_errors(path),
            read(
                source(),
                skiprows=skip,
                chunksize=chunksize,
                dtype=defaultdict(lambda: str, dict.fromkeys(numeric, "float64")),
                keep_default_na=False,
                na_values={c: list(MISSING_TOKENS) for c in numeric},
            ) as reader,
        ):
            while True:
                try:
                    chunk = next(reader)
                except StopIteration:
                    return
                except pd.errors.ParserError:
                    raise
                except ValueError as err:  # a numeric column holds text: find where, reading that chunk as text
                    text = read(
                        source(),
                        skiprows=skip + line - first_line,
                        nrows=chunksize,
                        dtype=str,
                        keep_default_na=False,
                        na_filter=False,
                    )
                    _check_surplus(text[spare], path, line, hint)
                    for column in numeric:
                        numbers(text, column, path, line)
                    raise ChipwarError(f"{path}, lines {line}-{line + chunksize - 1}: {err}; {hint}") from err
                text_columns = [c for c in (*columns, spare) if c not in numeric]
                chunk[text_columns] = chunk[text_columns].fillna("")
                _check_surplus(chunk[spare], path, line, hint)
                yield chunk[columns], line
                line += len(chunk)
    except pd.errors.ParserError as err:
        raise _parser_error(path, err, hint, lines_before=first_line - 1 - skip) from err
    except UnicodeDecodeError as err:
        raise ChipwarError(
            f"{path}, near line {line}: cannot decode the text as {encoding} ({err.reason}); re-save the file as "
            f"{encoding} or pass the file's encoding"
        ) from err


def _floats(text: np.ndarray) -> np.ndarray:
    """Float64 of an object array of strings: NaN where a value is missing or not a number, inf kept."""
    try:
        return text.astype(np.float64)  # fast path (float() accepts surrounding spaces)
    except (ValueError, TypeError):
        return pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").to_numpy(dtype=float)


def numbers(
    chunk: pd.DataFrame,
    column: str,
    path: Path,
    first_line: int,
    integer: bool = False,
    allow_missing: bool = True,
) -> np.ndarray:
    """Column ``column`` of a text chunk as float64 (NaN for missing), raising ChipwarError at the first bad value
    with the file, line and column."""
    if pd.api.types.is_float_dtype(chunk[column].dtype):  # parsed by iter_chunks(numeric=...)
        values = chunk[column].to_numpy(dtype=float)
        missing = np.isnan(values)
    else:
        text = chunk[column].to_numpy(dtype=object)
        missing = chunk[column].isin(MISSING_TOKENS).to_numpy().copy()
        values = np.full(len(text), np.nan)
        values[~missing] = _floats(text[~missing])
        # cells such as "   NA" (BACI pads its missing quantities) are missing too: only NaN cells need a slow check
        unparsed = np.flatnonzero(np.isnan(values) & ~missing)
        if len(unparsed):
            missing[unparsed] = pd.Series(text[unparsed], dtype=object).str.strip().isin(MISSING_TOKENS).to_numpy()
    bad = (np.isnan(values) & ~missing) | np.isinf(values)
    if integer:
        bad |= ~np.isnan(values) & (np.mod(values, 1) != 0)
    if not allow_missing:
        bad |= missing
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        kind = "a whole number" if integer else "a number"
        shown = chunk[column].iloc[i]
        if np.isinf(values[i]):  # parsed already, the text (e.g. 1e400) is gone: say what its value means
            raise ChipwarError(
                f"{path}, line {first_line + i}, column {column!r}: the value is infinite or beyond the range of "
                "float64 (about 1.8e308, e.g. 1e400); correct or remove that row"
            )
        shown = f"{shown:g}" if isinstance(shown, float) else shown
        raise ChipwarError(
            f"{path}, line {first_line + i}, column {column!r}: {shown!r} is not {kind}; correct or remove that row"
        )
    return values


def years_from_dates(chunk: pd.DataFrame, column: str, path: Path, first_line: int) -> np.ndarray:
    """Years (float, NaN for blank) of ISO dates ``YYYY-MM-DD`` in ``column``; a malformed date raises ChipwarError."""
    text = chunk[column].to_numpy(dtype=object)
    blank = chunk[column].isin(MISSING_TOKENS).to_numpy()
    dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = dates.isna() & ~blank
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ChipwarError(f"{path}, line {first_line + i}, column {column!r}: {text[i]!r} is not a date YYYY-MM-DD")
    return dates.year.to_numpy(dtype=float, na_value=np.nan)
