"""Simulated staggered panels with known, heterogeneous and growing treatment effects (shared by the DiD tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def staggered_panel(
    n_units: int = 600,
    periods: range = range(2010, 2020),
    cohorts: tuple = (2013, 2015, 2017, 0),
    slope: dict | None = None,
    noise: float = 0.5,
    seed: int = 0,
) -> pd.DataFrame:
    """A balanced panel: unit and period effects (correlated with the cohort), and a treatment effect that starts
    at ``slope[g]`` in the first treated period and grows by ``slope[g]`` each period after it.

    Column ``effect`` holds the true effect of each observation (0 when untreated), so any estimand's truth is an
    average of it.
    """
    rng = np.random.default_rng(seed)
    slope = slope or {2013: 0.5, 2015: 0.3, 2017: 0.1}
    t = np.array(periods, dtype=float)
    g = rng.choice(np.array(cohorts, dtype=float), size=n_units)
    alpha = rng.normal(size=n_units) + 0.05 * (g > 0) * (g - 2010)  # selection on levels is allowed
    lam = 0.2 * (t - t[0]) + rng.normal(scale=0.3, size=t.size)
    unit = np.repeat(np.arange(n_units), t.size)
    time = np.tile(t, n_units)
    cohort = np.repeat(g, t.size)
    rel = np.where(cohort > 0, time - cohort, -1.0)  # never-treated units are never at or after treatment
    s = pd.Series(cohort).map(slope).fillna(0.0).to_numpy()
    effect = np.where(rel >= 0, s * (rel + 1), 0.0)
    y = alpha[unit] + np.tile(lam, n_units) + effect + rng.normal(scale=noise, size=unit.size)
    return pd.DataFrame(
        {"unit": unit, "time": time, "cohort": cohort, "y": y, "effect": effect,
         "treated": (rel >= 0).astype(float)}
    )


def small_panel(seed: int) -> pd.DataFrame:
    """40 units x 7 periods, two cohorts plus never-treated: small enough for dense, by-the-book computations."""
    return staggered_panel(n_units=40, periods=range(2010, 2017), cohorts=(2012, 2014, 0), slope={2012: 0.4, 2014: 0.2},
                           seed=seed)


def mpdta_panel(shared) -> pd.DataFrame:
    """R did's mpdta with this module's column names (unit, time, cohort, y) and the treatment indicator."""
    d = pd.read_csv(shared("reference", "did", "mpdta.csv"))
    d = d.rename(columns={"countyreal": "unit", "year": "time", "first.treat": "cohort", "lemp": "y"})
    return d.assign(treated=((d.cohort > 0) & (d.time >= d.cohort)).astype(float))


def cross_sections(n: int, seed: int, effect: float = 0.0) -> pd.DataFrame:
    """Repeated cross sections (independent draws per period): cohorts 2 and 3 of 4 periods, never treated, a
    covariate shifting both the cohort probabilities and the outcome trend, and a constant effect after treatment."""
    rng = np.random.default_rng(seed)
    t = rng.integers(1, 5, n)
    x = rng.normal(size=n)
    u = rng.uniform(size=n)
    p2 = 1 / (1 + np.exp(1.2 - 0.5 * x))
    g = np.where(u < p2 * 0.5, 2, np.where(u < p2, 3, 0))
    y = 1.0 + 0.3 * g + 0.5 * x + 0.2 * t * x + 0.1 * t + effect * ((g > 0) & (t >= g)) + rng.normal(size=n)
    return pd.DataFrame({"y": y, "t": t.astype(float), "g": g.astype(float), "x": x})
