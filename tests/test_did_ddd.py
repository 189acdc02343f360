"""cw.ddd: doubly robust triple differences with staggered adoption (Ortiz-Villavicencio & Sant'Anna 2025).

Checked three ways: against moderndid's port of R triplediff (ATT(g, t), SEs and the influence-function matrix to
1e-6 for every method and comparison group; R triplediff's README numbers come from data drawn with R's random
generator, which Python cannot redraw), against brute-force cell means (two periods: the DDD of the four subgroup
means and its SE from the four subgroup variances) and statsmodels regressions, and on a simulated panel whose
triple-difference effects are known.
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import chipwar as cw
from chipwar.did._simulate import triple_panel

KW = dict(outcome="y", unit="id", time="year", cohort="g", partition="eligible")


@pytest.fixture(scope="module")
def panel():
    return triple_panel(n_units=600, periods=(1, 2, 3, 4, 5), cohorts=(3, 4, 0), covariate_trend=0.5, seed=3)


def _moderndid(data, control, method, base_period):
    md = pytest.importorskip("moderndid")
    pl = pytest.importorskip("polars")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # moderndid's own warnings (not chipwar's) are not under test
        return md.ddd(pl.from_pandas(data), yname="y", tname="year", idname="id", gname="g", pname="eligible",
                      xformla="~x", est_method=method, base_period=base_period,
                      control_group={"never": "nevertreated", "notyet": "notyettreated"}[control])


@pytest.mark.parametrize("control", ["never", "notyet"])
@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
@pytest.mark.parametrize("base_period", ["universal", "varying"])
def test_matches_moderndid_triplediff_port(panel, control, method, base_period):
    res = cw.ddd(panel, **KW, covariates=["x"], control=control, method=method, base_period=base_period)
    ref = _moderndid(panel, control, method, base_period)
    t = res.table
    np.testing.assert_array_equal(t["cohort"], ref.groups)
    np.testing.assert_array_equal(t["time"], ref.times)
    np.testing.assert_allclose(t["att"], ref.att, rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.inf, ref.inf_func_mat, rtol=0, atol=1e-6 * np.abs(ref.inf_func_mat).max())
    # GMM cells: triplediff's sqrt(1 / (n 1' Omega^-1 1)) uses cov() (n - 1); ours the influence function (n)
    n = res.n_units
    gmm = t["n_comparison_cohorts"].to_numpy() > 1
    assert gmm.any() == (control == "notyet")
    expected = np.where(gmm, ref.se * np.sqrt((n - 1) / n), ref.se)
    np.testing.assert_allclose(t["se"], expected, rtol=1e-6)


@pytest.mark.parametrize("control", ["never", "notyet"])
def test_aggregations_match_triplediff(panel, control):
    """Point estimates equal moderndid's agg_ddd; SEs are R triplediff's (its compute_aggregation is did's aggte,
    with the influence of the estimated cohort shares), which moderndid leaves out: without that term, ours
    reproduce moderndid's exactly, so the difference is only that term."""
    md = pytest.importorskip("moderndid")
    res = cw.ddd(panel, **KW, covariates=["x"], control=control)
    ref = _moderndid(panel, control, "dr", "universal")
    for ours, theirs in [("simple", "simple"), ("group", "group"), ("dynamic", "eventstudy"),
                         ("calendar", "calendar")]:
        agg = res.aggregate(ours)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = md.agg_ddd(ref, type=theirs, boot=False, cband=False)
        assert agg.att == pytest.approx(r.overall_att, abs=1e-8)
        if ours != "simple":
            np.testing.assert_allclose(agg.table["att"], r.att_egt, atol=1e-8)
            np.testing.assert_array_equal(agg.table.iloc[:, 0], r.egt)
    # dynamic rows without the weight-estimation term: the plain average of the cells' influence functions
    dyn = res.aggregate("dynamic")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = md.agg_ddd(ref, type="eventstudy", boot=False, cband=False)
    e = res.times - res.cohorts
    share = np.array([np.mean(res.unit_cohort == g) for g in res.cohorts])
    for k, ev in enumerate(dyn.table["event_time"]):
        keep = e == ev
        inf = res.inf[:, keep] @ (share[keep] / share[keep].sum())
        se = np.sqrt(np.mean(inf**2) / res.n_units)
        if np.isfinite(r.se_egt[k]):
            assert se == pytest.approx(r.se_egt[k], rel=1e-6)


def _two_period(seed=0, n=800):
    d = triple_panel(n_units=n, periods=(1, 2), cohorts=(2, 0), covariate_trend=0.5, seed=seed)
    return d


@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
def test_two_period_ddd_is_the_difference_of_subgroup_mean_changes(method):
    """Without covariates every estimator is the DDD of the four subgroup mean changes, and its variance the sum
    of the subgroup variances of the change over the subgroup sizes."""
    d = _two_period()
    res = cw.ddd(d, **KW, method=method)
    wide = d.pivot(index="id", columns="year", values="y")
    unit = d.drop_duplicates("id").set_index("id")
    dy = wide[2] - wide[1]
    cells = {(g, q): dy[(unit["g"] == g) & (unit["eligible"] == q)] for g in (2.0, 0.0) for q in (1.0, 0.0)}
    ddd = (cells[2, 1].mean() - cells[2, 0].mean()) - (cells[0, 1].mean() - cells[0, 0].mean())
    se = np.sqrt(sum(c.var(ddof=0) / len(c) for c in cells.values()))
    post = res.table.set_index("time").loc[2.0]  # the universal base period's own cell (t = 1) is 0
    assert post["att"] == pytest.approx(ddd, abs=1e-10)
    assert post["se"] == pytest.approx(se, rel=1e-10)


def test_two_period_regression_ddd_is_three_statsmodels_did():
    """With a covariate, the regression DDD is the sum of three outcome-regression DiDs, each the treated
    subgroup's mean of dy - x'b, b the OLS fit of dy on x among that comparison subgroup."""
    d = _two_period(seed=4)
    res = cw.ddd(d, **KW, method="reg", covariates=["x"])
    first = d[d["year"] == 1].set_index("id")
    dy = d[d["year"] == 2].set_index("id")["y"] - first["y"]
    sub = np.where(first["g"] == 2, np.where(first["eligible"] == 1, 4, 3), np.where(first["eligible"] == 1, 2, 1))
    x = sm.add_constant(first["x"].to_numpy())

    def did(k):
        b = sm.OLS(dy.to_numpy()[sub == k], x[sub == k]).fit().params
        return np.mean(dy.to_numpy()[sub == 4] - x[sub == 4] @ b)

    assert res.table.set_index("time").loc[2.0, "att"] == pytest.approx(did(3) + did(2) - did(1), abs=1e-10)


def test_recovers_known_triple_difference_effects():
    """Trends differ by cohort and by partition (and rise with x, whose mean differs by subgroup): the DR DDD
    with x recovers the known effects slope * (t - g + 1), while a DiD of the eligible units alone (att_gt) and
    the DDD without x are biased."""
    d = triple_panel(n_units=6000, covariate_trend=0.5, seed=11)
    res = cw.ddd(d, **KW, covariates=["x"])
    t = res.table
    truth = np.where(t["time"] >= t["cohort"], t["time"] - t["cohort"] + 1, 0.0)
    z = (t["att"] - truth) / t["se"]
    assert np.all(np.abs(z[np.isfinite(z)]) < 4)
    dyn = res.aggregate("dynamic").table
    post = dyn["event_time"] >= 0
    np.testing.assert_allclose(dyn.loc[post, "att"], dyn.loc[post, "event_time"] + 1, atol=4 * dyn["se"].max())
    unadjusted = cw.ddd(d, **KW).aggregate("simple")
    adjusted = res.aggregate("simple")
    truth_simple = _simple_truth(d)
    assert abs(adjusted.att - truth_simple) < 4 * adjusted.se
    assert abs(unadjusted.att - truth_simple) > 8 * unadjusted.se
    eligible = d[d["eligible"] == 1]
    did = cw.att_gt(eligible, outcome="y", unit="id", time="year", cohort="g", covariates=["x"])
    assert abs(did.aggregate("simple").att - truth_simple) > 8 * did.aggregate("simple").se


def _simple_truth(d):
    """did's simple aggregation of the true ATT(g, t): post cells weighted by cohort size."""
    cells = d[(d["g"] > 0) & (d["year"] >= d["g"]) & (d["eligible"] == 1)].groupby(["g", "year"])["effect"].mean()
    size = d.drop_duplicates("id")["g"].value_counts()
    w = np.array([size[g] for g, _ in cells.index], dtype=float)
    return float(cells.to_numpy() @ w / w.sum())


def test_bootstrap_reproducible_with_executor_and_close_to_analytic(panel):
    a = cw.ddd(panel, **KW, covariates=["x"], bootstrap=999, seed=7)
    b = cw.ddd(panel, **KW, covariates=["x"], bootstrap=999, seed=7)
    with ThreadPoolExecutor(2) as ex:
        c = cw.ddd(panel, **KW, covariates=["x"], bootstrap=999, seed=7, executor=ex, progress=False)
    np.testing.assert_array_equal(a.se, b.se)
    np.testing.assert_array_equal(a.se, c.se)
    assert a.seed == 7 and a.crit > 1.96
    analytic = cw.ddd(panel, **KW, covariates=["x"])
    ok = np.isfinite(analytic.se)
    np.testing.assert_allclose(a.se[ok], analytic.se[ok], rtol=0.12)
    agg = a.aggregate("dynamic")
    assert np.isfinite(agg.table["band_low"]).any()
    np.testing.assert_array_equal(agg.table["se"], b.aggregate("dynamic").table["se"])


def test_row_order_and_level(panel):
    res = cw.ddd(panel, **KW, covariates=["x"], level=0.9)
    shuffled = cw.ddd(panel.sample(frac=1, random_state=1), **KW, covariates=["x"], level=0.9)
    np.testing.assert_allclose(res.att, shuffled.att, atol=1e-12)
    np.testing.assert_allclose(res.se, shuffled.se, rtol=1e-10, equal_nan=True)
    t = res.table.dropna()
    np.testing.assert_allclose(t["conf_high"] - t["att"], 1.6448536269514722 * t["se"], rtol=1e-10)
    assert res.level == pytest.approx(0.9)


def test_tidy_summary_and_plot(panel):
    import matplotlib

    matplotlib.use("Agg")
    res = cw.ddd(panel, **KW, control="notyettreated")  # triplediff's spelling
    tidy = res.tidy()
    assert list(tidy.columns[:1]) == ["term"]
    assert {"estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"} <= set(tidy.columns)
    assert "Triple differences" in res.summary() and "partition eligible" in res.summary()
    assert res.plot() is not None
    agg = res.aggregate("group")
    assert agg.tidy()["term"].iloc[0] == "overall"
    stat, p = res.pretest()
    assert stat >= 0 and 0 <= p <= 1


def _bad(panel, **change):
    return cw.ddd(panel, **{**KW, **change})


def test_bad_input(panel):
    d = panel.copy()
    d["eligible"] = d["eligible"] * 2
    with pytest.raises(cw.ChipwarError, match="partition column 'eligible' must be 0/1"):
        _bad(d)
    d = panel.copy()
    d.loc[d["year"] == 5, "eligible"] = 1 - d.loc[d["year"] == 5, "eligible"]
    with pytest.raises(cw.ChipwarError, match="partition column 'eligible' changes over time within"):
        _bad(d)
    d = panel.assign(eligible=1.0)
    with pytest.raises(cw.ChipwarError, match="needs eligible \\(1\\) and ineligible \\(0\\) units"):
        _bad(d)
    d = panel[~((panel["g"] == 3) & (panel["eligible"] == 0))]
    with pytest.raises(cw.ChipwarError, match=r"ATT\(g=3, t=.*no treated-but-ineligible .* partition column"):
        _bad(d)
    with pytest.raises(cw.ChipwarError, match="control must be one of"):
        _bad(panel, control="all")
    with pytest.raises(cw.ChipwarError, match="level must be between 0 and 1"):
        _bad(panel, level=95)
    with pytest.raises(cw.ChipwarError, match="no never-treated units"):
        _bad(panel[panel["g"] > 0])
    with pytest.raises(cw.ChipwarError, match="'nope'"):
        _bad(panel, partition="nope")


def test_missing_partition_rows_are_dropped_with_a_warning(panel):
    d = panel.copy()
    d["eligible"] = d["eligible"].astype(float)
    d.loc[d["id"] == 0, "eligible"] = np.nan
    with pytest.warns(cw.ChipwarWarning, match="missing values"):
        res = cw.ddd(d, **KW)
    assert res.n_units == panel["id"].nunique() - 1
    assert isinstance(res.table, pd.DataFrame)
