"""Firm panels from PatentsView: patents, claims and forward citations by assignee x year and assignee x CPC x year.

The tables are read through a *table source*, anything with ``chunks(table, columns)`` yielding ``(frame,
first_line)`` of text columns and ``has(table)``: :class:`RawFiles` reads the bulk ``g_*.tsv[.zip]`` files in chunks
(the readers of :mod:`chipwar.io`), :class:`FrameSource` serves DataFrames already in memory, and a Parquet or
DuckDB store plugs in the same way.

Counting (documented, and tested against a brute-force count): a patent counts once for each of its assignees
(full counting), in its filing year (``g_application``) or grant year; ``claims`` sums ``num_claims``;
``citations`` counts the US patents citing it (rows of ``g_us_patent_citation`` whose ``citation_patent_id`` is the
patent; NaN when that table is absent). Withdrawn patents are left out. At the CPC level a patent counts once per
distinct code at ``level``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import ChipwarError
from ..io import _patentsview_rows as rows
from ..io._tabular import DEFAULT_CHUNKSIZE, iter_chunks, numbers, years_from_dates

TABLES = {
    "g_patent": ["patent_id", "patent_date", "num_claims", "withdrawn"],
    "g_application": ["patent_id", "filing_date"],
    "g_assignee_disambiguated": ["patent_id", "assignee_id", "disambig_assignee_organization", "location_id"],
    "g_location_disambiguated": ["location_id", "disambig_country"],
    "g_cpc_current": ["patent_id", "cpc_subclass"],
    "g_us_patent_citation": ["patent_id", "citation_patent_id"],
}
REQUIRED = ("g_patent", "g_assignee_disambiguated", "g_cpc_current")


class RawFiles:
    """PatentsView bulk files ``<table>.tsv`` or ``<table>.tsv.zip`` in one folder, read in chunks."""

    def __init__(self, directory: str | Path, chunksize: int = DEFAULT_CHUNKSIZE) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise ChipwarError(
                f"{self.directory}: not a folder; pass the folder of the PatentsView g_*.tsv(.zip) files"
            )
        self.chunksize = chunksize

    def path(self, table: str) -> Path | None:
        for suffix in (".tsv", ".tsv.zip"):
            candidate = self.directory / f"{table}{suffix}"
            if candidate.is_file():
                return candidate
        return None

    def has(self, table: str) -> bool:
        return self.path(table) is not None

    def label(self, table: str) -> Path:
        return self.path(table) or self.directory / f"{table}.tsv"

    def chunks(self, table: str, columns: list[str]) -> Iterator[tuple[pd.DataFrame, int]]:
        return iter_chunks(self.label(table), columns, sep=rows.SEP, chunksize=self.chunksize, fmt=rows.FMT)


class FrameSource:
    """PatentsView tables held as DataFrames (name -> frame), e.g. from a store or a test fixture."""

    def __init__(self, tables: dict[str, pd.DataFrame]) -> None:
        self.tables = tables

    def has(self, table: str) -> bool:
        return table in self.tables

    def label(self, table: str) -> Path:
        return Path(f"<{table}>")

    def chunks(self, table: str, columns: list[str]) -> Iterator[tuple[pd.DataFrame, int]]:
        frame = self.tables[table]
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ChipwarError(f"table {table}: column(s) {missing} missing (found {list(frame.columns)[:12]})")
        yield frame[columns].astype(object).where(frame[columns].notna(), "").astype(str), 2


@dataclass
class FirmPatents:
    """The patents of a set of assignees: ``assignees`` (``assignee_id, assignee, country``), ``links`` (one row per
    assignee x patent: ``assignee_id, patent_id, year, claims, citations``) and ``codes`` (distinct ``patent_id,
    cpc``)."""

    assignees: pd.DataFrame
    links: pd.DataFrame
    codes: pd.DataFrame


def _countries(source) -> pd.Series:
    if not source.has("g_location_disambiguated"):
        return pd.Series(dtype=object)
    parts = [
        rows.location_rows(c, source.label("g_location_disambiguated"), line)
        for c, line in source.chunks("g_location_disambiguated", TABLES["g_location_disambiguated"])
    ]
    table = pd.concat(parts) if parts else pd.DataFrame({"location_id": [], "country": []})
    return table.drop_duplicates("location_id").set_index("location_id")["country"]


def firm_patents(source, country: str | None = None, assignee_ids=None, year: str = "filing") -> FirmPatents:
    """Read the patents of organisation assignees from a table source.

    Parameters
    ----------
    source : RawFiles, FrameSource or any table source (see the module docstring); a folder path is read as
        :class:`RawFiles`.
    country : str, optional
        Keep assignees located in this country (ISO 2-letter code of ``g_location_disambiguated``), e.g. ``"CN"``.
    assignee_ids : iterable, optional
        Keep only these assignees.
    year : {"filing", "grant"}

    Returns
    -------
    FirmPatents

    Raises
    ------
    ChipwarError
        For a missing table or column, or a malformed value (file, line and column named).
    """
    if isinstance(source, str | Path):
        source = RawFiles(source)
    if year not in ("filing", "grant"):
        raise ChipwarError(f"year must be 'filing' or 'grant', got {year!r}")
    needed = [
        *REQUIRED,
        *(["g_application"] if year == "filing" else []),
        *(["g_location_disambiguated"] if country else []),
    ]
    absent = [t for t in needed if not source.has(t)]
    if absent:
        raise ChipwarError(
            f"PatentsView table(s) {absent} not found ({source.label(absent[0])}); they are needed for firm panels"
        )
    country_of = _countries(source)
    wanted = None if assignee_ids is None else pd.Index(pd.unique(np.asarray(list(assignee_ids), dtype=object)))
    parts = []
    for chunk, _ in source.chunks("g_assignee_disambiguated", TABLES["g_assignee_disambiguated"]):
        org = chunk["disambig_assignee_organization"].str.strip()
        keep = (org != "") & (chunk["assignee_id"] != "")
        if wanted is not None:
            keep &= chunk["assignee_id"].isin(wanted)
        loc_country = chunk["location_id"].map(country_of)
        if country is not None:
            keep &= loc_country.eq(country).fillna(False).astype(bool)
        parts.append(
            pd.DataFrame(
                {
                    "assignee_id": chunk["assignee_id"][keep],
                    "patent_id": chunk["patent_id"][keep],
                    "assignee": org[keep],
                    "country": loc_country[keep],
                }
            )
        )
    linked = pd.concat(parts, ignore_index=True).drop_duplicates(["assignee_id", "patent_id"])
    patents = pd.Index(pd.unique(linked["patent_id"].to_numpy(dtype=object)))

    grants = []
    label = source.label("g_patent")
    for chunk, line in source.chunks("g_patent", TABLES["g_patent"]):
        inside = chunk["patent_id"].isin(patents).to_numpy()
        withdrawn = numbers(chunk, "withdrawn", label, line, integer=True) == 1
        claims = numbers(chunk, "num_claims", label, line, integer=True)
        grant_year = years_from_dates(chunk, "patent_date", label, line)
        keep = inside & ~withdrawn
        grants.append(
            pd.DataFrame(
                {
                    "patent_id": chunk["patent_id"].to_numpy(dtype=object)[keep],
                    "grant_year": grant_year[keep],
                    "claims": claims[keep],
                }
            )
        )
    grants = pd.concat(grants, ignore_index=True)
    if grants["patent_id"].duplicated().any():
        raise rows.duplicate_patent_error(label, grants.loc[grants["patent_id"].duplicated(), "patent_id"].iloc[0])
    grants = grants.set_index("patent_id")
    if year == "filing":
        filed = pd.Series(np.nan, index=grants.index)
        for chunk, line in source.chunks("g_application", TABLES["g_application"]):
            f = rows.filing_rows(chunk, source.label("g_application"), line)
            f = f[f["patent_id"].isin(grants.index)]
            filed.loc[f["patent_id"].to_numpy()] = f["year"].to_numpy()
        grants["year"] = filed
    else:
        grants["year"] = grants["grant_year"]
    if source.has("g_us_patent_citation"):
        cited = pd.Series(0.0, index=grants.index)
        for chunk, _ in source.chunks("g_us_patent_citation", TABLES["g_us_patent_citation"]):
            hits = chunk["citation_patent_id"][chunk["citation_patent_id"].isin(grants.index)].value_counts()
            cited = cited.add(hits.astype(float), fill_value=0.0)
        grants["citations"] = cited.reindex(grants.index)
    else:
        grants["citations"] = np.nan
    codes = []
    for chunk, _line in source.chunks("g_cpc_current", TABLES["g_cpc_current"]):
        keep = chunk["patent_id"].isin(grants.index) & (chunk["cpc_subclass"] != "")
        codes.append(pd.DataFrame({"patent_id": chunk["patent_id"][keep], "cpc": chunk["cpc_subclass"][keep]}))
    codes = pd.concat(codes, ignore_index=True).drop_duplicates().reset_index(drop=True)

    links = linked.merge(grants[["year", "claims", "citations"]], left_on="patent_id", right_index=True, how="inner")
    links = links[links["year"].notna()]
    links["year"] = links["year"].astype(np.int64)
    assignees = (
        linked.drop_duplicates("assignee_id")[["assignee_id", "assignee", "country"]]
        .sort_values("assignee_id")
        .reset_index(drop=True)
    )
    return FirmPatents(
        assignees=assignees,
        links=links[["assignee_id", "patent_id", "year", "claims", "citations"]]
        .sort_values(["assignee_id", "patent_id"])
        .reset_index(drop=True),
        codes=codes.sort_values(["patent_id", "cpc"]).reset_index(drop=True),
    )


def firm_panel(
    patents: FirmPatents, by: str = "year", years: tuple[int, int] | None = None, fill: bool = True
) -> pd.DataFrame:
    """Patents, claims and citations by assignee x year (``by="year"``) or assignee x CPC x year (``by="cpc"``).

    Parameters
    ----------
    patents : FirmPatents
        From :func:`firm_patents`.
    by : {"year", "cpc"}
    years : (first, last), optional
        Keep these years; with ``fill`` every assignee (x CPC code it ever patented in) gets every year, zeros where
        it had no patent (the zeros Poisson models need).
    fill : bool

    Returns
    -------
    pandas.DataFrame
        ``assignee_id`` (, ``cpc``), ``year``, ``patents``, ``claims``, ``citations`` (NaN without citation table).
    """
    if by not in ("year", "cpc"):
        raise ChipwarError(f"by must be 'year' or 'cpc', got {by!r}")
    links = patents.links
    if by == "cpc":
        links = links.merge(patents.codes, on="patent_id", how="inner")
    keys = ["assignee_id", *(["cpc"] if by == "cpc" else []), "year"]
    if years is not None:
        links = links[links["year"].between(*years)]
    has_citations = links["citations"].notna().any() or patents.links["citations"].notna().any()
    panel = (
        links.groupby(keys, sort=True)
        .agg(patents=("patent_id", "size"), claims=("claims", "sum"), citations=("citations", "sum"))
        .reset_index()
    )
    panel["patents"] = panel["patents"].astype(float)
    if fill:
        first, last = years if years is not None else (int(links["year"].min()), int(links["year"].max()))
        units = panel[keys[:-1]].drop_duplicates()
        grid = units.loc[units.index.repeat(last - first + 1)].reset_index(drop=True)
        grid["year"] = np.tile(np.arange(first, last + 1), len(units))
        panel = grid.merge(panel, on=keys, how="left").fillna({"patents": 0.0, "claims": 0.0, "citations": 0.0})
    if not has_citations:
        panel["citations"] = np.nan
    return panel.sort_values(keys).reset_index(drop=True)


def comparison_set(panel_cpc: pd.DataFrame, listed: pd.Series, pre_years: tuple[int, int], k: int = 5) -> pd.DataFrame:
    """The comparison firms: for each listed assignee, the ``k`` unlisted assignees of its main CPC class whose
    pre-listing patenting is closest.

    The rule: an assignee's *main class* is the CPC subclass with most of its patents in ``pre_years`` (ties: the
    first in code order); its *size* is log(1 + mean yearly patents in that class) over ``pre_years``. For each
    listed assignee with pre-period patents, the unlisted assignees with the same main class are ranked by the
    distance of their size to its size (ties: by id), and the ``k`` nearest are taken; the comparison set is their
    union (an assignee may serve several listed firms). Listed assignees without pre-period patents have no match.

    Parameters
    ----------
    panel_cpc : DataFrame
        :func:`firm_panel` (``by="cpc"``) of the candidate assignees (listed and unlisted; typically Chinese).
    listed : Series
        Listed assignee ids.
    pre_years : (first, last)
    k : int

    Returns
    -------
    pandas.DataFrame
        ``assignee_id``, ``main_cpc``, ``pre_size``, ``listed`` (bool), ``matched_to`` (listed ids it was chosen
        for, comma-separated; empty for listed firms).
    """
    if k < 1:
        raise ChipwarError(f"k must be at least 1, got {k!r}")
    pre = panel_cpc[panel_cpc["year"].between(*pre_years)]
    by_class = pre.groupby(["assignee_id", "cpc"])["patents"].sum().reset_index()
    by_class = by_class[by_class["patents"] > 0].sort_values(
        ["assignee_id", "patents", "cpc"], ascending=[True, False, True]
    )
    main = by_class.drop_duplicates("assignee_id").set_index("assignee_id")["cpc"]
    n_years = pre_years[1] - pre_years[0] + 1
    top = by_class.drop_duplicates("assignee_id").set_index("assignee_id")["patents"]
    size = np.log1p(top / n_years)
    info = pd.DataFrame({"main_cpc": main, "pre_size": size.reindex(main.index)})
    is_listed = info.index.isin(pd.Index(listed))
    pool = info[~is_listed].reset_index().sort_values("assignee_id")
    chosen: dict[str, list[str]] = {}
    for firm, row in info[is_listed].sort_index().iterrows():
        same = pool[pool["main_cpc"] == row["main_cpc"]]
        if same.empty:
            continue
        order = same.assign(distance=(same["pre_size"] - row["pre_size"]).abs()).sort_values(
            ["distance", "assignee_id"], kind="stable"
        )
        for candidate in order["assignee_id"].head(k):
            chosen.setdefault(candidate, []).append(str(firm))
    out = info[is_listed].assign(listed=True, matched_to="")
    comparison = info.loc[list(chosen)].assign(listed=False, matched_to=[", ".join(v) for v in chosen.values()])
    result = pd.concat([out, comparison]).rename_axis("assignee_id").reset_index()
    return result.sort_values(["listed", "assignee_id"], ascending=[False, True]).reset_index(drop=True)
