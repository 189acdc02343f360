"""The columnar store that ``chipwar data build`` writes, and how to read it. Other modules (``cw.io`` readers, the
study, ``cw.entities``) read the store through this module; the layout below is its contract.

Layout of a store (``<data dir>/store/``; every file is Parquet, compressed with zstd)::

    store.json                               the build record (below)
    patentsview/<table>.parquet              g_patent, g_application, g_cpc_current, g_inventor_disambiguated,
                                             g_location_disambiguated, g_assignee_disambiguated: every column of
                                             the PatentsView TSV as text (VARCHAR; blanks are NULL); g_application
                                             and g_location_disambiguated keep the file's row order (read them with
                                             ``file_row_number`` to recover it), the others need not
    baci/year=<YYYY>/<file>_<i>.parquet      CEPII BACI, hive-partitioned by year: year INT, exporter INT,
                                             importer INT (BACI numeric codes), exporter_iso3, importer_iso3
                                             VARCHAR (490 "Other Asia, nes" is TWN; groupings without an ISO code
                                             keep their number as text), hs6 VARCHAR (6 digits, leading zero
                                             restored), value_usd DOUBLE (v x 1000), quantity DOUBLE (tonnes;
                                             NULL where BACI has none)
    comtrade/comtrade.parquet                UN Comtrade rows in the columns of ``cw.io.read_comtrade``
    ncses/<table id>.parquet                 NCSES tables in the columns of ``cw.io.read_ncses`` (region, path,
                                             year, value, ...) plus table_id
    csl/consolidated.parquet                 the Consolidated Screening List CSV, every column as text
    panels/patents_country_<level>_<year>.parquet
                                             country, cpc, year BIGINT, patents DOUBLE (fractional by inventor)
    panels/patents_assignee_<level>_<year>.parquet
                                             assignee_id, organization, country, cpc, year, patents (fractional
                                             by assignee)
    panels/trade_study.parquet               year, exporter, importer (ISO3), hs6, value_usd: BACI flows of the
                                             study's controlled and comparison codes, zeros completed

``<level>`` is a CPC level (``subclass``, ``group``...) and ``<year>`` ``filing`` or ``grant``. Every Parquet file
carries in its key-value metadata ``chipwar.sources``: a JSON list of the raw files it was built from (path, SHA-256,
URL and source version from the data folder's manifest when the file was fetched).

``store.json``: ``format`` (1), ``built_at`` (UTC), ``chipwar``, ``duckdb`` and ``pyarrow`` versions,
``memory_limit``, ``threads``, ``datasets`` (name -> files, rows, columns, sources) and ``panels`` (name -> file,
rows, and the patents left out without inventors or years).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .._errors import ChipwarError, ChipwarWarning

STORE_DIR = "store"
RECORD = "store.json"
FORMAT_VERSION = 1
DEFAULT_MEMORY_LIMIT = "4GB"
"""DuckDB's working-memory cap: joins and sorts beyond it spill to ``<store>/.tmp``."""


def find_store(path: str | Path) -> Path | None:
    """The store at ``path`` (a store folder, or a data folder holding ``store/``), or None when there is none."""
    path = Path(path)
    for candidate in (path, path / STORE_DIR):
        if (candidate / RECORD).is_file():
            return candidate
    return None


@dataclass(frozen=True)
class Store:
    """A built store: its folder and build record.

    Examples
    --------
    >>> from chipwar.io.store import open_store
    >>> store = open_store("chipwar-data")  # doctest: +SKIP
    >>> store.datasets()  # doctest: +SKIP
    """

    path: Path
    record: dict

    def datasets(self) -> list[str]:
        return sorted(self.record.get("datasets", {}))

    def has(self, dataset: str) -> bool:
        return dataset in self.record.get("datasets", {})

    def file(self, relative: str) -> Path:
        return self.path / relative

    def connect(self, memory_limit: str | None = None, threads: int | None = None):
        """A DuckDB connection with the datasets present as views (``g_patent``..., ``baci``, ``comtrade``)."""
        con = connect(self.path, memory_limit or self.record.get("memory_limit", DEFAULT_MEMORY_LIMIT), threads)
        for name in self.record.get("datasets", {}):
            if name.startswith("patentsview/"):
                table = name.split("/", 1)[1]
                con.execute(
                    f"CREATE VIEW {table} AS SELECT * FROM "
                    f"read_parquet('{self.path / (name + '.parquet')}', file_row_number = true)"
                )
        if self.has("baci"):
            con.execute(
                f"CREATE VIEW baci AS SELECT * FROM read_parquet('{self.path / 'baci'}/**/*.parquet', "
                "hive_partitioning = true)"
            )
        return con


def connect(store_path: Path, memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int | None = None):
    """An in-memory DuckDB connection capped at ``memory_limit``, spilling to ``<store>/.tmp``."""
    try:
        import duckdb
    except ImportError as err:  # pragma: no cover - duckdb is a dependency of the data extra
        raise ChipwarError("the store needs duckdb and pyarrow: pip install chipwar[data]") from err
    con = duckdb.connect(":memory:")
    tmp = Path(store_path) / ".tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET threads = {int(threads or os.cpu_count() or 1)}")
    con.execute(f"SET temp_directory = '{tmp}'")
    con.execute("SET preserve_insertion_order = false")  # lets the big joins stream; panels sort explicitly
    con.execute("SET enable_progress_bar = false")  # DuckDB's own bar would write into logs and notebooks
    return con


def open_store(path: str | Path) -> Store:
    """The store at ``path`` (a store folder or a data folder holding ``store/``).

    Raises
    ------
    ChipwarError
        When there is no ``store.json`` there (the fix: ``chipwar data build --dir DIR``).
    """
    found = find_store(path)
    if found is None:
        raise ChipwarError(
            f"{path}: no chipwar store here (no store.json); build one with `chipwar data build --dir {path}`"
        )
    record = json.loads((found / RECORD).read_text(encoding="utf-8"))
    if record.get("format") != FORMAT_VERSION:
        raise ChipwarError(
            f"{found / RECORD}: store format {record.get('format')!r}, but this chipwar reads "
            f"{FORMAT_VERSION}; build the store again"
        )
    return Store(found, record)


def panel_name(by: str, level: str, year: str) -> str:
    return f"panels/patents_{by}_{level}_{year}"


def _warn_left_out(no_owner: int, no_year: int, year: str, owner: str, stacklevel: int) -> None:
    if no_owner or no_year:
        import warnings

        warnings.warn(
            f"read_patentsview left out {no_owner} patent(s) without {owner} and {no_year} without a {year} date",
            ChipwarWarning,
            stacklevel=stacklevel,
        )


def patent_panel(
    store: Store,
    level: str = "subclass",
    year: str = "filing",
    cpc_type: str | None = None,
    by: str = "country",
    stacklevel: int = 3,
) -> pd.DataFrame:
    """The patent panel from the store: the built one when it exists, else computed from the Parquet tables.

    Warns (ChipwarWarning) when patents were left out for want of inventors (assignees) or a year, as
    :func:`chipwar.io.read_patentsview` does.
    """
    from ._store_panels import patent_panel_sql

    owner = "inventors" if by == "country" else "assignees"
    built = store.record.get("panels", {}).get(panel_name(by, level, year))
    if built is not None and cpc_type is None:
        frame = pd.read_parquet(store.file(built["file"]))
        _warn_left_out(built["no_owner"], built["no_year"], year, owner, stacklevel + 1)
        return _tidy_patents(frame)
    needed = [
        "g_patent",
        "g_cpc_current",
        "g_location_disambiguated",
        "g_inventor_disambiguated" if by == "country" else "g_assignee_disambiguated",
    ]
    if year == "filing":
        needed.append("g_application")
    missing = [t for t in needed if not store.has(f"patentsview/{t}")]
    if missing:
        raise ChipwarError(
            f"{store.path}: the store has no PatentsView table(s) {missing}; fetch them "
            "(`chipwar data fetch patentsview`) and build the store again"
        )
    con = store.connect()
    try:
        select, counts = patent_panel_sql(con, level, year, cpc_type, by)
        frame = con.execute(select).df()
    finally:
        con.close()
    _warn_left_out(counts.no_owner, counts.no_year, year, owner, stacklevel + 1)
    return _tidy_patents(frame)


def _tidy_patents(frame: pd.DataFrame) -> pd.DataFrame:
    """Column types as the pandas reader gives them: text columns rebuilt from object arrays (so pandas infers the
    same text dtype, missing values NaN), int64 years, float64 counts."""
    out = pd.DataFrame({c: frame[c].to_numpy(dtype=object) for c in frame.columns if c not in ("year", "patents")})
    out["year"] = frame["year"].to_numpy(dtype="int64")
    out["patents"] = frame["patents"].to_numpy(dtype="float64")
    return out


def baci_flows(store: Store, hs6: list[str] | None = None, complete_zeros: bool = True) -> pd.DataFrame:
    """BACI flows (ISO3 codes) of ``hs6`` (default: the study's controlled and comparison codes), from the built
    panel when it is the study's, with zeros completed for every year of a traded triple when ``complete_zeros``."""
    from .. import codes
    from ._store_panels import baci_study_sql

    if not store.has("baci"):
        raise ChipwarError(
            f"{store.path}: the store has no BACI dataset; fetch it (`chipwar data fetch baci`) and "
            "build the store again"
        )
    study = list(codes.controlled_hs6()) + list(codes.comparison_hs6())
    wanted = study if hs6 is None else list(codes.normalize_hs6(list(hs6)))
    built = store.record.get("panels", {}).get("panels/trade_study")
    if built is not None and complete_zeros and sorted(wanted) == sorted(study):
        return pd.read_parquet(store.file(built["file"]))
    con = store.connect()
    try:
        return con.execute(baci_study_sql(wanted, complete_zeros)).df()
    finally:
        con.close()


def read_dataset(store: Store, name: str) -> pd.DataFrame:
    """A small dataset of the store (``comtrade``, ``ncses/10557``, ``csl``) as a DataFrame."""
    info = store.record.get("datasets", {}).get(name)
    if info is None:
        raise ChipwarError(f"{store.path}: the store has no dataset {name!r} (it has {store.datasets()})")
    frame = pd.concat([pd.read_parquet(store.file(f)) for f in info["files"]], ignore_index=True)
    if name.startswith("ncses/"):
        frame["year"] = frame["year"].astype("Int64")  # read_ncses's nullable years (Parquet keeps no pandas dtype)
    return frame
