"""``cw.study.run(data=DIR)`` on files in the real public formats written here from a seed with known injected
effects: PatentsView grant tables (section b), BACI yearly files (section c) and a Wikipedia-style fab list
(section d). Each section must run on those files and its main interval must hold the injected effect."""

from __future__ import annotations

import chipwar as cw
import numpy as np
import pandas as pd
import pytest
from _patentsview_tables import write_tables
from chipwar.io.fabs import COLUMNS as FAB_COLUMNS

PATENT_EFFECT = 0.4  # China's patents in targeted classes, from the class's cohort on (log points)
US_EFFECT, DIVERSION = -0.8, 0.25  # controlled exports to China from 2023: from the US, from other suppliers
FAB_EFFECT = 0.5  # China's yearly capacity additions from 2023
CLASSES = ["H01L", "H10B", "G03F", "G06N", "G06F", "H01J", "B82Y", "C30B", "H05K", "A61K", "F16H", "B65D"]
BACI_CODES = {"USA": 842, "CHN": 156, "KOR": 410, "JPN": 392, "DEU": 276, "NLD": 528}


def _cells(*axes):
    """All combinations of the axes as equal-length arrays (first axis slowest)."""
    grids = np.meshgrid(*axes, indexing="ij")
    return [g.ravel() for g in grids]


def write_patentsview(folder, rng):
    """One patent per row: inventor country CN, US or JP; one CPC subclass; filing years 2012-2024."""
    countries, base = np.array(["CN", "US", "JP"]), np.array([200.0, 300.0, 200.0])
    c, k, y = _cells(np.arange(3), np.arange(len(CLASSES)), np.arange(2012, 2025))
    cohort = cw.events.cohorts(CLASSES, kind="cpc").to_numpy()[k]
    treated = (c == 0) & (cohort > 0) & (y >= cohort)
    class_size = rng.uniform(-0.5, 0.5, len(CLASSES))[k]
    mean = base[c] * np.exp(class_size + 0.03 * (y - 2012) * (c == 0) + PATENT_EFFECT * treated)
    n = rng.poisson(mean)
    cell = np.repeat(np.arange(len(n)), n)
    pid = np.char.add("P", np.arange(len(cell)).astype(str))
    year, cpc, country = y[cell], np.array(CLASSES)[k[cell]], countries[c[cell]]
    ones = np.ones(len(cell), dtype=int)
    tables = {
        "g_patent": (["patent_id", "patent_type", "patent_date", "patent_title", "wipo_kind", "num_claims", "withdrawn"],
                     np.column_stack([pid, np.full(len(cell), "utility"), np.char.add((year + 1).astype(str), "-06-01"),
                                      np.full(len(cell), "Device"), np.full(len(cell), "B2"), ones, 0 * ones])),
        "g_application": (["application_id", "patent_id", "patent_application_type", "filing_date", "series_code",
                           "rule_47_flag"],
                          np.column_stack([np.char.add("A", pid), pid, 16 * ones, np.char.add(year.astype(str), "-03-01"),
                                           16 * ones, 0 * ones])),
        "g_cpc_current": (["patent_id", "cpc_sequence", "cpc_section", "cpc_class", "cpc_subclass", "cpc_group",
                           "cpc_type"],
                          np.column_stack([pid, 0 * ones, cpc.astype("<U1"), cpc.astype("<U3"), cpc,
                                           np.char.add(cpc, "1/00"), np.full(len(cell), "inventional")])),
        "g_inventor_disambiguated": (["patent_id", "inventor_sequence", "inventor_id", "disambig_inventor_name_first",
                                      "disambig_inventor_name_last", "gender_code", "location_id"],
                                     np.column_stack([pid, 0 * ones, np.char.add("i", pid), np.full(len(cell), "A"),
                                                      np.full(len(cell), "B"), np.full(len(cell), "F"),
                                                      np.char.add("L_", country)])),
        "g_location_disambiguated": (["location_id", "disambig_city", "disambig_state", "disambig_country", "latitude",
                                      "longitude"],
                                     [["L_CN", "Wuhan", "", "CN", "30.6", "114.3"],
                                      ["L_US", "Austin", "TX", "US", "30.3", "-97.7"],
                                      ["L_JP", "Kyoto", "", "JP", "35.0", "135.8"]]),
    }
    tables = {name: (header, np.asarray(rows).tolist()) for name, (header, rows) in tables.items()}
    write_tables(folder, zipped=True, tables={k: v for k, v in tables.items() if k == "g_cpc_current"})
    write_tables(folder, tables={k: v for k, v in tables.items() if k != "g_cpc_current"})


def write_baci(folder, rng):
    """BACI yearly files 2015-2024 (values in thousand USD) and BACI's country codes file."""
    iso = np.array(list(BACI_CODES))
    hs6 = np.array(list(cw.codes.controlled_hs6()) + list(cw.codes.comparison_hs6()))
    e, i, h, t = _cells(np.arange(len(iso)), np.arange(len(iso)), np.arange(len(hs6)), np.arange(2015, 2025))
    keep = e != i
    e, i, h, t = e[keep], i[keep], h[keep], t[keep]
    controlled = cw.events.cohorts(hs6, kind="hs6", scope="country").to_numpy()[h]
    post = (controlled > 0) & (t >= controlled) & (iso[i] == "CHN")
    effect = np.where(post & (iso[e] == "USA"), US_EFFECT, np.where(post & (iso[e] != "CHN"), DIVERSION, 0.0))
    size = rng.normal(size=len(iso))
    pair_product = rng.normal(scale=0.5, size=(len(iso), len(iso), len(hs6)))[e, i, h]
    log_v = 8 + size[e] + 0.5 * size[i] + 0.04 * (t - 2015) + pair_product + effect + rng.normal(scale=0.05, size=len(e))
    frame = pd.DataFrame({"t": t, "i": np.array(list(BACI_CODES.values()))[e], "j": np.array(list(BACI_CODES.values()))[i],
                          "k": hs6[h].astype(int), "v": np.round(np.exp(log_v), 3), "q": np.round(rng.uniform(1, 9, len(e)), 3)})
    for year, rows in frame.groupby("t"):
        rows.to_csv(folder / f"BACI_HS17_Y{year}_V202401.csv", index=False)
    pd.DataFrame({"country_code": list(BACI_CODES.values()), "country_name": iso, "country_iso2": [s[:2] for s in iso],
                  "country_iso3": iso}).to_csv(folder / "country_codes_V202401.csv", index=False)


def write_fabs(path, rng):
    """One new 200 mm fab per economy and year, 2000-2024, China's capacity raised from 2023."""
    # enough comparison economies for the placebo standard errors to be estimated with some precision
    names = np.array(["China"] + [f"Economy {i:02d}" for i in range(1, 40)])
    c, y = _cells(np.arange(len(names)), np.arange(2000, 2025))
    level = rng.uniform(9, 10, len(names))[c]
    treated = (names[c] == "China") & (y >= 2023)
    capacity = np.round(np.exp(level + 0.03 * (y - 2000) + FAB_EFFECT * treated + rng.normal(scale=0.05, size=len(c))))
    columns = list(FAB_COLUMNS)
    table = pd.DataFrame({
        columns[0]: "Co", columns[1]: np.char.add("Fab ", np.arange(len(c)).astype(str)),
        columns[2]: np.char.add("City, ", names[c]), columns[3]: "", columns[4]: y.astype(str), columns[5]: "200",
        columns[6]: "90", columns[7]: capacity.astype(int), columns[8]: "Foundry"})
    path.parent.mkdir(parents=True)
    table.to_csv(path, index=False)


SEED = 20240601


def write_all(data, patentsview=".", baci="."):
    """PatentsView tables, BACI files and a fab list from one seed, the tables in the subfolders given."""
    rng = np.random.default_rng(SEED)
    for folder in (patentsview, baci):
        (data / folder).mkdir(exist_ok=True)
    write_patentsview(data / patentsview, rng)
    write_baci(data / baci, rng)
    write_fabs(data / "fabs" / "fab_list.csv", rng)


@pytest.fixture(scope="module")
def real_format_run(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    write_all(data)
    # a Comtrade file that cannot be parsed: BACI is preferred, so the study must not read it
    (data / "taiwan_ic_trade").mkdir()
    (data / "taiwan_ic_trade" / "ic_exports_world_HS8542_raw.csv").write_text("not comtrade\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    return cw.study.run(data=data, out=out, progress=False), out


def _main(summary, section):
    return summary[summary["section"] == section].drop_duplicates("effect").set_index("effect")


def test_event_study_on_patentsview_recovers_the_injected_rise(real_format_run):
    result, out = real_format_run
    main = _main(result["summary"], "b").iloc[0]
    assert main["estimator"] == "att_gt"
    assert main["conf_low"] <= PATENT_EFFECT <= main["conf_high"]
    assert main["conf_high"] - main["conf_low"] < 0.4  # informative: the interval excludes zero
    estimates = pd.read_csv(out / "tables" / "b_estimates.csv").set_index("estimator")
    assert "truth" not in estimates
    # the unbiased estimators agree with the injected effect too
    for name in ("sun_abraham", "did_imputation", "triple_twfe"):
        assert estimates.loc[name, "conf_low"] <= PATENT_EFFECT <= estimates.loc[name, "conf_high"], name
    assert set(result["provenance"]["inputs"]) >= {f"patentsview: {t}" for t in (
        "g_patent", "g_application", "g_cpc_current", "g_inventor_disambiguated", "g_location_disambiguated")}


def test_gravity_on_baci_recovers_the_collapse_and_the_diversion(real_format_run):
    result, out = real_format_run
    fepois = pd.read_csv(out / "tables" / "c_estimates.csv").query("estimator == 'fepois'").set_index("term")
    for term, effect in (("us_to_china", US_EFFECT), ("others_to_china", DIVERSION)):
        assert fepois.loc[term, "conf_low"] <= effect <= fepois.loc[term, "conf_high"], term
        assert fepois.loc[term, "conf_high"] < 0 or fepois.loc[term, "conf_low"] > 0, term
    # 6 exporters x 5 importers x 24 codes x 10 years, every flow positive
    assert fepois["nobs"].iloc[0] == 6 * 5 * 24 * 10
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "the trade section uses BACI" in md and "does not read the Comtrade file" in md
    inputs = result["provenance"]["inputs"]
    assert "comtrade" not in inputs and sum(name.startswith("baci: BACI_HS17_Y") for name in inputs) == 10


def test_fab_section_on_a_fab_list_recovers_the_build_out(real_format_run):
    result, out = real_format_run
    main = _main(result["summary"], "d").iloc[0]
    assert main["conf_low"] <= FAB_EFFECT <= main["conf_high"] and main["conf_low"] > 0
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "**Data: real files**" in md and "SIMULATED world" not in md
    assert "BACI_HS17_Y<year>_V<ver>.csv" in md  # the data paragraph lists the expected files
    assert "(a) " in md and "Not run: no patent table by economy" in md
    assert set(result["summary"]["section"]) == {"b", "c", "d"}


def test_folder_with_only_some_patentsview_tables(tmp_path):
    write_tables(tmp_path, tables={"g_patent": (["patent_id", "withdrawn"], [["P1", "0"]])})
    with pytest.raises(cw.ChipwarError, match="g_application.tsv .*not found"):
        cw.study.run(data=tmp_path, out=tmp_path / "out", progress=False)


def test_baci_without_country_codes(tmp_path):
    (tmp_path / "BACI_HS17_Y2021_V202401.csv").write_text("t,i,j,k,v,q\n2021,842,156,854231,1.5,1\n", encoding="utf-8")
    with pytest.raises(cw.ChipwarError, match="BACI_HS17_Y2021_V202401.csv.* no country_codes_V<ver>.csv"):
        cw.study.run(data=tmp_path, out=tmp_path / "out", progress=False)


def test_malformed_baci_file_is_named(tmp_path):
    write_baci(tmp_path, np.random.default_rng(1))
    (tmp_path / "BACI_HS17_Y2019_V202401.csv").write_text("t,i,j,k,v,q\n2019,842,156,854231,lots,1\n", encoding="utf-8")
    with pytest.raises(cw.ChipwarError, match="BACI_HS17_Y2019_V202401.csv.*line 2"):
        cw.study.run(data=tmp_path, out=tmp_path / "out", progress=False)


def test_malformed_fab_list_is_named(tmp_path):
    write_fabs(tmp_path / "fabs" / "fab_list.csv", np.random.default_rng(1))
    path = tmp_path / "fabs" / "fab_list.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",2005,", ",soon,", 1), encoding="utf-8")
    with pytest.raises(cw.ChipwarError, match="fab_list.csv, line .*Started production"):
        cw.study.run(data=tmp_path, out=tmp_path / "out", progress=False)


def test_baci_zero_flows_are_restored_for_ppml(tmp_path):
    from chipwar.study.inputs import _baci_trade

    write_baci(tmp_path, np.random.default_rng(3))
    path = tmp_path / "BACI_HS17_Y2020_V202401.csv"
    year = pd.read_csv(path)
    dropped = (year["i"] == 842) & (year["j"] == 156) & (year["k"] == 854231)
    year[~dropped].to_csv(path, index=False)
    trade = _baci_trade(tmp_path, sorted(tmp_path.glob("BACI_*.csv")))
    flow = trade.query("exporter == 'USA' and importer == 'CHN' and hs6 == '854231'").set_index("year")["value_usd"]
    assert len(trade) == 6 * 5 * 24 * 10 and len(flow) == 10
    assert flow.loc[2020] == 0 and (flow.drop(2020) > 0).all()
    assert trade["effect"].isna().all()  # real data: no known effect
