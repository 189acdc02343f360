"""UN Comtrade CSV downloads (new API schema) to a tidy reporter x partner x flow x HS x period table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import ChipwarError
from ._tabular import DEFAULT_CHUNKSIZE, existing_file, iter_chunks, numbers

# Comtrade column -> tidy name; the text columns are kept as they are
_TEXT = {
    "reporterISO": "reporter",
    "partnerISO": "partner",
    "flowCode": "flow",
    "cmdCode": "hs",
    "period": "period",
    "freqCode": "freq",
    "reporterDesc": "reporter_name",
    "partnerDesc": "partner_name",
    "flowDesc": "flow_name",
    "classificationCode": "classification",
}
_NUMERIC = {
    "primaryValue": "value_usd",
    "fobvalue": "fob_usd",
    "cifvalue": "cif_usd",
    "netWgt": "net_weight_kg",
    "qty": "quantity",
}
_COLUMNS = ["refYear", *_TEXT, *_NUMERIC]


def read_comtrade(path: str | Path, encoding: str = "latin-1", chunksize: int = DEFAULT_CHUNKSIZE) -> pd.DataFrame:
    """Read a UN Comtrade CSV (annual or monthly; Latin-1; data rows may end with a trailing comma).

    Parameters
    ----------
    path : str or Path
        A CSV in the Comtrade API schema (``typeCode, freqCode, refPeriodId, refYear, ... primaryValue, ...``), or a
        store built by ``chipwar data build`` (a folder with ``store.json`` or holding ``store/``), whose Comtrade
        dataset (API pages and CSVs, read with these same checks when the store was built) is returned.
    encoding : str
        Text encoding; Comtrade downloads are Latin-1.
    chunksize : int
        Rows read at a time.

    Returns
    -------
    pandas.DataFrame
        Columns ``reporter``, ``partner`` (ISO3; ``W00`` is the world), ``flow`` (``X`` exports, ``M`` imports, ...),
        ``hs`` (commodity code as text), ``year`` (int), ``period`` (``"2020"`` or ``"202501"``), ``month`` (1-12,
        0 for annual rows), ``value_usd`` (``primaryValue``), ``fob_usd``, ``cif_usd``, ``net_weight_kg``,
        ``quantity``, ``freq`` (``A`` / ``M``), ``reporter_name``, ``partner_name``, ``flow_name``, ``classification``.

    Raises
    ------
    ChipwarError
        For missing columns or malformed rows, naming the file, line and column.
    """
    from .store import find_store, open_store, read_dataset

    store = find_store(path) if Path(path).is_dir() else None
    if store is not None:
        return read_dataset(open_store(store), "comtrade")
    path = existing_file(path, "Comtrade")
    parts = []
    for chunk, line in iter_chunks(
        path, _COLUMNS, encoding=encoding, chunksize=chunksize, fmt="UN Comtrade", numeric=["refYear", *_NUMERIC]
    ):
        part = pd.DataFrame({tidy: chunk[raw].str.strip().to_numpy(dtype=object) for raw, tidy in _TEXT.items()})
        part["year"] = numbers(chunk, "refYear", path, line, integer=True, allow_missing=False)
        for raw, tidy in _NUMERIC.items():
            part[tidy] = numbers(chunk, raw, path, line, allow_missing=raw != "primaryValue")
        period = part["period"].astype(str)
        bad = ~period.str.fullmatch(r"\d{4}(\d{2})?").to_numpy(dtype=bool)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ChipwarError(f"{path}, line {line + i}, column 'period': {period.iloc[i]!r} is not YYYY or YYYYMM")
        month = pd.to_numeric(period.str.slice(4, 6).replace("", "0")).to_numpy(dtype=np.int64)
        mismatch = (period.str.slice(0, 4).astype(int).to_numpy() != part["year"].to_numpy()) | (month > 12)
        if mismatch.any():
            i = int(np.flatnonzero(mismatch)[0])
            raise ChipwarError(
                f"{path}, line {line + i}, column 'period': {period.iloc[i]!r} disagrees with refYear "
                f"{int(part['year'].iloc[i])} or has no valid month"
            )
        part["month"] = month
        parts.append(part)
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if table.empty:
        raise ChipwarError(f"{path}: the file has a header but no data rows")
    table["year"] = table["year"].astype(np.int64)
    first = ["reporter", "partner", "flow", "hs", "year", "period", "month", "value_usd"]
    return table[first + [c for c in table.columns if c not in first]]
