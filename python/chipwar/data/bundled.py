"""Real series shipped inside chipwar: the NCSES Science and Engineering Indicators patent tables (US federal
statistics, public domain), converted to tidy tables by ``scripts/convert_ncses.py`` with their source and citation.

They let ``chipwar study --real`` run on real data with nothing downloaded: section (a), China's semiconductor
patenting against other economies (tables 10557 and 10551).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

from .._errors import ChipwarError


def _open(name: str):
    return resources.files("chipwar.data").joinpath("ncses", name).open("r", encoding="utf-8")


@lru_cache(maxsize=1)
def _index() -> pd.DataFrame:
    with _open("index.csv") as fh:
        return pd.read_csv(
            fh, dtype={"table_id": str}, keep_default_na=False, na_values={"first_year": [""], "last_year": [""]}
        )


def ncses_index() -> pd.DataFrame:
    """The bundled NCSES tables, one row each.

    Returns
    -------
    pandas.DataFrame
        ``table_id``, ``title``, ``table_number``, ``units``, ``sources``, ``url`` (the table's NCSES page),
        ``original_sha256`` (of the NCSES file converted), ``first_year``, ``last_year``, ``rows``, ``file`` (empty
        when not bundled), ``note`` (why a table is not bundled) and ``citation``.

    Examples
    --------
    >>> from chipwar.data.bundled import ncses_index
    >>> ncses_index().set_index("table_id").loc["10557", "first_year"]
    np.float64(1998.0)
    """
    return _index().copy()


def ncses_table(table_id: str) -> pd.DataFrame:
    """A bundled NCSES table in the columns of :func:`chipwar.io.read_ncses` (plus ``table_id``).

    Examples
    --------
    >>> from chipwar.data.bundled import ncses_table
    >>> t = ncses_table("10557")
    >>> float(t.query("region == 'China' and year == 2022")["value"].iloc[0])
    2165.0
    """
    index = _index().set_index("table_id")
    if table_id not in index.index or not index.loc[table_id, "file"]:
        bundled = sorted(index.index[index["file"] != ""])
        raise ChipwarError(f"NCSES table {table_id!r} is not bundled with chipwar (bundled: {bundled})")
    with _open(index.loc[table_id, "file"]) as fh:
        table = pd.read_csv(
            fh,
            dtype={"table_id": str, "region": str, "path": str},
            keep_default_na=False,
            na_values={"value": [""], "year": [""]},
        )
    table["year"] = table["year"].astype("Int64")
    table["value"] = table["value"].astype("float64")
    for column in table.columns.difference(["table_id", "region", "path", "year", "value"]):
        table[column] = table[column].replace("", None)
    return table
