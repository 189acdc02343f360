"""The result object: presentation, tidy output, convergence warnings, thread-count invariance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import chipwar as cw


@pytest.fixture
def panel():
    rng = np.random.default_rng(42)
    n = 3000
    df = pd.DataFrame({"a": rng.integers(0, 150, n), "b": rng.integers(0, 40, n), "x": rng.normal(size=n)})
    df["y"] = 2.0 * df.x + rng.normal(size=150)[df.a] + rng.normal(size=40)[df.b] + rng.normal(size=n)
    return df


def test_tidy_columns_and_values(panel):
    fit = cw.feols("y ~ x | a + b", panel, vcov={"CRV1": "a"})
    t = fit.tidy()
    assert list(t.columns) == ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
    row = t.iloc[0]
    assert row.term == "x"
    assert row.statistic == pytest.approx(row.estimate / row.std_error, rel=1e-12)
    # 95% interval from t with G - 1 = 149 degrees of freedom
    from scipy import stats

    q = stats.t.ppf(0.975, 149)
    assert row.conf_low == pytest.approx(row.estimate - q * row.std_error, rel=1e-10)
    assert row.p_value == pytest.approx(2 * stats.t.sf(abs(row.statistic), 149), rel=1e-8)
    ci = fit.confint(0.9)
    assert ci.loc["x", "upper"] == pytest.approx(row.estimate + stats.t.ppf(0.95, 149) * row.std_error, rel=1e-10)


def test_summary_and_html(panel):
    fit = cw.feols("y ~ x | a + b", panel)
    text = repr(fit)
    assert "Dep. Var.: y" in text and "Fixed effects: a (150), b (40)" in text and "Observations: 3,000" in text
    assert f"{fit.coef['x']:.6g}" in text
    html = fit._repr_html_()
    assert "<table" in html and "std_error" in html


def test_nonconvergence_warns_naming_the_column(panel):
    with pytest.warns(cw.ConvergenceWarning, match=r"did not converge in 1 iterations for \['y', 'x'\]"):
        cw.feols("y ~ x | a + b", panel, fixef_maxiter=1, fixef_tol=1e-14)


def test_results_do_not_depend_on_thread_count(panel):
    before = cw.get_num_threads()
    try:
        cw.set_num_threads(1)
        one = cw.feols("y ~ x | a + b", panel.assign(z=panel.x**2), vcov={"CRV1": "a + b"})
        cw.set_num_threads(2)
        two = cw.feols("y ~ x | a + b", panel.assign(z=panel.x**2), vcov={"CRV1": "a + b"})
    finally:
        cw.set_num_threads(before)
    assert np.array_equal(one.coef.to_numpy(), two.coef.to_numpy())
    assert np.array_equal(one.se.to_numpy(), two.se.to_numpy())


def test_multiway_vcov_is_positive_semidefinite(panel):
    fit = cw.feols("y ~ x | a + b", panel, vcov={"CRV1": "a + b"})
    assert np.linalg.eigvalsh(fit.vcov.to_numpy()).min() >= 0
    assert fit.df_t == 39  # smallest G - 1


def test_psd_repair_zeroes_negative_eigenvalues():
    from chipwar.vcov.compute import _psd

    q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(3, 3)))
    v = (q * np.array([2.0, 0.5, -0.1])) @ q.T
    fixed = _psd(v)
    np.testing.assert_allclose(np.linalg.eigvalsh(fixed), [0.0, 0.5, 2.0], atol=1e-12)
    np.testing.assert_allclose(fixed @ q[:, 0], 2.0 * q[:, 0], atol=1e-12)
