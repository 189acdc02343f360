"""cw.augsynth: against a closed-form numpy/scipy computation, the SC limit, and a simulated known effect."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

import chipwar as cw
from chipwar import ChipwarError

from ._synth_sim import factor_panel


def _independent_ascm(data, ridge: float, n_pre: int) -> float:
    """Ridge ASCM as an outcome-model correction: tau = Y1_post - gamma'Y0_post - (m(x1) - gamma'm(X0)), m fitted by
    ridge (intercept unpenalised) of each post-period outcome on pre-period outcomes among donors; gamma by SLSQP."""
    wide = data.pivot(index="unit", columns="time", values="y").sort_index()
    y1, y0 = wide.iloc[-1].to_numpy(), wide.iloc[:-1].to_numpy()
    x0, x1 = y0[:, :n_pre], y1[:n_pre]
    n = x0.shape[0]
    gamma = minimize(lambda g: np.sum((x1 - g @ x0) ** 2), np.full(n, 1 / n), bounds=[(0, None)] * n,
                     constraints=[{"type": "eq", "fun": lambda g: g.sum() - 1}], method="SLSQP",
                     options={"ftol": 1e-15, "maxiter": 3000}).x
    xbar = x0.mean(axis=0)
    xc = x0 - xbar
    effects = []
    for t in range(n_pre, y0.shape[1]):
        yt = y0[:, t]
        beta = np.linalg.solve(xc.T @ xc + ridge * np.eye(n_pre), xc.T @ (yt - yt.mean()))
        m = lambda x: yt.mean() + (x - xbar) @ beta  # noqa: E731 - the fitted outcome model
        effects.append(y1[t] - gamma @ yt - (m(x1) - gamma @ m(x0)))
    return float(np.mean(effects))


@pytest.mark.parametrize("ridge", [0.5, 10.0, 1000.0])
def test_matches_independent_outcome_model_form(ridge: float) -> None:
    data = factor_panel(n_units=12, n_periods=14, n_pre=10, effect=2.0, seed=8)
    fit = cw.augsynth(data, outcome="y", unit="unit", time="time", treated_unit="u011", treatment_time=2010,
                      ridge=ridge)
    assert fit.att == pytest.approx(_independent_ascm(data, ridge, 10), abs=1e-5)
    assert fit.weights.sum() == pytest.approx(1.0)


def test_large_ridge_tends_to_sc_and_known_effect() -> None:
    data = factor_panel(n_units=30, n_periods=30, n_pre=20, effect=5.0, noise=0.3, seed=9)
    kw = dict(outcome="y", unit="unit", time="time", treated_unit="u029", treatment_time=2020)
    huge = cw.augsynth(data, ridge=1e12, **kw)
    assert huge.att == pytest.approx(huge.sc_att, abs=1e-6)
    fit = cw.augsynth(data, **kw)
    assert fit.cross_validated and fit.ridge > 0
    assert fit.att == pytest.approx(5.0, abs=1.0)
    assert fit.pre_rmspe <= fit.sc_pre_rmspe + 1e-12
    assert "Ridge-augmented" in repr(fit) and list(fit.tidy().columns) == ["unit", "weight", "sc_weight"]
    import matplotlib

    matplotlib.use("Agg")
    assert isinstance(fit.plot(), matplotlib.axes.Axes)


def test_bad_input() -> None:
    data = factor_panel(n_units=6, n_periods=8, n_pre=5, seed=1)
    kw = dict(outcome="y", unit="unit", time="time", treatment_time=2005)
    with pytest.raises(ChipwarError, match="ridge must be positive"):
        cw.augsynth(data, treated_unit="u005", ridge=-1.0, **kw)
    with pytest.raises(ChipwarError, match="not found"):
        cw.augsynth(data, treated_unit="nope", **kw)
    with pytest.raises(ChipwarError, match="outside"):
        cw.augsynth(data, treated_unit="u005", **{**kw, "treatment_time": 1990})
