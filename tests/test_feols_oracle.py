"""feols against independent computations: dummy-variable regressions (statsmodels), invariances, known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import SingularMatrixWarning

import chipwar as cw


def random_panel(seed: int, n: int = 400, n_fe: int = 2, weights: bool = False, missing: bool = False) -> pd.DataFrame:
    """An unbalanced panel with up to three crossed fixed effects of uneven sizes."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "f1": rng.integers(0, 25, n),
            "f2": rng.integers(0, 12, n),
            "f3": rng.choice(list("abcdefg"), n),
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
        }
    )
    fe_effect = rng.normal(size=25)[df.f1] + rng.normal(size=12)[df.f2] * (n_fe >= 2)
    fe_effect += (df.f3.map(dict(zip("abcdefg", rng.normal(size=7)))) * (n_fe >= 3)).to_numpy()
    df["x1"] += 0.5 * fe_effect  # regressors correlated with the fixed effects
    df["y"] = 1.5 * df.x1 - 0.7 * df.x2 + fe_effect + rng.normal(size=n)
    if weights:
        df["w"] = rng.uniform(0.2, 3.0, n)
    if missing:
        df.loc[rng.choice(n, 15, replace=False), "x2"] = np.nan
        df.loc[rng.choice(n, 10, replace=False), "y"] = np.nan
    return df


def dummy_regression(df: pd.DataFrame, fes: list[str], weights: str | None):
    """OLS with one dummy column per fixed-effect level (statsmodels), on rows chipwar keeps."""
    d = df.dropna(subset=["y", "x1", "x2"])
    dummies = [pd.get_dummies(d[f].astype("category"), prefix=f, drop_first=i > 0, dtype=float) for i, f in enumerate(fes)]
    x = pd.concat([d[["x1", "x2"]], *dummies], axis=1)
    if weights:
        return sm.WLS(d["y"], x, weights=d[weights]).fit(), d
    return sm.OLS(d["y"], x).fit(), d


@pytest.mark.parametrize("n_fe", [1, 2, 3])
@pytest.mark.parametrize("weights", [False, True])
def test_equals_dummy_variable_regression(n_fe, weights):
    df = random_panel(n_fe * 10 + weights, n_fe=n_fe, weights=weights, missing=True)
    fes = ["f1", "f2", "f3"][:n_fe]
    with pytest.warns(cw.ChipwarWarning, match="missing"):
        fit = cw.feols(f"y ~ x1 + x2 | {' + '.join(fes)}", df, weights="w" if weights else None, fixef_rm="none")
    ref, used = dummy_regression(df, fes, "w" if weights else None)
    assert fit.nobs == len(used)
    np.testing.assert_allclose(fit.coef, ref.params[["x1", "x2"]], rtol=1e-8, atol=1e-10)
    # iid variance: same degrees of freedom as the dummy regression
    np.testing.assert_allclose(fit.se, ref.bse[["x1", "x2"]], rtol=1e-8)
    # HC1 with K counting the dummies, as statsmodels does
    np.testing.assert_allclose(fit.with_vcov("hetero").se, ref.get_robustcov_results("HC1").bse[:2], rtol=1e-7)
    np.testing.assert_allclose(fit.resid, ref.resid.to_numpy(), atol=1e-8)
    np.testing.assert_allclose(fit.predict(), ref.fittedvalues.to_numpy(), atol=1e-8)
    assert fit.r2 == pytest.approx(ref.rsquared, rel=1e-9)


def test_clustered_equals_dummy_regression_with_nested_fe_rule():
    df = random_panel(7, n_fe=2)
    fit = cw.feols("y ~ x1 + x2 | f1 + f2", df, vcov={"CRV1": "f1"}, fixef_rm="none")
    ref, _ = dummy_regression(df, ["f1", "f2"], None)
    g = df.f1.nunique()
    n = len(df)
    # statsmodels' cluster correction counts every dummy in K; fixest does not count f1 (nested in the cluster)
    k_all = 2 + 25 + 11
    k_fixest = 2 + 11 + 1
    scale = ((n - 1) / (n - k_fixest)) / ((n - 1) / (n - k_all))
    sm_se = ref.get_robustcov_results("cluster", groups=df.f1.to_numpy()).bse[:2]
    np.testing.assert_allclose(fit.se, sm_se * np.sqrt(scale), rtol=1e-7)
    assert fit.df_t == g - 1


def test_fixef_recovers_dummy_coefficients():
    df = random_panel(3, n_fe=2)
    fit = cw.feols("y ~ x1 + x2 | f1 + f2", df, fixef_rm="none")
    ref, _ = dummy_regression(df, ["f1", "f2"], None)
    fe = fit.fixef()
    f1 = ref.params[[c for c in ref.params.index if c.startswith("f1_")]].to_numpy()
    f2 = np.r_[0.0, ref.params[[c for c in ref.params.index if c.startswith("f2_")]].to_numpy()]
    np.testing.assert_allclose(fe["f1"].to_numpy(), f1, atol=1e-7)
    np.testing.assert_allclose(fe["f2"].to_numpy(), f2, atol=1e-7)
    # prediction on new rows reuses the recovered fixed effects
    new = df.head(20)
    np.testing.assert_allclose(fit.predict(new), fit.predict()[:20], atol=1e-7)


def test_invariances():
    df = random_panel(11, n_fe=2, weights=True)
    base = cw.feols("y ~ x1 + x2 | f1 + f2", df, weights="w", vcov={"CRV1": "f1"})
    shuffled = df.sample(frac=1.0, random_state=1)
    np.testing.assert_allclose(cw.feols("y ~ x1 + x2 | f1 + f2", shuffled, weights="w", vcov={"CRV1": "f1"}).coef, base.coef, rtol=1e-9)
    relabelled = df.assign(f1=df.f1.map(lambda v: f"unit-{(v * 7919) % 101}"), f2=-df.f2)
    other = cw.feols("y ~ x1 + x2 | f1 + f2", relabelled, weights="w", vcov={"CRV1": "f1"})
    np.testing.assert_allclose(other.coef, base.coef, rtol=1e-9)
    np.testing.assert_allclose(other.se, base.se, rtol=1e-9)
    shifted = df.assign(y=df.y + df.f1 * 3.0 - 10.0)  # a constant per f1 group is absorbed
    np.testing.assert_allclose(cw.feols("y ~ x1 + x2 | f1 + f2", shifted, weights="w").coef, base.coef, rtol=1e-8)
    # weights matter only up to scale
    np.testing.assert_allclose(
        cw.feols("y ~ x1 + x2 | f1 + f2", df.assign(w=df.w * 17.0), weights="w", vcov={"CRV1": "f1"}).se, base.se, rtol=1e-9
    )


def test_recovers_known_effect_in_large_simulated_panel():
    rng = np.random.default_rng(2024)
    n_units, n_years = 2000, 10
    unit = np.repeat(np.arange(n_units), n_years)
    year = np.tile(np.arange(n_years), n_units)
    alpha = rng.normal(size=n_units)[unit]
    gamma = np.linspace(0, 2, n_years)[year]
    x = alpha + rng.normal(size=unit.size)
    y = 0.8 * x + alpha + gamma + rng.normal(size=unit.size)
    df = pd.DataFrame({"unit": unit, "year": year, "x": x, "y": y})
    fit = cw.feols("y ~ x | unit + year", df, vcov={"CRV1": "unit"})
    lo, hi = fit.confint(0.999).loc["x"]
    assert lo < 0.8 < hi
    assert fit.se["x"] < 0.01
    # pooled OLS is biased by the unit effects
    assert cw.feols("y ~ x", df).coef["x"] > 1.1


def test_singletons_are_dropped_and_counted():
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 5.0, 7.0], "x": [0.0, 1.0, 0.5, 2.0, 1.0, 3.0], "g": [1, 1, 2, 2, 3, 4]})
    with pytest.warns(cw.ChipwarWarning, match="2 singleton"):
        fit = cw.feols("y ~ x | g", df)
    assert fit.nobs == 4
    assert fit.n_dropped["singletons"] == 2
    # on the kept rows, the within slope: sum of demeaned x*y over sum of demeaned x^2 in groups 1 and 2
    assert fit.coef["x"] == pytest.approx((0.5 + 0.75) / (0.5 + 1.125), rel=1e-12)


def test_factor_terms_and_interactions_match_dummies():
    rng = np.random.default_rng(5)
    n = 300
    df = pd.DataFrame({"x": rng.normal(size=n), "cat": rng.choice(["lo", "mid", "hi"], n), "z": rng.normal(size=n)})
    df["y"] = 1 + df.x * (df.cat == "hi") + 0.3 * df.z + rng.normal(size=n)
    fit = cw.feols("y ~ C(cat) + x:z + x", df)
    dummies = pd.get_dummies(df.cat, dtype=float)[["lo", "mid"]]
    x = sm.add_constant(pd.concat([dummies, (df.x * df.z).rename("xz"), df.x], axis=1))
    ref = sm.OLS(df.y, x).fit()
    assert list(fit.coef.index) == ["(Intercept)", "C(cat)::lo", "C(cat)::mid", "x:z", "x"]
    np.testing.assert_allclose(fit.coef.to_numpy(), ref.params.to_numpy(), rtol=1e-10)


def test_event_study_terms_are_named_like_fixest():
    rng = np.random.default_rng(8)
    df = pd.DataFrame({"unit": np.repeat(np.arange(50), 6), "year": np.tile(np.arange(2016, 2022), 50)})
    df["treated"] = (df.unit < 25).astype(float)
    df["y"] = rng.normal(size=len(df)) + 2.0 * df.treated * (df.year >= 2019)
    fit = cw.feols("y ~ i(year, treated, ref=2018) | unit + year", df, vcov={"CRV1": "unit"})
    assert list(fit.coef.index) == [f"year::{y}:treated" for y in (2016, 2017, 2019, 2020, 2021)]
    post = fit.coef[[f"year::{y}:treated" for y in (2019, 2020, 2021)]]
    assert np.all(np.abs(post - 2.0) < 4 * fit.se[post.index])
    assert np.all(np.abs(fit.coef[["year::2016:treated", "year::2017:treated"]]) < 4 * fit.se.iloc[:2])


def test_log_term_drops_nonpositive_rows_with_warning():
    df = pd.DataFrame({"y": [1.0, 2.0, 3.5, 4.0, 6.0], "d": [1.0, 2.0, 0.0, 4.0, 8.0]})
    with pytest.warns(cw.ChipwarWarning, match="1 observation"):
        fit = cw.feols("y ~ log(d)", df)
    assert fit.nobs == 4
    assert "log(d)" in fit.coef.index


def test_weakly_connected_fixed_effects_converge_to_the_dummy_solution():
    """Workers who rarely change firms make alternating projections slow; the accelerated, safeguarded
    iteration must still reach the exact least-squares solution (with weights, which IRLS relies on)."""
    rng = np.random.default_rng(99)
    workers, years, firms = 150, 8, 25
    worker = np.repeat(np.arange(workers), years)
    firm = (rng.integers(0, firms, workers)[worker] + (rng.random(worker.size) < 0.04).cumsum()) % firms
    df = pd.DataFrame({"f1": worker, "f2": firm, "x1": rng.normal(size=worker.size), "x2": rng.normal(size=worker.size)})
    df["y"] = df.x1 - df.x2 + rng.normal(size=workers)[worker] + rng.normal(size=firms)[firm] + rng.normal(size=len(df))
    df["w"] = rng.uniform(0.1, 10.0, len(df))
    fit = cw.feols("y ~ x1 + x2 | f1 + f2", df, weights="w", fixef_rm="none", fixef_tol=1e-12)
    # the worker-firm graph has several connected components, so the dummies are collinear; the slopes and
    # residuals are identified all the same (statsmodels' pseudo-inverse finds them)
    with pytest.warns(SingularMatrixWarning):
        ref, _ = dummy_regression(df, ["f1", "f2"], "w")
    np.testing.assert_allclose(fit.coef, ref.params[["x1", "x2"]], rtol=1e-9)
    np.testing.assert_allclose(fit.resid, ref.resid.to_numpy(), atol=1e-8)
