"""The study's configuration, inputs and building blocks: bad study files and data folders raise ChipwarError, the
truth helpers and the placebo DiD give the numbers they should, and the study runs on the real tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import chipwar as cw
from chipwar.cli import main
from chipwar.study import load_config, single_unit, truth
from chipwar.study.inputs import from_default


def test_missing_study_file(tmp_path):
    with pytest.raises(cw.ChipwarError, match="study file .*nope.toml.* does not exist"):
        load_config(tmp_path / "nope.toml")


def test_study_file_with_bad_toml(tmp_path):
    path = tmp_path / "study.toml"
    path.write_text("version = = 1\n", encoding="utf-8")
    with pytest.raises(cw.ChipwarError, match="study.toml: not a valid TOML"):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version = 2\n", "this chipwar reads version 1"),
        ("[trade]\nwave = '2022-10'\nestimator = ['fepois']\n", "unknown key 'trade.estimator'"),
        ("[trade]\nestimators = ['ppml']\n", "trade.estimators has unknown entries"),
        ("[event_study]\nyears = [2024, 2012]\n", "event_study.years must be"),
        ("[data]\nsource = 'files'\n", "needs data.root"),
        ("seed = 'abc'\n", "seed must be an integer"),
        ("[fabs]\nreps = 1\n", "fabs.reps must be an integer of at least 2"),
    ],
)
def test_invalid_study_files(tmp_path, text, message):
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(cw.ChipwarError, match=message):
        load_config(path)


def test_missing_data_folder(tmp_path):
    with pytest.raises(cw.ChipwarError, match="data folder .* does not exist"):
        cw.study.run(data=tmp_path / "absent", out=tmp_path / "out")


def test_data_folder_without_any_study_file(tmp_path):
    with pytest.raises(cw.ChipwarError, match="no input file found .*ncses_semiconductor"):
        cw.study.run(data=tmp_path, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cli_reports_bad_paths_without_a_traceback(tmp_path, capsys):
    assert main(["study", "--quiet", "--config", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "chipwar study: error: study file" in err and "Traceback" not in err


def test_log_effect_marks_exactly_the_treated_rows():
    world = cw.datasets.load_default()
    effect = truth.log_effect(world.trade, world.truth, "trade")
    us = (world.trade["exporter"] == "USA") & (world.trade["importer"] == "CHN")
    assert set(np.unique(effect)) == {0.0, -0.8, 0.25}
    assert (effect[us.to_numpy()] != 0.25).all()
    assert (effect == -0.8).sum() == 5 * 2  # five controlled codes, 2023 and 2024
    with pytest.raises(cw.ChipwarError, match="no effect on table 'nothing'"):
        truth.log_effect(world.trade, world.truth, "nothing")


def test_counterfactual_divides_out_the_effect():
    assert truth.counterfactual([np.e, 5.0], np.array([1.0, 0.0])) == pytest.approx([1.0, 5.0])


def test_placebo_did_of_each_unit_equals_the_twfe_coefficient():
    rng = np.random.default_rng(7)
    units, years = [f"u{i}" for i in range(6)], np.arange(2010, 2020)
    panel = pd.DataFrame([(u, t) for u in units for t in years], columns=["unit", "year"])
    panel["y"] = rng.normal(size=len(panel)) + panel["year"] * 0.1
    wide = panel.pivot(index="unit", columns="year", values="y")
    placebo = single_unit._did_all_units(wide, 2016)
    for unit in ("u0", "u3"):
        data = panel.assign(treat=((panel["unit"] == unit) & (panel["year"] >= 2016)).astype(float))
        coef = cw.feols("y ~ treat | unit + year", data).coef["treat"]
        assert placebo[unit] == pytest.approx(coef, abs=1e-10)


def test_default_inputs_carry_the_truth():
    inputs = from_default()
    china = inputs.country_patents.query("unit == 'CHN'").set_index("year")
    # semiconductor patents (H01L, H10) rise by exp(0.3) from 2021 on and not before
    ratio = china["semiconductor"] / china["semiconductor_cf"]
    assert ratio.loc[2021:].to_numpy() == pytest.approx(np.exp(0.3))
    assert ratio.loc[:2020].to_numpy() == pytest.approx(1.0)
    assert inputs.simulated and inputs.reporter_exports is None


def test_study_on_the_real_tables(shared, tmp_path):
    domain = shared("domain", "ncses", "10557", "data.csv").parents[2]
    shared("domain", "taiwan_ic_trade", "ic_exports_world_HS8542_raw.csv")
    result = cw.study.run(data=domain, out=tmp_path, progress=False)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "**Data: real files**" in md and "SIMULATED world" not in md
    assert "What these real data show" in md and "What they do not show" in md
    assert "(b) Staggered DiD" in md and "Not run: this needs patents by economy and technology class" in md
    assert set(result["summary"]["section"]) == {"a", "c"}
    assert "truth" not in result["summary"]
    exports = pd.read_csv(tmp_path / "tables" / "c_china_exports.csv").set_index("year")["value_usd"]
    raw = cw.io.read_comtrade(domain / "taiwan_ic_trade" / "ic_exports_world_HS8542_raw.csv")
    raw_2020 = raw.query("reporter == 'CHN' and year == 2020 and flow == 'X'")["value_usd"].sum()
    assert exports.loc[2020] == pytest.approx(raw_2020, rel=1e-6)
    path = pd.read_csv(tmp_path / "tables" / "a_path.csv").set_index("year")
    # the treated series is China's log semiconductor share: 2,165 semiconductor patents in 2022 (table 10557)
    totals = cw.io.read_ncses(domain / "ncses" / "10551" / "data.csv").query("path == 'World -> Asia -> China'")
    total_2022 = totals.set_index("year").loc[2022, "value"]
    assert path.loc[2022, "treated"] == pytest.approx(np.log(2165 / total_2022), rel=1e-9)
    record = result["provenance"]["inputs"]
    assert set(record) == {"ncses_semiconductor", "ncses_total", "comtrade"}


def test_study_file_chooses_the_estimators(tmp_path):
    path = tmp_path / "study.toml"
    path.write_text(
        "version = 1\nseed = 7\n"
        "[synthetic_control]\nestimators = ['did']\nplacebo_waves = []\n"
        "[event_study]\nestimators = ['did_imputation']\n"
        "[trade]\nestimators = ['feols_log']\n"
        "[fabs]\nestimators = ['did']\nplacebo_waves = [2015, 2019]\n"
        "[firms]\nestimators = ['did_imputation']\n",
        encoding="utf-8",
    )
    result = cw.study.run(out=tmp_path / "out", config=path, progress=False)
    summary = result["summary"]
    assert summary.groupby("section")["estimator"].agg(set).to_dict() == {
        "a": {"did"}, "b": {"did_imputation"}, "c": {"feols_log"}, "d": {"did"}, "e": {"did_imputation"}}
    assert result["provenance"]["seed"] == 7
    assert pd.read_csv(tmp_path / "out" / "tables" / "d_placebo_waves.csv")["first_year"].tolist() == [2015, 2019]
    assert "study.toml" in str(result["provenance"]["study_file"])


@pytest.mark.parametrize(("low", "high", "expected"), [(0.1, 0.3, 1), (-0.3, -0.1, -1), (-0.1, 0.3, 0),
                                                       (np.nan, np.nan, 0)])
def test_direction_of_an_interval(low, high, expected):
    from chipwar.study import _text

    assert _text.direction(low, high) == expected


def test_output_path_that_is_a_file(tmp_path):
    target = tmp_path / "report.txt"
    target.write_text("not a folder", encoding="utf-8")
    with pytest.raises(cw.ChipwarError, match="output path .*report.txt.* is a file"):
        cw.study.run(out=target)
