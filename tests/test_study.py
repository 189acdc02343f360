"""The export-control study on the default world: the CLI end to end, every injected effect recovered within its
interval, a complete report, provenance with hashes and byte-identical tables from the same configuration."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import chipwar as cw
from chipwar.study import load_config

PACKAGE_ROOT = Path(cw.__file__).resolve().parents[1]
SECTIONS = ("(a) Synthetic control", "(b) Staggered DiD", "(c) Trade", "(d) Fab capacity", "(e) Firm-level")
FIGURES = ("a_synthetic_control", "b_event_study", "c_trade", "d_fab_capacity", "e_event_study")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PACKAGE_ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "chipwar", "study", "--quiet", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """The default study run through the command line into a temporary folder."""
    out = tmp_path_factory.mktemp("study") / "report"
    done = _cli("--out", str(out), cwd=out.parent)
    assert done.returncode == 0, done.stderr
    assert "report.md" in done.stdout
    return out


@pytest.fixture(scope="module")
def summary(report) -> pd.DataFrame:
    return pd.read_csv(report / "tables" / "summary.csv")


def test_report_has_every_section_and_figure(report):
    md = (report / "report.md").read_text(encoding="utf-8")
    html = (report / "report.html").read_text(encoding="utf-8")
    for title in SECTIONS:
        assert f"## {title}" in md
        assert title in html
    for name in FIGURES:
        png = report / "figures" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"](figures/{name}.png)" in md
    # self-contained: every image is embedded, none is linked
    assert html.count('src="data:image/png;base64,') == len(FIGURES)
    assert 'src="figures/' not in html
    assert "SIMULATED" in md and "**Conclusion.**" in md and "**Answer.**" in md


@pytest.mark.parametrize(
    ("section", "estimator", "effect", "max_width"),
    [
        # 18 donor economies: the placebo standard errors of sdid and the DiD are about 0.1 and 0.065
        ("a", "sdid", "China's semiconductor patent share", 0.45),
        ("a", "did", "China's semiconductor patent share", 0.3),
        ("b", "att_gt", "China's patents in targeted classes (vs world)", 0.3),
        ("b", "did_imputation", "China's patents in targeted classes (vs world)", 0.3),
        ("c", "fepois", "US exports to China", 0.1),
        ("c", "fepois", "other suppliers' exports to China", 0.05),
        ("c", "feols_log", "US exports to China", 0.1),
        ("c", "feols_log", "other suppliers' exports to China", 0.05),
        ("d", "sdid", "China's fab capacity additions", 0.3),
        ("d", "did", "China's fab capacity additions", 0.3),
        ("e", "att_gt", "Listed firms' patents (vs comparable Chinese firms)", 0.2),
        ("e", "etwfe_poisson", "Listed firms' patents (vs comparable Chinese firms)", 0.1),
    ],
)
def test_each_injected_effect_is_inside_its_interval(summary, section, estimator, effect, max_width):
    rows = summary[(summary["section"] == section) & (summary["effect"] == effect) & (summary["estimator"] == estimator)]
    assert len(rows) == 1
    for row in rows.itertuples():
        assert row.conf_low <= row.truth <= row.conf_high, row
        # an interval as wide as the effect itself would be a test that cannot fail
        assert row.conf_high - row.conf_low < max_width, row


@pytest.mark.parametrize("section", ["a", "d"])
def test_synthetic_control_without_interval_is_close_to_the_truth(summary, section):
    # ADH synth has no standard error: its estimate must still land near the truth, and it gets no coverage verdict
    row = summary[(summary["section"] == section) & (summary["estimator"] == "synth")].iloc[0]
    assert abs(row["estimate"] - row["truth"]) < 0.1
    assert np.isnan(row["conf_low"]) and pd.isna(row["covered"])


def test_truths_are_those_injected_in_the_world(summary):
    truth = cw.datasets.load_default().truth.set_index("effect")["log_effect"]
    trade = summary[summary["estimator"] == "fepois"].set_index("effect")["truth"]
    assert trade["US exports to China"] == pytest.approx(truth["us_export_collapse"], abs=1e-12)
    assert trade["other suppliers' exports to China"] == pytest.approx(truth["diversion"], abs=1e-12)
    fabs = summary.loc[summary["section"] == "d", "truth"].iloc[0]
    assert fabs == pytest.approx(truth["fab_buildout"], abs=1e-12)
    # the patent share truth is diluted (targeted classes are part of the denominator) and lagged (0 in 2020)
    share = summary.loc[summary["section"] == "a", "truth"].iloc[0]
    assert 0.6 * 4 / 5 * truth["patents_semiconductor"] < share < 4 / 5 * truth["patents_semiconductor"]


def test_placebo_waves_find_no_effect(report):
    """No placebo estimate is further than 3.5 standard errors from zero.

    Requiring every one of the eight 95% placebo intervals to cover zero would fail about a third of the time on a
    world without pre-trends (1 - 0.95^8); 3.5 SE keeps the family-wise false alarm near 0.4% while a pre-trend of
    the size of the injected effects (0.2-0.8 log points, 3-30 SE) still fails it."""
    for name in ("a_placebo_waves", "b_placebo_waves", "c_placebo_wave", "d_placebo_waves"):
        table = pd.read_csv(report / "tables" / f"{name}.csv")
        with_se = table[table["se"].notna() & (table["se"] > 0)]
        assert len(with_se) >= 1, name
        z = (with_se["estimate"] / with_se["se"]).abs()
        assert (z < 3.5).all(), (name, z.tolist())


def test_event_study_shows_the_lag(report):
    table = pd.read_csv(report / "tables" / "b_event_study.csv").set_index("event_time")
    # the injected rise starts one year after the cohort year
    assert table.loc[0, "truth"] == 0.0
    assert abs(table.loc[0, "att_gt_estimate"]) < 1.96 * table.loc[0, "att_gt_se"]
    assert table.loc[2, "att_gt_estimate"] - 1.96 * table.loc[2, "att_gt_se"] > 0


def test_provenance_hashes_the_inputs_and_records_the_config(report):
    record = json.loads((report / "provenance.json").read_text(encoding="utf-8"))
    assert record["seed"] == load_config()["seed"]
    assert record["chipwar"] == cw.__version__
    assert record["packages"]["numpy"] == np.__version__
    inputs = record["inputs"]
    assert set(inputs) == {f"default world: {p.split('.')[0]}" for p in ("patents", "fab_capacity", "fab_list",
                                                                          "trade", "truth", "firm_patents",
                                                                          "firm_assignees", "firm_listings",
                                                                          "firm_truth")}
    for item in inputs.values():
        assert item["sha256"] == hashlib.sha256(Path(item["path"]).read_bytes()).hexdigest()
    assert record["outputs"]["tables/summary.csv"] == hashlib.sha256(
        (report / "tables" / "summary.csv").read_bytes()).hexdigest()
    assert record["config"]["synthetic_control"]["wave"] == "2019-05"


def test_same_config_gives_byte_identical_tables(report, tmp_path):
    # the second run goes through the Python API with the study file the first run wrote
    cw.study.run(out=tmp_path, config=report / "study.toml", progress=False)
    first = sorted(p.name for p in (report / "tables").iterdir())
    assert first == sorted(p.name for p in (tmp_path / "tables").iterdir())
    for name in first:
        assert (report / "tables" / name).read_bytes() == (tmp_path / "tables" / name).read_bytes(), name


def test_written_study_file_reproduces_the_config(report):
    written = load_config(report / "study.toml")
    default = load_config()
    written.pop("_source"), default.pop("_source")
    assert written == default
    assert tomllib.loads((report / "study.toml").read_text(encoding="utf-8"))["version"] == 1
