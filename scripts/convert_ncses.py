"""Convert the NCSES Science and Engineering Indicators tables (US federal statistics, public domain) in
``../shared/data/domain/ncses/<id>/`` into chipwar's bundled tidy tables, ``python/chipwar/data/ncses/``.

Each table becomes ``<id>.csv`` with the columns of ``cw.io.read_ncses`` (region, path, year, value and the table's
group / measure / descriptor columns) and one row of ``index.csv``: title, table number, units, years, source,
citation, the NCSES page of the table and the SHA-256 of the file it was converted from. Tables without a time
dimension, tables that are lists rather than numbers and tables built from data licensed to NCSES (anything but
USPTO's PatentsView) are left out and listed in the index with the reason.

Usage: ``PYTHONPATH=python python scripts/convert_ncses.py [SOURCE_DIR]``
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd
from chipwar import ChipwarError, io
from chipwar.io.ncses import _title_years
from chipwar.data._download import sha256_file

LICENSED = ("PATSTAT", "EP Bibliographic", "European Patent Office", "IHS", "S&P")
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "python" / "chipwar" / "data" / "ncses"
CITATION = ("National Center for Science and Engineering Statistics (NCSES), National Science Foundation. Science and "
            "Engineering Indicators, table {number} (modal ID {id}): {title}. Data: {sources}")


def _readme(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    title = text.lstrip().splitlines()[0].lstrip("# ").strip()
    field = lambda key: (re.search(rf"\*\*{key}:\*\*\s*(.+)", text) or [None, ""])[1].strip()
    sources = re.search(r"## Sources\s+(.+?)\n\n", text, re.DOTALL)
    return {"title": title, "table_number": field("Table Number"), "units": field("Units").strip("()"),
            "sources": sources.group(1).strip().replace("\n", " ") if sources else ""}


def main(source: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    for folder in sorted(p for p in source.iterdir() if (p / "data.csv").is_file()):
        meta = _readme(folder / "README.md")
        entry = {"table_id": folder.name, **meta, "url": f"https://ncses.nsf.gov/indicators/data/table/{folder.name}",
                 "original_sha256": sha256_file(folder / "data.csv"), "first_year": None, "last_year": None,
                 "rows": 0, "file": "", "note": ""}
        entry["citation"] = CITATION.format(number=meta["table_number"], id=folder.name, title=meta["title"],
                                            sources=meta["sources"])
        try:  # the years of every long table, bundled or not: a fetched copy has no README to take them from
            entry["first_year"], entry["last_year"] = _title_years(folder / "data.csv")
        except ChipwarError:
            pass
        if "PatentsView" not in meta["sources"] or any(m in meta["sources"] for m in LICENSED):
            # the other tables rest on licensed data (S&P Global, EPO PATSTAT / EBD): their figures are published
            # by NCSES, but chipwar ships only the tables built from USPTO's public-domain PatentsView
            entry["note"] = "not bundled: built from data licensed to NCSES (see sources), not only PatentsView"
            rows.append(entry)
            continue
        try:
            table = io.read_ncses(folder / "data.csv")
        except ChipwarError as err:
            entry["note"] = f"not bundled: {err}".replace(str(folder), folder.name)
            rows.append(entry)
            continue
        years = table["year"].dropna()
        if years.empty:
            entry["note"] = "not bundled: no time dimension"
            rows.append(entry)
            continue
        table.insert(0, "table_id", folder.name)
        table.to_csv(OUT / f"{folder.name}.csv", index=False, float_format="%.10g")
        entry.update(first_year=int(years.min()), last_year=int(years.max()), rows=len(table),
                     file=f"{folder.name}.csv")
        rows.append(entry)
    pd.DataFrame(rows).astype({"first_year": "Int64", "last_year": "Int64"}).to_csv(OUT / "index.csv", index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "domain" / "ncses")
