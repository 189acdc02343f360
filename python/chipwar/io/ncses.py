"""NSF Science & Engineering Indicators tables (NCSES) to a tidy region x year table.

Two layouts exist. *Long* tables (``table_id, row_id, time_period, value``) lost their year labels in conversion:
``time_period`` holds the region path and each region is a contiguous block of optional text rows (income group or
technology field), an optional total row, then one row per year in ascending order. The years are rebuilt from the
block structure and the year range in the title of the table's ``README.md`` (or ``years=``). *Wide* tables have a
``..._full_path`` column and one ``field_<year>[_<measure>]`` column per year.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import ChipwarError
from ._tabular import damaged_file_errors, existing_file, read_header

_SUPPRESSED = ("", "na", "NA", "D", "s", "-")
_YEAR_COLUMN = re.compile(r"^field_(\d{4})(?:_(.+))?$")


def _title_years(path: Path) -> tuple[int, int]:
    readme = path.with_name("README.md")
    if not readme.is_file():
        raise ChipwarError(
            f"{path}: the years of a long NCSES table come from the title in README.md beside it, which is absent; "
            "pass years=(first, last)"
        )
    title = readme.read_text(encoding="utf-8").lstrip().splitlines()[0]
    found = re.search(r"(\d{4})\s*[\u2013\u2014-]\s*(\d{2,4})\s*$", title)
    if not found:
        raise ChipwarError(f"{readme}, line 1: no year range such as '1998–2022' in the title {title!r}; pass years=")  # noqa: RUF001 (NCSES titles use the en dash)
    first, last = found.groups()
    last_year = int(last) if len(last) == 4 else int(first[: 4 - len(last)] + last)
    return int(first), last_year


def _numeric(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Float values (NaN for suppressed or blank) and a mask of text that is not a number at all."""
    text = values.str.strip().str.replace(",", "", regex=False)
    number = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    is_text = np.isnan(number) & ~text.isin(_SUPPRESSED).to_numpy()
    return number, is_text


def _read_long(path: Path, frame: pd.DataFrame, years: tuple[int, int] | None) -> pd.DataFrame:
    first, last = years if years is not None else _title_years(path)
    n_years = last - first + 1
    number, is_text = _numeric(frame["value"])
    block = (frame["time_period"] != frame["time_period"].shift()).cumsum().to_numpy()
    # leading text rows of a block (income group, technology field) are labels, not values
    counted = pd.Series(~is_text).groupby(block).cumsum().to_numpy()
    label = is_text & (counted == 0)
    if (is_text & ~label).any():
        i = int(np.flatnonzero(is_text & ~label)[0])
        raise ChipwarError(
            f"{path}, line {i + 2}, column 'value': {frame['value'].iloc[i]!r} is not a number inside a block of values"
        )
    values_per_block = pd.Series(~label).groupby(block).transform("sum").to_numpy()
    position = counted - 1  # 0-based position among the block's value rows
    has_total = values_per_block == n_years + 1
    odd = ~label & ~np.isin(values_per_block, (1, n_years, n_years + 1))
    if odd.any():
        i = int(np.flatnonzero(odd)[0])
        raise ChipwarError(
            f"{path}, line {i + 2}: the block of {frame['time_period'].iloc[i]!r} has {values_per_block[i]} values, "
            f"but {first}-{last} needs {n_years} (or one more for a total); pass years=(first, last)"
        )
    year = np.where(values_per_block == 1, np.nan, first + position - has_total)
    keep = ~label & ~(has_total & (position == 0))
    labels = pd.Series(np.where(label, frame["value"].str.strip(), None)).groupby(block).transform("first")
    labels = labels.where(~labels.isin(["na", "NA"]))
    paths = frame["time_period"].str.strip()
    return pd.DataFrame(
        {
            "region": paths.str.split("->").str[-1].str.strip().to_numpy()[keep],
            "path": paths.to_numpy()[keep],
            "year": pd.array(year[keep], dtype="Int64"),
            "value": number[keep],
            "group": labels.to_numpy(dtype=object)[keep],
        }
    )


def _read_wide(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    path_column = next(c for c in frame.columns if c.endswith("_full_path"))
    year_columns = {c: _YEAR_COLUMN.match(c) for c in frame.columns}
    year_columns = {c: m for c, m in year_columns.items() if m}
    if not year_columns:
        raise ChipwarError(f"{path}, line 1: no field_<year> columns; this NCSES table has no time dimension")
    descriptors = [c for c in frame.columns if c.startswith("field_") and c not in year_columns]
    long = frame.melt(id_vars=[path_column, *descriptors], value_vars=list(year_columns), var_name="column")
    number, is_text = _numeric(long["value"])
    row_has_number = pd.Series(~np.isnan(number)).groupby(long.index % len(frame)).transform("any").to_numpy()
    keep = row_has_number  # rows of units ("Millions of current U.S. dollars") carry no numbers
    if (is_text & keep).any():
        i = int(np.flatnonzero(is_text & keep)[0])
        raise ChipwarError(
            f"{path}, line {i % len(frame) + 2}, column {long['column'].iloc[i]!r}: {long['value'].iloc[i]!r} "
            "is not a number"
        )
    paths = long[path_column].str.strip()
    out = pd.DataFrame(
        {
            "region": paths.str.split("->").str[-1].str.strip(),
            "path": paths,
            "year": pd.array(long["column"].map({c: int(m.group(1)) for c, m in year_columns.items()}), dtype="Int64"),
            "value": number,
        }
    )
    measures = long["column"].map({c: m.group(2) for c, m in year_columns.items()})
    if measures.notna().any():
        out["measure"] = measures
    for column in descriptors:
        out[column.removeprefix("field_")] = long[column].str.strip()
    return out[keep].reset_index(drop=True)


def read_ncses(path: str | Path, years: tuple[int, int] | None = None) -> pd.DataFrame:
    """Read an NCSES Science & Engineering Indicators table into a tidy table.

    Parameters
    ----------
    path : str or Path
        The table's ``data.csv``.
    years : (int, int), optional
        First and last year of a long table; by default read from the title of ``README.md`` beside the file.

    Returns
    -------
    pandas.DataFrame
        Columns ``region`` (last element of the path, e.g. ``"China"``), ``path`` (``"World -> Asia -> China"``),
        ``year`` (nullable int; missing for a table of one value per region) and ``value`` (float; NaN where
        suppressed). Long tables add ``group`` (the block's income group or field; missing for ``na``); wide tables add
        ``measure`` when columns are ``field_<year>_<measure>`` and their descriptive ``field_`` columns. Total rows
        that some long tables put before the years are dropped.

    Raises
    ------
    ChipwarError
        When a block does not have one value per year, or a value is not a number (naming the file and line).

    Examples
    --------
    >>> import chipwar as cw
    >>> t = cw.io.read_ncses("../shared/data/domain/ncses/10557/data.csv")  # doctest: +SKIP
    >>> t.query("region == 'China' and year == 2022")["value"].item()  # doctest: +SKIP
    2165.0
    """
    path = existing_file(path, "NCSES")
    header = read_header(path, ",", "utf-8")
    # NCSES tables are a few thousand rows: read whole, since blocks must be seen together
    with damaged_file_errors(path):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.columns = header
    if {"time_period", "value"} <= set(header):
        return _read_long(path, frame, years)
    if any(c.endswith("_full_path") for c in header):
        return _read_wide(path, frame)
    raise ChipwarError(
        f"{path}, line 1: not an NCSES data table; expected columns time_period and value (long layout) or a "
        f"..._full_path column with field_<year> columns (wide layout); found {header[:10]}"
    )
