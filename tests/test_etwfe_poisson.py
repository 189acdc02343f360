"""etwfe(family="poisson"): a known multiplicative effect on simulated counts, an independent statsmodels Poisson GLM
with dummies, and the delta-method SE against a numerical gradient."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from did_sim import staggered_panel

import chipwar as cw

SIM = dict(outcome="count", unit="unit", time="time", cohort="cohort", family="poisson")
MULTIPLIER = {2013: 1.5, 2015: 1.3, 2017: 1.2}


def count_panel(n_units: int, seed: int) -> pd.DataFrame:
    """Counts with log-mean = unit + period effects, times MULTIPLIER[cohort] once treated; ``mu0``/``mu1`` hold the
    true expected counts without and with treatment."""
    d = staggered_panel(n_units=n_units, seed=seed)
    rng = np.random.default_rng(seed + 100)
    log_mu0 = 0.5 + rng.normal(scale=0.5, size=n_units)[d.unit] + 0.05 * (d.time - 2010)
    mult = np.where(d.treated == 1, d.cohort.map(MULTIPLIER).fillna(1.0), 1.0)
    d["mu0"], d["mu1"] = np.exp(log_mu0), np.exp(log_mu0) * mult
    d["count"] = rng.poisson(d.mu1).astype(float)
    return d


def test_recovers_known_multiplicative_and_level_effects():
    d = count_panel(3000, seed=1)
    res = cw.etwfe(d, **SIM)
    cells = res.cell_coefficients
    truth = np.log(cells.cohort.map(MULTIPLIER))
    assert (((cells.coefficient - truth) / cells.se).abs() < 4).all()
    treated = d[d.treated == 1]
    level_truth = (treated.mu1 - treated.mu0).mean()
    assert abs(res.att - level_truth) < 4 * res.se
    assert res.se < 0.1 * level_truth
    gaussian = cw.etwfe(d, outcome="count", unit="unit", time="time", cohort="cohort")
    assert abs(gaussian.att - level_truth) < 4 * gaussian.se  # the linear ETWFE also targets the level ATT


def test_matches_statsmodels_poisson_glm_and_numerical_delta_method():
    d = count_panel(150, seed=2)
    res = cw.etwfe(d, **SIM)
    g, t = d.cohort, d.time
    cell = (g > 0) & (t >= g)
    keys = sorted(set(zip(g[cell], t[cell])))
    cells = np.column_stack([((g == a) & (t == b)).to_numpy(float) for a, b in keys])
    x = np.column_stack([cells, pd.get_dummies(d.unit).to_numpy(float), pd.get_dummies(d.time).to_numpy(float)[:, 1:]])
    with warnings.catch_warnings():  # statsmodels' own convergence chatter is not ours
        warnings.simplefilter("ignore")
        glm = sm.GLM(d["count"].to_numpy(), x, family=sm.families.Poisson()).fit(tol=1e-12)
    delta = glm.params[: len(keys)]
    np.testing.assert_allclose(res.cell_coefficients.coefficient, delta, rtol=1e-6, atol=1e-8)

    eta = x @ glm.params
    member = cells[cell.to_numpy()]

    def att(step: np.ndarray) -> float:
        # effects at coefficients delta + step, fixed effects held at their estimates
        e = eta[cell.to_numpy()] + member @ step
        return float(np.mean(np.exp(e) - np.exp(e - member @ (delta + step))))

    assert res.att == pytest.approx(att(np.zeros(len(keys))), rel=1e-6)
    h = 1e-6
    grad = np.array([(att(h * np.eye(len(keys))[j]) - att(-h * np.eye(len(keys))[j])) / (2 * h) for j in range(len(keys))])
    v = res.regression.vcov.to_numpy()[: len(keys), : len(keys)]
    assert res.se == pytest.approx(np.sqrt(grad @ v @ grad), rel=1e-5)
    by_cell = res.table
    assert by_cell.estimate.iloc[0] == pytest.approx(
        float(np.mean((np.exp(eta) * (1 - np.exp(-delta[0])))[cells[:, 0] == 1])), rel=1e-6
    )


def test_covariates_recover_known_effects():
    d = count_panel(3000, seed=3)
    rng = np.random.default_rng(7)
    d["x"] = rng.normal(size=len(d)) + 0.5 * (d.cohort > 0) * (d.time - 2010) / 10
    scale = np.exp(0.4 * d.x)  # the covariate moves the mean and trends differently by cohort
    d["mu0"], d["mu1"] = d.mu0 * scale, d.mu1 * scale
    d["count"] = rng.poisson(d.mu1).astype(float)
    res = cw.etwfe(d, covariates=["x"], **SIM)
    assert res.regression.coef["x"] == pytest.approx(0.4, abs=0.03)
    treated = d[d.treated == 1]
    assert abs(res.att - (treated.mu1 - treated.mu0).mean()) < 4 * res.se
    dyn = res.aggregate("dynamic").table.set_index("event_time")
    truth = treated.assign(e=treated.time - treated.cohort).assign(gap=treated.mu1 - treated.mu0).groupby("e").gap.mean()
    assert (((dyn.estimate - truth) / dyn.se).abs() < 4).all()
