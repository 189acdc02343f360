"""The study on real data through the new paths: ``chipwar study --real`` on the bundled NCSES tables, ``chipwar study
--data DIR`` on a store built by ``chipwar data build`` (the same estimates as on the raw files, and a provenance
file naming every raw file's URL, version and hash and the store's build), and the ``chipwar data`` commands."""

from __future__ import annotations

import json

import chipwar as cw
import numpy as np
import pandas as pd
import pytest
from _http_server import serve
from chipwar.cli import main
from chipwar.data._manifest import ManifestEntry, record
from chipwar.study.inputs import sha256
from test_study_real_formats import write_all


def test_study_real_runs_section_a_on_the_bundled_tables(tmp_path):
    result = cw.study.run(real=True, out=tmp_path, progress=False)
    assert set(result["summary"]["section"]) == {"a"}
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "**Data: real series bundled with chipwar**" in md and "SIMULATED" not in md
    assert "they cover section (a) only" in md and "chipwar data fetch patentsview baci" in md
    raw = {r["path"]: r for r in result["provenance"]["raw_files"]}
    assert set(raw) == {"chipwar/data/ncses/10557.csv", "chipwar/data/ncses/10551.csv"}
    semis = raw["chipwar/data/ncses/10557.csv"]
    assert semis["url"] == "https://ncses.nsf.gov/indicators/data/table/10557"
    assert "SINV-10" in semis["citation"] and len(semis["converted_from_sha256"]) == 64
    # China's 2,165 semiconductor patents of 2022 (table 10557) over its total (table 10551)
    totals = cw.data.bundled.ncses_table("10551").query("path == 'World -> Asia -> China'").set_index("year")
    path = pd.read_csv(tmp_path / "tables" / "a_path.csv").set_index("year")
    assert path.loc[2022, "treated"] == pytest.approx(np.log(2165 / totals.loc[2022, "value"]), rel=1e-12)


def test_bundled_tables_equal_the_ncses_files_they_came_from(shared):
    for table_id in ("10557", "10551", "10553"):
        raw = cw.io.read_ncses(shared("domain", "ncses", table_id, "data.csv"))
        pd.testing.assert_frame_equal(cw.data.bundled.ncses_table(table_id).drop(columns="table_id"), raw)
        index = cw.data.bundled.ncses_index().set_index("table_id")
        assert index.loc[table_id, "original_sha256"] == sha256(shared("domain", "ncses", table_id, "data.csv"))


def test_study_real_matches_the_raw_ncses_run(shared, tmp_path):
    domain = shared("domain", "ncses", "10557", "data.csv").parents[2]
    bundled = cw.study.run(real=True, out=tmp_path / "real", progress=False)["summary"]
    raw = cw.study.run(data=domain, out=tmp_path / "raw", progress=False)["summary"]
    pd.testing.assert_frame_equal(bundled, raw.query("section == 'a'").reset_index(drop=True))


def test_real_and_data_together_are_refused(tmp_path):
    with pytest.raises(cw.ChipwarError, match="either --real .* or --data DIR"):
        cw.study.run(real=True, data=tmp_path, out=tmp_path / "out", progress=False)


@pytest.fixture(scope="module")
def raw_and_store_runs(tmp_path_factory):
    """The real-format files of test_study_real_formats, once read raw and once through a built store."""
    raw, fetched = tmp_path_factory.mktemp("raw"), tmp_path_factory.mktemp("fetched")
    write_all(raw)
    write_all(fetched, patentsview="patentsview", baci="baci")  # the layout `chipwar data fetch` writes
    zipped = fetched / "patentsview" / "g_cpc_current.tsv.zip"
    record(fetched, ManifestEntry("patentsview/g_cpc_current.tsv.zip", "patentsview",
                                  "https://example.org/g_cpc_current.tsv.zip", "test release", zipped.stat().st_size,
                                  sha256(zipped), "2026-12-01T00:00:00+00:00", "zip, 1 members, CRC checked"))
    assert main(["data", "build", "--dir", str(fetched)]) == 0
    out_raw, out_store = tmp_path_factory.mktemp("out_raw"), tmp_path_factory.mktemp("out_store")
    return (cw.study.run(data=raw, out=out_raw, progress=False), out_raw,
            cw.study.run(data=fetched, out=out_store, progress=False), out_store, fetched)


@pytest.mark.parametrize("table", ["b_estimates", "c_estimates", "d_estimates"])
def test_study_on_a_store_gives_the_raw_files_estimates(raw_and_store_runs, table):
    _, out_raw, _, out_store, _ = raw_and_store_runs
    raw = pd.read_csv(out_raw / "tables" / f"{table}.csv")
    store = pd.read_csv(out_store / "tables" / f"{table}.csv")
    # the panels' sums are added in another order, so estimates agree to rounding, not bit for bit
    pd.testing.assert_frame_equal(store, raw, check_exact=False, rtol=1e-9, atol=1e-12)


def test_store_run_provenance_names_raw_files_and_the_build(raw_and_store_runs):
    _, _, result, out_store, fetched = raw_and_store_runs
    assert set(result["summary"]["section"]) == {"b", "c", "d"}
    record_ = json.loads((out_store / "provenance.json").read_text(encoding="utf-8"))
    raw = {r["path"]: r for r in record_["raw_files"]}
    cpc = raw["patentsview/g_cpc_current.tsv.zip"]
    assert cpc["url"] == "https://example.org/g_cpc_current.tsv.zip" and cpc["version"] == "test release"
    assert cpc["sha256"] == sha256(fetched / "patentsview" / "g_cpc_current.tsv.zip")
    assert raw["patentsview/g_patent.tsv"]["sha256"] == sha256(fetched / "patentsview" / "g_patent.tsv")
    assert sum(p.startswith("baci/BACI_HS17_Y") for p in raw) == 10 and "fabs/fab_list.csv" in raw
    store = record_["store"]
    assert store["built_at"] and store["duckdb"] and store["memory_limit"] == "4GB"
    assert store["datasets"]["patentsview/g_cpc_current"]["rows"] > 0
    assert "panels/patents_country_subclass_filing" in store["panels"]
    md = (out_store / "report.md").read_text(encoding="utf-8")
    assert "the store built by `chipwar data build`" in md


def test_data_fetch_and_build_commands(tmp_path, capsys):
    body = b"name,source,start_date,federal_register_notice\nA Co,Entity List,2019-05-16,84 FR 22961\n"
    with serve() as server:
        server.put("/csl/consolidated.csv", body)
        assert main(["data", "fetch", "--url", server.url("/csl/consolidated.csv"), "--dir", str(tmp_path),
                     "--quiet"]) == 0
        assert main(["data", "fetch", "--url", server.url("/gone.csv"), "--dir", str(tmp_path), "--quiet"]) == 2
    out, err = capsys.readouterr()
    assert "downloads/consolidated.csv  87 bytes" in out and "HTTP 404" in err
    (tmp_path / "csl").mkdir()
    (tmp_path / "downloads" / "consolidated.csv").rename(tmp_path / "csl" / "consolidated.csv")
    assert main(["data", "build", "--dir", str(tmp_path)]) == 0
    assert "csl: 1 rows" in capsys.readouterr().out
    from chipwar.io.store import open_store, read_dataset

    csl = read_dataset(open_store(tmp_path), "csl")
    assert csl.to_dict(orient="records") == [{"name": "A Co", "source": "Entity List", "start_date": "2019-05-16",
                                              "federal_register_notice": "84 FR 22961"}]
    assert main(["data", "build", "--dir", str(tmp_path / "nowhere")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_study_real_command(tmp_path, capsys):
    assert main(["study", "--real", "--out", str(tmp_path), "--quiet"]) == 0
    assert "China's semiconductor patent share" in capsys.readouterr().out
