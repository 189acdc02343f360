"""The dask engine of read_patentsview: the tables as dask DataFrames, joined and summed on the cluster."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from . import _patentsview_rows as rows
from ._dask import read_frame, settings


def _table(paths: dict[str, Path], table: str, parse, chunksize: int, blocksize: int, level: str = "subclass"):
    """``table`` as a dask DataFrame of the rows ``parse`` makes of its chunks."""
    wanted, numeric = rows.columns(table, level)
    return read_frame(
        [paths[table]],
        parse,
        wanted,
        blocksize=blocksize,
        chunksize=chunksize,
        sep=rows.SEP,
        fmt=rows.FMT,
        numeric=numeric,
    )


def panel_dask(
    paths: dict[str, Path], level: str, year: str, cpc_type: str | None, chunksize: int, blocksize: int
) -> tuple[pd.Series, int, int]:
    """The patent sums by (country, cpc, year), the number of patents without inventors and that without a year.

    The same counting as the pandas engine (see read_patentsview), written as joins on ``patent_id``: a patent's
    inventor shares are its inventor counts by country over its total, and a patent counts once per distinct code.
    """
    with settings():
        return _panel(paths, level, year, cpc_type, chunksize, blocksize)


def _panel(
    paths: dict[str, Path], level: str, year: str, cpc_type: str | None, chunksize: int, blocksize: int
) -> tuple[pd.Series, int, int]:
    import dask

    read = partial(_table, paths, chunksize=chunksize, blocksize=blocksize)
    grants = read("g_patent", rows.grant_rows)
    patents = grants[["patent_id"]]
    if year == "grant":
        years = grants
    else:
        filings = read("g_application", rows.filing_rows).drop_duplicates(subset="patent_id", keep="last")
        years = patents.merge(filings, on="patent_id", how="left")

    locations = read("g_location_disambiguated", rows.location_rows).drop_duplicates(subset="location_id")
    inventors = read("g_inventor_disambiguated", rows.inventor_rows).merge(patents, on="patent_id")
    inventors = inventors.merge(locations, on="location_id", how="left")
    counts = inventors.groupby(["patent_id", "country"], dropna=False).size().rename("inventors").reset_index()
    totals = counts.groupby("patent_id")["inventors"].sum().rename("total").reset_index()
    shares = counts.merge(totals, on="patent_id")
    shares["share"] = shares["inventors"] / shares["total"]

    codes = read("g_cpc_current", partial(rows.code_rows, level=level, cpc_type=cpc_type), level=level)
    codes = codes.merge(patents, on="patent_id").drop_duplicates()
    coded = codes[["patent_id"]].drop_duplicates().merge(totals, on="patent_id", how="left")
    no_inventor = coded["total"].isna().sum()

    joined = codes.merge(shares[["patent_id", "country", "share"]], on="patent_id").merge(years, on="patent_id")
    joined = joined[~joined["year"].isna()]
    sums = joined.groupby(["country", "cpc", "year"], dropna=False)["share"].sum()
    repeated = grants["patent_id"].value_counts()
    repeated = repeated[repeated > 1]
    sums, no_inventor, no_year, repeated = dask.compute(sums, no_inventor, years["year"].isna().sum(), repeated)
    if len(repeated):
        raise rows.duplicate_patent_error(paths["g_patent"], repeated.index[0])
    return sums, int(no_inventor), int(no_year)
