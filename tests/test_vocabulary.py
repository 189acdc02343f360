"""One vocabulary across the estimators: level= (alpha= a deprecated alias that warns at the caller's line), reps=
beside att_gt's bootstrap=, conf_low / conf_high in confint(), .estimate on single-number results, small result
types instead of bare tuples, and executor= honoured or refused."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from did_sim import small_panel
from scipy import stats

import chipwar as cw

DID = {"outcome": "y", "unit": "unit", "time": "time", "cohort": "cohort"}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return small_panel(4)


def test_alpha_is_a_deprecated_alias_of_level_that_points_at_the_caller(panel):
    with pytest.warns(FutureWarning, match=r"write level=0\.9") as caught:
        old = cw.att_gt(panel, **DID, alpha=0.1)
    assert caught[0].filename == __file__  # the caller's line, not chipwar's
    new = cw.att_gt(panel, **DID, level=0.9)
    pd.testing.assert_frame_equal(old.table, new.table)
    # the 90% interval is estimate -/+ the normal 0.95 quantile times the SE
    t = new.table
    np.testing.assert_allclose(t["conf_high"] - t["att"], stats.norm.ppf(0.95) * t["se"], rtol=1e-10)
    assert new.level == pytest.approx(0.9)
    with pytest.raises(cw.ChipwarError, match="not both"):
        cw.att_gt(panel, **DID, level=0.9, alpha=0.1)


def test_reps_is_att_gts_bootstrap(panel):
    a = cw.att_gt(panel, **DID, bootstrap=199, seed=3)
    b = cw.att_gt(panel, **DID, reps=199, seed=3)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert b.bootstrap == 199
    with pytest.raises(cw.ChipwarError, match="reps= or bootstrap="):
        cw.att_gt(panel, **DID, reps=199, bootstrap=99)


def test_pretest_is_a_named_result_that_still_unpacks(panel):
    res = cw.att_gt(panel, **DID)
    test = res.pretest()
    stat, p = test
    assert (test.statistic, test.p_value) == (stat, p)
    assert p == pytest.approx(stats.chi2.sf(stat, int((res.table["cohort"] > res.table["time"]).sum())), rel=1e-12)


def test_single_number_results_have_estimate(panel):
    res = cw.att_gt(panel, **DID)
    simple = res.aggregate("simple")
    assert simple.estimate == simple.att
    etwfe = cw.etwfe(panel, **DID)
    assert etwfe.estimate == etwfe.att and etwfe.aggregate("dynamic").estimate == pytest.approx(etwfe.att, rel=1e-12)
    assert res.tidy().columns[3:5].tolist() == ["estimate", "std_error"]


def test_confint_columns_are_the_tidy_ones():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"x": rng.normal(size=120)}).assign(y=lambda d: 1 + 2 * d.x + rng.normal(size=120))
    fit = cw.feols("y ~ x", df)
    ci = fit.confint(0.9)
    assert ci.columns.tolist() == ["conf_low", "conf_high"]
    tidy = fit.tidy(0.9).set_index("term")
    np.testing.assert_array_equal(ci.to_numpy(), tidy[["conf_low", "conf_high"]].to_numpy())


def test_executor_is_never_silently_ignored():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"x": rng.normal(size=80), "g": rng.integers(0, 4, 80)}).assign(y=lambda d: d.x + rng.normal(size=80))
    with ThreadPoolExecutor(1) as pool:
        with pytest.raises(cw.ChipwarError, match="Drop executor="):
            cw.feols("y ~ x", df, executor=pool)
        split = cw.feols("y ~ x", df, split="g", executor=pool)  # honoured: one task per sample
        counts = df.assign(n=rng.poisson(2.0, len(df)))
        with pytest.raises(cw.ChipwarError, match="has neither"):
            cw.fepois("n ~ x", counts, vcov="hetero", executor=pool)
        crv3 = cw.fepois("n ~ x", counts, vcov={"CRV3": "g"}, executor=pool)  # honoured: the refits
    assert len(split) == 4
    np.testing.assert_array_equal(crv3.vcov, cw.fepois("n ~ x", counts, vcov={"CRV3": "g"}).vcov)
