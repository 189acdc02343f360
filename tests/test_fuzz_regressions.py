"""Defects the fuzz suite (tests/test_fuzz.py) found outside issue 21's list, each pinned by its reproducer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import chipwar as cw

KW = {"outcome": "y", "unit": "unit", "time": "time", "cohort": "cohort"}


@pytest.mark.parametrize("estimator", [cw.did_imputation, cw.did2s])
def test_imputation_without_an_imputable_treated_observation(estimator):
    # unit 1 is treated from the first period on (removed, with a warning); unit 0 is untreated only in 2000, so no
    # period after 2000 has an untreated observation: every treated Y(0) is unidentified (was numpy's ValueError
    # "zero-size array to reduction operation maximum")
    data = pd.DataFrame({"unit": [0, 0, 0, 1, 1, 1], "time": [2000, 2001, 2002] * 2,
                         "cohort": [2001, 2001, 2001, 2000, 2000, 2000],
                         "y": [0.2, 2.0, 3.0, np.nan, 0.6, 1.2]})
    with pytest.warns(cw.ChipwarWarning, match="removed"):
        with pytest.raises(cw.ChipwarError, match=r"no treated observation has an identified Y\(0\) \(cohort column "
                                                  r"'cohort'\): no untreated unit is observed in period\(s\) \[2001.0, "
                                                  r"2002.0\] of 'time'; add never-treated"):
            estimator(data, **KW)


def test_combined_fixed_effect_with_a_missing_part():
    # the row with a missing g had a combination key of its own between the complete rows' keys, which shifted
    # their codes beyond the labels ("compact_codes: code outside 0..2")
    data = pd.DataFrame({"y": [1.0, 2.5, 2.0, 4.0, 4.5, 6.5], "x": [0.3, 0.1, 0.5, 0.2, 0.9, 0.4],
                         "g": pd.Series(["10", None, "2", None, "2", "10"], dtype=object),
                         "h": pd.Series(["18", "18", "10", "2", "10", "18"], dtype=object)})
    with pytest.warns(cw.ChipwarWarning, match=r"2 observation\(s\) removed because of missing"):
        fit = cw.feols("y ~ x | g^h", data)
    complete = cw.feols("y ~ x | g^h", data.dropna())
    assert fit.nobs == complete.nobs == 4
    np.testing.assert_allclose(fit.coef, complete.coef, rtol=1e-12)
    fixef = fit.fixef()["g^h"]
    assert sorted(fixef.index) == ["10_18", "2_10"]
    pd.testing.assert_series_equal(fixef.sort_index(), complete.fixef()["g^h"].sort_index())


@pytest.mark.parametrize("estimator", [cw.did_imputation, cw.did2s])
def test_imputation_when_the_treated_unit_is_observed_only_before_its_cohort(estimator):
    # unit 3's treated period is missing from the panel: no treated observation at all (was numpy's ValueError)
    data = pd.DataFrame({"unit": [1, 1, 2, 2, 3], "time": [2000, 2001, 2000, 2001, 2000],
                         "cohort": [0, 0, 0, 0, 2001], "y": [-0.2, 0.5, -0.6, 0.7, 1.1]})
    with pytest.raises(cw.ChipwarError, match=r"no observation is treated \(cohort column 'cohort'\): the treated "
                                              r"units are observed only before their cohort in 'time'"):
        estimator(data, **KW)
