"""Fab lists with the columns of Wikipedia's "List of semiconductor fabrication plants" to one row per fab."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import ChipwarError
from ._tabular import DEFAULT_CHUNKSIZE, existing_file, iter_chunks

COLUMNS = {
    "Company": "company",
    "Plant name": "plant",
    "Plant location": "location",
    "Plant cost (US$ bn)": "cost_usd_bn",
    "Started production": "start_year",
    "Wafer size (mm)": "wafer_size_mm",
    "Process technology node (nm)": "node_nm",
    "Production capacity (wafers/month)": "capacity_wpm",
    "Technology / products": "products",
}
"""Wikipedia column -> tidy column."""

# Wikipedia cells that mean "unknown" rather than a malformed value
_UNKNOWN = ("", "-", "\u2014", "\u2013", "?", "n/a", "na", "unknown", "tbd", "tba", "planned", "under construction")
# how a cell with several numbers ("200, 300"; "7, 5") becomes one: the largest wafer, the most advanced node
_REDUCE = {"cost_usd_bn": "max", "start_year": "min", "wafer_size_mm": "max", "node_nm": "min", "capacity_wpm": "max"}
# a start like "Q4 1999" holds other digits than the year
_NUMBER = {"start_year": r"\b(1[89]\d{2}|2\d{3})\b"}


def _clean(text: pd.Series) -> pd.Series:
    """Strip Wikipedia footnote markers ("[12]") and surrounding spaces."""
    return text.str.replace(r"\[[^\]]*\]", "", regex=True).str.strip()


def _number_cells(chunk: pd.DataFrame, column: str, tidy: str, path: Path, first_line: int) -> np.ndarray:
    text = _clean(chunk[column])
    numbers = text.str.replace(r"(?<=\d),(?=\d{3})", "", regex=True).str.extractall(
        _NUMBER.get(tidy, r"(\d+(?:\.\d+)?)")
    )[0]
    values = pd.to_numeric(numbers).groupby(level=0).agg(_REDUCE[tidy])
    result = np.full(len(chunk), np.nan)
    # a column without any number gives an empty index of object dtype, which cannot index an array
    result[values.index.to_numpy().astype(np.intp)] = values.to_numpy()
    unknown = text.str.lower().isin(_UNKNOWN).to_numpy()
    bad = np.isnan(result) & ~unknown
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ChipwarError(
            f"{path}, line {first_line + i}, column {column!r}: {chunk[column].iloc[i]!r} has no number; write a "
            "number or leave the cell blank"
        )
    return result


def read_fabs(path: str | Path, chunksize: int = DEFAULT_CHUNKSIZE) -> pd.DataFrame:
    """Read a fab list (CSV with Wikipedia's columns) into one row per fab.

    Parameters
    ----------
    path : str or Path
        CSV with columns ``Company, Plant name, Plant location, Plant cost (US$ bn), Started production,
        Wafer size (mm), Process technology node (nm), Production capacity (wafers/month), Technology / products``.
        Footnote markers are ignored; blank, ``?``, ``TBD`` and similar cells are missing values.
    chunksize : int
        Rows read at a time.

    Returns
    -------
    pandas.DataFrame
        Columns ``company``, ``plant``, ``location``, ``country`` (last comma-separated part of the location),
        ``cost_usd_bn``, ``start_year``, ``wafer_size_mm`` (largest size listed), ``node_nm`` (most advanced node
        listed), ``capacity_wpm`` (wafers per month), ``capacity_200mm`` (wafers per month in 200 mm equivalents:
        capacity x (wafer size / 200)^2, the wafer-area ratio) and ``products``; numbers are float (NaN if unknown).

    Raises
    ------
    ChipwarError
        For a missing column or a numeric cell without a number, naming the file, line and column.
    """
    path = existing_file(path, "fab list")
    parts = []
    for chunk, line in iter_chunks(path, list(COLUMNS), chunksize=chunksize, fmt="fab list"):
        part = pd.DataFrame(index=range(len(chunk)))
        for column, tidy in COLUMNS.items():
            if tidy in _REDUCE:
                part[tidy] = _number_cells(chunk.reset_index(drop=True), column, tidy, path, line)
            else:
                part[tidy] = _clean(chunk[column]).to_numpy(dtype=object)
        parts.append(part)
    fabs = pd.concat(parts, ignore_index=True)
    fabs.insert(3, "country", fabs["location"].str.split(",").str[-1].str.strip())
    fabs["capacity_200mm"] = fabs["capacity_wpm"] * (fabs["wafer_size_mm"] / 200.0) ** 2
    order = [
        "company",
        "plant",
        "location",
        "country",
        "cost_usd_bn",
        "start_year",
        "wafer_size_mm",
        "node_nm",
        "capacity_wpm",
        "capacity_200mm",
        "products",
    ]
    return fabs[order]
