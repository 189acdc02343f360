"""att_gt with repeated cross sections (panel=False) and unbalanced panels: brute-force cell means and sandwiches,
an independent statsmodels implementation of DRDID's cross-section estimators, mpdta, and a simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import chipwar as cw
from did_sim import cross_sections

MPDTA = {"outcome": "lemp", "unit": "countyreal", "time": "year", "cohort": "first.treat"}
RC = {"outcome": "y", "unit": None, "time": "t", "cohort": "g", "panel": False}


@pytest.fixture
def mpdta(shared):
    return pd.read_csv(shared("reference", "did", "mpdta.csv"))


def _brute_force(df: pd.DataFrame, g: float, t: float, base: float) -> tuple[float, float]:
    """Difference of the four cell means and its sandwich SE, over all observations of the whole sample."""
    treated = df["g"] == g
    control = df["g"] == 0
    att, var = 0.0, 0.0
    for group, period, sign in [(treated, t, 1), (treated, base, -1), (control, t, -1), (control, base, 1)]:
        y = df.loc[group & (df["t"] == period), "y"].to_numpy()
        att += sign * y.mean()
        var += np.sum((y - y.mean()) ** 2) / len(y) ** 2
    return att, np.sqrt(var)


@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
def test_without_covariates_cells_are_differences_of_four_means(method):
    df = cross_sections(3000, seed=1, effect=1.0)
    tab = cw.att_gt(df, **RC, method=method).table
    assert len(tab) == 6
    for r in tab.itertuples():
        att, se = _brute_force(df, r.cohort, r.time, r.base_time)
        assert r.att == pytest.approx(att, abs=1e-10)
        assert r.se == pytest.approx(se, abs=1e-10)


def _ols_fit(y, x, mask):
    return sm.WLS(y[mask], x[mask]).fit().predict(x)


def _drdid_rc(y, post, d, x, method):
    """Point estimates of DRDID's reg_did_rc, std_ipw_did_rc and drdid_rc (unit weights), from their formulas."""
    pre = 1 - post
    cont_pre = _ols_fit(y, x, (d == 0) & (pre == 1))
    cont_post = _ols_fit(y, x, (d == 0) & (post == 1))

    def ratio(a, v):
        return np.mean(a * v) / np.mean(a)

    if method == "reg":
        return ratio(d * post, y) - ratio(d * pre, y) - ratio(d, cont_post - cont_pre)
    ps = sm.GLM(d, x, family=sm.families.Binomial()).fit(tol=1e-14).predict(x)
    odds = ps * (1 - d) / (1 - ps)
    if method == "ipw":
        return ratio(d * post, y) - ratio(d * pre, y) - ratio(odds * post, y) + ratio(odds * pre, y)
    resid = y - (post * cont_post + pre * cont_pre)
    treat_pre = _ols_fit(y, x, (d == 1) & (pre == 1))
    treat_post = _ols_fit(y, x, (d == 1) & (post == 1))
    return (
        ratio(d * post, resid) - ratio(d * pre, resid) - ratio(odds * post, resid) + ratio(odds * pre, resid)
        + ratio(d, treat_post - cont_post) - ratio(d * post, treat_post - cont_post)
        - ratio(d, treat_pre - cont_pre) + ratio(d * pre, treat_pre - cont_pre)
    )


@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
def test_with_a_covariate_matches_statsmodels_drdid_rc(method):
    df = cross_sections(4000, seed=2, effect=0.5)
    tab = cw.att_gt(df, **RC, method=method, covariates=["x"], control="notyet").table
    for r in tab.itertuples():
        after = max(r.time, r.base_time)
        cell = df[df["t"].isin([r.time, r.base_time]) & ((df["g"] == r.cohort) | (df["g"] == 0) | (df["g"] > after))]
        x = sm.add_constant(cell["x"].to_numpy())
        ref = _drdid_rc(
            cell["y"].to_numpy(), (cell["t"] == r.time).to_numpy(float), (cell["g"] == r.cohort).to_numpy(float),
            x, method,
        )
        assert r.att == pytest.approx(ref, abs=1e-8)


def test_simulated_cross_sections_recover_the_effect():
    df = cross_sections(20000, seed=3, effect=2.0)
    tab = cw.att_gt(df, **RC, covariates=["x"]).table
    post = tab["post"].to_numpy()
    z = (tab["att"] - np.where(post, 2.0, 0.0)) / tab["se"]
    assert np.all(np.abs(z) < 4)
    assert np.all(tab["se"] < 0.15)


def test_mpdta_as_cross_sections_is_close_to_the_panel(mpdta):
    coin = np.random.default_rng(7).uniform(size=len(mpdta)) < 0.5  # each county-year observed or not
    rc = cw.att_gt(mpdta[coin], **MPDTA, panel=False).table
    full = cw.att_gt(mpdta, **MPDTA).table
    assert len(rc) == len(full)
    # half the observations and no within-unit differencing: within 3 cross-section SEs, SEs larger
    assert np.all(np.abs(rc["att"] - full["att"]) < 3 * rc["se"])
    assert np.all(rc["se"] > full["se"])


def test_unbalanced_panel_keeps_every_unit(mpdta):
    gone = np.random.default_rng(8).uniform(size=len(mpdta)) < 0.1
    res = cw.att_gt(mpdta[~gone], **MPDTA, allow_unbalanced_panel=True)
    assert res.n_units == mpdta["countyreal"].nunique()
    cell = res.table.iloc[0]
    kept = mpdta[~gone]
    in_cell = kept["year"].isin([cell.time, cell.base_time])
    assert cell.n_treated == int((in_cell & (kept["first.treat"] == cell.cohort)).sum())
    with pytest.warns(cw.ChipwarWarning, match="not observed in every period"):
        dropped = cw.att_gt(mpdta[~gone], **MPDTA)
    assert dropped.n_units < res.n_units


@pytest.mark.parametrize("control", ["never", "notyet"])
def test_unbalanced_machinery_on_a_balanced_panel_equals_the_panel_estimator(mpdta, control):
    panel = cw.att_gt(mpdta, **MPDTA, control=control).table
    unbal = cw.att_gt(mpdta, **MPDTA, control=control, allow_unbalanced_panel=True).table
    np.testing.assert_allclose(unbal["att"], panel["att"], rtol=0, atol=1e-10)
    # without covariates the unit sums of the observations' influence functions are the panel ones
    np.testing.assert_allclose(unbal["se"], panel["se"], rtol=0, atol=1e-10)


def test_bad_cross_section_input():
    df = cross_sections(2000, seed=4)
    with pytest.raises(cw.ChipwarError, match="allow_unbalanced_panel=True applies to panel data only"):
        cw.att_gt(df, **RC, allow_unbalanced_panel=True)
    with pytest.raises(cw.ChipwarError, match="unit is required for panel data"):
        cw.att_gt(df, **{**RC, "panel": True})
    # cohort 3 never observed in period 2: ATT(3, 2) has no treated observations in its period t
    hole = df[~((df["g"] == 3) & (df["t"] == 2))]
    with pytest.raises(cw.ChipwarError, match=r"ATT\(g=3, t=2\): no observations of treated units in period t"):
        cw.att_gt(hole, **RC)
    early = pd.concat([df, df.head(5).assign(g=1.0)])
    with pytest.warns(cw.ChipwarWarning, match="dropped 5 observations already treated in the first period"):
        assert len(cw.att_gt(early, **RC).table) == 6
    with pytest.raises(cw.ChipwarError, match="covariate 'c' has no variation"):
        cw.att_gt(df.assign(c=1.0), **RC, covariates=["c"])
