"""Bad input for the regression-based DiD estimators (sun_abraham, did_imputation, did2s, etwfe), which share the
panel checks of ``chipwar.did._staggered``: each problem raises ChipwarError naming the column."""

from __future__ import annotations

import numpy as np
import pytest
from did_sim import small_panel

import chipwar as cw

ESTIMATORS = [cw.sun_abraham, cw.did_imputation, cw.did2s, cw.etwfe]
SIM = dict(outcome="y", unit="unit", time="time", cohort="cohort")


@pytest.fixture()
def panel():
    return small_panel(seed=7)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_cohort_not_a_period_of_the_panel(panel, estimator):
    bad = panel.assign(cohort=panel.cohort.replace(2014.0, 2014.5))
    with pytest.raises(cw.ChipwarError, match=r"cohort column 'cohort' has values \[2014.5\] that are not periods"):
        estimator(bad, **SIM)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_cohort_changing_within_a_unit(panel, estimator):
    bad = panel.copy()
    first_treated = bad.index[bad.cohort == 2012][0]
    bad.loc[first_treated, "cohort"] = 2014.0
    with pytest.raises(cw.ChipwarError, match="cohort column 'cohort' changes over time within 1 unit"):
        estimator(bad, **SIM)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_duplicate_unit_period_rows(panel, estimator):
    bad = panel.iloc[np.r_[0:len(panel), 3]]
    with pytest.raises(cw.ChipwarError, match="2 rows share a \\(unit, period\\) pair in columns 'unit' and 'time'"):
        estimator(bad, **SIM)


def test_never_treated_required_by_etwfe_never_controls(panel):
    only_treated = panel[panel.cohort > 0]
    with pytest.raises(cw.ChipwarError, match="cohort column 'cohort' has no never-treated units.*cgroup='notyet'"):
        cw.etwfe(only_treated, cgroup="never", **SIM)


@pytest.mark.parametrize("estimator", [cw.sun_abraham, cw.etwfe])
def test_single_cohort_without_never_treated_has_no_controls(panel, estimator):
    single = panel[panel.cohort == 2012]
    with pytest.raises(cw.ChipwarError, match="single cohort and no never-treated units"):
        estimator(single, **SIM)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_every_unit_treated_from_the_start(panel, estimator):
    always = panel[panel.time >= 2012].assign(cohort=2012.0)
    with pytest.warns(cw.ChipwarWarning, match="treated from the first period on removed"):
        with pytest.raises(cw.ChipwarError, match="cohort column 'cohort' has no treated units"):
            estimator(always, **SIM)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_missing_columns_and_identifiers(panel, estimator):
    with pytest.raises(cw.ChipwarError, match="'cohrt' not found"):
        estimator(panel, outcome="y", unit="unit", time="time", cohort="cohrt")
    with pytest.raises(cw.ChipwarError, match="time column 'time' has missing values"):
        estimator(panel.assign(time=panel.time.where(panel.index != 5)), **SIM)
    with pytest.raises(cw.ChipwarError, match="unit column 'unit' has missing values"):
        estimator(panel.assign(unit=panel.unit.where(panel.index != 5)), **SIM)
    with pytest.raises(cw.ChipwarError, match="outcome 'label' is not numeric"):
        estimator(panel.assign(label="a"), outcome="label", unit="unit", time="time", cohort="cohort")


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_missing_outcomes_and_always_treated_units_are_dropped_with_warnings(panel, estimator):
    d = panel.assign(y=panel.y.where(panel.index != 10))
    with pytest.warns(cw.ChipwarWarning, match="1 row\\(s\\) removed"):
        estimator(d, **SIM)
    d = panel.assign(cohort=panel.cohort.where(panel.unit != 0, 2010.0))
    with pytest.warns(cw.ChipwarWarning, match="1 unit\\(s\\) treated from the first period on removed"):
        estimator(d, **SIM)


def test_nan_cohort_means_never_treated(panel):
    a = cw.did_imputation(panel, **SIM)
    b = cw.did_imputation(panel.assign(cohort=panel.cohort.replace(0.0, np.nan)), **SIM)
    assert a.att == b.att and a.se == b.se
