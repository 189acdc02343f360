"""CEPII BACI trade flows (``t,i,j,k,v,q``) to a tidy exporter x importer x HS6 x year table."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import ChipwarError
from ..codes import normalize_hs6
from ._dask import DEFAULT_BLOCKSIZE, check_engine, read_frame, settings
from ._tabular import DEFAULT_CHUNKSIZE, existing_file, iter_chunks, numbers


def _country_map(country_codes: str | Path | pd.DataFrame) -> pd.Series:
    """BACI numeric country code -> ISO 3-letter code, from BACI's ``country_codes`` file or a DataFrame."""
    if isinstance(country_codes, pd.DataFrame):
        table = country_codes.astype(str)
        source = "country_codes"
    else:
        source = existing_file(country_codes, "BACI country codes")
        table = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    table.columns = [str(c).strip() for c in table.columns]
    for columns in (("country_code", "iso_3digit_alpha"), ("country_code", "country_iso3")):
        if set(columns) <= set(table.columns):
            codes = pd.to_numeric(table[columns[0]], errors="coerce")
            iso = pd.Series(table[columns[1]].str.strip().to_numpy(), index=codes.to_numpy())
            iso = iso[iso.index.notna()]
            # code 490, "Other Asia, nes", is Taiwan in UN trade statistics; it has no ISO code in the dictionary
            iso[iso.index == 490] = "TWN"
            # other groupings without an ISO code keep their numeric code, so no two of them merge
            blank = iso.isin(["", "N/A", "NA"])
            iso[blank] = iso.index[blank].astype(int).astype(str)
            return iso
    raise ChipwarError(
        f"{source}: needs columns 'country_code' and 'iso_3digit_alpha' (BACI's country_codes file); "
        f"found {list(table.columns)}"
    )


def _baci_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.glob("BACI_*.csv*") if p.is_file())
        if not files:
            raise ChipwarError(
                f"{path}: no BACI_*.csv files in this folder; pass a BACI file or the folder holding them"
            )
        return files
    return [existing_file(path, "BACI")]


_COLUMNS = ["t", "i", "j", "k", "v", "q"]


def _tidy(chunk: pd.DataFrame, path: Path, line: int, wanted: np.ndarray | None) -> pd.DataFrame:
    """One chunk of a BACI file as tidy rows (numeric country codes), keeping the products in ``wanted``."""
    # products are read as numbers (BACI files drop the leading zero of chapters 01-09) and written back as
    # 6-digit text once per distinct code
    product = numbers(chunk, "k", path, line, integer=True, allow_missing=False)
    bad = (product < 10000) | (product > 999999)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ChipwarError(f"{path}, line {line + i}, column 'k': '{product[i]:g}' is not an HS6 code")
    keep = np.ones(len(chunk), dtype=bool) if wanted is None else np.isin(product, wanted)
    codes, uniques = pd.factorize(product[keep].astype(np.int64))
    value = numbers(chunk, "v", path, line, allow_missing=False)
    quantity = numbers(chunk, "q", path, line)
    for column, values in (("v", value), ("q", quantity)):
        # BACI's values (thousand dollars) and quantities (tonnes) are reconciled flows, never negative
        if (values < 0).any():
            i = int(np.flatnonzero(values < 0)[0])
            raise ChipwarError(
                f"{path}, line {line + i}, column {column!r}: {values[i]:g} is negative; BACI trade values and "
                "quantities are >= 0: correct or remove that row"
            )
    return pd.DataFrame(
        {
            "year": numbers(chunk, "t", path, line, integer=True, allow_missing=False)[keep],
            "exporter": numbers(chunk, "i", path, line, integer=True, allow_missing=False)[keep],
            "importer": numbers(chunk, "j", path, line, integer=True, allow_missing=False)[keep],
            "hs6": np.array([f"{u:06d}" for u in uniques], dtype=object)[codes],
            "value_usd": value[keep] * 1000.0,
            "quantity": quantity[keep],
        }
    )


def _read_pandas(files: list[Path], wanted: np.ndarray | None, chunksize: int) -> pd.DataFrame:
    parts = [
        _tidy(chunk, file, line, wanted)
        for file in files
        for chunk, line in iter_chunks(file, _COLUMNS, chunksize=chunksize, fmt="BACI", numeric=_COLUMNS)
    ]
    return (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["year", "exporter", "importer", "hs6", "value_usd", "quantity"])
    )


def _read_dask(files: list[Path], wanted: np.ndarray | None, chunksize: int, blocksize: int) -> pd.DataFrame:
    with settings():
        frame = read_frame(
            files,
            partial(_tidy, wanted=wanted),
            _COLUMNS,
            blocksize=blocksize,
            chunksize=chunksize,
            fmt="BACI",
            numeric=_COLUMNS,
        )
        return frame.compute().reset_index(drop=True)


def _read_store(path: Path, hs6: Iterable[str] | None) -> pd.DataFrame:
    from .store import open_store

    store = open_store(path)
    if not store.has("baci"):
        raise ChipwarError(f"{path}: the store has no BACI dataset; fetch BACI and build the store again")
    where = "" if hs6 is None else "WHERE hs6 IN (SELECT unnest($codes))"
    con = store.connect()
    try:
        table = con.execute(
            f"SELECT year::BIGINT AS year, exporter_iso3 AS exporter, importer_iso3 AS importer, hs6, value_usd, "
            f"quantity FROM baci {where} ORDER BY year, exporter, importer, hs6",
            {} if hs6 is None else {"codes": list(normalize_hs6(list(hs6)))},
        ).df()
    finally:
        con.close()
    # the dtypes of the text reader: countries as objects, product codes as pandas' inferred text dtype
    for column in ("exporter", "importer"):
        table[column] = table[column].astype(object)
    table["hs6"] = table["hs6"].to_numpy(dtype=object)
    return table


def read_baci(
    path: str | Path,
    country_codes: str | Path | pd.DataFrame | None = None,
    hs6: Iterable[str] | None = None,
    chunksize: int = DEFAULT_CHUNKSIZE,
    engine: str = "pandas",
    blocksize: int = DEFAULT_BLOCKSIZE,
) -> pd.DataFrame:
    """Read a BACI file into a tidy trade table.

    Parameters
    ----------
    path : str or Path
        A BACI CSV (``BACI_HS17_Y2021_V202201.csv``, optionally compressed) with columns ``t, i, j, k, v, q``: year,
        exporter, importer, product, value in thousand US dollars, quantity in tonnes; or a folder, whose
        ``BACI_*.csv`` files (one per year) are read in name order; or a store built by ``chipwar data build``
        (a folder with ``store.json`` or holding ``store/``), whose BACI dataset is read with DuckDB: countries are
        then ISO3 codes as the store's build mapped them with the release's country codes (``country_codes``,
        ``chunksize``, ``engine`` and ``blocksize`` do not apply), rows sorted by year, exporter, importer, hs6.
    country_codes : path, DataFrame or None
        BACI's ``country_codes`` file (or that table) to turn numeric country codes into ISO 3-letter codes (490,
        "Other Asia, nes", becomes ``TWN``; other groupings without an ISO code keep their number as text); None
        keeps the numeric codes.
    hs6 : iterable of str, optional
        Keep only these products (e.g. ``cw.codes.controlled_hs6() + cw.codes.comparison_hs6()``), which keeps the
        result small when reading a full year.
    chunksize : int
        Rows read at a time.
    engine : {"pandas", "dask"}
        ``"dask"`` parses blocks of ``blocksize`` bytes of each file (whole compressed files) as tasks of
        dask.dataframe, on the cluster of an active ``dask.distributed.Client`` or dask's default scheduler; the
        workers must see ``path``. The table is the same as with ``"pandas"``, rows in the same order.
    blocksize : int
        Bytes of a file per dask task (``engine="dask"`` only).

    Returns
    -------
    pandas.DataFrame
        Columns ``year`` (int), ``exporter``, ``importer`` (ISO3 strings, or ints without ``country_codes``),
        ``hs6`` (6-digit string; leading zeros restored), ``value_usd`` (US dollars, i.e. ``v`` x 1000) and
        ``quantity`` (tonnes; NaN where BACI has none).

    Raises
    ------
    ChipwarError
        For a missing column or a malformed value (naming the file, line and column), or a country code absent from
        ``country_codes``.
    """
    from .store import find_store

    store = find_store(path) if Path(path).is_dir() else None
    if store is not None:
        return _read_store(store, hs6)
    check_engine(engine)
    files = _baci_files(Path(path))
    wanted = None if hs6 is None else normalize_hs6(list(hs6)).astype(np.int64).to_numpy()
    if engine == "dask":
        table = _read_dask(files, wanted, chunksize, blocksize)
    else:
        table = _read_pandas(files, wanted, chunksize)
    for column in ("year", "exporter", "importer"):
        table[column] = table[column].astype(np.int64)
    if country_codes is not None:
        iso = _country_map(country_codes)
        for column in ("exporter", "importer"):
            unknown = ~table[column].isin(iso.index)
            if unknown.any():
                raise ChipwarError(
                    f"{files[0] if len(files) == 1 else path}: {column} code {int(table.loc[unknown, column].iloc[0])} "
                    "is not in the country codes "
                    "table; use the country_codes file of the same BACI release"
                )
            table[column] = table[column].map(iso).astype(object)
    return table
