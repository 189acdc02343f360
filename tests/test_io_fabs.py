"""cw.io.read_fabs on fab lists in Wikipedia's columns written here."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import chipwar as cw

HEADER = ["Company", "Plant name", "Plant location", "Plant cost (US$ bn)", "Started production", "Wafer size (mm)",
          "Process technology node (nm)", "Production capacity (wafers/month)", "Technology / products"]
ROWS = [
    ["TSMC", "Fab 18", "Tainan, Taiwan", "17", "2020", "300", "5, 3", "120,000[12]", "Foundry"],
    ["SMIC", "SN1", "Shanghai, China", "", "2019[3]", "200, 300", "14", "35000", "Foundry"],
    ["Old Co", "Fab 1", "Dresden, Saxony, Germany", "?", "Q4 1999", "150", "350", "10,000", "Analog"],
    ["New Co", "Fab X", "Ohio, United States", "20", "TBD", "300", "", "", "Logic"],
]


def write(path, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def test_one_row_per_fab_with_200mm_equivalents(tmp_path):
    fabs = cw.io.read_fabs(write(tmp_path / "fabs.csv", ROWS))
    assert fabs["country"].tolist() == ["Taiwan", "China", "Germany", "United States"]
    assert fabs["capacity_wpm"].tolist()[:3] == [120000, 35000, 10000]
    assert fabs["wafer_size_mm"].tolist() == [300, 300, 150, 300]
    assert fabs["node_nm"].tolist()[:3] == [3, 14, 350]
    assert fabs["start_year"].tolist()[:3] == [2020, 2019, 1999]
    # 300 mm wafers have 2.25 times the area of 200 mm wafers; 150 mm have 0.5625 times
    assert fabs["capacity_200mm"].tolist()[:3] == pytest.approx([270000, 78750, 5625])
    assert np.isnan(fabs["cost_usd_bn"].iloc[1]) and np.isnan(fabs["start_year"].iloc[3])
    assert np.isnan(fabs["capacity_200mm"].iloc[3])


def test_malformed_fab_list_names_line_and_column(tmp_path):
    rows = [list(r) for r in ROWS]
    rows[2][7] = "lots"
    with pytest.raises(
        cw.ChipwarError, match=r"fabs\.csv, line 4, column 'Production capacity \(wafers/month\)': 'lots' has no number"
    ):
        cw.io.read_fabs(write(tmp_path / "fabs.csv", rows))
    with pytest.raises(cw.ChipwarError, match=r"line 1: column\(s\) \['Plant location', "):
        path = tmp_path / "short.csv"
        path.write_text("Company,Plant name\nA,B\n")
        cw.io.read_fabs(path)


def test_a_column_without_any_number_is_all_missing(tmp_path):
    rows = [[*row[:3], "", *row[4:]] for row in ROWS[:3]]
    fabs = cw.io.read_fabs(write(tmp_path / "fabs.csv", rows))
    assert fabs["cost_usd_bn"].isna().all()
    assert fabs["capacity_wpm"].tolist() == [120000, 35000, 10000]
