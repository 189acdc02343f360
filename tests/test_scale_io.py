"""engine="dask" of the bulk loaders: the same tables as the pandas engine, on dask's local scheduler and on a
2-worker dask.distributed cluster, with the same errors (file, line, column)."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest
from _baci_text import BACI as BACI_2021
from _patentsview_tables import TABLES, write_tables

import chipwar as cw

dask = pytest.importorskip("dask")
pytest.importorskip("dask.dataframe")

BACI = BACI_2021 + "2021,410,156,854231,7,1\n"
COUNTRIES = pd.DataFrame({"country_code": ["156", "842", "490", "410"], "iso_3digit_alpha": ["CHN", "USA", "", "KOR"]})
# a few lines per dask task, so the tiny files below are split into several blocks
SMALL_BLOCKS = 64


def by_key(panel: pd.DataFrame) -> pd.DataFrame:
    return panel.sort_values(["country", "cpc", "year"], na_position="last").reset_index(drop=True)


@pytest.mark.parametrize(
    "zipped, options, rows, total",
    [
        (False, {}, 9, 5.0),
        (True, {}, 9, 5.0),
        (False, {"level": "group", "year": "grant"}, 12, 7.0),
        (True, {"cpc_type": "inventional"}, 7, 4.0),
    ],
)
def test_patentsview_dask_engine_equals_pandas_engine(tmp_path, zipped, options, rows, total):
    directory = write_tables(tmp_path, zipped=zipped)
    expected = cw.io.read_patentsview(directory, **options)
    with dask.config.set(scheduler="threads"):
        got = cw.io.read_patentsview(directory, engine="dask", blocksize=SMALL_BLOCKS, chunksize=2, **options)
    assert (len(got), got["patents"].sum()) == (rows, pytest.approx(total, abs=1e-12))
    pd.testing.assert_frame_equal(by_key(got), by_key(expected))


def test_patentsview_dask_engine_reports_what_it_leaves_out(tmp_path):
    tables = dict(TABLES)
    header, inventors = TABLES["g_inventor_disambiguated"]
    # P4 loses its inventor; P1's first inventor moves to a location without a country
    tables["g_inventor_disambiguated"] = (
        header, [r[:-1] + ["L_NOWHERE"] if r[2] == "i1" else r for r in inventors if r[0] != "P4"]
    )
    directory = write_tables(tmp_path, tables=tables)
    with pytest.warns(cw.ChipwarWarning, match="left out 1 patent.* and 0 without"):
        expected = cw.io.read_patentsview(directory)
    with dask.config.set(scheduler="threads"), pytest.warns(cw.ChipwarWarning, match="left out 1 patent.* and 0 without"):
        got = cw.io.read_patentsview(directory, engine="dask", blocksize=SMALL_BLOCKS)
    pd.testing.assert_frame_equal(by_key(got), by_key(expected))
    assert got.loc[got["country"].isna(), "patents"].tolist() == pytest.approx([1 / 3, 1 / 3])


def test_baci_dask_engine_equals_pandas_engine_row_for_row(tmp_path):
    (tmp_path / "BACI_HS17_Y2021_V202201.csv").write_text(BACI)
    (tmp_path / "BACI_HS17_Y2022_V202201.csv.gz").write_bytes(
        gzip.compress(BACI.replace("2021,", "2022,").encode())
    )
    for options in ({}, {"hs6": ["854231", "010121"], "country_codes": COUNTRIES}):
        expected = cw.io.read_baci(tmp_path, chunksize=2, **options)
        with dask.config.set(scheduler="threads"):
            got = cw.io.read_baci(tmp_path, engine="dask", blocksize=40, chunksize=2, **options)
        pd.testing.assert_frame_equal(got, expected)
    assert got["exporter"].tolist() == ["CHN", "USA", "KOR", "CHN", "USA", "KOR"]
    assert got["value_usd"].tolist() == pytest.approx([1234567.0, 2500.0, 7000.0] * 2)


def test_dask_engine_runs_on_the_client_cluster(tmp_path, dask_client):
    from distributed import get_task_stream

    directory = write_tables(tmp_path / "patentsview")
    (tmp_path / "BACI_HS17_Y2021_V202201.csv").write_text(BACI)
    with get_task_stream(dask_client) as stream:
        panel = cw.io.read_patentsview(directory, engine="dask", blocksize=SMALL_BLOCKS)
        trade = cw.io.read_baci(tmp_path / "BACI_HS17_Y2021_V202201.csv", engine="dask", blocksize=40)
    assert len(stream.data) > 0
    pd.testing.assert_frame_equal(by_key(panel), by_key(cw.io.read_patentsview(directory)))
    pd.testing.assert_frame_equal(trade, cw.io.read_baci(tmp_path / "BACI_HS17_Y2021_V202201.csv"))
    # a bad value found on a worker still raises ChipwarError with its line
    (tmp_path / "bad.csv").write_text(BACI.replace("2021,490,156,848620", "2021,490,156,8486"))
    with pytest.raises(cw.ChipwarError, match=r"bad\.csv, line 4, column 'k': '8486' is not an HS6 code"):
        cw.io.read_baci(tmp_path / "bad.csv", engine="dask", blocksize=40)


def test_dask_engine_errors_name_the_file_line_and_column(tmp_path):
    tables = dict(TABLES)
    header, applications = TABLES["g_application"]
    tables["g_application"] = (header, applications[:2] + [["A3", "P3", "16", "2019-13", "16", "0"]] + applications[3:])
    directory = write_tables(tmp_path / "baddate", tables=tables)
    with dask.config.set(scheduler="threads"):
        with pytest.raises(cw.ChipwarError, match=r"g_application\.tsv, line 4, column 'filing_date': '2019-13'"):
            cw.io.read_patentsview(directory, engine="dask", blocksize=SMALL_BLOCKS)

        header, patents = TABLES["g_patent"]
        tables = {**TABLES, "g_patent": (header, patents + [patents[0]])}
        with pytest.raises(cw.ChipwarError, match=r"g_patent\.tsv: patent_id 'P1' appears twice"):
            cw.io.read_patentsview(write_tables(tmp_path / "twice", tables=tables), engine="dask")

        path = tmp_path / "baci.csv"
        path.write_text(BACI.replace("2021,410,156,854231", "2021,410,156,85x231"))
        with pytest.raises(cw.ChipwarError, match=r"baci\.csv, line 6, column 'k': '85x231' is not a number"):
            cw.io.read_baci(path, engine="dask", blocksize=40)

    with pytest.raises(cw.ChipwarError, match=r"engine must be one of \['pandas', 'dask'\], got 'spark'"):
        cw.io.read_baci(path, engine="spark")
    with pytest.raises(cw.ChipwarError, match=r"engine must be one of"):
        cw.io.read_patentsview(directory, engine="polars")
