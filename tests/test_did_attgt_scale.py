"""att_gt's standard errors scale with the outcome (found by tests/test_fuzz.py): did's absolute zero-SE threshold
turned every standard error of an outcome in millionths into NaN; a vanishing one now warns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import chipwar as cw
from chipwar.did._simulate import simulate_staggered

KW = {"outcome": "y", "unit": "unit", "time": "time", "cohort": "cohort"}


@pytest.fixture(scope="module")
def panel():
    return simulate_staggered(n_units=120, n_periods=5, cohorts=(3, 4), seed=3)


@pytest.mark.parametrize("scale", [1e-9, 1e-6, 1e6])
@pytest.mark.parametrize("bootstrap", [None, 49])
def test_standard_errors_scale_with_the_outcome(panel, scale, bootstrap):
    base = cw.att_gt(panel, **KW, bootstrap=bootstrap, seed=7)
    scaled = cw.att_gt(panel.assign(y=panel["y"] * scale), **KW, bootstrap=bootstrap, seed=7)
    assert np.isfinite(base.table["se"]).all()
    np.testing.assert_allclose(scaled.table["se"], base.table["se"] * scale, rtol=1e-9)
    np.testing.assert_allclose(scaled.table["att"], base.table["att"] * scale, rtol=1e-9)
    for kind in ("simple", "dynamic"):
        a, b = base.aggregate(kind), scaled.aggregate(kind)
        np.testing.assert_allclose(b.se, a.se * scale, rtol=1e-9)


def test_universal_base_period_cells_stay_nan_without_a_warning(panel):
    res = cw.att_gt(panel.assign(y=panel["y"] * 1e-6), **KW, base_period="universal")
    zero = res.table["time"] == res.table["base_time"]
    assert zero.any() and res.table.loc[zero, "se"].isna().all()
    assert np.isfinite(res.table.loc[~zero, "se"]).all()


def test_a_vanishing_standard_error_warns():
    # one treated and one comparison unit over two periods: the ATT is exact, its influence function zero
    data = pd.DataFrame({"unit": [0, 0, 1, 1], "time": [2000, 2001, 2000, 2001], "cohort": [2001, 2001, 0, 0],
                         "y": [0.4, 1.5, -0.4, 0.3]})
    with pytest.warns(cw.ChipwarWarning, match=r"numerically zero standard error.*ATT\(g=2001, t=2001\) \(1 treated "
                                                r"and 1 comparison units\)"):
        res = cw.att_gt(data, **KW)
    assert res.table["att"].iloc[0] == pytest.approx(0.4)
    assert np.isnan(res.table["se"].iloc[0])
