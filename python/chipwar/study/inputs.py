"""The study's input tables: from the bundled default world, or from real files in the public formats (via cw.io).

Either way the sections receive the same :class:`Inputs`; a table that a real folder cannot provide is None and its
section says so in the report instead of running.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import codes, datasets, entities, io
from .._errors import ChipwarError
from ..data._download import sha256_file as sha256  # noqa: F401 - the name provenance and tests use
from ..data._manifest import describe
from ..io.patentsview import _TABLES as _PATENTSVIEW
from . import truth as _truth


@dataclass
class Inputs:
    """Everything the sections read.

    Attributes
    ----------
    simulated : bool
        True for the default world (estimates can be checked against the truth).
    patents : DataFrame or None
        ``country, cpc, year, patents, effect``: counts by economy x CPC subclass (default world: ISO3 economies;
        PatentsView: ISO2 inventor countries, ``effect`` NaN).
    country_patents : DataFrame or None
        ``unit, year, semiconductor, total, semiconductor_cf, total_cf``: semiconductor and all patents by economy;
        ``*_cf`` are the counterfactual counts without the injected effects (equal to the observed for real data;
        ``total`` is NaN when no total table is given).
    trade : DataFrame or None
        ``year, exporter, importer, hs6, value_usd, effect``: bilateral trade (default world, or BACI with zero
        flows restored and ``effect`` NaN).
    reporter_exports : DataFrame or None
        ``unit, year, value_usd``: exports to the world by reporter (real UN Comtrade data, when there is no BACI).
    fabs : DataFrame or None
        ``unit, year, additions_200mm, additions_cf``: capacity added per economy and year.
    firms : DataFrame or None
        ``assignee_id, year, patents, claims, citations, effect``: Chinese assignees' patents by year (section e;
        ``effect`` the injected log effect, NaN for real data).
    firm_cpc : DataFrame or None
        ``assignee_id, cpc, year, patents``: the same by CPC subclass (for the comparison set).
    firm_assignees : DataFrame or None
        ``assignee_id, assignee``: the names to match to the listings.
    firm_listings : DataFrame or None
        The listings the names are matched to (default world: its simulated Entity List).
    firm_crosswalk : DataFrame or None
        Accepted rows of a reviewed crosswalk (:func:`chipwar.entities.read_crosswalk`); None: the matcher decides.
    files : dict
        Name -> path of every input file read (hashed into the provenance file).
    notes : list of str
        What the inputs could not provide.
    sources : list of dict
        The raw public files behind the inputs: path, bytes, SHA-256 and, where known, URL, source version and
        retrieval time (from a data folder's manifest, a store's build record or the bundled tables' index).
    store : dict or None
        The build record of the store read (``chipwar data build``), None when no store was read.
    """

    simulated: bool
    patents: pd.DataFrame | None = None
    country_patents: pd.DataFrame | None = None
    trade: pd.DataFrame | None = None
    reporter_exports: pd.DataFrame | None = None
    fabs: pd.DataFrame | None = None
    firms: pd.DataFrame | None = None
    firm_cpc: pd.DataFrame | None = None
    firm_assignees: pd.DataFrame | None = None
    firm_listings: pd.DataFrame | None = None
    firm_crosswalk: pd.DataFrame | None = None
    files: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    store: dict | None = None


def _country_panel(patents: pd.DataFrame) -> pd.DataFrame:
    """Semiconductor (H01L, H10) and all patents by economy and year, observed and counterfactual."""
    semis = codes.is_semiconductor_cpc(patents["cpc"])
    frame = pd.DataFrame(
        {
            "unit": patents["country"],
            "year": patents["year"],
            "semiconductor": np.where(semis, patents["patents"], 0.0),
            "total": patents["patents"].astype(float),
        }
    )
    cf = _truth.counterfactual(patents["patents"], patents["effect"])
    frame["semiconductor_cf"] = np.where(semis, cf, 0.0)
    frame["total_cf"] = cf
    return frame.groupby(["unit", "year"], as_index=False).sum()


def from_default() -> Inputs:
    """The default world (SIMULATED), with each row's injected log effect in ``effect``."""
    world = datasets.load_default()
    patents = world.patents.drop(columns="simulated")
    patents["effect"] = _truth.log_effect(patents, world.truth, "patents")
    trade = world.trade.drop(columns="simulated")
    trade["effect"] = _truth.log_effect(trade, world.truth, "trade")
    fabs = world.fabs.rename(columns={"economy": "unit"})
    effect = _truth.log_effect(world.fabs, world.truth, "fab_capacity")
    fabs = pd.DataFrame(
        {
            "unit": fabs["unit"],
            "year": fabs["year"],
            "additions_200mm": fabs["additions_200mm"],
            "additions_cf": _truth.counterfactual(fabs["additions_200mm"], effect),
        }
    )
    firm_cpc = world.firms.drop(columns="simulated")
    firm_cpc["effect"] = _truth.log_effect(firm_cpc, world.firm_truth, "firm_patents")
    # one effect per firm-year: the same in each of its classes
    firms = firm_cpc.groupby(["assignee_id", "year"], as_index=False).agg(
        patents=("patents", "sum"), claims=("claims", "sum"), citations=("citations", "sum"), effect=("effect", "max")
    )
    return Inputs(
        simulated=True,
        patents=patents,
        country_patents=_country_panel(patents),
        trade=trade,
        fabs=fabs,
        firms=firms,
        firm_cpc=firm_cpc,
        firm_assignees=world.firm_assignees[["assignee_id", "assignee"]],
        firm_listings=world.firm_listings,
        files={f"default world: {name}": path for name, path in world.paths.items()},
    )


def _leaf_regions(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of economies, not aggregates: a region path that prefixes another path (World, Asia, EU-27) is a sum."""
    paths = pd.Series(table["path"].unique())
    parents = set(paths.str.rsplit(" -> ", n=1).str[0])
    return table[~table["path"].isin(parents) & ~table["region"].str.contains("Other|Unclassified|<sup>")]


def ncses_panel(semis_table: pd.DataFrame, total_table: pd.DataFrame | None) -> pd.DataFrame:
    """``country_patents`` from NCSES tables as :func:`chipwar.io.read_ncses` gives them (10557 semiconductor
    patents, 10551 all patents by economy): economies only, not the regional sums."""
    semis = _leaf_regions(semis_table).dropna(subset=["year"])
    frame = semis[["region", "year", "value"]].rename(columns={"region": "unit", "value": "semiconductor"})
    if total_table is not None:
        total = _leaf_regions(total_table).dropna(subset=["year"])
        total = total[["region", "year", "value"]].rename(columns={"region": "unit", "value": "total"})
        frame = frame.merge(total, on=["unit", "year"], how="left")
    else:
        frame["total"] = np.nan
    frame["year"] = frame["year"].astype(int)
    frame["semiconductor_cf"], frame["total_cf"] = frame["semiconductor"], frame["total"]
    return frame.reset_index(drop=True)


def fab_panel(fab_list: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Capacity added per country and year (200 mm equivalents) from a fab list; years without a new fab add 0."""
    fab_list = fab_list.dropna(subset=["start_year", "capacity_200mm", "country"])
    added = fab_list.groupby(["country", fab_list["start_year"].astype(int)])["capacity_200mm"].sum()
    grid = pd.MultiIndex.from_product(
        [sorted(fab_list["country"].unique()), range(years[0], years[1] + 1)], names=["unit", "year"]
    )
    added.index.names = ["unit", "year"]
    frame = added.reindex(grid, fill_value=0.0).rename("additions_200mm").reset_index()
    frame["additions_cf"] = frame["additions_200mm"]
    return frame


FOLDERS = ("patentsview", "baci")
"""Keys of ``[data.files]`` that name folders of several files rather than one file."""


def _patentsview_tables(folder: Path) -> dict[str, Path]:
    """The PatentsView tables present in ``folder`` (``.tsv`` or ``.tsv.zip``), by table name."""
    found = {}
    for name in _PATENTSVIEW:
        for suffix in (".tsv", ".tsv.zip"):
            if (folder / f"{name}{suffix}").is_file():
                found[name] = folder / f"{name}{suffix}"
                break
    return found


def _baci_trade(folder: Path, files: list[Path]) -> pd.DataFrame:
    """Bilateral trade in the study's controlled and comparison codes from BACI yearly files, ISO3 country codes,
    with the zero flows BACI leaves out restored: every exporter x importer x product traded in some year gets a row
    (value 0) in the years it was not traded, as PPML needs."""
    country_files = sorted(folder.glob("country_codes*.csv"))
    if not country_files:
        raise ChipwarError(
            f"{folder}: BACI files {files[0].name}... found but no country_codes_V<ver>.csv; put BACI's "
            "country codes file of the same release next to them (it turns numeric codes into ISO3)"
        )
    wanted = list(codes.controlled_hs6()) + list(codes.comparison_hs6())
    trade = pd.concat([io.read_baci(f, country_codes=country_files[-1], hs6=wanted) for f in files], ignore_index=True)
    keys = ["exporter", "importer", "hs6"]
    flows = trade.groupby(keys + ["year"])["value_usd"].sum()
    triples = flows.index.droplevel("year").unique()
    years = np.sort(trade["year"].unique())
    grid = pd.MultiIndex.from_arrays(
        [np.repeat(triples.get_level_values(k).to_numpy(), len(years)) for k in keys] + [np.tile(years, len(triples))],
        names=keys + ["year"],
    )
    full = flows.reindex(grid, fill_value=0.0).reset_index()
    full["effect"] = np.nan  # unknown on real data
    return full[["year", "exporter", "importer", "hs6", "value_usd", "effect"]]


def patentsview_patents(folder: Path) -> pd.DataFrame:
    """Patents by inventor country (ISO2), CPC subclass and filing year, from PatentsView tables or a store;
    ``effect`` is NaN (unknown)."""
    patents = io.read_patentsview(folder, level="subclass", year="filing")
    patents = patents.dropna(subset=["country", "cpc", "year"])
    return patents[["country", "cpc", "year", "patents"]].assign(effect=np.nan).reset_index(drop=True)


def _firm_inputs(inputs: Inputs, source: entities.RawFiles, config: dict, crosswalk: Path | None) -> None:
    """Section (e)'s tables from PatentsView's assignee tables: Chinese organisation assignees (assignee location
    CN), their patents by year and CPC subclass, and the curated listings (entries still on the list)."""
    cfg = config["firms"]
    patents = entities.firm_patents(source, country=cfg["country_patentsview"], year="filing")
    inputs.firms = entities.firm_panel(patents, by="year", years=tuple(cfg["years"])).assign(effect=np.nan)
    inputs.firm_cpc = entities.firm_panel(patents, by="cpc", years=tuple(cfg["years"]), fill=False)
    inputs.firm_assignees = patents.assignees[["assignee_id", "assignee"]]
    listings = entities.table()
    inputs.firm_listings = listings[listings["date_removed"].isna()].reset_index(drop=True)
    if crosswalk is not None:
        inputs.firm_crosswalk = entities.read_crosswalk(crosswalk)
        inputs.files["entity_crosswalk"] = crosswalk
    for table in (*entities.panels.REQUIRED, "g_application", "g_location_disambiguated", "g_us_patent_citation"):
        if source.has(table):
            inputs.files[f"patentsview: {table}"] = source.label(table)


def reporter_exports(trade: pd.DataFrame) -> pd.DataFrame:
    """Yearly exports to the world by reporter, from Comtrade rows (``cw.io.read_comtrade``)."""
    trade = trade[(trade["flow"] == "X") & (trade["partner"] == "W00") & (trade["freq"] == "A")]
    return trade.groupby(["reporter", "year"], as_index=False)["value_usd"].sum().rename(columns={"reporter": "unit"})


def from_files(config: dict) -> Inputs:
    """Real files under ``config["data"]["root"]`` at the paths of ``config["data"]["files"]``.

    The folders ``patentsview`` and ``baci`` are read when they hold the PatentsView grant tables or BACI yearly
    files (``BACI_*.csv``); BACI replaces the Comtrade file when both are present.

    Raises
    ------
    ChipwarError
        When none of the listed files exists (nothing to study), naming the paths looked for; when a folder holds
        only some of the PatentsView tables or BACI files without their country codes file.
    """
    root = Path(config["data"]["root"])
    listed = config["data"]["files"]
    wanted = {name: root / rel for name, rel in listed.items() if rel and name not in FOLDERS + ("entity_crosswalk",)}
    found = {name: path for name, path in wanted.items() if path.is_file()}
    folders = {name: root / listed[name] for name in FOLDERS if listed.get(name)}
    patentsview = _patentsview_tables(folders["patentsview"]) if "patentsview" in folders else {}
    baci = sorted(folders["baci"].glob("BACI_*.csv*")) if "baci" in folders else []
    firm_folder = folders.get("patentsview")
    has_firms = (
        firm_folder is not None
        and firm_folder.is_dir()
        and entities.RawFiles(firm_folder).has("g_assignee_disambiguated")
    )
    if not found and not patentsview and not baci and not has_firms:
        looked = ", ".join(f"{name} = {str(path)!r}" for name, path in wanted.items())
        raise ChipwarError(
            f"no input file found under {str(root)!r}: looked for {looked}, PatentsView tables "
            f"({', '.join(_PATENTSVIEW)}) and BACI_*.csv files; put the files there or set [data.files] "
            "in the study file"
        )
    inputs = Inputs(simulated=False, files=dict(found))
    inputs.files.update({f"patentsview: {name}": path for name, path in patentsview.items()})
    inputs.files.update({f"baci: {path.name}": path for path in baci})
    for name, path in wanted.items():
        if name not in found and not (name == "comtrade" and baci):
            inputs.notes.append(f"`{name}` file {path} is absent: the analyses that need it are skipped.")
    if "ncses_semiconductor" in found:
        total = found.get("ncses_total")
        inputs.country_patents = ncses_panel(
            io.read_ncses(found["ncses_semiconductor"]), None if total is None else io.read_ncses(total)
        )
    if patentsview and has_firms and "g_inventor_disambiguated" not in patentsview:
        # assignee tables without inventor tables: the firm section runs, the country x class one cannot
        inputs.notes.append(
            f"PatentsView inventor table g_inventor_disambiguated is absent from "
            f"{folders['patentsview']}: the event study over technology classes is skipped."
        )
    elif patentsview:
        # a partial set raises, naming the missing table
        inputs.patents = patentsview_patents(folders["patentsview"])
    elif "patentsview" in folders:
        inputs.notes.append(
            f"PatentsView grant tables ({', '.join(t + '.tsv' for t in _PATENTSVIEW)}, or .tsv.zip) "
            f"are absent from {folders['patentsview']}: the event study over technology classes is "
            "skipped."
        )
    if baci:
        inputs.trade = _baci_trade(folders["baci"], baci)
        if "comtrade" in found:
            del inputs.files["comtrade"]
            inputs.notes.append(
                f"Both BACI files and the Comtrade file {found['comtrade']} are present: the trade "
                "section uses BACI (bilateral, by HS6) and does not read the Comtrade file."
            )
    else:
        if "baci" in folders:
            inputs.notes.append(
                f"BACI yearly files (BACI_HS17_Y<year>_V<ver>.csv) are absent from {folders['baci']}: "
                "the gravity model by HS6 is skipped."
            )
        if "comtrade" in found:
            inputs.reporter_exports = reporter_exports(io.read_comtrade(found["comtrade"]))
    if "fabs" in found:
        inputs.fabs = fab_panel(io.read_fabs(found["fabs"]), config["fabs"]["years"])
    firm_source = entities.RawFiles(firm_folder) if has_firms and firm_folder is not None else None
    firm_tables = (*entities.panels.REQUIRED, "g_application", "g_location_disambiguated")
    if firm_source is not None and all(firm_source.has(t) for t in firm_tables):
        crosswalk = root / listed["entity_crosswalk"] if listed.get("entity_crosswalk") else None
        _firm_inputs(inputs, firm_source, config, crosswalk if crosswalk is not None and crosswalk.is_file() else None)
        if inputs.firm_crosswalk is None:
            inputs.notes.append(
                "No reviewed entity crosswalk (`entity_crosswalk` in [data.files]): section (e) uses "
                "the matcher's accepted candidates; review them with cw.entities.write_crosswalk."
            )
    inputs.sources = [describe(root, path) for path in inputs.files.values()]
    return inputs
