"""CRV3 for IV (2SLS) and fepois: brute-force leave-one-cluster-out refits with linearmodels, statsmodels and
pyfixest, fixed effects nested in the clusters, and the errors for non-nested fixed effects."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
import statsmodels.api as sm
from linearmodels.iv import IV2SLS

import chipwar as cw

# pyfixest (an oracle here) uses a pandas keyword that newer pandas deprecates
pytestmark = pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning:pyfixest.*")


def _crv3(deltas: np.ndarray, n: int, k: int) -> np.ndarray:
    """pyfixest's CRV3: G / (G - 1) * (n - 1) / (n - K) * sum_g (b_(-g) - b)(b_(-g) - b)'."""
    g = deltas.shape[0]
    return g / (g - 1) * (n - 1) / (n - k) * deltas.T @ deltas


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(11)
    n_clusters, per = 14, 24
    cl = np.repeat(np.arange(n_clusters), per)
    n = len(cl)
    fe = cl * 3 + rng.integers(0, 3, n)  # three fixed-effect groups inside every cluster
    alpha = rng.normal(size=fe.max() + 1)[fe]
    z = rng.normal(size=(n, 2)) + 0.5 * rng.normal(size=(n_clusters, 2))[cl]
    v = rng.normal(size=n) + 0.5 * rng.normal(size=n_clusters)[cl]
    w = rng.normal(size=n)
    x = 0.8 * z[:, 0] + 0.5 * z[:, 1] + 0.3 * w + alpha + v
    y = 1.0 + 0.7 * x - 0.4 * w + alpha + 0.6 * v + rng.normal(size=n)
    lam = np.exp(0.3 + 0.4 * w + 0.3 * z[:, 0] + 0.5 * alpha)
    return pd.DataFrame({"y": y, "x": x, "w": w, "z1": z[:, 0], "z2": z[:, 1], "cl": cl, "fe": fe,
                         "count": rng.poisson(lam), "pop": rng.uniform(0.5, 2.0, n)})


def _iv2sls(data: pd.DataFrame, fixed_effects: bool, weights: str | None) -> pd.Series:
    exog = pd.get_dummies(data["fe"], prefix="fe", dtype=float) if fixed_effects else pd.DataFrame(
        {"const": np.ones(len(data))}, index=data.index)
    exog["w"] = data["w"]
    model = IV2SLS(data["y"], exog, data[["x"]], data[["z1", "z2"]], weights=None if weights is None else data[weights])
    return model.fit(cov_type="unadjusted").params[["x", "w"]]


@pytest.mark.parametrize("weights", [None, "pop"])
@pytest.mark.parametrize("fixed_effects", [False, True])
def test_iv_crv3_equals_leave_one_cluster_out_2sls(panel, fixed_effects, weights):
    fml = "y ~ w | fe | x ~ z1 + z2" if fixed_effects else "y ~ w | x ~ z1 + z2"
    fit = cw.feols(fml, panel, vcov={"CRV3": "cl"}, weights=weights)
    full = _iv2sls(panel, fixed_effects, weights)
    assert fit.coef[["fit_x", "w"]].to_numpy() == pytest.approx(full.to_numpy(), rel=1e-9)
    deltas = np.array([(_iv2sls(panel[panel["cl"] != g], fixed_effects, weights) - full).to_numpy()
                       for g in np.unique(panel["cl"])])
    # K: the two slopes plus the intercept, or plus one for the fixed effects nested in the clusters
    expected = _crv3(deltas, len(panel), 3)
    got = fit.vcov.loc[["fit_x", "w"], ["fit_x", "w"]].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-8)
    assert fit.df_t == panel["cl"].nunique() - 1
    # the same through with_vcov, from any starting variance
    again = cw.feols(fml, panel, weights=weights).with_vcov({"CRV3": "cl"}, data=panel)
    np.testing.assert_allclose(again.vcov.to_numpy(), fit.vcov.to_numpy(), rtol=1e-12)


def test_iv_crv3_two_endogenous(panel):
    data = panel.assign(x2=panel["z2"] - panel["x"] * 0.2 + np.random.default_rng(2).normal(size=len(panel)),
                        z3=np.random.default_rng(5).normal(size=len(panel)) + panel["w"])
    data["y2"] = data["y"] + 0.5 * data["x2"]
    fit = cw.feols("y2 ~ w | fe | x + x2 ~ z1 + z2 + z3", data, vcov={"CRV3": "cl"})

    def refit(d: pd.DataFrame) -> np.ndarray:
        exog = pd.concat([pd.get_dummies(d["fe"], prefix="fe", dtype=float), d[["w"]]], axis=1)
        res = IV2SLS(d["y2"], exog, d[["x", "x2"]], d[["z1", "z2", "z3"]]).fit(cov_type="unadjusted")
        return res.params[["x", "x2", "w"]].to_numpy()

    full = refit(data)
    deltas = np.array([refit(data[data["cl"] != g]) - full for g in np.unique(data["cl"])])
    names = ["fit_x", "fit_x2", "w"]
    np.testing.assert_allclose(fit.vcov.loc[names, names].to_numpy(), _crv3(deltas, len(data), 4), rtol=1e-8)


def _poisson_glm(data: pd.DataFrame) -> pd.Series:
    exog = pd.get_dummies(data["fe"], prefix="fe", dtype=float)
    exog[["w", "z1"]] = data[["w", "z1"]]
    res = sm.GLM(data["count"], exog, family=sm.families.Poisson()).fit(tol=1e-13, maxiter=200)
    return res.params[["w", "z1"]]


def test_fepois_crv3_equals_leave_one_cluster_out_glm(panel):
    fit = cw.fepois("count ~ w + z1 | fe", panel, vcov={"CRV3": "cl"}, tol=1e-12)
    full = _poisson_glm(panel)
    assert fit.coef.to_numpy() == pytest.approx(full.to_numpy(), rel=1e-7)
    deltas = np.array([(_poisson_glm(panel[panel["cl"] != g]) - full).to_numpy() for g in np.unique(panel["cl"])])
    np.testing.assert_allclose(fit.vcov.to_numpy(), _crv3(deltas, len(panel), 3), rtol=1e-6)
    assert np.isinf(fit.df_t)  # Poisson: normal reference, as with the other variances
    # pyfixest refits fepois without each cluster too
    ref = pf.fepois("count ~ w + z1 | fe", panel, vcov={"CRV3": "cl"})
    np.testing.assert_allclose(fit.se.to_numpy(), ref.se().to_numpy(), rtol=1e-6)


class CountingPool(ThreadPoolExecutor):
    """A thread pool that counts the tasks submitted to it."""

    submitted = 0

    def submit(self, *args, **kwargs):
        self.submitted += 1
        return super().submit(*args, **kwargs)


def test_fepois_crv3_refits_on_an_executor(panel):
    fit = cw.fepois("count ~ w + z1 | fe", panel)
    alone = fit.with_vcov({"CRV3": "cl"}, data=panel)
    with CountingPool(2) as pool:
        pooled = fit.with_vcov({"CRV3": "cl"}, executor=pool, progress=False, data=panel)
    with CountingPool(2) as pool:  # fepois(..., executor=) runs the refits of its vcov there too
        direct = cw.fepois("count ~ w + z1 | fe", panel, vcov={"CRV3": "cl"}, executor=pool)
    assert pool.submitted == panel["cl"].nunique()
    np.testing.assert_array_equal(pooled.vcov.to_numpy(), alone.vcov.to_numpy())
    np.testing.assert_array_equal(direct.vcov.to_numpy(), alone.vcov.to_numpy())


def test_fepois_crv3_without_fixed_effects_and_with_offset(panel):
    data = panel.assign(logpop=np.log(panel["pop"]))
    fit = cw.fepois("count ~ w + z1", data, offset="logpop", vcov={"CRV3": "cl"}, tol=1e-12)

    def glm(d: pd.DataFrame) -> np.ndarray:
        exog = sm.add_constant(d[["w", "z1"]])
        res = sm.GLM(d["count"], exog, family=sm.families.Poisson(), offset=d["logpop"]).fit(tol=1e-13, maxiter=200)
        return res.params.to_numpy()

    full = glm(data)
    deltas = np.array([glm(data[data["cl"] != g]) - full for g in np.unique(data["cl"])])
    np.testing.assert_allclose(fit.vcov.to_numpy(), _crv3(deltas, len(data), 3), rtol=1e-6)


def test_crv3_rejects_fixed_effects_not_nested(panel):
    data = panel.assign(other=np.arange(len(panel)) % 5)
    iv = cw.feols("y ~ w | other | x ~ z1 + z2", data)
    with pytest.raises(cw.ChipwarError, match="'other' is not nested in 'cl'"):
        iv.with_vcov({"CRV3": "cl"}, data=data)
    with pytest.raises(cw.ChipwarError, match="'other' is not nested in 'cl'"):
        cw.fepois("count ~ w | other", data, vcov={"CRV3": "cl"})
