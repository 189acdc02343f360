"""did2s (Gardner 2021): the GMM variance by a dense computation, pyfixest's did2s, equality with the imputation
estimator, the mpdta number and simulated known effects."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from did_sim import mpdta_panel, small_panel, staggered_panel

import chipwar as cw

SIM = dict(outcome="y", unit="unit", time="time", cohort="cohort")


def dense_did2s(d: pd.DataFrame, x2: np.ndarray, w: np.ndarray | None = None, covariates: tuple[str, ...] = (),
                cluster: str = "unit"):
    """Both stages and the stacked-moment (GMM) variance with dense dummies, as written in Gardner (2021)."""
    w = np.ones(len(d)) if w is None else w
    untreated = d.treated.to_numpy() == 0
    x1 = np.column_stack([pd.get_dummies(d.unit).to_numpy(float), pd.get_dummies(d.time).to_numpy(float),
                          d[list(covariates)].to_numpy(float)])
    x10 = x1 * untreated[:, None]
    g10 = np.linalg.pinv(x10.T @ (w[:, None] * x10))
    theta = g10 @ x10.T @ (w * d.y.to_numpy())
    y_tilde = d.y.to_numpy() - x1 @ theta
    e1 = np.where(untreated, y_tilde, 0.0)
    bread = np.linalg.inv(x2.T @ (w[:, None] * x2))
    coef = bread @ x2.T @ (w * y_tilde)
    e2 = y_tilde - x2 @ coef
    v = x2.T @ (w[:, None] * x1) @ g10
    meat = np.zeros((x2.shape[1], x2.shape[1]))
    for u in np.unique(d[cluster]):
        m = d[cluster].to_numpy() == u
        psi = x2[m].T @ (w[m] * e2[m]) - v @ x10[m].T @ (w[m] * e1[m])
        meat += np.outer(psi, psi)
    return coef, bread @ meat @ bread


@pytest.fixture(scope="module")
def small():
    return small_panel(seed=6)


@pytest.mark.parametrize("weighted", [False, True])
def test_matches_dense_gmm_computation(small, weighted):
    w = np.random.default_rng(1).uniform(0.5, 2.0, small.unit.nunique())[small.unit] if weighted else None
    d = small.assign(w=1.0 if w is None else w)
    res = cw.did2s(d, weights="w" if weighted else None, **SIM)
    coef, vcov = dense_did2s(small, small[["treated"]].to_numpy(float), w)
    assert res.att == pytest.approx(coef[0], rel=1e-8)
    assert res.se == pytest.approx(np.sqrt(vcov[0, 0]), rel=1e-7)
    rel = (small.time - small.cohort).where(small.cohort > 0)
    x2 = (rel.to_numpy()[:, None] == res.table.event_time.to_numpy()[None, :]).astype(float)
    coef, vcov = dense_did2s(small, x2, w)
    np.testing.assert_allclose(res.estimates, coef, rtol=1e-8)
    np.testing.assert_allclose(res.vcov.to_numpy(), vcov, rtol=1e-7, atol=1e-14)


def test_covariates_match_dense_gmm_computation(small):
    rng = np.random.default_rng(4)
    d = small.assign(x=rng.normal(size=len(small)))
    d = d.assign(y=d.y - 0.4 * d.x)
    res = cw.did2s(d, covariates=["x"], **SIM)
    coef, vcov = dense_did2s(d, d[["treated"]].to_numpy(float), covariates=("x",))
    assert res.att == pytest.approx(coef[0], rel=1e-8)
    assert res.se == pytest.approx(np.sqrt(vcov[0, 0]), rel=1e-7)


def test_coarser_clusters_match_dense_gmm_computation(small):
    d = small.assign(region=small.unit % 6)
    res = cw.did2s(d, cluster="region", **SIM)
    coef, vcov = dense_did2s(d, d[["treated"]].to_numpy(float), cluster="region")
    assert res.se == pytest.approx(np.sqrt(vcov[0, 0]), rel=1e-7)


def test_pretrend_event_times_match_dense(small):
    res = cw.did2s(small, pretrends=True, **SIM)
    assert res.table.event_time.min() == -4 and -1 not in set(res.table.event_time)
    rel = (small.time - small.cohort).where(small.cohort > 0)
    x2 = (rel.to_numpy()[:, None] == res.table.event_time.to_numpy()[None, :]).astype(float)
    coef, vcov = dense_did2s(small, x2)
    np.testing.assert_allclose(res.estimates, coef, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(np.sqrt(np.diag(res.vcov)), np.sqrt(np.diag(vcov)), rtol=1e-7)


def test_matches_pyfixest_did2s():
    pf = pytest.importorskip("pyfixest")
    d = staggered_panel(n_units=300, seed=3)
    res = cw.did2s(d, **SIM)
    d["tp"] = d.treated.astype(int)
    d["rel"] = np.where(d.treated == 1, d.time - d.cohort, -1000.0)
    with warnings.catch_warnings():  # the oracle's pandas deprecation notices are not ours
        warnings.simplefilter("ignore")
        att = pf.did2s(d, yname="y", first_stage="~0|unit+time", second_stage="~tp", treatment="tp",
                       cluster="unit").tidy()
        es = pf.did2s(d, yname="y", first_stage="~0|unit+time", second_stage="~i(rel, ref=-1000.0)",
                      treatment="tp", cluster="unit").tidy()
    # pyfixest demeans to its fixed default tolerance, which bounds the agreement of the point estimates (~1e-6)
    assert res.att == pytest.approx(att["Estimate"].iloc[0], rel=2e-5)
    assert res.se == pytest.approx(att["Std. Error"].iloc[0], rel=2e-5)
    np.testing.assert_allclose(res.estimates, es["Estimate"].astype(float), rtol=2e-5)
    np.testing.assert_allclose(res.table.se, es["Std. Error"].astype(float), rtol=2e-5)


@pytest.mark.parametrize("options", [{}, {"covariates": ["x"]}, {"weights": "w"}])
def test_point_estimates_equal_imputation(options):
    d = staggered_panel(n_units=300, seed=9)
    rng = np.random.default_rng(2)
    d["x"] = rng.normal(size=len(d))
    d["y"] += 0.5 * d["x"]
    d["w"] = rng.uniform(0.5, 2, d.unit.nunique())[d.unit]
    two = cw.did2s(d, **SIM, **options)
    imp = cw.did_imputation(d, **SIM, **options)
    assert two.att == pytest.approx(imp.att, rel=1e-10)
    np.testing.assert_allclose(two.estimates, imp.estimates, rtol=1e-10)


def test_mpdta_att_and_dense_se(shared):
    d = mpdta_panel(shared)
    res = cw.did2s(d, **SIM)
    assert res.att == pytest.approx(-0.04771, abs=5e-6)  # the REFERENCE.md quote (see test_did_imputation.py)
    coef, vcov = dense_did2s(d, d[["treated"]].to_numpy(float))
    assert res.att == pytest.approx(coef[0], rel=1e-8)
    assert res.se == pytest.approx(np.sqrt(vcov[0, 0]), rel=1e-7)


def test_recovers_truth_where_twfe_fails():
    d = staggered_panel(n_units=1000, seed=12)
    res = cw.did2s(d, **SIM)
    truth = d.loc[d.treated == 1, "effect"].mean()
    assert abs(res.att - truth) < 3 * res.se
    twfe = cw.feols("y ~ treated | unit + time", d, cluster="unit")
    assert truth - twfe.coef["treated"] > 10 * twfe.se["treated"]
    rel = d.time - d.cohort
    truth_h = d[d.treated == 1].groupby(rel[d.treated == 1])["effect"].mean()
    t = res.table.set_index("event_time")
    assert (((t["estimate"] - truth_h) / t["se"]).abs() < 4).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unbalanced_panels_with_a_large_scale_covariate_match_dense(seed):
    d = staggered_panel(n_units=60, seed=seed)
    rng = np.random.default_rng(seed)
    d = d[rng.uniform(size=len(d)) > 0.15].reset_index(drop=True)
    d["x"] = 100 * rng.normal(size=len(d))
    d["y"] += 0.01 * d.x
    res = cw.did2s(d, covariates=["x"], **SIM)
    coef, vcov = dense_did2s(d, d[["treated"]].to_numpy(float), covariates=("x",))
    assert res.att == pytest.approx(coef[0], rel=1e-8)
    assert res.se == pytest.approx(np.sqrt(vcov[0, 0]), rel=1e-7)
