"""sun_abraham's reference period: relative periods are in the units of the time column, so on a biennial panel
the period before treatment is -2 and fixest's default ``ref.p = -1`` never occurs. Without a reference the cell
dummies of each cohort sum to its units' fixed effects and the regression drops an arbitrary cell as collinear
(issue 21: ATT 0.0002 where the truth is 1). The default is the period just before treatment; a ``ref`` that is no
observed relative period is refused, naming the observed ones.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import chipwar as cw

KW = dict(outcome="y", unit="unit", time="year", cohort="cohort")


def biennial_panel(n_units: int = 800, seed: int = 1) -> pd.DataFrame:
    """Years 2010, 2012, ..., 2020; cohorts 2014, 2016, 2018 and never treated; a constant effect of 1."""
    rng = np.random.default_rng(seed)
    years = np.arange(2010, 2022, 2)
    unit = np.repeat(np.arange(n_units), years.size)
    year = np.tile(years, n_units)
    cohort = np.array([0, 2014, 2016, 2018])[np.arange(n_units) % 4][unit]
    treated = (cohort > 0) & (year >= cohort)
    y = rng.normal(size=n_units)[unit] + 0.1 * (year - 2010) + 1.0 * treated + rng.normal(scale=0.5, size=year.size)
    return pd.DataFrame({"unit": unit, "year": year, "cohort": cohort, "y": y})


def consecutive(d: pd.DataFrame) -> pd.DataFrame:
    """The same panel with its periods numbered 1, 2, 3, ... (so the period before treatment is -1)."""
    return d.assign(year=(d["year"] - 2008) // 2, cohort=np.where(d["cohort"] > 0, (d["cohort"] - 2008) // 2, 0))


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return biennial_panel()


def test_biennial_default_recovers_the_effect_without_collinearity(panel):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no cell may be dropped as collinear
        res = cw.sun_abraham(panel, **KW)
    assert res.info["reference period(s)"] == "-2"
    assert res.att == pytest.approx(1.0, abs=4 * res.se)
    assert abs(res.att - 1.0) < 0.1
    imputation = cw.did_imputation(panel, **KW)
    assert res.att == pytest.approx(imputation.att, abs=0.1)
    t = res.table.set_index("event_time")
    assert -2.0 not in t.index
    np.testing.assert_allclose(t.loc[[0.0, 2.0, 4.0, 6.0], "estimate"], 1.0, atol=0.25)
    np.testing.assert_allclose(t.loc[[-8.0, -6.0, -4.0], "estimate"], 0.0, atol=0.25)


def test_biennial_equals_the_same_panel_on_consecutive_periods(panel):
    biennial = cw.sun_abraham(panel, **KW)
    annual = cw.sun_abraham(consecutive(panel), **KW)
    assert annual.info["reference period(s)"] == "-1"
    assert biennial.att == pytest.approx(annual.att, rel=1e-10)
    assert biennial.se == pytest.approx(annual.se, rel=1e-10)
    np.testing.assert_allclose(biennial.estimates.to_numpy(), annual.estimates.to_numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(biennial.estimates.index.to_numpy(), 2 * annual.estimates.index.to_numpy())


def test_biennial_matches_pyfixest_saturated_event_study_on_consecutive_periods(panel):
    pf = pytest.importorskip("pyfixest")
    res = cw.sun_abraham(panel, **KW)
    d = consecutive(panel)
    with warnings.catch_warnings():  # the oracle's own beta and pandas deprecation notices are not ours
        warnings.simplefilter("ignore")
        agg = pf.event_study(d, yname="y", idname="unit", tname="year", gname="cohort", estimator="saturated").aggregate()
    t = res.table.set_index("event_time")
    np.testing.assert_allclose(t["estimate"], agg["Estimate"].astype(float), rtol=1e-7)
    np.testing.assert_allclose(t["se"], agg["Std. Error"].astype(float), rtol=1e-6)


def test_explicit_ref_that_is_no_relative_period_is_refused(panel):
    with pytest.raises(cw.ChipwarError, match=r"ref=-1 is not a relative period.*'year'.*-8, -6, -4, -2, 0, 2"):
        cw.sun_abraham(panel, ref=-1, **KW)
    res = cw.sun_abraham(panel, ref=-2, **KW)
    assert res.att == pytest.approx(cw.sun_abraham(panel, **KW).att, rel=1e-12)


def test_annual_ref_far_outside_the_panel_is_refused():
    d = consecutive(biennial_panel(n_units=200))
    with pytest.raises(cw.ChipwarError, match=r"ref=-50 is not a relative period.*observed ones are -4, -3, -2, -1, 0"):
        cw.sun_abraham(d, ref=-50, **KW)
    with pytest.raises(cw.ChipwarError, match=r"ref=-50 is not"):
        cw.sun_abraham(d, ref=[-1, -50], **KW)


def test_a_cohort_without_an_observation_in_the_reference_is_refused(panel):
    # the 2018 cohort's earliest relative period is -8; -6 only exists for the 2016 and 2018 cohorts, -8 only for 2018
    with pytest.raises(cw.ChipwarError, match=r"cohort\(s\) 2014, 2016 of 'cohort' have no observation"):
        cw.sun_abraham(panel, ref=-8, **KW)
    # two references, one of which each cohort has: estimable
    res = cw.sun_abraham(panel, ref=[-2, -8], **KW)
    assert abs(res.att - 1.0) < 0.1
