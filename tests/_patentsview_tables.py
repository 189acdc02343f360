"""PatentsView grant tables for the loader tests, written to a folder as .tsv or .tsv.zip (quoted fields)."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

TABLES = {
    "g_patent": (
        ["patent_id", "patent_type", "patent_date", "patent_title", "wipo_kind", "num_claims", "withdrawn"],
        [
            ["P1", "utility", "2021-05-04", 'A "quoted"\ttitle with a tab', "B2", "12", "0"],
            ["P2", "utility", "2022-01-01", "Memory cell", "B1", "3", "0"],
            ["P3", "utility", "2020-07-07", "Withdrawn device", "B1", "5", "1"],
            ["P4", "utility", "2020-02-02", "Learning machine", "B2", "20", "0"],
        ],
    ),
    "g_application": (
        ["application_id", "patent_id", "patent_application_type", "filing_date", "series_code", "rule_47_flag"],
        [
            ["A1", "P1", "16", "2019-03-01", "16", "0"],
            ["A2", "P2", "16", "2020-01-10", "16", "0"],
            ["A3", "P3", "16", "2019-01-01", "16", "0"],
            ["A4", "P4", "16", "2019-06-01", "16", "0"],
        ],
    ),
    "g_cpc_current": (
        ["patent_id", "cpc_sequence", "cpc_section", "cpc_class", "cpc_subclass", "cpc_group", "cpc_type"],
        [
            ["P1", "0", "H", "H01", "H01L", "H01L21/02", "inventional"],
            ["P1", "1", "H", "H01", "H01L", "H01L21/76", "additional"],
            ["P1", "2", "G", "G06", "G06N", "G06N3/08", "additional"],
            ["P2", "0", "H", "H10", "H10B", "H10B41/35", "inventional"],
            ["P2", "1", "H", "H01", "H01L", "H01L21/02", "inventional"],
            ["P3", "0", "H", "H01", "H01L", "H01L21/02", "inventional"],
            ["P4", "0", "G", "G06", "G06N", "G06N20/00", "inventional"],
            ["P4", "1", "G", "G06", "G06N", "G06N3/04", "inventional"],
        ],
    ),
    "g_inventor_disambiguated": (
        ["patent_id", "inventor_sequence", "inventor_id", "disambig_inventor_name_first",
         "disambig_inventor_name_last", "gender_code", "location_id"],
        [
            ["P1", "0", "i1", "Ann", "Lee", "F", "L_US1"],
            ["P1", "1", "i2", "Bo", "Wu", "M", "L_US2"],
            ["P1", "2", "i3", "Chen", "Li", "M", "L_CN"],
            ["P2", "0", "i3", "Chen", "Li", "M", "L_CN"],
            ["P2", "1", "i4", "Dai", "Lin", "F", "L_TW"],
            ["P3", "0", "i3", "Chen", "Li", "M", "L_CN"],
            ["P4", "0", "i5", "Eri", "Sato", "F", "L_JP"],
        ],
    ),
    "g_location_disambiguated": (
        ["location_id", "disambig_city", "disambig_state", "disambig_country", "latitude", "longitude"],
        [
            ["L_US1", "Austin", "TX", "US", "30.3", "-97.7"],
            ["L_US2", "Boise", "ID", "US", "43.6", "-116.2"],
            ["L_CN", "Wuhan", "", "CN", "30.6", "114.3"],
            ["L_TW", "Hsinchu", "", "TW", "24.8", "121.0"],
            ["L_JP", "Kyoto", "", "JP", "35.0", "135.8"],
        ],
    ),
}


def write_tables(directory: Path, zipped: bool = False, tables: dict = TABLES) -> Path:
    """Write ``tables`` (name -> (header, rows)) into ``directory`` as quoted TSV, zipped if asked; return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in tables.items():
        tsv = directory / f"{name}.tsv"
        with tsv.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, delimiter="\t", quoting=csv.QUOTE_ALL, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        if zipped:
            with zipfile.ZipFile(directory / f"{name}.tsv.zip", "w", zipfile.ZIP_DEFLATED) as zf:
                zf.write(tsv, arcname=tsv.name)
            tsv.unlink()
    return directory
