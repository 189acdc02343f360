"""etwfe (Wooldridge 2023), gaussian: the mpdta number, an independent saturated dummy regression, the exact
equivalences with the imputation estimator (not-yet-treated controls) and with Callaway & Sant'Anna's published
ATT(g, t) and aggregations (never-treated controls), and simulated known effects."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from did_sim import staggered_panel

import chipwar as cw

KW = dict(outcome="lemp", unit="countyreal", time="year", cohort="first.treat")
SIM = dict(outcome="y", unit="unit", time="time", cohort="cohort")


@pytest.fixture(scope="module")
def mpdta(shared):
    return pd.read_csv(shared("reference", "did", "mpdta.csv"))


@pytest.fixture(scope="module")
def notyet(mpdta):
    return cw.etwfe(mpdta, **KW)


@pytest.fixture(scope="module")
def never(mpdta):
    return cw.etwfe(mpdta, cgroup="never", **KW)


def test_mpdta_quote(notyet):
    # REFERENCE.md's third-party quote (labelled fixest sunab): ATT -0.04771, SE 0.013265 with county and year
    # effects clustered by county; it is this model (ETWFE, not-yet-treated controls, fixest's CRV1)
    assert notyet.att == pytest.approx(-0.04771, abs=5e-6)
    assert notyet.se == pytest.approx(0.013265, abs=5e-7)


def test_equals_saturated_dummy_regression_in_statsmodels(mpdta, notyet):
    d = mpdta.copy()
    g = d["first.treat"]
    cell = (g > 0) & (d.year >= g)
    names = []
    for c, t in sorted(set(zip(g[cell], d.year[cell]))):
        names.append(f"d{c}_{t}")
        d[names[-1]] = ((g == c) & (d.year == t)).astype(float)
    sm = smf.ols("lemp ~ " + " + ".join(names) + " + C(countyreal) + C(year)", d).fit(
        cov_type="cluster", cov_kwds={"groups": d["countyreal"]}
    )
    table = notyet.table
    np.testing.assert_allclose(table.estimate, sm.params[names], rtol=1e-8)
    np.testing.assert_allclose(notyet.cell_coefficients.coefficient, sm.params[names], rtol=1e-8)
    # the ATT averages the cells by their number of treated observations
    size = np.array([((g == int(n[1:5])) & (d.year == int(n[6:]))).sum() for n in names], dtype=float)
    w = size / size.sum()
    assert notyet.att == pytest.approx(w @ sm.params[names], rel=1e-9)
    # statsmodels counts the county dummies in K; fixest's CRV1 does not (nested in the cluster): convert
    n, k_sm, k_fx = len(d), sm.df_model + 1, len(names) + 1 + 4
    V = sm.cov_params().loc[names, names].to_numpy() * (n - k_sm) / (n - k_fx)
    assert notyet.se == pytest.approx(np.sqrt(w @ V @ w), rel=1e-7)


def test_notyet_cells_equal_imputation(mpdta, notyet):
    imp = cw.did_imputation(mpdta, **KW)
    eff = imp.info["effects"]
    by_cell = eff.groupby(["cohort", "time"])["effect"].mean()
    np.testing.assert_allclose(notyet.table.set_index(["cohort", "time"]).estimate, by_cell, rtol=1e-8)
    assert notyet.att == pytest.approx(imp.att, rel=1e-9)
    np.testing.assert_allclose(notyet.aggregate("dynamic").estimates, imp.estimates, rtol=1e-8)


def test_never_controls_reproduce_published_callaway_santanna(never, shared):
    attgt = pd.read_csv(shared("reference", "did", "ref_attgt.csv"))
    aggte = pd.read_csv(shared("reference", "did", "ref_aggte.csv"))
    attgt, aggte = attgt[attgt.scenario == "mpdta_nev_dr"], aggte[aggte.scenario == "mpdta_nev_dr"]
    post = never.table[never.table.event_time >= 0].set_index(["cohort", "time"])
    ref = attgt.set_index(["group", "t"]).att
    np.testing.assert_allclose(post.estimate, ref.reindex(post.index).to_numpy(), rtol=1e-8)
    assert never.att == pytest.approx(-0.0399512751551763, rel=1e-9)
    for kind in ("group", "dynamic", "calendar"):
        rows = aggte[aggte.type == kind]
        rows = rows[rows.egt.astype(float) >= 0] if kind == "dynamic" else rows
        agg = never.aggregate(kind)
        np.testing.assert_allclose(agg.estimates.reindex(rows.egt.astype(float)), rows.att_egt, rtol=1e-8)


def test_recovers_known_effects_with_covariates():
    d = staggered_panel(n_units=1200, seed=31)
    rng = np.random.default_rng(5)
    x = rng.normal(size=d.unit.nunique())
    d["x"] = x[d.unit] + 1.0 * (d.cohort > 0)  # covariate differs by cohort ...
    d["y"] += 0.2 * d.x * (d.time - 2010)  # ... and drives the trend: parallel trends hold only given x
    res = cw.etwfe(d, covariates=["x"], **SIM)
    truth = d.loc[d.treated == 1, "effect"].mean()
    assert abs(res.att - truth) < 4 * res.se
    dyn = res.aggregate("dynamic").table.set_index("event_time")
    rel = d.time - d.cohort
    truth_e = d[d.treated == 1].groupby(rel[d.treated == 1])["effect"].mean()
    assert (((dyn.estimate - truth_e) / dyn.se).abs() < 4).all()
    unadjusted = cw.etwfe(d, **SIM)
    assert abs(unadjusted.att - truth) > 10 * unadjusted.se


def test_cohort_fixed_effects_give_the_same_cells_in_a_balanced_panel(mpdta, notyet):
    by_cohort = cw.etwfe(mpdta, fixef="cohort", **KW)
    np.testing.assert_allclose(by_cohort.table.estimate, notyet.table.estimate, rtol=1e-8)


def test_fixed_effects_and_clusters_written_with_data_columns(mpdta, notyet):
    res = cw.etwfe(mpdta, fixef="countyreal + year", vcov={"CRV1": "countyreal"}, **KW)
    np.testing.assert_allclose(res.table.estimate, notyet.table.estimate, rtol=1e-9)
    assert res.se == pytest.approx(notyet.se, rel=1e-8)
    state = cw.etwfe(mpdta.assign(state=mpdta.countyreal // 1000), cluster="state", **KW)
    assert state.att == pytest.approx(notyet.att, rel=1e-10) and state.info["standard errors"] == "Clustered (state)"


def test_weights_constant_change_nothing(mpdta, notyet):
    res = cw.etwfe(mpdta.assign(w=3.0), weights="w", **KW)
    assert res.att == pytest.approx(notyet.att, rel=1e-10) and res.se == pytest.approx(notyet.se, rel=1e-8)


def test_options_and_interface(mpdta, notyet):
    with pytest.raises(cw.ChipwarError, match="aggregate"):
        notyet.aggregate("cohort")
    with pytest.raises(cw.ChipwarError, match="family"):
        cw.etwfe(mpdta, family="logit", **KW)
    with pytest.raises(cw.ChipwarError, match="'state' not found"):
        cw.etwfe(mpdta, fixef="state + year", **KW)
    with pytest.raises(cw.ChipwarError, match="fixef"):
        cw.etwfe(mpdta, fixef="", **KW)
    simple = notyet.aggregate("simple")
    assert simple.estimates.iloc[0] == pytest.approx(notyet.att, rel=1e-12)
    assert notyet.tidy().term.tolist()[:2] == ["ATT", "ATT(2004,2004)"]
    assert "Extended TWFE" in repr(notyet) and "<table" in notyet._repr_html_()
    assert notyet.plot().get_xlabel() == "event time"
    hetero = cw.etwfe(mpdta, vcov="hetero", **KW)
    assert hetero.att == pytest.approx(notyet.att, rel=1e-12) and hetero.se != pytest.approx(notyet.se, rel=1e-3)
