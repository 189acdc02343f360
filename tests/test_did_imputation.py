"""did_imputation (Borusyak, Jaravel & Spiess 2024): independent dense computations of the estimates and of the
conservative variance, the mpdta number, simulated known effects (where TWFE fails), and the pre-trend test."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from did_sim import mpdta_panel, small_panel, staggered_panel

import chipwar as cw

SIM = dict(outcome="y", unit="unit", time="time", cohort="cohort")


def dense_bjs(d: pd.DataFrame, horizon: float | None, leave_out: bool, w: np.ndarray | None = None,
              covariates: tuple[str, ...] = (), cluster: str = "unit"):
    """BJS by the book on small data: dense dummies, the pseudo-inverse, Python loops over the averaging cells."""
    w = np.ones(len(d)) if w is None else w
    treated = d.treated.to_numpy() == 1
    rel = (d.time - d.cohort).to_numpy()
    z = np.column_stack([pd.get_dummies(d.unit).to_numpy(float), pd.get_dummies(d.time).to_numpy(float),
                         d[list(covariates)].to_numpy(float)])
    z0, y0, w0 = z[~treated], d.y.to_numpy()[~treated], w[~treated]
    gram_pinv = np.linalg.pinv(z0.T @ (w0[:, None] * z0))
    theta = gram_pinv @ z0.T @ (w0 * y0)
    tau = d.y.to_numpy() - z @ theta
    target = treated & ((rel >= 0) if horizon is None else (rel == horizon))
    w1 = np.where(target, w, 0.0)
    w1 /= w1.sum()
    v = w1.copy()
    v[~treated] = -(w0[:, None] * z0) @ gram_pinv @ z[treated].T @ w1[treated]
    eps = np.where(treated, 0.0, tau)
    units = d[cluster].to_numpy()
    for idx in np.flatnonzero(treated):
        same = treated & (d.cohort.to_numpy() == d.cohort.iat[idx]) & (rel == rel[idx])
        if leave_out:
            same &= units != units[idx]
        tau_bar = (v[same] * tau[same]).sum() / v[same].sum() if v[same].sum() != 0 else 0.0
        eps[idx] = tau[idx] - tau_bar
    se = np.sqrt(sum((v[units == u] * eps[units == u]).sum() ** 2 for u in np.unique(units)))
    return (w1 * tau).sum(), se, v


@pytest.fixture(scope="module")
def small():
    return small_panel(seed=5)


@pytest.mark.parametrize("leave_out", [False, True])
def test_matches_dense_computation_of_estimates_and_conservative_se(small, leave_out):
    res = cw.did_imputation(small, leave_out=leave_out, **SIM)
    att, se, v = dense_bjs(small, None, leave_out)
    assert res.att == pytest.approx(att, rel=1e-8)
    assert res.se == pytest.approx(se, rel=1e-7)
    # the estimator is linear in the outcome: sum(v * y) reproduces it
    assert (v * small.y).sum() == pytest.approx(att, rel=1e-8)
    for h, row in res.table.set_index("event_time").iterrows():
        est_h, se_h, _ = dense_bjs(small, h, leave_out)
        assert row["estimate"] == pytest.approx(est_h, rel=1e-8)
        assert row["se"] == pytest.approx(se_h, rel=1e-7)


@pytest.mark.parametrize("leave_out", [False, True])
def test_coarser_clusters_match_dense_computation(small, leave_out):
    d = small.assign(region=small.unit % 6)
    res = cw.did_imputation(d, cluster="region", leave_out=leave_out, **SIM)
    att, se, _ = dense_bjs(d, None, leave_out, cluster="region")
    assert res.att == pytest.approx(att, rel=1e-8)
    assert res.se == pytest.approx(se, rel=1e-7)


def test_weighted_matches_dense_computation(small):
    w = np.random.default_rng(0).uniform(0.5, 2.0, small.unit.nunique())[small.unit]
    res = cw.did_imputation(small.assign(w=w), weights="w", **SIM)
    att, se, _ = dense_bjs(small, None, False, w=w)
    assert res.att == pytest.approx(att, rel=1e-8)
    assert res.se == pytest.approx(se, rel=1e-7)


def test_covariates_match_dense_computation(small):
    rng = np.random.default_rng(3)
    d = small.assign(x=rng.normal(size=len(small)))
    d = d.assign(y=d.y + 0.7 * d.x)
    res = cw.did_imputation(d, covariates=["x"], **SIM)
    att, se, _ = dense_bjs(d, None, False, covariates=("x",))
    assert res.att == pytest.approx(att, rel=1e-8)
    assert res.se == pytest.approx(se, rel=1e-7)
    assert res.info["first_stage"].coef["x"] == pytest.approx(0.7, abs=0.1)


def test_first_stage_matches_statsmodels(small):
    res = cw.did_imputation(small, **SIM)
    untreated = small[small.treated == 0]
    sm = smf.ols("y ~ C(unit) + C(time)", untreated).fit()
    treated = small[small.treated == 1]
    tau = treated.y.to_numpy() - sm.predict(treated).to_numpy()
    effects = res.info["effects"]
    np.testing.assert_allclose(effects["effect"], tau, rtol=1e-7, atol=1e-9)
    assert res.att == pytest.approx(tau.mean(), rel=1e-8)


@pytest.mark.parametrize("leave_out", [False, True])
def test_mpdta_att_and_dense_se(shared, leave_out):
    d = mpdta_panel(shared)
    res = cw.did_imputation(d, leave_out=leave_out, **SIM)
    # REFERENCE.md quotes ATT -0.04771 (labelled fixest sunab; it is ETWFE's, which equals the imputation ATT)
    assert res.att == pytest.approx(-0.04771, abs=5e-6)
    # cohort 2004 has a single untreated period: a design where the variance's reduced system is nearly singular
    att, se, _ = dense_bjs(d, None, leave_out)
    assert res.att == pytest.approx(att, rel=1e-8)
    assert res.se == pytest.approx(se, rel=1e-7)


def test_recovers_truth_where_twfe_fails():
    d = staggered_panel(n_units=1000, seed=11)
    res = cw.did_imputation(d, **SIM)
    truth = d.loc[d.treated == 1, "effect"].mean()
    assert abs(res.att - truth) < 3 * res.se
    rel = d.time - d.cohort
    truth_h = d[d.treated == 1].groupby(rel[d.treated == 1])["effect"].mean()
    z = (res.table.set_index("event_time")["estimate"] - truth_h) / res.table.set_index("event_time")["se"]
    assert (z.abs() < 4).all(), z
    twfe = cw.feols("y ~ treated | unit + time", d, cluster="unit")
    # growing effects and early cohorts as controls for late ones bias static TWFE far below the truth
    assert truth - twfe.coef["treated"] > 10 * twfe.se["treated"]


def test_pretrend_test_detects_violation_and_passes_under_parallel_trends():
    d = staggered_panel(n_units=600, seed=4)
    ok = cw.did_imputation(d, pretrends=3, **SIM)
    stat, p = ok.pretest()
    assert p > 0.01
    rel = d.time - d.cohort
    bad = d.assign(y=d.y + np.where((d.cohort > 0) & (rel < 0), 0.15 * rel, 0.0))  # treated units trend differently
    stat_bad, p_bad = cw.did_imputation(bad, pretrends=3, **SIM).pretest()
    assert p_bad < 1e-6 and stat_bad > stat
    # the statistic is the Wald F of the lead dummies in the untreated-only regression
    u = d[d.treated == 0].assign(**{f"pre{j}": lambda x, j=j: ((x.time - x.cohort) == -j).astype(float)
                                    for j in (1, 2, 3)})
    fit = cw.feols("y ~ pre1 + pre2 + pre3 | unit + time", u, cluster="unit", fixef_rm="none")
    b = fit.coef.to_numpy()
    assert stat == pytest.approx(b @ np.linalg.solve(fit.vcov.to_numpy(), b) / 3, rel=1e-8)
    np.testing.assert_allclose(ok.info["pretrends"]["estimate"], b, rtol=1e-8)


def test_horizons_restrict_the_att(small):
    res = cw.did_imputation(small, horizons=[0, 1], **SIM)
    assert list(res.table.event_time) == [0.0, 1.0]
    att, _, _ = dense_bjs(small[(small.treated == 0) | ((small.time - small.cohort) <= 1)], None, False)
    assert res.att == pytest.approx(att, rel=1e-8)
    with pytest.raises(cw.ChipwarError, match="horizons"):
        cw.did_imputation(small, horizons=[40], **SIM)


def test_unidentified_periods_are_dropped_with_warning():
    d = staggered_panel(n_units=200, cohorts=(2013, 2015, 2017), seed=8)
    with pytest.warns(cw.ChipwarWarning, match="no untreated unit is observed"):
        res = cw.did_imputation(d, **SIM)
    assert res.info["treated observations"] == int(((d.treated == 1) & (d.time < 2017)).sum())


def test_result_interface(small):
    res = cw.did_imputation(small, pretrends=2, **SIM)
    assert res.tidy().term.tolist()[0] == "ATT"
    assert "pretrend p-value" in res.summary()
    ax = res.plot()
    assert len(ax.collections) + len(ax.lines) > 0
    with pytest.raises(cw.ChipwarError, match="pretrends"):
        cw.did_imputation(small, **SIM).pretest()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unbalanced_panels_with_a_large_scale_covariate_match_dense(seed):
    d = staggered_panel(n_units=60, seed=seed)
    rng = np.random.default_rng(seed)
    d = d[rng.uniform(size=len(d)) > 0.15].reset_index(drop=True)
    d["x"] = 100 * rng.normal(size=len(d))  # periods and covariates on very different scales
    d["y"] += 0.01 * d.x
    for leave_out in (False, True):
        res = cw.did_imputation(d, covariates=["x"], leave_out=leave_out, **SIM)
        att, se, _ = dense_bjs(d, None, leave_out, covariates=("x",))
        assert res.att == pytest.approx(att, rel=1e-8)
        assert res.se == pytest.approx(se, rel=1e-7)
