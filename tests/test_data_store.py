"""``cw.data.build``: the Parquet store and its DuckDB panels give the same panels as the chunked pandas readers
(fixtures, a random PatentsView world, hand-counted numbers), record their raw files' hashes, and refuse malformed
files naming the file and the column; the held-in real files of ../shared/data/domain go through the store
unchanged."""

from __future__ import annotations

import csv
import json
import warnings
import zipfile

import chipwar as cw
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from _baci_text import BACI
from _patentsview_tables import TABLES, write_tables
from chipwar.data._manifest import ManifestEntry, record
from chipwar.io.store import baci_flows, open_store, patent_panel
from chipwar.study import inputs as study_inputs

ASSIGNEES = (["patent_id", "assignee_sequence", "assignee_id", "disambig_assignee_individual_name_first",
              "disambig_assignee_individual_name_last", "disambig_assignee_organization", "assignee_type",
              "location_id"],
             [["P1", "0", "a1", "", "", "Acme Semiconductor", "2", "L_US1"],
              ["P1", "1", "a2", "", "", "Wuhan Chips", "3", "L_CN"],
              ["P2", "0", "a2", "", "", "Wuhan Chips", "3", "L_CN"],
              ["P4", "0", "a3", "Eri", "Sato", "", "4", "L_JP"]])


def _tables_with_gaps() -> dict:
    """The loader fixture plus the cases the counting rules decide: a patent without inventors (P5), a blank
    filing date (P6), a patent filed twice (P2: the last row wins), a location listed twice (the first wins), an
    inventor at an unknown location (country missing) and a CPC row without a subclass."""
    tables = {name: (header, [list(r) for r in rows]) for name, (header, rows) in TABLES.items()}
    tables["g_patent"][1].extend([["P5", "utility", "2021-01-01", "No inventor", "B1", "1", "0"],
                                  ["P6", "utility", "2022-03-03", "No filing date", "B1", "1", ""]])
    tables["g_application"][1].extend([["A5", "P5", "16", "2018-01-01", "16", "0"],
                                       ["A6", "P6", "16", "", "16", "0"],
                                       ["A2b", "P2", "16", "2018-05-05", "16", "0"]])
    tables["g_cpc_current"][1].extend([["P5", "0", "H", "H01", "H01L", "H01L21/02", "inventional"],
                                       ["P6", "0", "H", "H01", "H01L", "H01L21/02", "inventional"],
                                       ["P6", "1", "H", "H01", "", "", "additional"]])
    tables["g_inventor_disambiguated"][1].extend([["P6", "0", "i9", "Zed", "Q", "M", "L_NOWHERE"],
                                                  ["P4", "1", "i8", "Yo", "R", "F", ""]])
    tables["g_location_disambiguated"][1].append(["L_CN", "Shanghai", "", "XX", "31.2", "121.5"])
    tables["g_assignee_disambiguated"] = ASSIGNEES
    return tables


def _pandas_panel(folder, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        panel = cw.io.read_patentsview(folder, **kw)
    return panel, [str(w.message) for w in caught]


@pytest.fixture(scope="module")
def gaps_store(tmp_path_factory):
    data = tmp_path_factory.mktemp("pv")
    tables = _tables_with_gaps()
    write_tables(data / "patentsview", zipped=True, tables={k: tables[k] for k in ("g_cpc_current", "g_patent")})
    write_tables(data / "patentsview", tables={k: v for k, v in tables.items() if k not in ("g_cpc_current", "g_patent")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cw.ChipwarWarning)
        store = cw.data.build(data)
    return data, store


@pytest.mark.parametrize("level", ["section", "class", "subclass", "group"])
@pytest.mark.parametrize("year", ["filing", "grant"])
@pytest.mark.parametrize("cpc_type", [None, "inventional"])
def test_store_panels_equal_the_pandas_reader(gaps_store, level, year, cpc_type):
    data, _ = gaps_store
    expected, expected_warnings = _pandas_panel(data / "patentsview", level=level, year=year, cpc_type=cpc_type)
    got, got_warnings = _pandas_panel(data, level=level, year=year, cpc_type=cpc_type)  # the data folder's store
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-13)
    assert got_warnings == expected_warnings and len(expected_warnings) == 1


def test_hand_counted_shares_and_left_out_patents(gaps_store):
    _, store = gaps_store
    with pytest.warns(cw.ChipwarWarning, match=r"left out 1 patent\(s\) without inventors and 1 without a filing"):
        panel = patent_panel(store, "subclass", "filing").set_index(["country", "cpc", "year"])["patents"]
    # P1 (filed 2019): inventors US, US, CN; P2 filed twice, the later row (2018) wins: inventors CN, TW
    assert panel[("US", "H01L", 2019)] == pytest.approx(2 / 3, rel=1e-15)
    assert panel[("CN", "H01L", 2019)] == pytest.approx(1 / 3, rel=1e-15)
    assert panel[("CN", "H10B", 2018)] == pytest.approx(1 / 2, rel=1e-15)
    # P4 (2019): one inventor in Japan, one at a blank location, whose country is missing
    missing = panel.reset_index().query("country.isna()")
    assert missing[["cpc", "year", "patents"]].values.tolist() == [["G06N", 2019, 0.5]]


def test_assignee_panel_is_fractional_by_assignee(gaps_store):
    _, store = gaps_store
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cw.ChipwarWarning)
        panel = patent_panel(store, "subclass", "grant", by="assignee")
    rows = {(r.assignee_id, r.cpc, r.year): (r.organization, r.country, r.patents) for r in panel.itertuples()}
    assert rows[("a1", "H01L", 2021)] == ("Acme Semiconductor", "US", 0.5)
    assert rows[("a2", "H01L", 2021)] == ("Wuhan Chips", "CN", 0.5)
    assert rows[("a2", "H10B", 2022)] == ("Wuhan Chips", "CN", 1.0)
    assert rows[("a3", "G06N", 2020)] == ("Eri Sato", "JP", 1.0)
    assert len(rows) == 7  # P1: two classes x two assignees; P2: two classes; P4: one class


def test_store_records_the_raw_files_and_their_hashes(gaps_store):
    data, store = gaps_store
    assert (data / "store" / "store.json").is_file() and store.path == data / "store"
    info = store.record["datasets"]["patentsview/g_patent"]
    (source,) = info["sources"]
    assert source["path"] == "patentsview/g_patent.tsv.zip"
    assert source["sha256"] == study_inputs.sha256(data / "patentsview" / "g_patent.tsv.zip")
    assert info["rows"] == 6
    meta = pq.read_metadata(store.path / "patentsview" / "g_patent.parquet").metadata
    assert json.loads(meta[b"chipwar.sources"]) == [source]
    assert store.record["memory_limit"] == "4GB" and store.record["duckdb"]
    assert set(store.record["panels"]) == {f"panels/patents_{by}_subclass_{y}" for by in ("country", "assignee")
                                           for y in ("filing", "grant")}


def _random_world(folder, seed: int) -> None:
    """A random PatentsView world: patents with 0-4 inventors and 0-5 CPC rows (duplicates and blanks among them),
    a few withdrawn, locations in five countries or none."""
    rng = np.random.default_rng(seed)
    n = 3000
    pid = [f"P{i}" for i in range(n)]
    grant = rng.integers(2000, 2024, n)
    withdrawn = (rng.random(n) < 0.02).astype(int)
    patents = [[p, "utility", f"{g}-0{rng.integers(1, 10)}-1{rng.integers(0, 10)}", "t", "B2", "1", str(w)]
               for p, g, w in zip(pid, grant, withdrawn)]
    apps = [[f"A{i}", p, "16", "" if rng.random() < 0.01 else f"{g - rng.integers(0, 4)}-02-02", "16", "0"]
            for i, (p, g) in enumerate(zip(pid, grant))]
    subclasses = ["H01L", "H10B", "G06N", "G06F", "A61K"]
    cpc = [[p, str(s), c[0], c[:3], c if rng.random() > 0.02 else "", c + "1/00",
            "inventional" if rng.random() < 0.5 else "additional"]
           for p in pid for s in range(rng.integers(0, 6)) for c in [subclasses[rng.integers(0, 5)]]]
    locations = [[f"L{i}", "c", "", ["US", "CN", "JP", "KR", ""][i % 5], "0", "0"] for i in range(40)]
    inventors = [[p, str(s), f"i{rng.integers(0, 500)}", "a", "b", "M", f"L{rng.integers(0, 42)}"]
                 for p in pid for s in range(rng.integers(0, 5))]
    write_tables(folder, tables={
        "g_patent": (TABLES["g_patent"][0], patents), "g_application": (TABLES["g_application"][0], apps),
        "g_cpc_current": (TABLES["g_cpc_current"][0], cpc),
        "g_inventor_disambiguated": (TABLES["g_inventor_disambiguated"][0], inventors),
        "g_location_disambiguated": (TABLES["g_location_disambiguated"][0], locations)})


@pytest.mark.parametrize("seed", [1, 2])
def test_random_world_panels_equal_the_pandas_reader(tmp_path, seed):
    _random_world(tmp_path / "patentsview", seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cw.ChipwarWarning)
        cw.data.build(tmp_path, levels=("subclass", "group"))
    for level in ("subclass", "group"):
        for year in ("filing", "grant"):
            expected, w_expected = _pandas_panel(tmp_path / "patentsview", level=level, year=year)
            got, w_got = _pandas_panel(tmp_path, level=level, year=year)
            pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
            assert w_got == w_expected
            assert got["patents"].sum() == pytest.approx(expected["patents"].sum(), rel=1e-13)


def _write_baci(folder, years=(2021, 2022)):
    folder.mkdir(parents=True, exist_ok=True)
    for year in years:
        (folder / f"BACI_HS17_Y{year}_V202401b.csv").write_text(BACI.replace("2021,", f"{year},"), encoding="utf-8")
    pd.DataFrame({"country_code": [156, 842, 490, 410], "country_name": ["China", "USA", "Other Asia, nes", "Korea"],
                  "country_iso2": ["CN", "US", "", "KR"], "country_iso3": ["CHN", "USA", "", "KOR"]}).to_csv(
        folder / "country_codes_V202401b.csv", index=False)


def test_baci_store_equals_the_pandas_reader_and_completes_zeros(tmp_path):
    _write_baci(tmp_path / "baci")
    # the 2022 file lacks one flow of 2021: the study's panel gives it a zero
    path = tmp_path / "baci" / "BACI_HS17_Y2022_V202401b.csv"
    path.write_text("\n".join(line for line in path.read_text().splitlines() if ",848620," not in line) + "\n")
    store = cw.data.build(tmp_path)
    codes = tmp_path / "baci" / "country_codes_V202401b.csv"
    expected = pd.concat([cw.io.read_baci(p, country_codes=codes) for p in sorted((tmp_path / "baci").glob("BACI_*"))])
    expected = expected.sort_values(["year", "exporter", "importer", "hs6"]).reset_index(drop=True)
    got = cw.io.read_baci(tmp_path)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-15)
    assert list(store.record["datasets"]["baci"]["files"]) == [
        "baci/year=2021/BACI_HS17_Y2021_V202401b_0.parquet", "baci/year=2022/BACI_HS17_Y2022_V202401b_0.parquet"]
    # the study's panel: the same as the pandas loader of the study's inputs
    files = sorted((tmp_path / "baci").glob("BACI_*.csv"))
    pandas_panel = study_inputs._baci_trade(tmp_path / "baci", files).drop(columns="effect")
    trade = baci_flows(store)
    pd.testing.assert_frame_equal(trade.reset_index(drop=True), pandas_panel.reset_index(drop=True),
                                  check_dtype=False)
    assert trade.query("exporter == 'TWN' and year == 2022")["value_usd"].tolist() == [0.0]


def test_baci_release_zip_is_read_as_released(tmp_path):
    _write_baci(tmp_path / "loose")
    (tmp_path / "baci").mkdir()
    with zipfile.ZipFile(tmp_path / "baci" / "BACI_HS17_V202401b.zip", "w") as archive:
        for path in sorted((tmp_path / "loose").iterdir()):
            archive.write(path, arcname=path.name)
    record(tmp_path, ManifestEntry("baci/BACI_HS17_V202401b.zip", "baci", "https://example.org/BACI.zip", "BACI test",
                                   1, study_inputs.sha256(tmp_path / "baci" / "BACI_HS17_V202401b.zip"), "now", "zip"))
    (tmp_path / "loose").rename(tmp_path / "elsewhere")  # only the zip is a source
    store = cw.data.build(tmp_path)
    (source,) = store.record["datasets"]["baci"]["sources"]
    assert source["url"] == "https://example.org/BACI.zip" and source["version"] == "BACI test"
    assert store.record["datasets"]["baci"]["rows"] == 8


def test_malformed_raw_files_name_the_file_and_the_column(tmp_path):
    tables = {name: (header, [list(r) for r in rows]) for name, (header, rows) in TABLES.items()}
    tables["g_application"][1][1][3] = "2020/01/10"
    write_tables(tmp_path / "a" / "patentsview", tables=tables)
    with pytest.raises(cw.ChipwarError, match=r"g_application\.tsv, column 'filing_date': '2020/01/10' \(patent 'P2'\)"
                                              r" is not a date YYYY-MM-DD"):
        cw.data.build(tmp_path / "a")
    _write_baci(tmp_path / "b" / "baci", years=(2021,))
    path = tmp_path / "b" / "baci" / "BACI_HS17_Y2021_V202401b.csv"
    path.write_text(path.read_text().replace("10121", "1012x"))
    with pytest.raises(cw.ChipwarError, match=r"BACI_HS17_Y2021_V202401b\.csv, column 'k': '1012x' is not an HS6 code"):
        cw.data.build(tmp_path / "b")
    write_tables(tmp_path / "c" / "patentsview", tables={"g_patent": (["patent_id", "patent_date"], [["P1", "2020-01-01"]])})
    with pytest.raises(cw.ChipwarError, match=r"g_patent\.tsv, line 1: column\(s\) \['withdrawn'\] missing"):
        cw.data.build(tmp_path / "c")
    (tmp_path / "d").mkdir()
    with pytest.raises(cw.ChipwarError, match="no raw files of any source found"):
        cw.data.build(tmp_path / "d")
    with pytest.raises(cw.ChipwarError, match="no chipwar store here"):
        open_store(tmp_path / "d")


def test_held_in_real_files_go_through_the_store_unchanged(tmp_path, shared):
    comtrade = shared("domain", "taiwan_ic_trade", "ic_exports_world_HS8542_raw.csv")
    ncses = shared("domain", "ncses", "10557")
    (tmp_path / "comtrade").mkdir()
    (tmp_path / "comtrade" / comtrade.name).symlink_to(comtrade)
    (tmp_path / "ncses" / "10557").mkdir(parents=True)
    for name in ("data.csv", "README.md"):
        (tmp_path / "ncses" / "10557" / name).symlink_to(ncses / name)
    store = cw.data.build(tmp_path)
    pd.testing.assert_frame_equal(cw.io.read_comtrade(tmp_path), cw.io.read_comtrade(comtrade))
    from chipwar.io.store import read_dataset

    got = read_dataset(store, "ncses/10557").drop(columns="table_id")
    pd.testing.assert_frame_equal(got, cw.io.read_ncses(ncses / "data.csv"))
    assert store.record["datasets"]["comtrade"]["sources"][0]["sha256"] == study_inputs.sha256(comtrade)


def test_comtrade_api_pages_are_read_with_the_csv_checks(tmp_path, shared):
    source = shared("domain", "taiwan_ic_trade", "ic_exports_comparison_uncomtrade_2013_2024.csv")
    with source.open(encoding="latin-1", newline="") as fh:  # data rows end with a comma: a field of no name
        frame = pd.DataFrame([{k: v for k, v in row.items() if k is not None} for row in csv.DictReader(fh)])
    (tmp_path / "comtrade").mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(frame)), 2)):
        page = {"count": len(part), "error": "", "data": frame.iloc[part].to_dict(orient="records")}
        (tmp_path / "comtrade" / f"comtrade_A_X_{i}.json").write_text(json.dumps(page), encoding="utf-8")
    cw.data.build(tmp_path)
    got = cw.io.read_comtrade(tmp_path)
    expected = cw.io.read_comtrade(source)
    pd.testing.assert_frame_equal(got, expected)


def test_fetched_ncses_tables_take_their_years_from_the_bundled_index(tmp_path, shared):
    raw = shared("domain", "ncses", "10558", "data.csv")
    (tmp_path / "ncses").mkdir()
    (tmp_path / "ncses" / "10558.csv").symlink_to(raw)  # as `chipwar data fetch ncses` names it: no README beside
    from chipwar.io.store import read_dataset

    got = read_dataset(cw.data.build(tmp_path), "ncses/10558").drop(columns="table_id")
    pd.testing.assert_frame_equal(got, cw.io.read_ncses(raw))
