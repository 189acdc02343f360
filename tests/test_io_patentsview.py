"""cw.io.read_patentsview on PatentsView tables written here (.tsv and .tsv.zip, quoted fields)."""

from __future__ import annotations

import pandas as pd
import pytest
from _patentsview_tables import TABLES, write_tables

import chipwar as cw


def as_dict(panel: pd.DataFrame) -> dict:
    return {(r.country, r.cpc, r.year): r.patents for r in panel.itertuples()}


def test_fractional_counts_once_per_distinct_subclass_without_withdrawn(tmp_path):
    panel = cw.io.read_patentsview(write_tables(tmp_path), chunksize=2)
    assert list(panel.columns) == ["country", "cpc", "year", "patents"]
    expected = {
        ("CN", "G06N", 2019): 1 / 3,
        ("CN", "H01L", 2019): 1 / 3,
        ("CN", "H01L", 2020): 1 / 2,
        ("CN", "H10B", 2020): 1 / 2,
        ("JP", "G06N", 2019): 1.0,
        ("TW", "H01L", 2020): 1 / 2,
        ("TW", "H10B", 2020): 1 / 2,
        ("US", "G06N", 2019): 2 / 3,
        ("US", "H01L", 2019): 2 / 3,
    }
    got = as_dict(panel)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-12)
    # P1 and P2 count in two subclasses each, P4 in one; the withdrawn P3 in none
    assert panel["patents"].sum() == pytest.approx(5.0, abs=1e-12)


def test_zip_files_give_the_same_panel(tmp_path):
    plain = cw.io.read_patentsview(write_tables(tmp_path / "plain"))
    zipped = cw.io.read_patentsview(write_tables(tmp_path / "zipped", zipped=True), chunksize=3)
    pd.testing.assert_frame_equal(plain, zipped)


def test_levels_years_and_cpc_type(tmp_path):
    directory = write_tables(tmp_path)
    group = as_dict(cw.io.read_patentsview(directory, level="group"))
    assert group[("JP", "G06N20/00", 2019)] == pytest.approx(1.0)
    assert group[("JP", "G06N3/04", 2019)] == pytest.approx(1.0)
    assert group[("US", "H01L21/76", 2019)] == pytest.approx(2 / 3)
    section = cw.io.read_patentsview(directory, level="section")
    assert section["patents"].sum() == pytest.approx(4.0)  # P1 in G and H, P2 in H, P4 in G
    grant = as_dict(cw.io.read_patentsview(directory, year="grant"))
    assert grant[("US", "H01L", 2021)] == pytest.approx(2 / 3)
    assert grant[("JP", "G06N", 2020)] == pytest.approx(1.0)
    inventional = as_dict(cw.io.read_patentsview(directory, cpc_type="inventional"))
    assert ("US", "G06N", 2019) not in inventional  # P1's G06N code is additional
    assert inventional[("US", "H01L", 2019)] == pytest.approx(2 / 3)
    assert sum(inventional.values()) == pytest.approx(4.0)


def test_patent_without_inventors_is_reported(tmp_path):
    tables = dict(TABLES)
    header, rows = TABLES["g_inventor_disambiguated"]
    tables["g_inventor_disambiguated"] = (header, [r for r in rows if r[0] != "P4"])
    directory = write_tables(tmp_path, tables=tables)
    with pytest.warns(cw.ChipwarWarning, match="left out 1 patent"):
        panel = cw.io.read_patentsview(directory)
    assert panel["patents"].sum() == pytest.approx(4.0)


def test_inventor_without_known_country_keeps_its_share(tmp_path):
    tables = dict(TABLES)
    header, rows = TABLES["g_inventor_disambiguated"]
    tables["g_inventor_disambiguated"] = (header, [r if r[0] != "P4" else r[:-1] + ["L_UNKNOWN"] for r in rows])
    panel = cw.io.read_patentsview(write_tables(tmp_path, tables=tables))
    unknown = panel[panel["country"].isna()]
    assert unknown[["cpc", "year"]].values.tolist() == [["G06N", 2019]]
    assert unknown["patents"].tolist() == [1.0]
    assert panel["patents"].sum() == pytest.approx(5.0)


def test_malformed_tables_name_file_line_and_column(tmp_path):
    tables = dict(TABLES)
    header, rows = TABLES["g_application"]
    tables["g_application"] = (header, rows[:2] + [["A3", "P3", "16", "2019-13", "16", "0"]] + rows[3:])
    directory = write_tables(tmp_path / "baddate", tables=tables)
    with pytest.raises(cw.ChipwarError, match=r"g_application\.tsv, line 4, column 'filing_date': '2019-13'"):
        cw.io.read_patentsview(directory)

    directory = write_tables(tmp_path / "extra")
    with (directory / "g_patent.tsv").open("a", encoding="utf-8") as fh:
        fh.write('"P9"\t"utility"\t"2020-01-01"\t"t"\t"B1"\t"1"\t"0"\t"surplus"\n')
    with pytest.raises(cw.ChipwarError, match=r"g_patent\.tsv, line 6: malformed row"):
        cw.io.read_patentsview(directory)

    directory = write_tables(tmp_path / "missing")
    (directory / "g_cpc_current.tsv").unlink()
    with pytest.raises(cw.ChipwarError, match=r"g_cpc_current\.tsv \(or g_cpc_current\.tsv\.zip\) not found"):
        cw.io.read_patentsview(directory)

    tables = dict(TABLES)
    header, rows = TABLES["g_cpc_current"]
    tables["g_cpc_current"] = ([h if h != "cpc_type" else "type" for h in header], rows)
    directory = write_tables(tmp_path / "header", tables=tables)
    with pytest.raises(cw.ChipwarError, match=r"g_cpc_current\.tsv, line 1: column\(s\) \['cpc_type'\] missing"):
        cw.io.read_patentsview(directory)

    with pytest.raises(cw.ChipwarError, match="level must be"):
        cw.io.read_patentsview(tmp_path / "extra", level="main")
