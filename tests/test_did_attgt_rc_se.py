"""Standard errors of att_gt with repeated cross sections and covariates (panel=False; est. methods dr, ipw, reg).

Two independent checks of the influence functions of Sant'Anna & Zhao's (2020) cross-section estimators:

* the M-estimation delta method written here: each estimate is a sum of ratios mean(a v) / mean(a) of sample
  means that depend on the logit and the four cell OLS coefficients; its influence function is the gradient of that
  function times (the observation's terms minus their means), plus the derivative with respect to the nuisance
  coefficients (a numerical Jacobian) times their influence, -J^{-1} psi with J the numerical Jacobian of the
  stacked logit score and OLS normal equations. It contains every logit and OLS estimation effect by construction;
* the peers that port R did's panel=False path (DRDID's reg_did_rc, std_ipw_did_rc, drdid_rc): moderndid and
  diff-diff, on mpdta turned into a repeated cross section.

Findings the tests pin down: chipwar equals the delta method to ~1e-10 for all three methods, with and without
sampling weights. moderndid (as DRDID::drdid_rc, which R did calls) flips the sign of the pre-period comparison
outcome-regression estimation effect in the locally efficient DR estimator; diff-diff has it right. moderndid also
drops the sampling weights from the cohort shares of its aggregations with repeated cross sections.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import chipwar as cw
from did_sim import cross_sections

RC = {"outcome": "y", "unit": None, "time": "t", "cohort": "g", "panel": False, "covariates": ["x"]}
MPDTA_RC = {"outcome": "lemp", "unit": None, "time": "year", "cohort": "first.treat", "panel": False,
            "covariates": ["lpop"]}


@pytest.fixture
def mpdta_rc(shared):
    m = pd.read_csv(shared("reference", "did", "mpdta.csv"))
    rc = m[np.random.default_rng(7).uniform(size=len(m)) < 0.5].reset_index(drop=True)  # each county-year or not
    return rc.assign(row=np.arange(len(rc)), w=np.random.default_rng(3).uniform(0.5, 2.0, len(rc)))


# -- the independent delta method -------------------------------------------------------------------------------


def _jacobian(fun, theta: np.ndarray, h: float = 1e-6) -> np.ndarray:
    cols = []
    for j in range(len(theta)):
        step = h * max(1.0, abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] += step
        down[j] -= step
        cols.append((fun(up) - fun(down)) / (2 * step))
    return np.column_stack(cols)


def _delta_method(y, post, d, x, w, method):
    """(att, influence function per observation) of reg_did_rc / std_ipw_did_rc / drdid_rc on one 2x2 cell."""
    k = x.shape[1]
    w = w / w.mean()
    pre = 1 - post
    cells = {"cpre": (1 - d) * pre, "cpost": (1 - d) * post, "tpre": d * pre, "tpost": d * post}
    fits = [sm.WLS(y, x, weights=w * m).fit().params for m in cells.values()]
    gamma = np.zeros(0)
    if method != "reg":
        gamma = sm.GLM(d, x, family=sm.families.Binomial(), var_weights=w).fit(tol=1e-14).params
    theta0 = np.concatenate([gamma, *fits])

    def unpack(theta):
        mu = {c: x @ theta[len(gamma) + i * k:len(gamma) + (i + 1) * k] for i, c in enumerate(cells)}
        return (1 / (1 + np.exp(-x @ theta[:k])) if len(gamma) else None), mu

    def moments(theta):  # n x p: logit score, then the four OLS normal equations
        ps, mu = unpack(theta)
        parts = [(w * (d - ps))[:, None] * x] if method != "reg" else []
        parts += [(w * m * (y - mu[c]))[:, None] * x for c, m in cells.items()]
        return np.hstack(parts)

    def terms(theta):  # att = sum of sign * mean(a v) / mean(a)
        ps, mu = unpack(theta)
        if method == "reg":
            return [(1, w * d * post, y), (-1, w * d * pre, y), (-1, w * d, mu["cpost"] - mu["cpre"])]
        odds = w * ps * (1 - d) / (1 - ps)
        if method == "ipw":
            return [(1, w * d * post, y), (-1, w * d * pre, y), (-1, odds * post, y), (1, odds * pre, y)]
        r = y - post * mu["cpost"] - pre * mu["cpre"]
        gap1, gap0 = mu["tpost"] - mu["cpost"], mu["tpre"] - mu["cpre"]
        return [(1, w * d * post, r), (-1, w * d * pre, r), (-1, odds * post, r), (1, odds * pre, r),
                (1, w * d, gap1), (-1, w * d * post, gap1), (-1, w * d, gap0), (1, w * d * pre, gap0)]

    def means(theta):
        return np.concatenate([[np.mean(a * v), np.mean(a)] for _, a, v in terms(theta)])

    t0, m0 = terms(theta0), means(theta0)
    att = sum(s * m0[2 * j] / m0[2 * j + 1] for j, (s, _, _) in enumerate(t0))
    grad = np.concatenate([[s / m0[2 * j + 1], -s * m0[2 * j] / m0[2 * j + 1] ** 2] for j, (s, _, _) in enumerate(t0)])
    per_obs = np.column_stack([col for _, a, v in t0 for col in (a * v, a)])
    nuisance_inf = -np.linalg.solve(_jacobian(lambda th: moments(th).mean(axis=0), theta0), moments(theta0).T).T
    return att, (per_obs - m0) @ grad + nuisance_inf @ (_jacobian(means, theta0).T @ grad)


def _cell(df, r, time, cohort):
    """Rows of one 2x2 cell (never-treated comparison) and its arrays, intercept first in x."""
    rows = (df[time].isin([r.time, r.base_time]) & ((df[cohort] == r.cohort) | (df[cohort] == 0))).to_numpy()
    sub = df[rows]
    return rows, (sub[time] == r.time).to_numpy(float), (sub[cohort] == r.cohort).to_numpy(float), sub


@pytest.mark.parametrize("weights", [None, "w"])
@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
def test_influence_functions_equal_the_delta_method(method, weights):
    df = cross_sections(3000, seed=11, effect=0.8)
    df["w"] = np.random.default_rng(12).lognormal(0, 0.5, len(df))  # skewed sampling weights
    res = cw.att_gt(df, **RC, method=method, weights=weights)
    for j, r in enumerate(res.table.itertuples()):
        rows, post, d, sub = _cell(df, r, "t", "g")
        x = np.column_stack([np.ones(len(sub)), sub["x"]])
        w = sub["w"].to_numpy() if weights else np.ones(len(sub))
        att, inf = _delta_method(sub["y"].to_numpy(), post, d, x, w, method)
        assert r.att == pytest.approx(att, abs=1e-10)
        # att_gt scales a cell's observation influence functions by N / n_cell (did's convention); zero elsewhere
        ours = res.inf[:, j] * rows.sum() / len(df)
        np.testing.assert_allclose(ours[rows], inf, rtol=0, atol=1e-6 * np.abs(inf).max())
        assert not ours[~rows].any()
        assert r.se == pytest.approx(np.sqrt(np.sum(inf**2)) / rows.sum(), rel=1e-8)


# -- peers ------------------------------------------------------------------------------------------------------


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.mark.parametrize("method", ["reg", "ipw"])
def test_reg_and_ipw_match_moderndid_with_weights(mpdta_rc, method):
    md = pytest.importorskip("moderndid")
    res = cw.att_gt(mpdta_rc, **MPDTA_RC, method=method, weights="w")
    peer = _quiet(md.att_gt, data=mpdta_rc, yname="lemp", tname="year", idname="row", gname="first.treat",
                  xformla="~lpop", panel=False, est_method=method, boot=False, cband=False, weightsname="w")
    np.testing.assert_allclose(res.table["att"], np.asarray(peer.att_gt), rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.table["se"], np.asarray(peer.se_gt), rtol=1e-9)
    # moderndid leaves the sampling weights out of its aggregations' cohort shares with repeated cross sections
    # (weights_ind is None); given them, as R did uses them, its aggregated SEs are ours
    assert peer.weights_ind is None
    # its rows are ordered by period, cohort (never treated last) and id: give it the weights in that order
    order = mpdta_rc.assign(g=mpdta_rc["first.treat"].replace(0, np.inf)).sort_values(["year", "g", "row"])
    assert np.array_equal(np.asarray(peer.G, float), order["g"].to_numpy(float))
    weighted = peer._replace(weights_ind=order["w"].to_numpy())
    simple = _quiet(md.aggte, weighted, type="simple", boot=False, cband=False)
    assert res.aggregate("simple").se == pytest.approx(simple.overall_se, rel=1e-9)
    dynamic = _quiet(md.aggte, weighted, type="dynamic", boot=False, cband=False)
    ours = res.aggregate("dynamic")
    np.testing.assert_allclose(ours.table["se"], np.asarray(dynamic.se_by_event), rtol=1e-9)
    assert ours.se == pytest.approx(dynamic.overall_se, rel=1e-9)


def test_dr_matches_diff_diff_cells_and_aggregations(mpdta_rc):
    dd = pytest.importorskip("diff_diff")
    res = cw.att_gt(mpdta_rc, **MPDTA_RC, method="dr")
    est = dd.CallawaySantAnna(control_group="never_treated", estimation_method="dr", panel=False)
    peer = _quiet(est.fit, mpdta_rc.assign(ft=mpdta_rc["first.treat"]), outcome="lemp", unit="row", time="year",
                  first_treat="ft", covariates=["lpop"], aggregate="event_study")
    cells = [peer.group_time_effects[(int(r.cohort), int(r.time))] for r in res.table.itertuples()]
    np.testing.assert_allclose(res.table["att"], [c["effect"] for c in cells], rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.table["se"], [c["se"] for c in cells], rtol=1e-9)
    assert res.aggregate("simple").se == pytest.approx(peer.overall_se, rel=1e-9)
    dyn = res.aggregate("dynamic").table
    np.testing.assert_allclose(dyn["se"], [peer.event_study_effects[e]["se"] for e in dyn["event_time"]], rtol=1e-9)


def test_dr_differs_from_drdid_by_the_sign_of_one_estimation_effect(mpdta_rc):
    """DRDID::drdid_rc (moderndid's port) adds asy.lin.rep.ols.pre %*% M1.pre with M1.pre = -colMeans(w.treat.pre
    X) / mean(w.treat.pre), and likewise for the comparison part, although the pre-period terms enter the estimate
    with a minus sign. Its influence function is ours plus twice that pre-period term; the delta method above
    sides with ours."""
    pytest.importorskip("moderndid")
    from moderndid.drdid.estimators.drdid_rc import drdid_rc

    res = cw.att_gt(mpdta_rc, **MPDTA_RC, method="dr")
    r = res.table.iloc[0]
    rows, post, d, sub = _cell(mpdta_rc, r, "year", "first.treat")
    x = np.column_stack([np.ones(len(sub)), sub["lpop"]])
    y = sub["lemp"].to_numpy()
    peer = _quiet(drdid_rc, y=y, post=post, d=d, covariates=x, influence_func=True)
    ours = res.inf[rows, 0] * rows.sum() / len(mpdta_rc)
    # the pre-period comparison OLS's influence on its coefficients, and the treated and weighted comparison
    # covariate means of the pre period
    n, pre = len(y), 1 - post
    ps = sm.GLM(d, x, family=sm.families.Binomial()).fit(tol=1e-14).predict(x)
    in_ols = (1 - d) * pre
    beta = sm.WLS(y, x, weights=in_ols).fit().params
    ols_inf = (in_ols * (y - x @ beta))[:, None] * x @ np.linalg.inv(x.T @ (in_ols[:, None] * x) / n)
    odds_pre = ps * (1 - d) * pre / (1 - ps)
    treated_mean = (d * pre) @ x / (d * pre).sum()
    comparison_mean = odds_pre @ x / odds_pre.sum()
    np.testing.assert_allclose(peer.att_inf_func - ours, 2 * ols_inf @ (comparison_mean - treated_mean),
                               rtol=0, atol=1e-9)
    assert np.abs(peer.att_inf_func - ours).max() > 1e-3  # a real difference on these data
