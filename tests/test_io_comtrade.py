"""cw.io.read_comtrade on the real Comtrade downloads in ../shared/data and on malformed copies written here."""

from __future__ import annotations

import csv

import pytest

import chipwar as cw


def raw_rows(path):
    with open(path, encoding="latin-1", newline="") as fh:
        return list(csv.DictReader(fh))


def test_world_file_has_180_reporters_and_matches_primary_value(shared):
    path = shared("domain", "taiwan_ic_trade", "ic_exports_world_HS8542_raw.csv")
    t = cw.io.read_comtrade(path)
    raw = raw_rows(path)
    assert len(t) == len(raw) == 1686
    assert t["reporter"].nunique() == 180
    assert set(t["year"]) == set(range(2013, 2025))
    assert set(t["flow"]) == {"X"} and set(t["partner"]) == {"W00"} and set(t["month"]) == {0}
    assert t["value_usd"].sum() == pytest.approx(sum(float(r["primaryValue"]) for r in raw), rel=1e-12)


def test_china_2020_equals_the_raw_primary_value(shared):
    path = shared("domain", "taiwan_ic_trade", "ic_exports_comparison_uncomtrade_2013_2024.csv")
    t = cw.io.read_comtrade(path)
    raw = [r for r in raw_rows(path) if r["reporterISO"] == "CHN" and r["refYear"] == "2020"]
    assert len(raw) == 1
    value = t.query("reporter == 'CHN' and year == 2020")["value_usd"]
    assert value.tolist() == [float(raw[0]["primaryValue"])]
    assert value.item() == pytest.approx(116_989_200_000, rel=1e-3)
    assert sorted(t["reporter"].unique()) == ["CHN", "KOR", "USA"]


def test_monthly_file_parses_its_periods(shared):
    t = cw.io.read_comtrade(shared("domain", "taiwan_ic_trade", "ic_exports_world_HS8542_202501_202508_uncomtrade.csv"))
    assert sorted(t["period"].unique()) == [f"2025{m:02d}" for m in range(1, 9)]
    assert sorted(t["month"].unique()) == list(range(1, 9))
    assert set(t["year"]) == {2025} and set(t["freq"]) == {"M"}


HEADER = "refYear,period,reporterISO,reporterDesc,partnerISO,partnerDesc,flowCode,flowDesc,cmdCode,freqCode," \
         "classificationCode,primaryValue,fobvalue,cifvalue,netWgt,qty"


def test_malformed_comtrade_names_line_and_column(tmp_path):
    good = '"2020","2020","CHN","China","W00","World","X","Export","8542","A","H5","100.5","100.5",,"1",,\r\n'
    path = tmp_path / "c.csv"
    path.write_bytes((HEADER + "\r\n" + good + good.replace("100.5", "1e3x", 1)).encode("latin-1"))
    with pytest.raises(cw.ChipwarError, match=r"c\.csv, line 3, column 'primaryValue': '1e3x' is not a number"):
        cw.io.read_comtrade(path)
    path.write_bytes((HEADER + "\r\n" + good + good.replace('"2020","2020"', '"2020","2021"')).encode("latin-1"))
    with pytest.raises(cw.ChipwarError, match=r"line 3, column 'period': '2021' disagrees with refYear 2020"):
        cw.io.read_comtrade(path)
    path.write_bytes((HEADER + "\r\n" + good + good.replace(",,\r\n", ",,\"extra\"\r\n")).encode("latin-1"))
    with pytest.raises(cw.ChipwarError, match=r"line 3: malformed row"):
        cw.io.read_comtrade(path)
    path.write_bytes((HEADER + "\r\n").encode("latin-1"))
    with pytest.raises(cw.ChipwarError, match="no data rows"):
        cw.io.read_comtrade(path)
    # Latin-1 names survive
    path.write_bytes((HEADER + "\r\n" + good.replace("China", "Côte d'Ivoire")).encode("latin-1"))
    assert cw.io.read_comtrade(path)["reporter_name"].tolist() == ["Côte d'Ivoire"]
