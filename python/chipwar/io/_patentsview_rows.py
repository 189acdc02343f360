"""Per-chunk parsing of the PatentsView grant tables, shared by the pandas and dask engines of read_patentsview.

Each function turns one chunk of a table (as :func:`chipwar.io._tabular.iter_chunks` yields it, with the line number
of its first row) into checked rows, raising ChipwarError naming the file, line and column of a bad value.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import ChipwarError
from ._tabular import iter_chunks, numbers, years_from_dates

CPC_COLUMN = {"section": "cpc_section", "class": "cpc_class", "subclass": "cpc_subclass", "group": "cpc_group"}
SEP = "\t"
FMT = "PatentsView TSV"


def grant_rows(chunk: pd.DataFrame, path: Path, line: int) -> pd.DataFrame:
    """``patent_id`` and grant ``year`` of the patents in a chunk of g_patent that are not withdrawn."""
    keep = ~(numbers(chunk, "withdrawn", path, line, integer=True) == 1)
    return pd.DataFrame(
        {
            "patent_id": chunk["patent_id"].to_numpy(dtype=object)[keep],
            "year": years_from_dates(chunk, "patent_date", path, line)[keep],
        }
    )


def filing_rows(chunk: pd.DataFrame, path: Path, line: int) -> pd.DataFrame:
    """``patent_id`` and filing ``year`` of a chunk of g_application."""
    return pd.DataFrame(
        {
            "patent_id": chunk["patent_id"].to_numpy(dtype=object),
            "year": years_from_dates(chunk, "filing_date", path, line),
        }
    )


def location_rows(chunk: pd.DataFrame, path: Path, line: int) -> pd.DataFrame:
    """``location_id`` and ``country`` (None when blank) of a chunk of g_location_disambiguated."""
    country = chunk["disambig_country"].str.strip().to_numpy(dtype=object)
    country[country == ""] = None
    return pd.DataFrame({"location_id": chunk["location_id"].to_numpy(dtype=object), "country": country})


def inventor_rows(chunk: pd.DataFrame, path: Path, line: int) -> pd.DataFrame:
    """``patent_id`` and ``location_id`` of a chunk of g_inventor_disambiguated (one row per inventor)."""
    return pd.DataFrame(
        {
            "patent_id": chunk["patent_id"].to_numpy(dtype=object),
            "location_id": chunk["location_id"].to_numpy(dtype=object),
        }
    )


def code_rows(chunk: pd.DataFrame, path: Path, line: int, level: str, cpc_type: str | None) -> pd.DataFrame:
    """``patent_id`` and ``cpc`` code at ``level`` of the rows of a chunk of g_cpc_current that have one (of type
    ``cpc_type`` unless None)."""
    column = CPC_COLUMN[level]
    keep = chunk[column].ne("").to_numpy()
    if cpc_type is not None:
        keep = keep & chunk["cpc_type"].isin([cpc_type, cpc_type.capitalize(), cpc_type.upper()]).to_numpy()
    return pd.DataFrame(
        {
            "patent_id": chunk["patent_id"].to_numpy(dtype=object)[keep],
            "cpc": chunk[column].to_numpy(dtype=object)[keep],
        }
    )


def columns(table: str, level: str = "subclass") -> tuple[list[str], list[str]]:
    """The columns each table is read for, and those of them parsed as numbers."""
    return {
        "g_patent": (["patent_id", "withdrawn", "patent_date"], ["withdrawn"]),
        "g_application": (["patent_id", "filing_date"], []),
        "g_cpc_current": (["patent_id", CPC_COLUMN[level], "cpc_type"], []),
        "g_inventor_disambiguated": (["patent_id", "location_id"], []),
        "g_location_disambiguated": (["location_id", "disambig_country"], []),
    }[table]


def chunks(path: Path, table: str, chunksize: int, level: str = "subclass"):
    """``(chunk, first_line)`` of ``table`` at ``path``, read for the columns :func:`columns` names."""
    wanted, numeric = columns(table, level)
    return iter_chunks(path, wanted, sep=SEP, chunksize=chunksize, fmt=FMT, numeric=numeric)


def duplicate_patent_error(path: Path, patent_id: str) -> ChipwarError:
    """The error for a patent listed twice in g_patent."""
    return ChipwarError(f"{path}: patent_id {patent_id!r} appears twice; each patent needs one row")


def tidy_panel(sums: pd.Series) -> pd.DataFrame:
    """The panel from patent sums indexed by (country, cpc, year): sorted, integer years, missing country last."""
    panel = sums.sort_index().rename("patents").reset_index()
    panel["year"] = panel["year"].astype(np.int64)
    return panel[["country", "cpc", "year", "patents"]]
