"""USPTO PatentsView bulk grant tables (``g_*.tsv`` / ``g_*.tsv.zip``) to a country x CPC x year panel of patents."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import ChipwarError, ChipwarWarning
from ._tabular import DEFAULT_CHUNKSIZE, iter_chunks, numbers, years_from_dates

_CPC_COLUMN = {"section": "cpc_section", "class": "cpc_class", "subclass": "cpc_subclass", "group": "cpc_group"}
_TABLES = ("g_patent", "g_application", "g_cpc_current", "g_inventor_disambiguated", "g_location_disambiguated")


def _table_path(directory: Path, name: str) -> Path:
    for suffix in (".tsv", ".tsv.zip"):
        path = directory / f"{name}{suffix}"
        if path.is_file():
            return path
    raise ChipwarError(
        f"{directory}: PatentsView table {name}.tsv (or {name}.tsv.zip) not found; download it from the PatentsView "
        f"bulk data page into this folder (needed: {', '.join(_TABLES)})"
    )


def _chunks(path: Path, columns: list[str], chunksize: int, numeric: tuple[str, ...] | list[str] = ()):
    return iter_chunks(path, columns, sep="\t", chunksize=chunksize, fmt="PatentsView TSV", numeric=numeric)


def _patents(path: Path, chunksize: int) -> tuple[pd.Index, np.ndarray]:
    """Ids and grant years of the patents that are not withdrawn."""
    ids, years = [], []
    for chunk, line in _chunks(path, ["patent_id", "withdrawn", "patent_date"], chunksize, numeric=["withdrawn"]):
        withdrawn = numbers(chunk, "withdrawn", path, line, integer=True)
        keep = ~(withdrawn == 1)
        ids.append(chunk["patent_id"].to_numpy(dtype=object)[keep])
        years.append(years_from_dates(chunk, "patent_date", path, line)[keep])
    index = pd.Index(np.concatenate(ids) if ids else np.array([], dtype=object))
    if index.has_duplicates:
        raise ChipwarError(f"{path}: patent_id {index[index.duplicated()][0]!r} appears twice; each patent needs one row")
    return index, np.concatenate(years) if years else np.array([], dtype=float)


def _filing_years(path: Path, patents: pd.Index, chunksize: int) -> np.ndarray:
    years = np.full(len(patents), np.nan)
    for chunk, line in _chunks(path, ["patent_id", "filing_date"], chunksize):
        where = patents.get_indexer(chunk["patent_id"])
        found = where >= 0
        years[where[found]] = years_from_dates(chunk, "filing_date", path, line)[found]
    return years


def _inventor_shares(inventor_path: Path, location_path: Path, patents: pd.Index, chunksize: int) -> pd.DataFrame:
    """Fractional counting: each patent's weight 1 split equally over its inventors, summed by inventor country."""
    countries = []
    for chunk, _ in _chunks(location_path, ["location_id", "disambig_country"], chunksize):
        countries.append(chunk.set_index("location_id")["disambig_country"].str.strip())
    country_of = pd.concat(countries) if countries else pd.Series(dtype=object)
    country_of = country_of[~country_of.index.duplicated()].replace("", None)
    counts = []
    for chunk, _ in _chunks(inventor_path, ["patent_id", "location_id"], chunksize):
        where = patents.get_indexer(chunk["patent_id"])
        found = where >= 0
        country = chunk["location_id"].map(country_of).to_numpy(dtype=object)[found]
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
    column = _CPC_COLUMN[level]
    vocabulary = pd.Index([], dtype=object)
    keys = []
    for chunk, _ in _chunks(path, ["patent_id", column, "cpc_type"], chunksize):
        keep = chunk[column].ne("").to_numpy()
        if cpc_type is not None:
            keep = keep & chunk["cpc_type"].isin([cpc_type, cpc_type.capitalize(), cpc_type.upper()]).to_numpy()
        where = patents.get_indexer(chunk["patent_id"])
        keep = keep & (where >= 0)
        values = chunk[column].to_numpy(dtype=object)[keep]
        seen = pd.unique(values)
        vocabulary = vocabulary.append(pd.Index(seen[~pd.Index(seen).isin(vocabulary)], dtype=object))
        if len(vocabulary) >= 2**_CODE_BITS:
            raise ChipwarError(f"{path}: more than {2**_CODE_BITS} distinct CPC codes in column {column!r}")
        code = vocabulary.get_indexer(values).astype(np.int64)
        keys.append(pd.unique((where[keep].astype(np.int64) << _CODE_BITS) | code))
    # pandas' hash-based unique on int64 is several times faster than numpy's here
    unique = pd.unique(np.concatenate(keys)) if keys else np.array([], dtype=np.int64)
    return pd.DataFrame(
        {"patent": unique >> _CODE_BITS, "cpc": vocabulary[unique & (2**_CODE_BITS - 1)].to_numpy(dtype=object)}
    )


def read_patentsview(
    directory: str | Path,
    level: str = "subclass",
    year: str = "filing",
    cpc_type: str | None = None,
    chunksize: int = DEFAULT_CHUNKSIZE,
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
        ``g_location_disambiguated``, each as ``.tsv`` or ``.tsv.zip`` (tab-separated, fields optionally quoted).
    level : {"section", "class", "subclass", "group"}
        CPC level of the ``cpc`` column (``"H"``, ``"H01"``, ``"H01L"``, ``"H01L21/02"``).
    year : {"filing", "grant"}
        Filing year (from ``g_application``) or grant year (``patent_date``).
    cpc_type : {None, "inventional", "additional"}
        None counts every CPC code of a patent; otherwise only codes of that type.
    chunksize : int
        Rows read at a time.

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
    if level not in _CPC_COLUMN:
        raise ChipwarError(f"level must be one of {list(_CPC_COLUMN)}, got {level!r}")
    if year not in ("filing", "grant"):
        raise ChipwarError(f"year must be 'filing' or 'grant', got {year!r}")
    if cpc_type not in (None, "inventional", "additional"):
        raise ChipwarError(f"cpc_type must be None, 'inventional' or 'additional', got {cpc_type!r}")
    directory = Path(directory)
    if not directory.is_dir():
        raise ChipwarError(f"{directory}: not a folder; pass the folder holding the PatentsView g_*.tsv(.zip) tables")
    paths = {name: _table_path(directory, name) for name in _TABLES}

    patents, grant_years = _patents(paths["g_patent"], chunksize)
    years = grant_years if year == "grant" else _filing_years(paths["g_application"], patents, chunksize)
    shares = _inventor_shares(
        paths["g_inventor_disambiguated"], paths["g_location_disambiguated"], patents, chunksize
    )
    codes = _patent_codes(paths["g_cpc_current"], patents, level, cpc_type, chunksize)

    no_inventor = np.setdiff1d(np.unique(codes["patent"]), shares["patent"].to_numpy())
    no_year = np.isnan(years)
    if len(no_inventor) or no_year.any():
        warnings.warn(
            f"read_patentsview left out {len(no_inventor)} patent(s) without inventors and {int(no_year.sum())} "
            f"without a {year} date",
            ChipwarWarning,
            stacklevel=2,
        )
    rows = codes.merge(shares, on="patent", how="inner")
    rows["year"] = years[rows["patent"].to_numpy(dtype=np.int64)]
    rows = rows[~np.isnan(rows["year"].to_numpy())]
    panel = rows.groupby(["country", "cpc", "year"], dropna=False, sort=True)["share"].sum().reset_index()
    panel["year"] = panel["year"].astype(np.int64)
    return panel.rename(columns={"share": "patents"})[["country", "cpc", "year", "patents"]]
