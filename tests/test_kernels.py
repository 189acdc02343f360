"""The typed door to the compiled kernels: NamedTuple returns that agree with an independent computation, and the
bound ColumnStatus enum."""

from __future__ import annotations

import numpy as np
import statsmodels.api as sm

from chipwar import kernels


def _data(n: int = 400):
    rng = np.random.default_rng(3)
    x = np.asfortranarray(np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=n)]))
    y = np.exp(0.3 + 0.2 * x[:, 1] - 0.1 * x[:, 2] + rng.normal(scale=0.1, size=n)).round()
    return x, y


def test_fit_poisson_names_what_happened_to_each_column():
    x, y = _data()
    with_copy = np.asfortranarray(np.column_stack([x, 2.0 * x[:, 1]]))  # the last column repeats the second
    fit = kernels.fit_poisson(with_copy, y, np.zeros((len(y), 0), dtype=np.int32, order="F"), [], None, None,
                              1e-10, 50, 1e-8, 10000, 1e-10, 1e-10)
    assert fit.status == [kernels.ColumnStatus.kept] * 3 + [kernels.ColumnStatus.collinear]
    assert not fit.all_kept
    ref = sm.GLM(y, x, family=sm.families.Poisson()).fit(tol=1e-12)
    np.testing.assert_allclose(fit.coef, ref.params, rtol=1e-7)
    assert fit.converged and fit.loglik == fit[7]  # a NamedTuple: fields by name and by position
    assert int(kernels.ColumnStatus.absorbed) == 1  # the C++ enum's values


def test_ols_returns_a_named_solution_that_still_unpacks():
    x, y = _data()
    kept, coef, bread, resid = kernels.ols(x, y, None, 1e-10)
    solution = kernels.ols(x, y, None, 1e-10)
    assert kept.all() and np.array_equal(solution.coef, coef)
    ref = sm.OLS(y, x).fit()
    np.testing.assert_allclose(coef, ref.params, rtol=1e-10)
    np.testing.assert_allclose(bread, np.linalg.inv(x.T @ x), rtol=1e-10)
    np.testing.assert_allclose(resid, ref.resid, atol=1e-10)
