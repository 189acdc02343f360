"""The study's inputs from a built store (``chipwar data build``) or from the real series bundled with chipwar.

A store gives the PatentsView panel (section b), BACI flows (c; else its Comtrade rows) and its NCSES tables (a);
what it lacks is read from the raw files at the paths of ``[data.files]`` as without a store (NCSES, Comtrade, the
fab list of section d, which no fetched source provides).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from .. import io
from ..data import bundled
from ..data._manifest import describe
from ..io.store import Store, baci_flows, read_dataset
from .inputs import (
    Inputs,
    fab_panel,
    ncses_panel,
    patentsview_patents,
    reporter_exports,
)

NCSES_TABLES = {"ncses_semiconductor": "10557", "ncses_total": "10551"}

_SECTIONS_ELSEWHERE = (
    "Sections (b) (PatentsView), (c) (BACI or UN Comtrade) and (d) (a fab list) need files chipwar does not ship: "
    "`chipwar data fetch patentsview baci --dir DIR`, `chipwar data build --dir DIR`, then "
    "`chipwar study --data DIR` (a fab list in Wikipedia's columns at DIR/fabs/fab_list.csv runs section d)."
)


def _table_id(relative: str) -> str:
    """``ncses/10557/data.csv`` or ``ncses/10557.csv`` -> ``10557``."""
    path = Path(relative)
    return path.parent.name if path.name == "data.csv" else path.stem


def _store_summary(store: Store) -> dict:
    keys = ("built_at", "chipwar", "duckdb", "pyarrow", "memory_limit", "threads")
    return {
        "path": str(store.path),
        **{k: store.record.get(k) for k in keys},
        "datasets": {name: {"rows": d["rows"], "files": d["files"]} for name, d in store.record["datasets"].items()},
        "panels": store.record.get("panels", {}),
    }


def _store_sources(store: Store, datasets: list[str]) -> list[dict]:
    seen, out = set(), []
    for name in datasets:
        for source in store.record["datasets"][name]["sources"]:
            if source["path"] not in seen:
                seen.add(source["path"])
                out.append({**source, "dataset": name})
    return out


def from_store(config: dict, store: Store) -> Inputs:
    """The study's inputs from ``store`` (and the raw files beside it that the store lacks)."""
    root = Path(config["data"]["root"])
    listed = config["data"]["files"]
    inputs = Inputs(simulated=False, store=_store_summary(store), files={"store": store.path / "store.json"})
    used: list[str] = []
    if any(d.startswith("patentsview/") for d in store.datasets()):
        inputs.patents = patentsview_patents(store.path)  # a partial set of tables raises, naming what is missing
        used += [d for d in store.datasets() if d.startswith("patentsview/")]
    else:
        inputs.notes.append(
            f"The store {store.path} has no PatentsView tables: the event study over technology classes is skipped."
        )
    tables = {}
    for key, default_id in NCSES_TABLES.items():
        table_id = _table_id(listed[key]) if listed.get(key) else default_id
        raw = root / listed[key] if listed.get(key) else None
        if store.has(f"ncses/{table_id}"):
            tables[key] = read_dataset(store, f"ncses/{table_id}").drop(columns="table_id")
            used.append(f"ncses/{table_id}")
        elif raw is not None and raw.is_file():
            tables[key] = io.read_ncses(raw)
            inputs.files[key] = raw
    if "ncses_semiconductor" in tables:
        inputs.country_patents = ncses_panel(tables["ncses_semiconductor"], tables.get("ncses_total"))
    else:
        inputs.notes.append(
            "No NCSES semiconductor patent table (10557) in the store or at "
            f"{listed.get('ncses_semiconductor')}: the synthetic control is skipped."
        )
    raw_comtrade = root / listed["comtrade"] if listed.get("comtrade") else None
    if store.has("baci"):
        inputs.trade = baci_flows(store).assign(effect=np.nan)
        used.append("baci")
    elif store.has("comtrade"):
        inputs.reporter_exports = reporter_exports(read_dataset(store, "comtrade"))
        used.append("comtrade")
    elif raw_comtrade is not None and raw_comtrade.is_file():
        inputs.reporter_exports = reporter_exports(io.read_comtrade(raw_comtrade))
        inputs.files["comtrade"] = raw_comtrade
    else:
        inputs.notes.append(
            "No BACI or Comtrade data in the store or at data.files.comtrade: the trade section is skipped."
        )
    fabs = root / listed["fabs"] if listed.get("fabs") else None
    if fabs is not None and fabs.is_file():
        inputs.fabs = fab_panel(io.read_fabs(fabs), config["fabs"]["years"])
        inputs.files["fabs"] = fabs
    else:
        inputs.notes.append(
            f"No fab list at {fabs}: the fab-capacity section is skipped (no fetched source "
            "provides one; put a list in Wikipedia's columns there)."
        )
    inputs.sources = _store_sources(store, used) + [describe(root, p) for k, p in inputs.files.items() if k != "store"]
    return inputs


def _bundled_file(name: str) -> Path:
    return Path(str(resources.files("chipwar.data").joinpath("ncses", name)))


def from_bundled(config: dict) -> Inputs:
    """The real series bundled with chipwar: NCSES tables 10557 and 10551 (section a); the notes say what the
    other sections need."""
    index = bundled.ncses_index().set_index("table_id")
    inputs = Inputs(simulated=False)
    inputs.country_patents = ncses_panel(
        bundled.ncses_table("10557").drop(columns="table_id"), bundled.ncses_table("10551").drop(columns="table_id")
    )
    for key, table_id in NCSES_TABLES.items():
        path = _bundled_file(index.loc[table_id, "file"])
        inputs.files[f"bundled: NCSES {table_id}"] = path
        row = index.loc[table_id]
        inputs.sources.append(
            {
                "path": f"chipwar/data/ncses/{row['file']}",
                "bytes": path.stat().st_size,
                "sha256": describe(path.parent, path)["sha256"],
                "url": row["url"],
                "version": row["sources"],
                "converted_from_sha256": row["original_sha256"],
                "citation": row["citation"],
                "dataset": key,
            }
        )
    inputs.notes.append(
        "Bundled real data (`chipwar study --real`): NCSES Science and Engineering Indicators tables "
        "10557 (USPTO semiconductor patents by economy, 1998-2022) and 10551 (all USPTO patents by "
        "economy, 2000-22), US federal statistics shipped with chipwar; they cover section (a) only. "
        + _SECTIONS_ELSEWHERE
    )
    return inputs
