"""``chipwar data build``: the raw files of a data folder into the Parquet store, and the panels built from it with
DuckDB. Text is read by DuckDB's streaming CSV reader and written straight to Parquet; joins and sorts run under
DuckDB's ``memory_limit`` and spill to disk beyond it, so the peak memory does not grow with the input."""

from __future__ import annotations

import datetime as _dt
import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from .. import codes, io
from .._errors import ChipwarError
from .._version import __version__
from ..io import store as _store
from ..io._patentsview_rows import columns as _patentsview_columns
from ..io._store_panels import PanelBuilder, check_dates
from ._manifest import describe, read_manifest

PATENTSVIEW_TABLES = (
    "g_patent",
    "g_application",
    "g_cpc_current",
    "g_inventor_disambiguated",
    "g_location_disambiguated",
    "g_assignee_disambiguated",
)
_ASSIGNEE_COLUMNS = ["patent_id", "assignee_id", "location_id"]


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class _Builder:
    """State of one build: the data folder, its manifest, the store folder, the DuckDB connection, the record."""

    def __init__(self, directory: Path, out: Path, memory_limit: str, threads: int | None):
        self.directory, self.out = directory, out
        self.manifest = read_manifest(directory)
        out.mkdir(parents=True, exist_ok=True)
        self.con = _store.connect(out, memory_limit, threads)
        self.tmp = out / ".tmp"
        self.record: dict[str, Any] = {
            "format": _store.FORMAT_VERSION,
            "memory_limit": memory_limit,
            "threads": int(self.con.execute("SELECT current_setting('threads')").fetchall()[0][0]),
            "datasets": {},
            "panels": {},
        }

    def source(self, path: Path) -> dict:
        """A raw file's provenance: path, size, SHA-256, and URL / version / retrieval time when it was fetched."""
        return describe(self.directory, path, self.manifest)

    def copy(
        self,
        select: str,
        target: Path,
        sources: list[dict],
        keep_order: bool = False,
        partition_by: str | None = None,
        pattern: str | None = None,
    ) -> None:
        """Write ``select`` to Parquet at ``target`` with the sources in its metadata."""
        target.parent.mkdir(parents=True, exist_ok=True)
        options = [
            "FORMAT parquet",
            "COMPRESSION zstd",
            'KV_METADATA {"chipwar.sources": ' + _sql_text(json.dumps(sources)) + "}",
        ]
        if partition_by:
            options += [
                f"PARTITION_BY ({partition_by})",
                "OVERWRITE_OR_IGNORE true",
                f"FILENAME_PATTERN {_sql_text(pattern or 'part_{i}')}",
            ]
        # file order is kept only where it means something (g_application's last filing row wins)
        self.con.execute(f"SET preserve_insertion_order = {'true' if keep_order else 'false'}")
        try:
            self.con.execute(f"COPY ({select}) TO {_sql_text(str(target))} ({', '.join(options)})")
        finally:
            self.con.execute("SET preserve_insertion_order = false")

    def add_dataset(self, name: str, files: list[Path], sources: list[dict]) -> None:
        rel = [f.relative_to(self.out).as_posix() for f in files]
        globs = ", ".join(_sql_text(str(f)) for f in files)
        rows = self.con.execute(f"SELECT count(*) FROM read_parquet([{globs}])").fetchall()[0][0] if files else 0
        described = self.con.execute(f"DESCRIBE SELECT * FROM read_parquet([{globs}])").fetchall() if files else []
        self.record["datasets"][name] = {
            "files": rel,
            "rows": int(rows),
            "columns": {c[0]: c[1] for c in described},
            "sources": sources,
        }

    @contextmanager
    def text_file(self, path: Path, member_suffix: str) -> Iterator[Path]:
        """``path`` itself, or its one member ending in ``member_suffix`` extracted to the store's temp folder."""
        if path.suffix.lower() != ".zip":
            yield path
            return
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith(member_suffix)]
            if len(members) != 1:
                raise ChipwarError(
                    f"{path}: expected one {member_suffix} file inside, found {members}; pass the "
                    "PatentsView zip as downloaded"
                )
            with tempfile.TemporaryDirectory(dir=self.tmp) as tmp:
                target = Path(tmp) / Path(members[0]).name
                with archive.open(members[0]) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 22)
                yield target


def _read_text(path: Path, sep: str) -> str:
    return (
        f"read_csv({_sql_text(str(path))}, delim = {_sql_text(sep)}, quote = '\"', escape = '\"', header = true, "
        "all_varchar = true, max_line_size = 33554432)"
    )


def _header(con, path: Path, sep: str) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {_read_text(path, sep)}").fetchall()]


def _patentsview_files(directory: Path) -> dict[str, Path]:
    found = {}
    for folder in (directory / "patentsview", directory):
        for table in PATENTSVIEW_TABLES:
            for suffix in (".tsv", ".tsv.zip"):
                if table not in found and (folder / f"{table}{suffix}").is_file():
                    found[table] = folder / f"{table}{suffix}"
    return found


def _build_patentsview(b: _Builder, files: dict[str, Path]) -> None:
    for table, path in files.items():
        needed = _ASSIGNEE_COLUMNS if table == "g_assignee_disambiguated" else _patentsview_columns(table)[0]
        if table == "g_cpc_current":
            needed = ["patent_id", "cpc_section", "cpc_class", "cpc_subclass", "cpc_group", "cpc_type"]
        source = b.source(path)
        target = b.out / "patentsview" / f"{table}.parquet"
        with b.text_file(path, ".tsv") as text:
            header = _header(b.con, text, "\t")
            missing = [c for c in needed if c not in header]
            if missing:
                raise ChipwarError(
                    f"{path}, line 1: column(s) {missing} missing from the header of PatentsView table "
                    f"{table} (found {header[:12]}); download the table again"
                )
            # row order matters where the counting reads it (a patent's last filing row, a location's first row)
            b.copy(
                f"SELECT * FROM {_read_text(text, chr(9))}",
                target,
                [source],
                keep_order=table in ("g_application", "g_location_disambiguated"),
            )
        b.add_dataset(f"patentsview/{table}", [target], [source])
    views = b.record["datasets"]
    for table in files:
        b.con.execute(
            f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet("
            f"{_sql_text(str(b.out / views['patentsview/' + table]['files'][0]))}, file_row_number = true)"
        )
    if "g_patent" in files:
        check_dates(b.con, "g_patent", "patent_date", str(files["g_patent"]))
    if "g_application" in files:
        check_dates(b.con, "g_application", "filing_date", str(files["g_application"]))


def _build_patent_panels(b: _Builder, files: dict[str, Path], levels, years) -> None:
    """Every panel asked for, each temporary table (codes of a level, owners' shares) made once for all of them."""
    owners = [
        by
        for by, table in (("country", "g_inventor_disambiguated"), ("assignee", "g_assignee_disambiguated"))
        if table in files
    ]
    needed = {"g_patent", "g_cpc_current", "g_location_disambiguated"}
    if not owners or not needed <= set(files):
        return
    years = [y for y in years if y == "grant" or "g_application" in files]
    sources = [b.record["datasets"][f"patentsview/{t}"]["sources"][0] for t in files]
    panels = PanelBuilder(b.con, filing="filing" in years)
    for level in levels:
        for by in owners:
            for year in years:
                select, counts = panels.select(level, year, None, by)
                name = _store.panel_name(by, level, year)
                target = b.out / f"{name}.parquet"
                b.copy(select, target, sources)
                rows = b.con.execute(f"SELECT count(*) FROM read_parquet({_sql_text(str(target))})").fetchall()[0][0]
                b.record["panels"][name] = {
                    "file": f"{name}.parquet",
                    "rows": int(rows),
                    "no_owner": counts.no_owner,
                    "no_year": counts.no_year,
                }


_BACI_CHECKS = (  # column, condition that makes a value bad, what it must be
    ("t", "try_cast(trim(t) AS INTEGER) IS NULL", "a year"),
    ("i", "try_cast(trim(i) AS INTEGER) IS NULL", "a country code"),
    ("j", "try_cast(trim(j) AS INTEGER) IS NULL", "a country code"),
    (
        "k",
        "try_cast(trim(k) AS INTEGER) IS NULL OR try_cast(trim(k) AS INTEGER) NOT BETWEEN 10000 AND 999999",
        "an HS6 code",
    ),
    ("v", "try_cast(trim(v) AS DOUBLE) IS NULL OR NOT isfinite(try_cast(trim(v) AS DOUBLE))", "a number"),
    (
        "q",
        "NOT (q IS NULL OR trim(q) IN ('', 'NA', 'N/A', 'NaN', 'nan')) AND try_cast(trim(q) AS DOUBLE) IS NULL",
        "a number",
    ),
)


def _baci_inputs(directory: Path) -> tuple[list[Path], list[Path]]:
    """BACI zips and loose yearly CSVs (in ``baci/`` or the folder itself)."""
    zips, csvs = [], []
    for folder in (directory / "baci", directory):
        zips += sorted(folder.glob("BACI_*.zip"))
        csvs += sorted(p for p in folder.glob("BACI_*_Y*.csv") if p.is_file())
    return zips, csvs


def _baci_error(b: _Builder, raw: str, label: str) -> ChipwarError:
    """The error for the first bad value of a BACI file (a second, slower scan, run only when the first found one)."""
    for column, bad, what in _BACI_CHECKS:
        found = b.con.execute(f"SELECT {column} FROM {raw} WHERE {bad} LIMIT 1").fetchall()
        if found:
            return ChipwarError(
                f"{label}, column {column!r}: {found[0][0]!r} is not {what}; correct or remove that row"
            )
    unknown = b.con.execute(
        f"SELECT code FROM (SELECT trim(i)::INTEGER AS code FROM {raw} UNION SELECT trim(j)::INTEGER FROM {raw}) "
        "WHERE code NOT IN (SELECT code FROM baci_iso) LIMIT 1"
    ).fetchall()
    return ChipwarError(
        f"{label}: country code {unknown[0][0] if unknown else '?'} is not in the country codes "
        "table; use the country_codes file of the same BACI release"
    )


def _build_baci_file(b: _Builder, text: Path, label: str, source: dict) -> None:
    """One BACI CSV into the year partitions in one scan; values that do not parse become NULL (NaN for a quantity
    that is neither missing nor a number), which a check of the written columns then finds."""
    header = _header(b.con, text, ",")
    missing = [c for c in "tijkvq" if c not in header]
    if missing:
        raise ChipwarError(f"{label}, line 1: column(s) {missing} missing; a BACI file has t, i, j, k, v, q")
    raw = _read_text(text, ",")
    product = "try_cast(trim(k) AS INTEGER)"
    select = f"""
        SELECT coalesce(try_cast(trim(t) AS INTEGER), -1) AS year, try_cast(trim(i) AS INTEGER) AS exporter,
               try_cast(trim(j) AS INTEGER) AS importer, e.iso3 AS exporter_iso3, m.iso3 AS importer_iso3,
               CASE WHEN {product} BETWEEN 10000 AND 999999 THEN lpad({product}::VARCHAR, 6, '0') END AS hs6,
               try_cast(trim(v) AS DOUBLE) * 1000.0 AS value_usd,
               CASE WHEN q IS NULL OR trim(q) IN ('', 'NA', 'N/A', 'NaN', 'nan') THEN NULL
                    ELSE coalesce(try_cast(trim(q) AS DOUBLE), 'nan'::DOUBLE) END AS quantity
        FROM {raw} r LEFT JOIN baci_iso e ON try_cast(trim(r.i) AS INTEGER) = e.code
                     LEFT JOIN baci_iso m ON try_cast(trim(r.j) AS INTEGER) = m.code"""
    stem = Path(label).stem
    b.copy(select, b.out / "baci", [source], partition_by="year", pattern=stem + "_{i}")
    written = sorted((b.out / "baci").glob(f"year=*/{stem}_*.parquet"))
    files = ", ".join(_sql_text(str(f)) for f in written)
    bad = b.con.execute(
        f"SELECT count(*) FROM read_parquet([{files}], hive_partitioning = true) WHERE year < 0 OR exporter IS NULL "
        "OR importer IS NULL OR exporter_iso3 IS NULL OR importer_iso3 IS NULL OR hs6 IS NULL OR value_usd IS NULL "
        "OR NOT isfinite(value_usd) OR isnan(quantity)"
    ).fetchall()[0][0]
    if bad:
        for f in written:
            f.unlink()
        raise _baci_error(b, raw, label)


def _country_table(b: _Builder, path: Path) -> None:
    iso = io.baci._country_map(path)
    b.con.register(
        "baci_iso_frame", pd.DataFrame({"code": iso.index.astype("int64"), "iso3": iso.to_numpy(dtype=object)})
    )
    b.con.execute(
        "CREATE OR REPLACE TEMP TABLE baci_iso AS SELECT code::INTEGER AS code, iso3::VARCHAR AS iso3 "
        "FROM baci_iso_frame"
    )
    b.con.unregister("baci_iso_frame")


def _build_baci(b: _Builder, zips: list[Path], csvs: list[Path]) -> None:
    shutil.rmtree(b.out / "baci", ignore_errors=True)
    sources = []
    for archive_path in zips:
        source = b.source(archive_path)
        sources.append(source)
        with zipfile.ZipFile(archive_path) as archive:
            names = archive.namelist()
            country = [n for n in names if Path(n).name.lower().startswith("country_codes")]
            yearly = sorted(n for n in names if Path(n).name.startswith("BACI_") and n.lower().endswith(".csv"))
            if not country or not yearly:
                raise ChipwarError(
                    f"{archive_path}: expected BACI_*_Y<year>_V<release>.csv files and a country_codes "
                    f"file inside, found {names[:8]}; fetch the BACI release again"
                )
            with tempfile.TemporaryDirectory(dir=b.tmp) as tmp:
                for member in [country[0], *yearly]:
                    target = Path(tmp) / Path(member).name
                    with archive.open(member) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 22)
                    if member == country[0]:
                        _country_table(b, target)
                    else:
                        _build_baci_file(b, target, f"{archive_path}:{member}", source)
                        target.unlink()
    if csvs:
        folder = csvs[0].parent
        country_files = sorted(folder.glob("country_codes*.csv"))
        if not country_files:
            raise ChipwarError(
                f"{folder}: BACI files {csvs[0].name}... found but no country_codes_V<ver>.csv; put "
                "BACI's country codes file of the same release next to them"
            )
        _country_table(b, country_files[-1])
        sources.append(b.source(country_files[-1]))
        for path in csvs:
            source = b.source(path)
            sources.append(source)
            _build_baci_file(b, path, str(path), source)
    b.add_dataset("baci", sorted((b.out / "baci").glob("year=*/*.parquet")), sources)
    b.con.execute(
        f"CREATE OR REPLACE VIEW baci AS SELECT * FROM read_parquet("
        f"{_sql_text(str(b.out / 'baci'))} || '/**/*.parquet', hive_partitioning = true)"
    )


def _build_trade_panel(b: _Builder) -> None:
    from ..io._store_panels import baci_study_sql

    name = "panels/trade_study"
    target = b.out / f"{name}.parquet"
    b.copy(
        baci_study_sql(list(codes.controlled_hs6()) + list(codes.comparison_hs6())),
        target,
        b.record["datasets"]["baci"]["sources"],
    )
    rows = b.con.execute(f"SELECT count(*) FROM read_parquet({_sql_text(str(target))})").fetchall()[0][0]
    b.record["panels"][name] = {"file": f"{name}.parquet", "rows": int(rows)}


def _write_frame(b: _Builder, frame: pd.DataFrame, name: str, sources: list[dict]) -> None:
    target = b.out / f"{name}.parquet"
    b.con.register("frame_to_write", frame)
    try:
        b.copy("SELECT * FROM frame_to_write", target, sources, keep_order=True)
    finally:
        b.con.unregister("frame_to_write")
    b.add_dataset(name, [target], sources)


def _comtrade_rows(pages: list[Path], tmp: Path) -> pd.DataFrame:
    """Comtrade API pages (JSON) read with the CSV reader's checks: their records carry the CSV's field names."""
    records = [r for page in pages for r in json.loads(page.read_text(encoding="utf-8"))["data"]]
    if not records:
        raise ChipwarError(f"{pages[0].parent}: the Comtrade pages hold no rows; check the query in the sources file")
    with tempfile.TemporaryDirectory(dir=tmp) as folder:
        text = Path(folder) / "comtrade_pages.csv"
        pd.DataFrame.from_records(records).to_csv(text, index=False, encoding="latin-1", errors="replace")
        return io.read_comtrade(text)


def _build_comtrade(b: _Builder) -> None:
    folder = b.directory / "comtrade"
    pages, csvs = sorted(folder.glob("*.json")), sorted(folder.glob("*.csv"))
    if not pages and not csvs:
        return
    frames = [io.read_comtrade(p) for p in csvs]
    if pages:
        frames.append(_comtrade_rows(pages, b.tmp))
    _write_frame(b, pd.concat(frames, ignore_index=True), "comtrade/comtrade", [b.source(p) for p in csvs + pages])
    b.record["datasets"]["comtrade"] = b.record["datasets"].pop("comtrade/comtrade")


def _ncses_inputs(directory: Path) -> dict[str, tuple[Path, tuple[int, int] | None]]:
    """NCSES tables: ``ncses/<id>/data.csv`` (with README.md, the layout of the NCSES exports) or a fetched
    ``ncses/<id>.csv`` (its years from chipwar's bundled table index)."""
    from .bundled import ncses_index

    folder = directory / "ncses"
    found: dict[str, tuple[Path, tuple[int, int] | None]] = {
        p.parent.name: (p, None) for p in sorted(folder.glob("*/data.csv"))
    }
    index = ncses_index().set_index("table_id")
    for path in sorted(folder.glob("*.csv")):
        years = None
        if path.stem in index.index and pd.notna(index.loc[path.stem, "first_year"]):
            years = (int(index.loc[path.stem, "first_year"]), int(index.loc[path.stem, "last_year"]))
        found.setdefault(path.stem, (path, years))
    return found


def _build_ncses(b: _Builder) -> None:
    for table_id, (path, years) in _ncses_inputs(b.directory).items():
        frame = io.read_ncses(path, years=years).assign(table_id=table_id)
        _write_frame(b, frame, f"ncses/{table_id}", [b.source(path)])


def _build_csl(b: _Builder) -> None:
    path = b.directory / "csl" / "consolidated.csv"
    if not path.is_file():
        return
    source = b.source(path)
    target = b.out / "csl" / "consolidated.parquet"
    b.copy(f"SELECT * FROM {_read_text(path, ',')}", target, [source], keep_order=True)
    b.add_dataset("csl", [target], [source])


def build(
    dir: str | Path = "chipwar-data",
    out: str | Path | None = None,
    memory_limit: str = _store.DEFAULT_MEMORY_LIMIT,
    threads: int | None = None,
    levels: tuple[str, ...] = ("subclass",),
    years: tuple[str, ...] = ("filing", "grant"),
) -> _store.Store:
    """Build the Parquet store and the analysis panels from the raw files of a data folder.

    Reads what is there (as ``chipwar data fetch`` lays it out, or files arranged by hand): the PatentsView tables
    (``patentsview/g_*.tsv[.zip]`` or in the folder itself), BACI (``baci/BACI_*.zip`` as released, or yearly
    ``BACI_*_Y<year>_V<release>.csv`` with ``country_codes_V<release>.csv``), Comtrade (``comtrade/*.json`` API
    pages or ``*.csv`` downloads), NCSES tables (``ncses/<id>/data.csv`` or ``ncses/<id>.csv``) and the Consolidated
    Screening List (``csl/consolidated.csv``). The layout written is documented in :mod:`chipwar.io.store`.

    Parameters
    ----------
    dir : path
        The data folder.
    out : path, optional
        The store folder (default ``dir/store``); rebuilt datasets replace the old ones.
    memory_limit : str
        DuckDB's working-memory cap (``"4GB"``); beyond it joins and sorts spill to ``out/.tmp``. The process's peak
        is about this plus a few hundred MB (``benchmarks/RESULTS.md`` has the measurements).
    threads : int, optional
        DuckDB threads (default: every core).
    levels, years : tuple of str
        The CPC levels and year kinds (``"filing"``, ``"grant"``) of the patent panels built in advance; others are
        computed from the store when asked for (``cw.io.read_patentsview(store, level="group")``).

    Returns
    -------
    chipwar.io.store.Store

    Raises
    ------
    ChipwarError
        When the folder holds none of the sources, or a raw file is malformed (naming the file, column and value).

    Examples
    --------
    >>> import chipwar as cw
    >>> store = cw.data.build("chipwar-data")  # doctest: +SKIP
    >>> cw.io.read_patentsview(store.path).head()  # doctest: +SKIP
    """
    import duckdb
    import pyarrow

    directory = Path(dir)
    if not directory.is_dir():
        raise ChipwarError(f"{directory}: not a folder; pass the data folder that `chipwar data fetch` filled")
    b = _Builder(directory, Path(out) if out is not None else directory / _store.STORE_DIR, memory_limit, threads)
    try:
        patentsview = _patentsview_files(directory)
        zips, csvs = _baci_inputs(directory)
        if patentsview:
            _build_patentsview(b, patentsview)
            _build_patent_panels(b, patentsview, levels, years)
        if zips or csvs:
            _build_baci(b, zips, csvs)
            _build_trade_panel(b)
        _build_comtrade(b)
        _build_ncses(b)
        _build_csl(b)
    finally:
        b.con.close()
        shutil.rmtree(b.tmp, ignore_errors=True)
    if not b.record["datasets"]:
        raise ChipwarError(
            f"{directory}: no raw files of any source found (PatentsView g_*.tsv[.zip], BACI, Comtrade, "
            "NCSES, CSL); fetch them with `chipwar data fetch SOURCE --dir DIR`"
        )
    b.record.update(
        built_at=_dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        chipwar=__version__,
        duckdb=duckdb.__version__,
        pyarrow=pyarrow.__version__,
    )
    (b.out / _store.RECORD).write_text(json.dumps(b.record, indent=2) + "\n", encoding="utf-8")
    return _store.open_store(b.out)
