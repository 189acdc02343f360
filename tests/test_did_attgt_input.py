"""att_gt on bad input (each a ChipwarError naming the column), dropped rows, and the result object's API."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

import chipwar as cw
from chipwar.did._simulate import simulate_staggered

matplotlib.use("Agg")
KW = {"outcome": "y", "unit": "unit", "time": "time", "cohort": "cohort"}


@pytest.fixture
def panel():
    return simulate_staggered(n_units=200, n_periods=6, cohorts=(3, 5), seed=1)


def test_missing_and_non_numeric_columns(panel):
    with pytest.raises(cw.ChipwarError, match="'wage' not found"):
        cw.att_gt(panel, **{**KW, "outcome": "wage"})
    with pytest.raises(cw.ChipwarError, match="'y' is not numeric"):
        cw.att_gt(panel.assign(y=panel["y"].astype(str)), **KW)
    with pytest.raises(cw.ChipwarError, match="'y' contains infinite"):
        cw.att_gt(panel.assign(y=np.where(panel.index == 3, np.inf, panel["y"])), **KW)


def test_duplicate_unit_period_rows(panel):
    with pytest.raises(cw.ChipwarError, match=r"duplicate \('unit', 'time'\) rows"):
        cw.att_gt(pd.concat([panel, panel.iloc[:1]]), **KW)


def test_cohort_changing_within_unit(panel):
    bad = panel.copy()
    bad.loc[(bad["unit"] == bad.loc[bad["cohort"] == 3, "unit"].iloc[0]) & (bad["time"] == 6), "cohort"] = 5
    with pytest.raises(cw.ChipwarError, match="cohort column 'cohort' changes over time"):
        cw.att_gt(bad, **KW)


def test_cohort_not_a_period(panel):
    with pytest.raises(cw.ChipwarError, match=r"cohort column 'cohort' has values \[3.5\] that are not periods"):
        cw.att_gt(panel.assign(cohort=panel["cohort"].replace(3, 3.5)), **KW)


def test_no_never_treated(panel):
    treated_only = panel[panel["cohort"] > 0]
    with pytest.raises(cw.ChipwarError, match="no never-treated units.*control='notyet'"):
        cw.att_gt(treated_only, **KW)
    # not-yet-treated comparison units exist until the last cohort is treated, then none are left
    with pytest.raises(cw.ChipwarError, match=r"ATT\(g=3, t=5\): no comparison units.*'cohort'"):
        cw.att_gt(treated_only, **KW, control="notyet")


def test_single_cohort_without_comparison_units(panel):
    one = panel.assign(cohort=3.0)
    with pytest.raises(cw.ChipwarError, match="no never-treated units"):
        cw.att_gt(one, **KW)
    with pytest.raises(cw.ChipwarError, match="no comparison units"):
        cw.att_gt(one, **KW, control="notyet")


def test_no_treated_cohort(panel):
    with pytest.raises(cw.ChipwarError, match="no treated cohort"):
        cw.att_gt(panel.assign(cohort=0.0), **KW)


def test_covariate_without_variation(panel):
    with pytest.raises(cw.ChipwarError, match="covariate 'c' has no variation"):
        cw.att_gt(panel.assign(c=2.0), **KW, covariates=["c"])


def test_propensity_score_at_one_stops(panel):
    # a covariate that perfectly separates cohort 3 from the never-treated units
    sep = panel.assign(s=np.where(panel["cohort"] == 3, 1.0, 0.0) + 0.01 * panel["x"])
    with pytest.raises(cw.ChipwarError, match=r"overlap fails for ATT\(g=3.*covariates \['s'\]"):
        cw.att_gt(sep, **KW, covariates=["s"], method="dr")
    # outcome regression needs no propensity score and still runs
    assert np.isfinite(cw.att_gt(sep, **KW, covariates=["s"], method="reg").table["att"]).all()


def test_bad_options(panel):
    for kw, msg in [
        ({"control": "later"}, "control must be"),
        ({"method": "ols"}, "method must be"),
        ({"base_period": "first"}, "base_period must be"),
        ({"anticipation": -1}, "anticipation must be"),
        ({"level": -0.5}, "level must be"),
        ({"bootstrap": 1}, "bootstrap must be"),
        ({"panel": False, "allow_unbalanced_panel": True}, "applies to panel data only"),
        ({"bootstrap": 10, "seed": -3}, "seed must be"),
    ]:
        with pytest.raises(cw.ChipwarError, match=msg):
            cw.att_gt(panel, **KW, **kw)
    res = cw.att_gt(panel, **KW)
    with pytest.raises(cw.ChipwarError, match="aggregation type"):
        res.aggregate("overall")
    with pytest.raises(cw.ChipwarError, match="balance_e applies only"):
        res.aggregate("group", balance_e=1)


def test_time_varying_weights_and_clusters_are_rejected(panel):
    with pytest.raises(cw.ChipwarError, match="weights column 'w' changes over time"):
        cw.att_gt(panel.assign(w=np.arange(len(panel), dtype=float)), **KW, weights="w")
    with pytest.raises(cw.ChipwarError, match="cluster column 'c' changes over time"):
        cw.att_gt(panel.assign(c=panel["time"]), **KW, cluster="c")


def test_unbalanced_and_missing_rows_are_dropped_with_warnings(panel):
    full = cw.att_gt(panel, **KW)
    gappy = panel[~((panel["unit"] == 0) & (panel["time"] == 4))]
    with pytest.warns(cw.ChipwarWarning, match="dropped 1 units of 'unit' not observed in every period"):
        res = cw.att_gt(gappy, **KW)
    assert res.n_units == full.n_units - 1
    missing = panel.assign(y=np.where((panel["unit"] == 0) & (panel["time"] == 4), np.nan, panel["y"]))
    with pytest.warns(cw.ChipwarWarning) as record:
        res2 = cw.att_gt(missing, **KW)
    assert any("missing values" in str(r.message) for r in record)
    np.testing.assert_allclose(res2.table["att"], res.table["att"], rtol=1e-14)


def test_units_treated_in_first_period_are_dropped(panel):
    early = panel.assign(cohort=np.where(panel["unit"] < 5, 1.0, panel["cohort"]))
    with pytest.warns(cw.ChipwarWarning, match="dropped 5 units of 'unit' already treated in the first period"):
        res = cw.att_gt(early, **KW)
    assert res.n_units == 195
    assert set(res.table["cohort"]) == {3.0, 5.0}


def test_cohort_after_last_period_counts_as_never_treated(panel):
    late = panel.assign(cohort=panel["cohort"].replace(0, 99))
    np.testing.assert_allclose(cw.att_gt(late, **KW).table["att"], cw.att_gt(panel, **KW).table["att"], rtol=1e-14)
    nan_coded = panel.assign(cohort=panel["cohort"].replace(0, np.nan))
    np.testing.assert_allclose(cw.att_gt(nan_coded, **KW).table["att"], cw.att_gt(panel, **KW).table["att"])


def test_sampling_weights_equal_to_replication(panel):
    """Integer weights are the same as duplicating units (the point estimates; SEs count units, not copies)."""
    w = (panel["unit"] % 3 + 1).astype(float)
    weighted = cw.att_gt(panel.assign(w=w), **KW, weights="w", method="dr")
    copies = pd.concat(
        [panel[w >= k].assign(unit=lambda d, k=k: d["unit"] + 10_000 * k) for k in (1, 2, 3)], ignore_index=True
    )
    replicated = cw.att_gt(copies, **KW, method="dr")
    np.testing.assert_allclose(weighted.table["att"], replicated.table["att"], rtol=1e-10)


def test_result_api(panel):
    res = cw.att_gt(panel, **KW)
    tidy = res.tidy()
    assert list(tidy.columns) == [
        "term", "cohort", "time", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high",
    ]
    assert list(res.table.columns[:6]) == ["cohort", "time", "att", "se", "conf_low", "conf_high"]
    np.testing.assert_allclose(res.table["conf_high"] - res.table["att"], 1.959963984540054 * res.table["se"])
    text = repr(res)
    assert text == res.summary() and "Group-time ATTs" in text and "Pre-test" in text
    assert "<table" in res._repr_html_()
    assert res.plot() is not None
    agg = res.aggregate("dynamic")
    assert "by event time" in repr(agg) and "<table" in agg._repr_html_()
    assert agg.plot().get_xlabel() == "periods since treatment"
    assert list(agg.tidy()["term"][:2]) == ["overall", f"event_time::{agg.table['event_time'].iloc[0]:g}"]
    assert res.aggregate("simple").plot() is not None
    boot = cw.att_gt(panel, **KW, bootstrap=200, seed=1)
    band = boot.aggregate("dynamic").table
    assert np.isfinite(band["band_low"]).all() and (band["band_low"] <= band["conf_low"]).all()
    assert "uniform 95% band" in boot.summary()
