"""Stepwise terms sw/csw/sw0/csw0: every model equals its separate fit, and feols demeans once per sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import chipwar as cw
from _support import count_demeaning

FE = "State + Year"
# the models fixest fits for each stepwise term of "Sales ~ Price + <term>(Pop, NDI) | State + Year"
EXPECTED = {
    "sw": ["Price + Pop", "Price + NDI"],
    "csw": ["Price + Pop", "Price + Pop + NDI"],
    "sw0": ["Price", "Price + Pop", "Price + NDI"],
    "csw0": ["Price", "Price + Pop", "Price + Pop + NDI"],
}


@pytest.fixture(scope="module")
def cigar(shared):
    return pd.read_csv(shared("reference", "panel", "Cigar.csv"))


def assert_same_fit(fit, alone):
    assert list(fit.coef.index) == list(alone.coef.index)
    np.testing.assert_allclose(fit.coef, alone.coef, rtol=1e-10, atol=0)
    np.testing.assert_allclose(fit.se, alone.se, rtol=1e-10, atol=0)
    assert fit.nobs == alone.nobs


@pytest.mark.parametrize("kind", sorted(EXPECTED))
@pytest.mark.parametrize("vcov", ["iid", {"CRV1": "State"}])
def test_feols_stepwise_models_equal_separate_fits(cigar, kind, vcov):
    fits = cw.feols(f"Sales ~ Price + {kind}(Pop, NDI) | {FE}", cigar, vcov=vcov)
    assert isinstance(fits, cw.estimation.FitCollection) and len(fits) == len(EXPECTED[kind])
    for fit, rhs in zip(fits, EXPECTED[kind]):
        assert_same_fit(fit, cw.feols(f"Sales ~ {rhs} | {FE}", cigar, vcov=vcov))


def test_stepwise_times_outcomes_in_fixest_order(cigar):
    fits = cw.feols("Sales + CPI ~ Price + csw(Pop, NDI) | State", cigar, cluster="State")
    expected = [("Sales", "Price + Pop"), ("Sales", "Price + Pop + NDI"), ("CPI", "Price + Pop"),
                ("CPI", "Price + Pop + NDI")]
    assert len(fits) == 4
    for fit, (y, rhs) in zip(fits, expected):
        assert fit._lhs == y
        assert_same_fit(fit, cw.feols(f"{y} ~ {rhs} | State", cigar, cluster="State"))


def test_one_demeaning_of_every_column_when_samples_coincide(cigar, monkeypatch):
    calls = count_demeaning(monkeypatch)
    fits = cw.feols(f"Sales + CPI ~ Price + csw0(Pop, NDI) | {FE}", cigar)
    assert len(fits) == 6
    # Sales, CPI, Price, Pop, NDI: each demeaned once for the six models
    assert calls == [5]


def test_models_with_other_samples_get_their_own_demeaning(cigar, monkeypatch):
    data = cigar.copy()
    data.loc[data.index[:40], "NDI"] = np.nan
    calls = count_demeaning(monkeypatch)
    with pytest.warns(cw.ChipwarWarning, match="40 observation"):
        fits = cw.feols(f"Sales ~ Price + sw0(Pop, NDI) | {FE}", data)
    assert sorted(calls) == [3, 3]  # {Sales, Price, Pop} on the full sample, {Sales, Price, NDI} without 40 rows
    assert [f.nobs for f in fits] == [len(data), len(data), len(data) - 40]
    with pytest.warns(cw.ChipwarWarning, match="40 observation"):
        alone = cw.feols(f"Sales ~ Price + NDI | {FE}", data)
    assert_same_fit(fits[2], alone)


@pytest.mark.parametrize("vcov", ["iid", {"CRV1": "State"}])
def test_fepois_stepwise_models_equal_separate_fits(cigar, vcov):
    fits = cw.fepois("Sales ~ Price + sw0(Pop, NDI) | State", cigar, vcov=vcov)
    assert len(fits) == 3
    for fit, rhs in zip(fits, EXPECTED["sw0"]):
        assert_same_fit(fit, cw.fepois(f"Sales ~ {rhs} | State", cigar, vcov=vcov))


def test_etable_of_stepwise_collection_has_one_column_per_model(cigar):
    fits = cw.feols(f"Sales ~ Price + csw0(Pop, NDI) | {FE}", cigar)
    frame = cw.etable(fits, type="df")
    assert list(frame.columns) == ["(1)", "(2)", "(3)"]
    assert list(frame.loc["Dependent Var.:"]) == ["Sales"] * 3
    assert frame.loc["Pop"].iloc[0] == "" and frame.loc["NDI"].iloc[:2].tolist() == ["", ""]
    for col, fit in zip(frame.columns[1:], fits[1:]):  # cells are the estimate then its significance stars
        assert frame.loc["Pop", col].rstrip("*.") == f"{fit.coef['Pop']:.4g}"
        assert frame.loc["Pop (s.e.)", col] == f"({fit.se['Pop']:.4g})"
    assert frame.loc["NDI", "(3)"].rstrip("*.") == f"{fits[2].coef['NDI']:.4g}"


@pytest.mark.parametrize(
    ("fml", "match"),
    [
        ("Sales ~ sw(Pop, NDI) + csw(CPI)", "only one stepwise term.*sw\\(Pop, NDI\\), csw\\(CPI\\)"),
        ("Sales ~ Price + sw()", "sw\\(\\) needs one or more"),
        ("Sales ~ Price + csw0(Pop, )", "csw0\\(\\) needs one or more"),
        ("Sales ~ Price | sw(State, Year)", "among the regressors only"),
        ("Sales ~ Price:sw(Pop, NDI)", "is a stepwise term"),
        ("Sales ~ sw(Pop, csw(NDI))", "cannot be nested"),
    ],
)
def test_bad_stepwise_syntax_is_refused(cigar, fml, match):
    with pytest.raises(cw.ChipwarError, match=match):
        cw.feols(fml, cigar)
