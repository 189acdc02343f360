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


@pytest.mark.parametrize(("fml", "dummies"), [("y ~ x | h", "C(h)"), ("y ~ x | g + h", "C(g) + C(h)")])
def test_fixed_effects_not_nested_against_wildboottest_with_dummies(fml, dummies):
    # h (four groups) cuts across the clusters: the bootstrap is that of the model with h's dummies
    data = _clustered(5, 20, 600, 0.08)
    ours = cw.feols(fml, data, vcov={"CRV1": "cl"}).wildboot("x", reps=REPS, seed=3)
    ref = wildboottest(smf.ols(f"y ~ x + {dummies}", data), param="x", cluster=data["cl"], B=REPS, seed=7)
    p_ref = float(ref["p-value"].iloc[0])
    assert abs(ours.p_value - p_ref) < _mc_error(p_ref)
    if dummies == "C(h)":  # same K in both small-sample factors (g's dummies would count in wildboottest's)
        assert ours.t_stat == pytest.approx(float(ref["statistic"].iloc[0]), rel=1e-6)
    lo, hi = ours.conf_int
    assert lo < ours.estimate < hi


@pytest.mark.parametrize("weighted", [False, True])
def test_closed_form_equals_refits_of_the_dummy_model_for_crossing_fixed_effects(weighted):
    # small fixed-effect groups scattered over the clusters: demeaning mixes clusters strongly. For given cluster
    # weights v, the closed form's bootstrap t must equal the t of the dummy-variable model refitted on
    # y* = restricted fit + u~ o v (CRV1 without small-sample factors; weighted least squares when weighted)
    from chipwar.estimation.wildboot import _Problem, demean_design

    rng = np.random.default_rng(12)
    n, n_clusters = 400, 16
    data = _clustered(12, n_clusters, n, 0.2).assign(f=rng.integers(0, 40, n), pop=rng.uniform(0.3, 3.0, n))
    fit = cw.feols("y ~ x | f", data, weights="pop" if weighted else None, cluster="cl")
    core, r = fit._fit, 0.1
    w = data["pop"].to_numpy() if weighted else np.ones(n)
    codes, g = core.design.codes_of("cl")
    prob = _Problem(core.part.x_demeaned, core.part.y_demeaned, core.design.weights, codes, g, 0,
                    lambda cols: demean_design(core.design, cols, ["c"] * cols.shape[1], 1e-12, 100000))
    a, c = prob.closed_form(r)
    dummies = pd.get_dummies(data["f"], dtype=float).to_numpy()
    x_full = np.column_stack([data["x"], dummies])
    bread = np.linalg.pinv(x_full.T @ (w[:, None] * x_full))
    target = data["y"].to_numpy() - r * data["x"].to_numpy()
    restricted = np.linalg.solve(dummies.T @ (w[:, None] * dummies), dummies.T @ (w * target))
    fitted = r * data["x"].to_numpy() + dummies @ restricted
    resid = data["y"].to_numpy() - fitted
    for seed in range(5):
        v = np.random.default_rng(seed).choice([-1.0, 1.0], g)
        y_star = fitted + resid * v[codes]
        beta = bread @ x_full.T @ (w * y_star)
        u = y_star - x_full @ beta
        scores = pd.DataFrame(x_full * (w * u)[:, None]).groupby(codes).sum().to_numpy() @ bread[0]
        t_brute = (beta[0] - r) / np.sqrt(scores @ scores)
        t_closed = (a @ v) / np.sqrt(np.sum((a * v - c @ v) ** 2))
        assert t_closed == pytest.approx(t_brute, rel=1e-7)


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
    half = (crv1["conf_high"] - crv1["conf_low"]) / 2
    assert lo < 0.3 < hi
    assert abs(lo - crv1["conf_low"]) < 0.1 * half and abs(hi - crv1["conf_high"]) < 0.1 * half
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
