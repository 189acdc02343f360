"""USPTO PatentsView bulk grant tables (``g_*.tsv`` / ``g_*.tsv.zip``) to a country x CPC x year panel of patents."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import ChipwarError, ChipwarWarning
from . import _patentsview_rows as rows
from ._dask import DEFAULT_BLOCKSIZE, check_engine
from ._tabular import DEFAULT_CHUNKSIZE

_TABLES = ("g_patent", "g_application", "g_cpc_current", "g_inventor_disambiguated", "g_location_disambiguated")


def _store_of(directory: Path) -> Path | None:
    """The chipwar store at ``directory`` (imported late: the data layer builds on these readers)."""
    from .store import find_store

    return find_store(directory)


def _table_path(directory: Path, name: str) -> Path:
    for suffix in (".tsv", ".tsv.zip"):
        path = directory / f"{name}{suffix}"
        if path.is_file():
            return path
    raise ChipwarError(
        f"{directory}: PatentsView table {name}.tsv (or {name}.tsv.zip) not found; download it from the PatentsView "
        f"bulk data page into this folder (needed: {', '.join(_TABLES)})"
    )


def _patents(path: Path, chunksize: int) -> tuple[pd.Index, np.ndarray]:
    """Ids and grant years of the patents that are not withdrawn."""
    grants = [rows.grant_rows(chunk, path, line) for chunk, line in rows.chunks(path, "g_patent", chunksize)]
    if not grants:
        return pd.Index([], dtype=object), np.array([], dtype=float)
    grants = pd.concat(grants, ignore_index=True)
    index = pd.Index(grants["patent_id"].to_numpy(dtype=object), dtype=object)
    if index.has_duplicates:
        raise rows.duplicate_patent_error(path, index[index.duplicated()][0])
    return index, grants["year"].to_numpy(dtype=float)


def _filing_years(path: Path, patents: pd.Index, chunksize: int) -> np.ndarray:
    years = np.full(len(patents), np.nan)
    for chunk, line in rows.chunks(path, "g_application", chunksize):
        filings = rows.filing_rows(chunk, path, line)
        where = patents.get_indexer(filings["patent_id"])
        found = where >= 0
        years[where[found]] = filings["year"].to_numpy()[found]
    return years


def _inventor_shares(inventor_path: Path, location_path: Path, patents: pd.Index, chunksize: int) -> pd.DataFrame:
    """Fractional counting: each patent's weight 1 split equally over its inventors, summed by inventor country."""
    locations = [
        rows.location_rows(chunk, location_path, line)
        for chunk, line in rows.chunks(location_path, "g_location_disambiguated", chunksize)
    ]
    country_of = pd.concat(locations).set_index("location_id")["country"] if locations else pd.Series(dtype=object)
    country_of = country_of[~country_of.index.duplicated()]
    counts = []
    for chunk, line in rows.chunks(inventor_path, "g_inventor_disambiguated", chunksize):
        inventors = rows.inventor_rows(chunk, inventor_path, line)
        where = patents.get_indexer(inventors["patent_id"])
        found = where >= 0
        country = inventors["location_id"].map(country_of).to_numpy(dtype=object)[found]
        part = pd.DataFrame({"patent": where[found], "country": country})
        counts.append(part.groupby(["patent", "country"], dropna=False).size().rename("inventors"))
    if not counts:
        return pd.DataFrame({"patent": [], "country": [], "share": []})
    inventors = pd.concat(counts).groupby(level=["patent", "country"], dropna=False).sum().reset_index()
    inventors["share"] = inventors["inventors"] / inventors.groupby("patent")["inventors"].transform("sum")
    return inventors[["patent", "country", "share"]]


_CODE_BITS = 20  # CPC codes per level: about 260,000 groups at most, below 2**20


def _patent_codes(path: Path, patents: pd.Index, level: str, cpc_type: str | None, chunksize: int) -> pd.DataFrame:
    """Distinct (patent, CPC code at ``level``) pairs, so a patent counts once per code however many rows map to it.

    Each pair is packed into one int64 (patent index, code index), which makes de-duplication a fast numeric unique.
    """
    vocabulary = pd.Index([], dtype=object)
    keys = []
    for chunk, line in rows.chunks(path, "g_cpc_current", chunksize, level):
        codes = rows.code_rows(chunk, path, line, level, cpc_type)
        where = patents.get_indexer(codes["patent_id"])
        keep = where >= 0
        values = codes["cpc"].to_numpy(dtype=object)[keep]
        seen = pd.unique(values)
        vocabulary = vocabulary.append(pd.Index(seen[~pd.Index(seen).isin(vocabulary)], dtype=object))
        if len(vocabulary) >= 2**_CODE_BITS:
            column = rows.CPC_COLUMN[level]
            raise ChipwarError(f"{path}: more than {2**_CODE_BITS} distinct CPC codes in column {column!r}")
        code = vocabulary.get_indexer(values).astype(np.int64)
        keys.append(pd.unique((where[keep].astype(np.int64) << _CODE_BITS) | code))
    # pandas' hash-based unique on int64 is several times faster than numpy's here
    unique = pd.unique(np.concatenate(keys)) if keys else np.array([], dtype=np.int64)
    return pd.DataFrame(
        {"patent": unique >> _CODE_BITS, "cpc": vocabulary[unique & (2**_CODE_BITS - 1)].to_numpy(dtype=object)}
    )


def _panel_pandas(paths: dict[str, Path], level: str, year: str, cpc_type: str | None, chunksize: int):
    """The patent sums by (country, cpc, year) and the numbers of patents left out, read chunk by chunk."""
    patents, grant_years = _patents(paths["g_patent"], chunksize)
    years = grant_years if year == "grant" else _filing_years(paths["g_application"], patents, chunksize)
    shares = _inventor_shares(paths["g_inventor_disambiguated"], paths["g_location_disambiguated"], patents, chunksize)
    codes = _patent_codes(paths["g_cpc_current"], patents, level, cpc_type, chunksize)
    no_inventor = len(np.setdiff1d(np.unique(codes["patent"]), shares["patent"].to_numpy()))
    joined = codes.merge(shares, on="patent", how="inner")
    joined["year"] = years[joined["patent"].to_numpy(dtype=np.int64)]
    joined = joined[~np.isnan(joined["year"].to_numpy())]
    sums = joined.groupby(["country", "cpc", "year"], dropna=False, sort=True)["share"].sum()
    return sums, no_inventor, int(np.isnan(years).sum())


def read_patentsview(
    directory: str | Path,
    level: str = "subclass",
    year: str = "filing",
    cpc_type: str | None = None,
    chunksize: int = DEFAULT_CHUNKSIZE,
    engine: str = "pandas",
    blocksize: int = DEFAULT_BLOCKSIZE,
) -> pd.DataFrame:
    """Read PatentsView grant tables into a tidy country x CPC x year panel of patent counts.

    Each patent is split equally across its inventors and credited to the country of each inventor's location
    (fractional counting), and counted once per distinct CPC code at ``level``. Withdrawn patents are excluded.
    Files are read in chunks of ``chunksize`` rows, so memory grows with the number of patents and distinct
    (patent, code) pairs, not with the file sizes.

    Parameters
    ----------
    directory : str or Path
        Folder holding ``g_patent``, ``g_application``, ``g_cpc_current``, ``g_inventor_disambiguated`` and
        ``g_location_disambiguated``, each as ``.tsv`` or ``.tsv.zip`` (tab-separated, fields optionally quoted);
        or a store built by ``chipwar data build`` (a folder with ``store.json``, or a data folder holding
        ``store/``): the panel then comes from the store, built in advance or computed by DuckDB from its Parquet
        tables in bounded memory (``engine``, ``chunksize`` and ``blocksize`` do not apply), with the same counting.
    level : {"section", "class", "subclass", "group"}
        CPC level of the ``cpc`` column (``"H"``, ``"H01"``, ``"H01L"``, ``"H01L21/02"``).
    year : {"filing", "grant"}
        Filing year (from ``g_application``) or grant year (``patent_date``).
    cpc_type : {None, "inventional", "additional"}
        None counts every CPC code of a patent; otherwise only codes of that type.
    chunksize : int
        Rows read at a time.
    engine : {"pandas", "dask"}
        ``"dask"`` reads and joins the tables with dask.dataframe, on the cluster of an active
        ``dask.distributed.Client`` or dask's default scheduler: each ``.tsv`` in blocks of ``blocksize`` bytes, each
        ``.tsv.zip`` whole in one task (zip files cannot be split; unzip the large tables to spread them), and the
        workers must see ``directory``. The panel is the same as with ``"pandas"`` (sums of shares may differ in the
        last bits, being added in another order); a g_application listing a patent twice is the exception: the
        pandas engine keeps its last filing date, the dask engine one of them.
    blocksize : int
        Bytes of a table per dask task (``engine="dask"`` only).

    Returns
    -------
    pandas.DataFrame
        Columns ``country`` (ISO 2-letter code of the inventor location; missing when the location has none),
        ``cpc``, ``year`` (int) and ``patents`` (float, fractional), sorted by country, cpc and year.

    Raises
    ------
    ChipwarError
        For a missing table or column, or a malformed row (the message names the file, line and column).

    Warns
    -----
    ChipwarWarning
        When patents are left out because they have no inventor or no year.
    """
    if level not in rows.CPC_COLUMN:
        raise ChipwarError(f"level must be one of {list(rows.CPC_COLUMN)}, got {level!r}")
    if year not in ("filing", "grant"):
        raise ChipwarError(f"year must be 'filing' or 'grant', got {year!r}")
    if cpc_type not in (None, "inventional", "additional"):
        raise ChipwarError(f"cpc_type must be None, 'inventional' or 'additional', got {cpc_type!r}")
    check_engine(engine)
    directory = Path(directory)
    store = _store_of(directory) if directory.is_dir() else None
    if store is not None:
        from .store import open_store, patent_panel

        return patent_panel(open_store(store), level, year, cpc_type, stacklevel=3)
    if not directory.is_dir():
        raise ChipwarError(f"{directory}: not a folder; pass the folder holding the PatentsView g_*.tsv(.zip) tables")
    paths = {name: _table_path(directory, name) for name in _TABLES}

    if engine == "dask":
        from ._patentsview_dask import panel_dask

        sums, no_inventor, no_year = panel_dask(paths, level, year, cpc_type, chunksize, blocksize)
    else:
        sums, no_inventor, no_year = _panel_pandas(paths, level, year, cpc_type, chunksize)
    if no_inventor or no_year:
        warnings.warn(
            f"read_patentsview left out {no_inventor} patent(s) without inventors and {no_year} without a {year} date",
            ChipwarWarning,
            stacklevel=2,
        )
    return rows.tidy_panel(sums)
