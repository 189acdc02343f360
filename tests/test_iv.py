"""feols IV / 2SLS: FixedEffectModels.jl's Cigar values, linearmodels' IV2SLS, simulated data, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from linearmodels.iv import IV2SLS

import chipwar as cw


@pytest.fixture(scope="module")
def cigar(shared):
    data = pd.read_csv(shared("reference", "panel", "Cigar.csv"))
    data["const"] = 1.0
    return data


def test_cigar_iv_without_fixed_effects(cigar):
    fit = cw.feols("Sales ~ 1 | Price ~ Pimin", cigar)
    assert list(fit.coef.index) == ["fit_Price", "(Intercept)"]
    # the source prints five decimals, some rounded and some truncated: agree to one unit in the last digit
    np.testing.assert_allclose(fit.se[["(Intercept)", "fit_Price"]], [1.53661, 0.01915], rtol=0, atol=1e-5)
    hc1 = fit.with_vcov("hetero").se[["(Intercept)", "fit_Price"]]
    np.testing.assert_allclose(hc1, [1.63305, 0.01674], rtol=0, atol=1e-5)


def test_cigar_iv_clustered_with_fixed_effect(cigar):
    fit = cw.feols("Sales ~ NDI | State | Price ~ Pimin", cigar, vcov={"CRV1": "State"})
    np.testing.assert_allclose(fit.se[["NDI", "fit_Price"]], [0.0019704, 0.1893396], rtol=0, atol=1e-7)


def test_cigar_iv_weighted(cigar):
    fit = cw.feols("Sales ~ NDI | State | Price ~ Pimin", cigar, vcov={"CRV1": "State"}, weights="Pop")
    np.testing.assert_allclose(fit.se[["NDI", "fit_Price"]], [0.000759, 0.070836], rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    ("cov_type", "vcov"), [("unadjusted", "iid"), ("robust", "hetero"), ("clustered", {"CRV1": "State"})]
)
def test_against_linearmodels_overidentified(cigar, cov_type, vcov):
    model = IV2SLS(cigar["Sales"], cigar[["const", "NDI"]], cigar[["Price"]], cigar[["Pimin", "CPI"]])
    kw = {"clusters": cigar["State"]} if cov_type == "clustered" else {}
    ref = model.fit(cov_type=cov_type, debiased=True, **kw)
    fit = cw.feols("Sales ~ NDI | Price ~ Pimin + CPI", cigar, vcov=vcov)
    names = {"const": "(Intercept)", "NDI": "NDI", "Price": "fit_Price"}
    for lm_name, ours in names.items():
        assert fit.coef[ours] == pytest.approx(ref.params[lm_name], rel=1e-9)
        assert fit.se[ours] == pytest.approx(ref.std_errors[lm_name], rel=1e-8)
    # first-stage strength: linearmodels reports F(q, n-k) under iid and the chi2(q) Wald statistic otherwise
    fs = fit.first_stage_f().iloc[0]
    lm_stat = ref.first_stage.diagnostics.loc["Price", "f.stat"]
    if cov_type == "unadjusted":
        assert fs["F"] == pytest.approx(lm_stat, rel=1e-8)
    else:
        assert fs["wald_F"] * fs["n_instruments"] == pytest.approx(lm_stat, rel=1e-8)


def test_fixed_effects_equal_dummies_in_linearmodels(cigar):
    dummies = pd.get_dummies(cigar["State"].astype(str), prefix="s", drop_first=True, dtype=float)
    exog = pd.concat([cigar[["const", "NDI"]], dummies], axis=1)
    ref = IV2SLS(cigar["Sales"], exog, cigar[["Price"]], cigar[["Pimin", "CPI"]]).fit(cov_type="unadjusted", debiased=True)
    fit = cw.feols("Sales ~ NDI | State | Price ~ Pimin + CPI", cigar)
    assert fit.coef["fit_Price"] == pytest.approx(ref.params["Price"], rel=1e-8)
    assert fit.coef["NDI"] == pytest.approx(ref.params["NDI"], rel=1e-8)
    # iid: sigma^2 = sum(u^2) / (n - K) with K = 2 + 46 state effects, the same count as the dummy model
    assert fit.se["fit_Price"] == pytest.approx(ref.std_errors["Price"], rel=1e-7)
    assert fit.se["NDI"] == pytest.approx(ref.std_errors["NDI"], rel=1e-7)
    first = fit.first_stage["Price"]
    assert set(first.coef.index) == {"NDI", "Pimin", "CPI"}


def test_simulated_endogeneity_known_effect():
    rng = np.random.default_rng(42)
    n, n_units = 4000, 200
    unit = rng.integers(0, n_units, n)
    alpha = rng.normal(0, 1, n_units)[unit]
    z1, z2, v = rng.normal(size=(3, n))
    u = 0.8 * v + rng.normal(0, 0.6, n)  # correlated with the endogenous regressor
    x = 0.7 * z1 + 0.4 * z2 + alpha + v
    y = 1.5 * x + 2.0 * alpha + u
    data = pd.DataFrame({"y": y, "x": x, "z1": z1, "z2": z2, "unit": unit})
    iv = cw.feols("y ~ 1 | unit | x ~ z1 + z2", data, vcov="hetero")
    ols = cw.feols("y ~ x | unit", data, vcov="hetero")
    assert abs(iv.coef["fit_x"] - 1.5) < 4 * iv.se["fit_x"]
    assert ols.coef["x"] - 1.5 > 10 * ols.se["x"]  # OLS is biased upwards, far beyond its SE
    assert iv.first_stage_f()["wald_F"].iloc[0] > 100


def test_fewer_instruments_than_endogenous_is_an_error(cigar):
    with pytest.raises(cw.ChipwarError, match="not identified"):
        cw.feols("Sales ~ 1 | Price + NDI ~ Pimin", cigar)
    # counted in columns too: a factor with several levels needs as many instruments
    with pytest.raises(cw.ChipwarError, match="instrument column"):
        cw.feols("Sales ~ 1 | C(Year) ~ Pimin", cigar[cigar["Year"] < 66])
