"""Multiple estimation: several outcomes in one formula equal separate fits (shared demeaning)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import chipwar as cw


@pytest.fixture(scope="module")
def cigar(shared):
    return pd.read_csv(shared("reference", "panel", "Cigar.csv"))


def test_feols_several_outcomes_equal_separate_fits(cigar):
    fits = cw.feols("Sales + NDI + CPI ~ Price + Pop | State + Year", cigar, vcov={"CRV1": "State"})
    assert isinstance(fits, cw.estimation.FitCollection) and len(fits) == 3
    for fit, y in zip(fits, ["Sales", "NDI", "CPI"]):
        alone = cw.feols(f"{y} ~ Price + Pop | State + Year", cigar, vcov={"CRV1": "State"})
        np.testing.assert_allclose(fit.coef, alone.coef, rtol=1e-10)
        np.testing.assert_allclose(fit.se, alone.se, rtol=1e-10)
        assert fit.r2_within == pytest.approx(alone.r2_within, rel=1e-10)
        assert fit.summary().startswith(f"OLS estimation, Dep. Var.: {y}")
    table = fits.tidy()
    assert list(table["lhs"].unique()) == ["Sales", "NDI", "CPI"]
    assert len(table) == 6


def test_outcome_specific_missing_values_keep_their_own_samples(cigar):
    data = cigar.copy()
    data.loc[data.index[:50], "NDI"] = np.nan
    with pytest.warns(cw.ChipwarWarning, match="50 observation"):
        fits = cw.feols("Sales + NDI ~ Price | State", data)
    assert [f.nobs for f in fits] == [len(data), len(data) - 50]
    with pytest.warns(cw.ChipwarWarning, match="50 observation"):
        alone = cw.feols("NDI ~ Price | State", data)
    np.testing.assert_allclose(fits[1].coef, alone.coef, rtol=1e-10)


def test_fepois_several_outcomes(cigar):
    data = cigar.assign(s=np.round(cigar["Sales"]), p=np.round(cigar["Pop16"] / 100))
    fits = cw.fepois("s + p ~ log(Price) | State", data)
    for fit, y in zip(fits, ["s", "p"]):
        alone = cw.fepois(f"{y} ~ log(Price) | State", data)
        np.testing.assert_allclose(fit.coef, alone.coef, rtol=1e-12)
        assert fit.loglik == pytest.approx(alone.loglik, rel=1e-12)
