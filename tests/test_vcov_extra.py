"""CRV3, Newey-West and Driscoll-Kraay variances: pyfixest, statsmodels' HAC meat, and brute-force jackknife refits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
import statsmodels.api as sm

import chipwar as cw

# pyfixest (an oracle here) uses a pandas keyword that newer pandas deprecates
pytestmark = pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning:pyfixest.*")

NW = {"NW": 2, "time": "year", "panel": "firm"}
DK = {"DK": 2, "time": "year"}


@pytest.fixture(scope="module")
def grunfeld(shared):
    return pd.read_csv(shared("reference", "panel", "Grunfeld.csv")).sort_values(["firm", "year"], ignore_index=True)


@pytest.mark.parametrize("fml", ["inv ~ value + capital", "inv ~ value + capital | firm"])
@pytest.mark.parametrize(("ours", "theirs"), [(NW, "NW"), (DK, "DK")])
def test_hac_against_pyfixest(grunfeld, fml, ours, theirs):
    fit = cw.feols(fml, grunfeld).with_vcov(ours, data=grunfeld)
    ref = pf.feols(fml, grunfeld, vcov=theirs, vcov_kwargs={"lag": 2, "time_id": "year", "panel_id": "firm"})
    np.testing.assert_allclose(fit.se.to_numpy(), ref.se().to_numpy(), rtol=1e-8)
    assert fit.df_t == 19  # T - 1


@pytest.mark.parametrize(("ours", "cov_type", "key"), [(NW, "hac-panel", "groups"), (DK, "hac-groupsum", "time")])
def test_hac_meat_against_statsmodels(grunfeld, ours, cov_type, key):
    # statsmodels' uncorrected HAC times our documented factor T/(T-1) (n-1)/(n-K)
    x = sm.add_constant(grunfeld[["value", "capital"]])
    codes = pd.factorize(grunfeld["firm" if key == "groups" else "year"])[0]
    ref = sm.OLS(grunfeld["inv"], x).fit(cov_type=cov_type, cov_kwds={key: codes, "maxlags": 2, "use_correction": False})
    n, k, t = len(grunfeld), 3, 20
    fit = cw.feols("inv ~ value + capital", grunfeld, vcov=ours)
    expected = ref.bse.to_numpy() * np.sqrt(t / (t - 1) * (n - 1) / (n - k))
    np.testing.assert_allclose(fit.se.to_numpy(), expected, rtol=1e-8)


@pytest.mark.parametrize("fml", ["inv ~ value + capital", "inv ~ value + capital | firm"])
def test_crv3_equals_leave_one_cluster_out_refits(grunfeld, fml):
    fit = cw.feols(fml, grunfeld, vcov={"CRV3": "firm"})
    firms = grunfeld["firm"].unique()
    deltas = np.array([cw.feols(fml, grunfeld[grunfeld["firm"] != g]).coef.to_numpy() - fit.coef.to_numpy()
                       for g in firms])
    g, n = len(firms), len(grunfeld)
    k = 3  # two slopes and the intercept (or the firm effects it stands for)
    expected = g / (g - 1) * (n - 1) / (n - k) * deltas.T @ deltas
    np.testing.assert_allclose(fit.vcov.to_numpy(), expected, rtol=1e-8)
    ref = pf.feols(fml, grunfeld, vcov={"CRV3": "firm"})
    np.testing.assert_allclose(fit.se.to_numpy(), ref.se().to_numpy(), rtol=1e-8)
    assert fit.df_t == g - 1


def test_crv3_rejects_non_nested_fixed_effects(grunfeld):
    fit = cw.feols("inv ~ value + capital | year", grunfeld)
    with pytest.raises(cw.ChipwarError, match="'year' is not nested in 'firm'"):
        fit.with_vcov({"CRV3": "firm"}, data=grunfeld)


def test_bad_hac_specifications(grunfeld):
    fit = cw.feols("inv ~ value", grunfeld)
    with pytest.raises(cw.ChipwarError, match="panel"):
        fit.with_vcov({"NW": 2, "time": "year"})
    with pytest.raises(cw.ChipwarError, match="lags must be an integer"):
        fit.with_vcov({"DK": -1, "time": "year"})
    with pytest.raises(cw.ChipwarError, match="repeats period"):
        fit.with_vcov({"NW": 1, "time": "firm", "panel": "firm"}, data=grunfeld)  # 20 rows per (firm, period)


def test_fepois_robust_and_multiway_against_pyfixest(grunfeld):
    data = grunfeld.assign(count=np.round(grunfeld["inv"]).astype(int), lv=np.log(grunfeld["value"]))
    fit = cw.fepois("count ~ lv | firm", data)
    for vcov in ["hetero", {"CRV1": "firm"}, {"CRV1": "firm + year"}]:
        ref = pf.fepois("count ~ lv | firm", data, vcov=vcov)
        assert fit.with_vcov(vcov, data=data).se["lv"] == pytest.approx(ref.se()["lv"], rel=1e-6), vcov
    nw = fit.with_vcov(NW, data=data)
    assert np.isinf(nw.df_t)  # Poisson: z reference even with HAC
