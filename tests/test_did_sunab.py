"""sun_abraham: published mpdta numbers, an independent dummy-variable regression, and simulated known effects.

On mpdta (never-treated controls, no covariates, balanced) the post-treatment cohort x period coefficients of the
Sun-Abraham regression are exactly Callaway & Sant'Anna's ATT(g, t) with never-treated controls (both are
(Y_gt - Y_g,g-1) - (Y_never,t - Y_never,g-1)), and the cell-size weights are CS's group-size weights, so R `did`'s
published ATT(g, t), dynamic and simple aggregates are the reference for the point estimates.

REFERENCE.md's third-party "fixest sunab" quote (ATT -0.04771, SE 0.013265) is not this estimator's: fixest's (and
pyfixest's) cell-size aggregation gives -0.03995; the quote is ETWFE's ATT and SE (test_etwfe.py::test_mpdta_quote).
"""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from did_sim import small_panel, staggered_panel

import chipwar as cw

KW = dict(outcome="lemp", unit="countyreal", time="year", cohort="first.treat")


@pytest.fixture(scope="module")
def mpdta(shared):
    return pd.read_csv(shared("reference", "did", "mpdta.csv"))


@pytest.fixture(scope="module")
def ref(shared):
    attgt = pd.read_csv(shared("reference", "did", "ref_attgt.csv"))
    aggte = pd.read_csv(shared("reference", "did", "ref_aggte.csv"))
    return attgt[attgt.scenario == "mpdta_nev_dr"], aggte[aggte.scenario == "mpdta_nev_dr"]


@pytest.fixture(scope="module")
def fit(mpdta):
    return cw.sun_abraham(mpdta, **KW)


def test_post_cells_equal_published_group_time_atts(fit, ref):
    attgt, _ = ref
    cells = fit.info["cells"]
    post = cells[cells.event_time >= 0]
    expected = attgt.set_index(["group", "t"])["att"]
    got = post.set_index([post.cohort, post.cohort + post.event_time])["coefficient"]
    got.index.names = ["group", "t"]
    np.testing.assert_allclose(got.to_numpy(), expected.reindex(got.index).to_numpy(), rtol=1e-8)
    assert len(post) == 7


def test_att_and_event_times_equal_published_aggregates(fit, ref):
    _, aggte = ref
    assert fit.att == pytest.approx(-0.0399512751551763, rel=1e-9)
    dyn = aggte[(aggte.type == "dynamic") & (aggte.egt.astype(float) >= 0)]
    t = fit.table.set_index("event_time")
    np.testing.assert_allclose(t.loc[dyn.egt.astype(float), "estimate"], dyn.att_egt, rtol=1e-8)


def test_matches_statsmodels_dummy_regression(mpdta, fit):
    d = mpdta.copy()
    g, rel = d["first.treat"], d["year"] - d["first.treat"]
    cell = (g > 0) & (rel != -1)
    d["cell"] = np.where(cell, g.astype(str) + "_" + rel.astype(int).astype(str).str.replace("-", "m"), "ref")
    dummies = pd.get_dummies(d["cell"]).drop(columns="ref").astype(float)
    dummies.columns = [f"c_{c}" for c in dummies.columns]
    d = pd.concat([d, dummies], axis=1)
    sm = smf.ols("lemp ~ " + " + ".join(dummies.columns) + " + C(countyreal) + C(year)", d).fit(
        cov_type="cluster", cov_kwds={"groups": d["countyreal"]}
    )
    # statsmodels counts the 500 county dummies in K; fixest (and chipwar) do not count fixed effects nested in the
    # cluster, so the CRV1 factor (n-1)/(n-K) differs; convert statsmodels' variance to fixest's K
    n, k_sm, k_fx = len(d), sm.df_model + 1, len(dummies.columns) + 1 + 4
    V = sm.cov_params().loc[dummies.columns, dummies.columns].to_numpy() * (n - k_sm) / (n - k_fx)
    b = sm.params[dummies.columns].to_numpy()
    cells = fit.info["cells"]
    names = [f"c_{int(c)}_{int(e)}".replace("-", "m") for c, e in zip(cells.cohort, cells.event_time)]
    order = [list(dummies.columns).index(x) for x in names]
    np.testing.assert_allclose(cells["coefficient"], b[order], rtol=1e-7, atol=1e-10)
    # event-time weights by brute force: each cohort's share of the observations at that relative period
    sizes = d[cell].groupby(["first.treat", rel[cell]]).size()
    for e, row in fit.table.set_index("event_time").iterrows():
        share = sizes.xs(e, level=1)
        w = np.zeros(len(b))
        for c, s in share.items():
            w[list(dummies.columns).index(f"c_{int(c)}_{int(e)}".replace("-", "m"))] = s / share.sum()
        assert row["estimate"] == pytest.approx(w @ b, rel=1e-7)
        assert row["se"] == pytest.approx(np.sqrt(w @ V @ w), rel=1e-6)


def test_matches_pyfixest_saturated_event_study(mpdta, fit):
    pf = pytest.importorskip("pyfixest")
    d = mpdta.rename(columns={"first.treat": "g"})
    with warnings.catch_warnings():  # the oracle's own beta and pandas deprecation notices are not ours
        warnings.simplefilter("ignore")
        es = pf.event_study(d, yname="lemp", idname="countyreal", tname="year", gname="g", estimator="saturated")
        agg = es.aggregate()
    t = fit.table.set_index("event_time")
    np.testing.assert_allclose(t["estimate"], agg["Estimate"].astype(float), rtol=1e-7)
    np.testing.assert_allclose(t["se"], agg["Std. Error"].astype(float), rtol=1e-6)


def test_covariates_match_statsmodels():
    d = small_panel(seed=13)
    d["x"] = np.random.default_rng(0).normal(size=len(d))
    d["y"] += 0.6 * d.x
    res = cw.sun_abraham(d, covariates=["x"], outcome="y", unit="unit", time="time", cohort="cohort")
    rel = d.time - d.cohort
    cell = (d.cohort > 0) & (rel != -1)
    key = (d.cohort.astype(int).astype(str) + "_" + rel.astype(int).astype(str).str.replace("-", "m")).where(cell)
    dummies = pd.get_dummies(key, prefix="c").astype(float)
    sm = smf.ols("y ~ x + " + " + ".join(dummies.columns) + " + C(unit) + C(time)", pd.concat([d, dummies], axis=1))
    b = sm.fit().params
    cells = res.info["cells"]
    names = [f"c_{int(c)}_{int(e)}".replace("-", "m") for c, e in zip(cells.cohort, cells.event_time)]
    np.testing.assert_allclose(cells.coefficient, b[names], rtol=1e-7)
    assert res.info["regression"].coef["x"] == pytest.approx(b["x"], rel=1e-8)


def test_recovers_known_heterogeneous_dynamic_effects():
    d = staggered_panel(n_units=1500, seed=1)
    res = cw.sun_abraham(d, outcome="y", unit="unit", time="time", cohort="cohort")
    rel = d.time - d.cohort
    truth = d[d.cohort > 0].groupby(rel)["effect"].mean()
    t = res.table.set_index("event_time")
    # every event-time estimate (pre-periods: truth 0) within 4 standard errors of the truth
    z = (t["estimate"] - truth.reindex(t.index)) / t["se"]
    assert (z.abs() < 4).all(), z
    assert res.att == pytest.approx(d.loc[d.treated == 1, "effect"].mean(), abs=4 * res.se)
    assert res.se < 0.05


def test_last_treated_cohort_controls_without_never_treated():
    d = staggered_panel(n_units=400, cohorts=(2013, 2015, 2017), seed=2)
    with pytest.warns(cw.ChipwarWarning, match="cohort 2017 serves as the control group"):
        res = cw.sun_abraham(d, outcome="y", unit="unit", time="time", cohort="cohort")
    manual = d[d.time < 2017].assign(cohort=lambda x: x.cohort.where(x.cohort < 2017, 0))
    expected = cw.sun_abraham(manual, outcome="y", unit="unit", time="time", cohort="cohort")
    assert res.att == pytest.approx(expected.att, rel=1e-12)
    assert res.info["control group"] == "last treated (cohort 2017)"


def test_constant_weights_change_nothing_and_unit_cluster_is_default(mpdta, fit):
    weighted = cw.sun_abraham(mpdta.assign(w=2.0), weights="w", **KW)
    assert weighted.att == pytest.approx(fit.att, rel=1e-10)
    assert weighted.se == pytest.approx(fit.se, rel=1e-8)
    clustered = cw.sun_abraham(mpdta, cluster="countyreal", **KW)
    assert clustered.se == pytest.approx(fit.se, rel=1e-12)


def test_honest_did_inputs(fit, mpdta):
    beta, sigma, num_pre, num_post = fit.honest_inputs()
    assert (num_pre, num_post) == (3, 4)
    np.testing.assert_allclose(beta, fit.table.sort_values("event_time").estimate)
    np.testing.assert_allclose(np.sqrt(np.diag(sigma)), fit.table.sort_values("event_time").se)
    with pytest.raises(cw.ChipwarError, match="0 pre- and 4 post-treatment"):
        cw.did_imputation(mpdta, **KW).honest_inputs()


def test_result_interface(fit):
    tidy = fit.tidy()
    assert list(tidy.columns) == ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
    assert tidy.term.iloc[0] == "ATT" and tidy.estimate.iloc[0] == fit.att
    assert list(fit.table.columns) == ["event_time", "estimate", "se", "conf_low", "conf_high", "p_value"]
    row = fit.table.iloc[0]
    assert row.conf_high - row.estimate == pytest.approx(1.959963984540054 * row.se, rel=1e-9)
    assert "Sun & Abraham" in repr(fit) and "event_time::3" in fit.summary()
    assert "<table" in fit._repr_html_()
    ax = fit.plot()
    assert len(ax.lines) >= 1 and ax.get_xlabel() == "event time"
    np.testing.assert_allclose(fit.vcov.to_numpy(), fit.vcov.to_numpy().T)
