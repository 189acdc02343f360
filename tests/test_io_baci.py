"""cw.io.read_baci on BACI files written here, with BACI's real country-code dictionary."""

from __future__ import annotations

import numpy as np
import pytest
from _baci_text import BACI

import chipwar as cw


def test_columns_units_and_restored_leading_zeros(tmp_path):
    path = tmp_path / "BACI_HS17_Y2021_V202201.csv"
    path.write_text(BACI)
    t = cw.io.read_baci(path, chunksize=2)
    assert list(t.columns) == ["year", "exporter", "importer", "hs6", "value_usd", "quantity"]
    assert t["hs6"].tolist() == ["854231", "010121", "848620", "853224"]
    assert t["value_usd"].tolist() == pytest.approx([1234567.0, 2500.0, 100000.0, 1.0])
    assert np.isnan(t["quantity"].iloc[1]) and np.isnan(t["quantity"].iloc[2])
    assert t["exporter"].tolist() == [156, 842, 490, 156]
    only = cw.io.read_baci(path, hs6=["8542.31", "848620"])
    assert only["hs6"].tolist() == ["854231", "848620"]


def test_iso_codes_from_the_baci_dictionary(tmp_path, shared):
    path = tmp_path / "baci.csv"
    path.write_text(BACI)
    t = cw.io.read_baci(path, country_codes=shared("domain", "baci_dictionaries", "country_codes.csv"))
    assert t["exporter"].tolist() == ["CHN", "USA", "TWN", "CHN"]
    assert t["importer"].tolist() == ["USA", "CHN", "CHN", "KOR"]


def test_malformed_baci_names_line_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BACI.replace("2.5,", "2,5x,", 1))
    with pytest.raises(cw.ChipwarError, match=r"bad\.csv, line 3: malformed row"):
        cw.io.read_baci(path)
    path.write_text(BACI.replace("100,", "lots,", 1))
    with pytest.raises(cw.ChipwarError, match=r"bad\.csv, line 4, column 'v': 'lots' is not a number"):
        cw.io.read_baci(path)
    path.write_text(BACI.replace("2021,156,410", "2021.5,156,410"))
    with pytest.raises(cw.ChipwarError, match=r"line 5, column 't': '2021.5' is not a whole number"):
        cw.io.read_baci(path)
    path.write_text(BACI.replace("848620", "84862A"))
    with pytest.raises(cw.ChipwarError, match=r"line 4, column 'k': '84862A' is not a number"):
        cw.io.read_baci(path)
    path.write_text(BACI.replace("848620", "848"))
    with pytest.raises(cw.ChipwarError, match=r"line 4, column 'k': '848' is not an HS6 code"):
        cw.io.read_baci(path)
    path.write_text(BACI.replace("t,i,j,k,v,q", "year,i,j,k,v,q"))
    with pytest.raises(cw.ChipwarError, match=r"line 1: column\(s\) \['t'\] missing"):
        cw.io.read_baci(path)
    path.write_text(BACI.replace("2021,156,842", "2021,999,842"))
    codes = tmp_path / "country_codes.csv"
    codes.write_text("country_code,iso_3digit_alpha\n156,CHN\n842,USA\n490,N/A\n410,KOR\n")
    with pytest.raises(cw.ChipwarError, match="exporter code 999 is not in the country codes"):
        cw.io.read_baci(path, country_codes=codes)
    with pytest.raises(cw.ChipwarError, match="no such BACI file"):
        cw.io.read_baci(tmp_path / "absent.csv")


def test_a_folder_of_yearly_files(tmp_path):
    (tmp_path / "BACI_HS17_Y2021_V202201.csv").write_text(BACI)
    (tmp_path / "BACI_HS17_Y2022_V202201.csv").write_text(BACI.replace("2021,", "2022,"))
    (tmp_path / "country_codes_V202201.csv").write_text("country_code,iso_3digit_alpha\n156,CHN\n")
    t = cw.io.read_baci(tmp_path, hs6=["854231"])
    assert t[["year", "exporter", "importer", "hs6"]].values.tolist() == [
        [2021, 156, 842, "854231"], [2022, 156, 842, "854231"],
    ]
    with pytest.raises(cw.ChipwarError, match="no BACI_"):
        (tmp_path / "empty").mkdir()
        cw.io.read_baci(tmp_path / "empty")
