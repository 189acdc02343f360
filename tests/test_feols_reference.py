"""feols against published numbers: FixedEffectModels.jl's Cigar values, plm's Grunfeld, Stata 13 (linearmodels)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import chipwar as cw
from stata_results import read_stata_results


@pytest.fixture(scope="module")
def cigar(shared):
    return pd.read_csv(shared("reference", "panel", "Cigar.csv"))


def test_cigar_pooled_ols(cigar):
    fit = cw.feols("Sales ~ Price", cigar)
    np.testing.assert_allclose(fit.coef, [139.73446, -0.22974], atol=1e-4)
    np.testing.assert_allclose(fit.se, [1.521269, 0.0188963], rtol=1e-6)
    np.testing.assert_allclose(fit.with_vcov("hetero").se, [1.686791, 0.0167042], rtol=1e-6)
    assert fit.with_vcov({"CRV1": "State"}, data=cigar).se["Price"] == pytest.approx(0.0379228, rel=1e-6)
    np.testing.assert_allclose(fit.with_vcov({"CRV1": "State + Year"}, data=cigar).se, [6.196362, 0.0403469], rtol=1e-6)
    assert fit.r2 == pytest.approx(0.0969, abs=5e-5)
    assert fit.adj_r2 == pytest.approx(0.09622618, rel=1e-7)


def test_cigar_weighted(cigar):
    fit = cw.feols("Sales ~ Price", cigar, weights="Pop")
    # the slope is published to five decimals (truncated), the intercept to full precision
    assert fit.coef["Price"] == pytest.approx(-0.23738, abs=1e-5)
    assert fit.coef["(Intercept)"] == pytest.approx(137.72495428982756, rel=1e-10)


def test_cigar_one_way_fixed_effect(cigar):
    fit = cw.feols("Sales ~ Price | State", cigar)
    assert fit.coef["Price"] == pytest.approx(-0.20984, abs=1e-5)
    assert fit.se["Price"] == pytest.approx(0.0098003, rel=1e-5)
    assert fit.with_vcov("hetero").se["Price"] == pytest.approx(0.0110005, rel=1e-5)
    assert fit.with_vcov({"CRV1": "Year"}, data=cigar).se["Price"] == pytest.approx(0.0220563, rel=1e-5)
    # State fixed effects are nested in the State clusters: not counted in K
    assert fit.with_vcov({"CRV1": "State"}, data=cigar).se["Price"] == pytest.approx(0.0357498, rel=1e-5)
    assert fit.with_vcov({"CRV1": "State + Year"}, data=cigar).se["Price"] == pytest.approx(0.0405335, rel=1e-5)


def test_cigar_two_way_fixed_effects_and_fit_statistics(cigar):
    assert cw.feols("Sales ~ Price | State + Year", cigar).coef["Price"] == pytest.approx(-1.08471, abs=1e-5)
    fit = cw.feols("Sales ~ Price + Pimin | State", cigar, vcov={"CRV1": "State"})
    assert fit.r2 == pytest.approx(0.77472, abs=5e-6)
    assert fit.adj_r2 == pytest.approx(0.766768, abs=5e-7)


def test_grunfeld_within(shared):
    df = pd.read_csv(shared("reference", "panel", "Grunfeld.csv"))
    fit = cw.feols("inv ~ value + capital | firm", df)
    np.testing.assert_allclose(fit.coef, [0.11012380, 0.31006534], rtol=1e-7)
    np.testing.assert_allclose(fit.se, [0.011856694, 0.017354503], rtol=1e-7)
    assert fit.r2_within == pytest.approx(0.76675758, rel=1e-7)


_SECTIONS = [
    f"{est}-{vce}-{w}-{suffix}"
    for est in ("pooled", "fixed_effect")
    for vce in ("conventional", "robust", "cluster")
    for w in ("", "weighted")
    for suffix in ("", "_light", "_heavy")
]


@pytest.fixture(scope="module")
def stata(shared):
    data = pd.read_csv(shared("reference", "panel", "simulated-panel.csv"))
    results = read_stata_results(shared("reference", "panel", "stata-panel-simulated-results.txt"))
    return data, results


@pytest.mark.parametrize("section", _SECTIONS)
def test_stata_xtreg_and_regress(stata, section):
    """Stata 13 ``regress`` / ``xtreg, fe`` (which keeps singletons; robust there means clustered by panel)."""
    data, results = stata
    est, vce, weighted, suffix = section.split("-")
    ref = results[section]
    xs = [f"x{j}{suffix}" for j in range(1, 6)]
    fe = est == "fixed_effect"
    fml = f"y{suffix} ~ {' + '.join(xs)}" + (" | firm" if fe else "")
    vcov = {"conventional": "iid", "robust": {"CRV1": "firm"} if fe else "hetero", "cluster": {"CRV1": "firm"}}[vce]
    with_missing = suffix != ""
    ctx = pytest.warns(cw.ChipwarWarning, match="missing") if with_missing else _no_warning()
    with ctx:
        fit = cw.feols(fml, data, vcov=vcov, weights="w" if weighted else None, fixef_rm="none")
    names = xs if fe else ["(Intercept)", *xs]
    stata_names = xs if fe else ["_cons", *xs]
    assert fit.nobs == ref["stats"]["N"]
    np.testing.assert_allclose(fit.coef[names].to_numpy(), ref["b"][stata_names].to_numpy(), rtol=1e-7)
    np.testing.assert_allclose(
        fit.vcov.loc[names, names].to_numpy(), ref["V"].loc[stata_names, stata_names].to_numpy(), rtol=1e-4
    )
    if fe:
        assert fit.r2_within == pytest.approx(ref["stats"]["r2_w"], rel=1e-7)
    else:
        assert fit.r2 == pytest.approx(ref["stats"]["r2"], rel=1e-7)


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
