"""fepois: the trade gravity reference, statsmodels' Poisson GLM with dummies, ppmlhdfe's separation data sets,
simulated data with a known effect, and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning, SingularMatrixWarning

import chipwar as cw
from _support import PPML_SEPARATION_FILES, ppml_separation_case

TRADE_FML = "Euros ~ log(dist_km) | Origin + Destination + Product + Year"
FES = ["Origin", "Destination", "Product", "Year"]


@pytest.fixture(scope="module")
def trade(shared):
    return pd.read_csv(shared("reference", "panel", "trade.csv"))


@pytest.fixture(scope="module")
def trade_fit(trade):
    return cw.fepois(TRADE_FML, trade)


@pytest.fixture(scope="module")
def trade_glm(trade):
    """statsmodels' Poisson GLM with one dummy per fixed-effect level (the first level of each dropped)."""
    dummies = pd.get_dummies(trade[FES].astype(str), drop_first=True, dtype=float)
    x = pd.concat([np.log(trade["dist_km"]).rename("ldist"), dummies], axis=1)
    x = sm.add_constant(x)
    model = sm.GLM(trade["Euros"].to_numpy(float), x, family=sm.families.Poisson())
    return model, model.fit(tol=1e-13, maxiter=200)


def test_trade_reference(trade_fit):
    assert trade_fit.converged
    assert trade_fit.n_separated == 0
    assert trade_fit.nobs == 38325
    assert trade_fit.coef["log(dist_km)"] == pytest.approx(-1.527874371, abs=1e-6)
    assert trade_fit.loglik == pytest.approx(-7.024704e11, rel=1e-6)


def test_trade_clustered_reference(trade_fit, trade):
    # REFERENCE.md quotes the Origin-clustered SE with only the G/(G-1) factor; ours also has (n-1)/(n-K) with the
    # Origin fixed effect (nested in the cluster) not counted in K: K = 1 + 14 + 19 + 9 + 1.
    se = trade_fit.with_vcov({"CRV1": "Origin"}).se["log(dist_km)"]
    n, k = len(trade), 1 + 14 + 19 + 9 + 1
    assert se * np.sqrt((n - k) / (n - 1)) == pytest.approx(0.1156133, rel=1e-6)


def test_trade_against_statsmodels(trade_fit, trade_glm, trade):
    model, glm = trade_glm
    assert trade_fit.coef["log(dist_km)"] == pytest.approx(glm.params["ldist"], rel=1e-8)
    assert trade_fit.loglik == pytest.approx(glm.llf, rel=1e-10)
    assert trade_fit.deviance == pytest.approx(glm.deviance, rel=1e-8)
    n = len(trade)
    k = 2 + 14 + 14 + 19 + 9  # coefficients of the dummy model (= ours plus the fixed-effect coefficients)
    assert glm.params.size == k
    # iid: the inverse Hessian times (n - 1) / (n - K)
    assert trade_fit.se["log(dist_km)"] == pytest.approx(glm.bse["ldist"] * np.sqrt((n - 1) / (n - k)), rel=1e-6)
    # hetero: the HC0 sandwich times n / (n - K)
    hc0 = model.fit(start_params=glm.params, tol=1e-13, cov_type="HC0").bse["ldist"]
    assert trade_fit.with_vcov("hetero").se["log(dist_km)"] == pytest.approx(hc0 * np.sqrt(n / (n - k)), rel=1e-6)
    # clustered by Origin: raw sandwich times G/(G-1) (n-1)/(n-K), Origin (nested) not counted in K
    groups = pd.factorize(trade["Origin"])[0]
    raw = model.fit(start_params=glm.params, tol=1e-13, cov_type="cluster",
                    cov_kwds={"groups": groups, "use_correction": False}).bse["ldist"]
    g, k_c = 15, 1 + 14 + 19 + 9 + 1
    expected = raw * np.sqrt(g / (g - 1) * (n - 1) / (n - k_c))
    assert trade_fit.with_vcov({"CRV1": "Origin"}).se["log(dist_km)"] == pytest.approx(expected, rel=1e-6)
    # z reference distribution
    assert np.isinf(trade_fit.df_t)
    assert trade_fit.pseudo_r2 == pytest.approx(1 - glm.llf / glm.llnull, rel=1e-10)


@pytest.mark.parametrize("name", PPML_SEPARATION_FILES)
def test_separation_datasets(name):
    data, fml, ids, xs = ppml_separation_case(name)
    truth = np.flatnonzero(data["separated"].to_numpy() == 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = cw.fepois(fml, data, fixef_rm="none")
    dropped = np.setdiff1d(np.arange(len(data)), fit.obs_index)
    np.testing.assert_array_equal(dropped, truth)
    assert fit.n_separated == truth.size
    assert sum("separation" in str(w.message) for w in caught) == (1 if truth.size else 0)
    assert fit.converged

    # our kept regressors add exactly their number to the rank of the fixed-effects-only dummy design (so every
    # regressor we dropped as collinear is redundant on the kept rows, and no other)
    kept = data.iloc[fit.obs_index]
    dummies = [pd.get_dummies(kept[ids].astype(str), drop_first=True, dtype=float)] if ids else []
    fe_only = sm.add_constant(pd.concat([kept[[]], *dummies], axis=1), has_constant="add")
    ours = [t for t in fit.coef.index if t != "(Intercept)"]
    rank = np.linalg.matrix_rank
    assert rank(pd.concat([fe_only, kept[xs]], axis=1).to_numpy()) == rank(fe_only.to_numpy()) + len(ours)

    # the estimates on the kept rows equal a plain Poisson GLM there (dummies for the fixed effects)
    x = pd.concat([fe_only, kept[ours]], axis=1)
    with warnings.catch_warnings():
        # dummies of a saturated design are rank-deficient and fit some rows exactly; statsmodels says so
        warnings.simplefilter("ignore", SingularMatrixWarning)
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        glm = sm.GLM(kept["y"].to_numpy(float), x, family=sm.families.Poisson()).fit(tol=1e-14, maxiter=1000)
    assert fit.loglik == pytest.approx(glm.llf, rel=1e-7, abs=1e-7)
    for term in ours:
        assert fit.coef[term] == pytest.approx(glm.params[term], rel=1e-5, abs=1e-7), term
    if "(Intercept)" in fit.coef.index:
        assert fit.coef["(Intercept)"] == pytest.approx(glm.params["const"], rel=1e-5, abs=1e-7)


def _simulated_panel(seed: int, n_i: int = 400, n_t: int = 12, beta: float = 0.5) -> pd.DataFrame:
    """Poisson counts with unit and year effects and a known coefficient ``beta`` on x; exposure enters as offset."""
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n_i), n_t)
    year = np.tile(np.arange(n_t), n_i)
    a = rng.normal(0, 1, n_i)[unit]
    g = rng.normal(0, 0.3, n_t)[year]
    x = rng.normal(0, 1, unit.size) + 0.5 * a  # correlated with the unit effect
    exposure = rng.uniform(0.5, 2.0, unit.size)
    y = rng.poisson(exposure * np.exp(1.0 + a + g + beta * x))
    return pd.DataFrame({"y": y, "x": x, "unit": unit, "year": year, "exposure": exposure})


@pytest.mark.filterwarnings("ignore:.*because of separation:chipwar._errors.ChipwarWarning")  # all-zero units
def test_simulated_known_effect():
    data = _simulated_panel(7)
    data["log_exposure"] = np.log(data["exposure"])
    fit = cw.fepois("y ~ x | unit + year", data, offset="log_exposure", vcov={"CRV1": "unit"})
    assert fit.converged
    # within four standard errors of the truth (0.5), and the SE is that of a real estimate (not degenerate)
    assert abs(fit.coef["x"] - 0.5) < 4 * fit.se["x"]
    assert 0.002 < fit.se["x"] < 0.05
    # the offset is a regressor with coefficient one: estimating it freely gives about one
    free = cw.fepois("y ~ x + log_exposure | unit + year", data)
    assert free.coef["log_exposure"] == pytest.approx(1.0, abs=4 * free.se["log_exposure"])


@pytest.mark.filterwarnings("ignore:.*because of separation:chipwar._errors.ChipwarWarning")  # all-zero units
def test_frequency_weights_equal_duplicated_rows():
    data = _simulated_panel(3, n_i=60, n_t=6)
    data["w"] = np.random.default_rng(1).integers(1, 4, len(data)).astype(float)
    weighted = cw.fepois("y ~ x | unit + year", data, weights="w")
    expanded = data.loc[data.index.repeat(data["w"].astype(int))]
    plain = cw.fepois("y ~ x | unit + year", expanded)
    assert weighted.coef["x"] == pytest.approx(plain.coef["x"], rel=1e-8)
    assert weighted.loglik == pytest.approx(plain.loglik, rel=1e-10)


def test_predict_and_fixef_reproduce_fitted_values():
    data = _simulated_panel(11, n_i=50, n_t=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cw.ChipwarWarning)  # all-zero units may be dropped
        fit = cw.fepois("y ~ x | unit + year", data)
    kept = data.iloc[fit.obs_index]
    np.testing.assert_allclose(fit.predict(kept), fit.fitted, rtol=1e-6)
    # the score equations hold at the optimum: sum (y - mu) x = 0 and sum (y - mu) = 0 per unit
    resid = kept["y"].to_numpy() - fit.fitted
    assert abs(resid @ kept["x"].to_numpy()) < 1e-6 * np.abs(kept["y"]).sum()
    assert np.abs(pd.Series(resid).groupby(kept["unit"].to_numpy()).sum()).max() < 1e-6


def test_negative_outcome_is_an_error():
    data = _simulated_panel(5, n_i=20, n_t=4)
    data.loc[3, "y"] = -1
    with pytest.raises(cw.ChipwarError, match="'y' has negative values"):
        cw.fepois("y ~ x | unit", data)


def test_all_zero_outcome_is_an_error():
    data = _simulated_panel(5, n_i=20, n_t=4)
    data["y"] = 0
    with pytest.raises(cw.ChipwarError, match="'y' is zero in every row"):
        cw.fepois("y ~ x | unit", data)


def test_non_convergence_warns_and_is_reported():
    data = _simulated_panel(5, n_i=40, n_t=5)
    with pytest.warns(cw.ConvergenceWarning, match="did not converge in 1 iterations"):
        fit = cw.fepois("y ~ x | unit + year", data, maxiter=1, separation=False, fixef_rm="none")
    assert fit.converged is False
    assert "NOT converged" in fit.summary()


def test_regressor_made_collinear_by_separation_is_reported():
    # x2 is nonzero only on the observations that separation removes: afterwards it is all zero
    data = pd.DataFrame({
        "y": [0, 0, 1, 2, 3, 1, 4, 2],
        "x1": [0.5, 1.0, 0.2, -0.3, 0.8, -1.0, 0.1, 0.4],
        "x2": [1.0, 2.0, 0, 0, 0, 0, 0, 0],
    })
    with pytest.warns(cw.ChipwarWarning) as record:
        fit = cw.fepois("y ~ x1 + x2", data)
    messages = [str(w.message) for w in record]
    assert fit.n_separated == 2
    assert list(fit.coef.index) == ["(Intercept)", "x1"]
    assert any("x2 (collinear)" in m for m in messages)
    assert sum("separation" in m for m in messages) == 1
