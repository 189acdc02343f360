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


def test_gravity_fixed_effects_recover_a_known_effect():
    """Trade flows with pair, exporter-year and importer-year effects (and zeros); export controls cut the flows
    from two groups of exporters to a set of destinations in 2015 and 2018."""
    rng = np.random.default_rng(11)
    n, years = 16, np.arange(2011, 2021)
    e, i, t = (a.ravel() for a in np.meshgrid(np.arange(n), np.arange(n), years, indexing="ij"))
    keep = e != i
    e, i, t = e[keep], i[keep], t[keep]
    destination = i < 6
    cohort = np.where(destination & (e < 5), 2015.0, np.where(destination & (e >= 5) & (e < 10), 2018.0, 0.0))
    treated = (cohort > 0) & (t >= cohort)
    log_mu0 = (rng.normal(size=(n, n))[e, i] + rng.normal(scale=0.3, size=(n, years.size))[e, t - 2011]
               + rng.normal(scale=0.3, size=(n, years.size))[i, t - 2011] + 1.0)
    ratio = np.where(cohort == 2015, 0.6, 0.75)
    mu0 = np.exp(log_mu0)
    mu1 = np.where(treated, mu0 * ratio, mu0)
    d = pd.DataFrame({"exporter": e, "importer": i, "year": t.astype(float), "pair": e * n + i, "cohort": cohort,
                      "flow": rng.poisson(mu1).astype(float), "gap": mu1 - mu0, "treated": treated})
    assert (d.flow == 0).mean() > 0.1  # zeros are part of the data
    res = cw.etwfe(d, outcome="flow", unit="pair", time="year", cohort="cohort", family="poisson",
                   fixef="pair + exporter^year + importer^year", vcov={"CRV1": "pair"})
    cells = res.cell_coefficients
    truth = np.log(np.where(cells.cohort == 2015, 0.6, 0.75))
    assert (((cells.coefficient - truth) / cells.se).abs() < 4).all() and cells.se.max() < 0.3
    assert abs(res.att - d.loc[d.treated, "gap"].mean()) < 4 * res.se
    assert res.info["fixed effects"] == "pair + exporter^year + importer^year"
