"""Wild cluster bootstrap (WCR): the wildboottest package within Monte-Carlo error, reproducibility, inversion."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from wildboottest.wildboottest import wildboottest

import chipwar as cw

REPS = 9999


def _clustered(seed: int, n_clusters: int, n: int, beta: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cl = rng.integers(0, n_clusters, n)
    x = rng.normal(size=n) + rng.normal(size=n_clusters)[cl]
    y = 1.0 + beta * x + rng.normal(size=n) + rng.normal(size=n_clusters)[cl]
    # g: a fixed effect nested in the clusters (three groups per cluster); h: one that is not
    g = cl * 3 + rng.integers(0, 3, n)
    return pd.DataFrame({"y": y + 0.3 * (g % 7), "x": x, "cl": cl, "g": g, "h": rng.integers(0, 4, n)})


def _mc_error(p: float) -> float:
    """Four standard errors of the difference of two independent bootstrap p-values."""
    return 4 * np.sqrt(2 * max(p * (1 - p), 1e-4) / REPS)


@pytest.mark.parametrize("weights", ["rademacher", "webb"])
@pytest.mark.parametrize(("seed", "beta"), [(1, 0.05), (2, 0.15)])
def test_p_value_against_wildboottest(weights, seed, beta):
    data = _clustered(seed, 20, 600, beta)
    ours = cw.feols("y ~ x", data, vcov={"CRV1": "cl"}).wildboot("x", reps=REPS, weights=weights, seed=11)
    ref = wildboottest(smf.ols("y ~ x", data), param="x", cluster=data["cl"], B=REPS, weights_type=weights, seed=5)
    p_ref = float(ref["p-value"].iloc[0])
    assert abs(ours.p_value - p_ref) < _mc_error(p_ref)
    assert ours.t_stat == pytest.approx(float(ref["statistic"].iloc[0]), rel=1e-8)


def test_nested_fixed_effects_against_wildboottest_with_dummies():
    data = _clustered(4, 24, 720, 0.1)
    ours = cw.feols("y ~ x | g", data, vcov={"CRV1": "cl"}).wildboot("x", reps=REPS, seed=2)
    ref = wildboottest(smf.ols("y ~ x + C(g)", data), param="x", cluster=data["cl"], B=REPS, seed=9)
    p_ref = float(ref["p-value"].iloc[0])
    assert abs(ours.p_value - p_ref) < _mc_error(p_ref)


def test_reproducible_for_threads_and_executors():
    data = _clustered(3, 15, 300, 0.1)
    fit = cw.feols("y ~ x", data, vcov={"CRV1": "cl"})
    first = fit.wildboot("x", reps=4999, seed=123)
    old = cw.get_num_threads()
    try:
        cw.set_num_threads(1)
        single = fit.wildboot("x", reps=4999, seed=123)
    finally:
        cw.set_num_threads(old)
    with ThreadPoolExecutor(2) as pool:
        pooled = fit.wildboot("x", reps=4999, seed=123, executor=pool)
    assert first.p_value == single.p_value == pooled.p_value
    assert first.conf_int == single.conf_int == pooled.conf_int


def test_confidence_interval_by_inversion():
    # many clusters: the bootstrap interval is close to the CRV1 t interval and covers the true slope (0.3)
    data = _clustered(8, 120, 2400, 0.3)
    fit = cw.feols("y ~ x", data, vcov={"CRV1": "cl"})
    boot = fit.wildboot("x", reps=REPS, seed=1)
    lo, hi = boot.conf_int
    crv1 = fit.confint().loc["x"]
    half = (crv1["upper"] - crv1["lower"]) / 2
    assert lo < 0.3 < hi
    assert abs(lo - crv1["lower"]) < 0.1 * half and abs(hi - crv1["upper"]) < 0.1 * half
    assert boot.p_value < 1e-3  # the slope is far from zero


def test_bad_arguments():
    data = _clustered(3, 15, 300, 0.1)
    fit = cw.feols("y ~ x", data)
    with pytest.raises(cw.ChipwarError, match="give cluster="):
        fit.wildboot("x")
    with pytest.raises(cw.ChipwarError, match="not a coefficient"):
        fit.wildboot("z", cluster="cl")
    with pytest.raises(cw.ChipwarError, match="'rademacher' or 'webb'"):
        fit.wildboot("x", cluster="cl", weights="mammen")
    with pytest.raises(cw.ChipwarError, match="'h' is not nested in the cluster"):
        cw.feols("y ~ x | h", data).wildboot("x", cluster="cl")
