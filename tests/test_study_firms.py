"""Section (e) of the study on the default world: the firm-level staggered DiD recovers the injected listing effects
(overall and by wave) within its intervals, placebo listing dates find nothing, and the comparison set follows its
rule."""

from __future__ import annotations

import warnings

import chipwar as cw
import numpy as np
import pandas as pd
import pytest
from chipwar.datasets import firms as world_firms
from chipwar.study import config, firms, inputs


@pytest.fixture(scope="module")
def section():
    cfg = config.load_config()
    data = inputs.from_default()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the section's estimators raise no warning on the default world
        result = firms.run(data, cfg)
    return data, result, {b.name: b.frame for b in result.blocks if hasattr(b, "frame")}


def test_every_estimator_covers_the_injected_effect(section):
    _, result, _ = section
    estimates = result.summary.set_index("estimator")
    assert list(estimates.index) == ["att_gt", "att_gt_notyet", "did_imputation", "sun_abraham", "etwfe_poisson"]
    assert estimates["covered"].all(), estimates[["estimate", "conf_low", "conf_high", "truth"]]
    # the intervals are informative: each excludes zero and is narrower than the effect itself
    assert (estimates["conf_high"] < 0).all()
    assert ((estimates["conf_high"] - estimates["conf_low"]) < estimates["truth"].abs()).all()


def test_effects_differ_by_wave_and_each_wave_is_recovered(section):
    _, _, tables = section
    by_cohort = tables["e_by_cohort"].set_index("cohort")
    injected = cw.datasets.load_default().firm_truth.set_index("first_year")["log_effect"]
    assert sorted(by_cohort.index) == sorted(injected.index) == [2020, 2021, 2023, 2024]
    # the truth of log(1 + patents) is close to the injected log effect on expected patents (large counts)
    assert np.allclose(by_cohort["truth"], injected.reindex(by_cohort.index), atol=0.06)
    assert by_cohort["covered"].all(), by_cohort
    assert injected.nunique() == 4


def test_placebo_listing_dates_find_no_effect_and_honest_did_brackets_the_first_year(section):
    _, _, tables = section
    assert tables["e_placebo"]["covered_zero"].all()
    honest = tables["e_honest_did"].set_index("M")
    event = tables["e_event_study"].set_index("event_time")
    truth0 = event.loc[0, "truth"]
    assert honest.loc[0.0, "lower"] <= truth0 <= honest.loc[0.0, "upper"]
    widths = honest["upper"] - honest["lower"]
    assert widths.is_monotonic_increasing  # more room for trend violations, wider sets


def test_comparison_set_is_same_class_unlisted_firms(section):
    data, _, _ = section
    sample, chosen = firms.firm_sample(data, config.load_config()["firms"])
    comparison = chosen[~chosen["listed"]]
    assert not comparison["assignee_id"].str.startswith("simL").any()
    assert chosen["listed"].sum() == world_firms.LISTED_PER_WAVE * len(world_firms.WAVES)
    main = chosen.set_index("assignee_id")["main_cpc"]
    for row in comparison.itertuples():
        assert all(main[firm] == row.main_cpc for firm in row.matched_to.split(", "))
    assert set(sample["assignee_id"]) == set(chosen["assignee_id"])


def test_listing_cohorts_come_from_matching_or_a_crosswalk(section):
    data, _, _ = section
    matched = firms.listed_cohorts(data.firm_assignees, data.firm_listings, None)
    assert len(matched) == 48 and matched.groupby("cohort").size().tolist() == [12, 12, 12, 12]
    crosswalk = matched.iloc[:5][["assignee_id", "group"]]
    assert len(firms.listed_cohorts(data.firm_assignees, data.firm_listings, crosswalk)) == 5


def test_without_firm_data_the_section_says_why():
    empty = inputs.Inputs(simulated=False)
    result = firms.run(empty, config.load_config())
    assert "Not run" in result.blocks[0].text and result.summary.empty


def _as_patentsview(folder, world):
    """The default world's firm layer written as PatentsView bulk tables: one patent per count, one CPC code each,
    claims and citations spread over the cell's patents."""
    cells = world.firms[world.firms["patents"] > 0].reset_index(drop=True)
    n = cells["patents"].to_numpy()
    cell = np.repeat(np.arange(len(cells)), n)
    first = np.r_[True, cell[1:] != cell[:-1]]
    ids = np.array([f"P{i:07d}" for i in range(len(cell))], dtype=object)

    def spread(total):  # integer parts of the cell's total: equal shares, the remainder on the first patent
        base = total[cell] // n[cell]
        return base + np.where(first, total[cell] - base * n[cell], 0)

    claims, citations = spread(cells["claims"].to_numpy()), spread(cells["citations"].to_numpy())
    year = cells["year"].to_numpy()[cell]
    tables = {
        "g_patent": pd.DataFrame({"patent_id": ids, "patent_date": [f"{y + 1}-03-01" for y in year],
                                  "num_claims": claims, "withdrawn": 0}),
        "g_application": pd.DataFrame({"patent_id": ids, "filing_date": [f"{y}-06-01" for y in year]}),
        "g_assignee_disambiguated": pd.DataFrame({
            "patent_id": ids, "assignee_id": cells["assignee_id"].to_numpy()[cell],
            "disambig_assignee_organization": cells["assignee_id"].map(
                world.firm_assignees.set_index("assignee_id")["assignee"]).to_numpy()[cell],
            "location_id": "L_CN"}),
        "g_location_disambiguated": pd.DataFrame({"location_id": ["L_CN"], "disambig_country": ["CN"]}),
        "g_cpc_current": pd.DataFrame({"patent_id": ids, "cpc_subclass": cells["cpc"].to_numpy()[cell]}),
        "g_us_patent_citation": pd.DataFrame({"patent_id": "X", "citation_patent_id": np.repeat(ids, citations)}),
    }
    for name, table in tables.items():
        table.to_csv(folder / f"{name}.tsv", sep="\t", index=False)


def test_real_format_files_with_a_reviewed_crosswalk_give_the_same_estimates(section, tmp_path):
    """The same firms written as PatentsView files, with a crosswalk tying each simulated wave to the real group
    first listed in that wave (Huawei, SMIC, YMTC, Biren): section (e) from files reproduces its estimates."""
    _, from_world, _ = section
    world = cw.datasets.load_default()
    _as_patentsview(tmp_path, world)
    groups = dict(zip(world_firms.WAVES, ["Huawei", "SMIC", "YMTC", "Biren"]))
    listings = world.firm_listings
    crosswalk = pd.DataFrame({"assignee_id": listings["entity_id"].str.removeprefix("sim_").str.replace("siml", "simL"),
                              "group": listings["wave"].map(groups), "decision": "accept"})
    crosswalk.to_csv(tmp_path / "entity_crosswalk.csv", index=False)
    cfg = config.load_config(data=tmp_path)
    data = inputs.from_files(cfg)
    assert data.firm_crosswalk is not None and len(data.firm_crosswalk) == 48
    result = firms.run(data, cfg)
    columns = ["estimator", "estimate", "se", "conf_low", "conf_high"]
    pd.testing.assert_frame_equal(result.summary[columns], from_world.summary[columns])
    assert result.summary["truth"].isna().all()
