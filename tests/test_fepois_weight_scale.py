"""fepois's convergence criterion is invariant to the scale of the weights (issue 21): fixest's and pyfixest's
``|dev - dev_old| / (0.1 + |dev|)`` compares the weighted deviance with an absolute 0.1, so weights times 1e-12 stopped
after two iterations, 2% off, with ``converged=True``. The 0.1 is now in units of the mean weight: the same criterion
as fixest's for unit weights, and the same iterates for weights w and c w.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import chipwar as cw

SCALES = [1e-12, 1e-6, 1.0, 1e6]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n, groups = 2000, 30
    d = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n), "fe": rng.integers(0, groups, n),
                      "w": rng.uniform(0.5, 2.0, n)})
    d["y"] = rng.poisson(np.exp(0.5 * d["x"] - 0.2 * d["z"] + rng.normal(size=groups)[d["fe"]]))
    return d


@pytest.mark.parametrize("fml", ["y ~ x + z | fe", "y ~ x + z"])
def test_weights_times_any_constant_give_the_same_fit(data, fml):
    base = cw.fepois(fml, data, weights="w", vcov="hetero")
    for c in SCALES:
        fit = cw.fepois(fml, data.assign(w=data["w"] * c), weights="w", vcov="hetero")
        assert fit.converged
        assert fit.iterations == base.iterations
        np.testing.assert_allclose(fit.coef.to_numpy(), base.coef.to_numpy(), rtol=1e-8)
        np.testing.assert_allclose(fit.se.to_numpy(), base.se.to_numpy(), rtol=1e-8)  # the sandwich is invariant
        # with the dispersion fixed at one, weights count observations: c w scales the iid variance by 1 / c
        np.testing.assert_allclose(fit.with_vcov("iid").se.to_numpy() * np.sqrt(c),
                                   base.with_vcov("iid").se.to_numpy(), rtol=1e-8)


def test_unit_weights_keep_fixests_criterion(data):
    # with all weights one the criterion is fixest's: the same fit as without weights, iteration for iteration
    unweighted = cw.fepois("y ~ x + z | fe", data)
    ones = cw.fepois("y ~ x + z | fe", data.assign(one=1.0), weights="one")
    assert ones.iterations == unweighted.iterations
    np.testing.assert_allclose(ones.coef.to_numpy(), unweighted.coef.to_numpy(), rtol=1e-12)


def test_tiny_weights_match_statsmodels_glm(data):
    # statsmodels' own stopping rule is not scale-invariant either (an absolute tolerance on the deviance), so it
    # fits the unscaled weights: the coefficients do not depend on the scale
    sm = pytest.importorskip("statsmodels.api")
    fit = cw.fepois("y ~ x + z", data.assign(w=data["w"] * 1e-12), weights="w", tol=1e-12)
    design = sm.add_constant(data[["x", "z"]])
    glm = sm.GLM(data["y"], design, family=sm.families.Poisson(), var_weights=data["w"]).fit(tol=1e-14)
    np.testing.assert_allclose(fit.coef[["(Intercept)", "x", "z"]].to_numpy(),
                               glm.params[["const", "x", "z"]].to_numpy(), rtol=1e-9)
