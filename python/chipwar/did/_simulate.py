"""Simulated staggered-adoption panels with known effects, for tests and benchmarks.

Effects are heterogeneous across cohorts and grow with exposure -- the setting in which two-way fixed effects
mis-weights (and even sign-flips) the average effect while Callaway & Sant'Anna recovers it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def true_effect(cohort: np.ndarray, time: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """Effect in period ``time`` on a unit first treated in ``cohort``: ``slope * (time - cohort + 1)`` once
    treated, 0 before (and for never-treated units, cohort = 0)."""
    treated = (cohort > 0) & (time >= cohort)
    return np.where(treated, slope * (time - cohort + 1), 0.0)


def simulate_staggered(
    n_units: int = 1000,
    n_periods: int = 10,
    cohorts: tuple[int, ...] = (4, 6, 8),
    never_share: float = 0.25,
    slopes: tuple[float, ...] | None = None,
    covariate_trend: float = 0.0,
    noise: float = 1.0,
    seed: int = 0,
) -> pd.DataFrame:
    """A balanced panel ``unit, time (1..T), cohort (0 = never), x, y, treated, effect``.

    Parameters
    ----------
    n_units, n_periods : int
        Panel size.
    cohorts : tuple of int
        First treated periods; units are spread evenly over them after ``never_share`` are left untreated.
    slopes : tuple of float, optional
        Per-cohort effect growth per period of exposure (default 1, 2, 3, ... in cohort order, so later
        cohorts' effects grow faster).
    covariate_trend : float
        Outcome trend per period proportional to the unit covariate ``x``, which also raises the chance of
        early treatment: unconditional parallel trends fail unless ``x`` is controlled for.
    noise : float
        Standard deviation of the idiosyncratic error.
    seed : int
        Seed of numpy's default generator.
    """
    rng = np.random.default_rng(seed)
    slopes = tuple(float(i + 1) for i in range(len(cohorts))) if slopes is None else slopes
    x = rng.normal(size=n_units)
    # Units with larger x are more likely to be (early) treated when covariate_trend != 0.
    order = np.argsort(-(x * (covariate_trend != 0) + 1.5 * rng.normal(size=n_units)))
    n_never = round(never_share * n_units)
    treated_units = order[: n_units - n_never]
    cohort = np.zeros(n_units)
    cohort[treated_units] = np.array(cohorts)[np.arange(len(treated_units)) * len(cohorts) // len(treated_units)]
    slope = np.zeros(n_units)
    for c, s in zip(cohorts, slopes):
        slope[cohort == c] = s
    unit_fe = rng.normal(size=n_units) + 0.5 * x
    time_fe = np.cumsum(rng.normal(0.3, 0.2, size=n_periods))
    unit = np.repeat(np.arange(n_units), n_periods)
    time = np.tile(np.arange(1, n_periods + 1), n_units)
    effect = true_effect(cohort[unit], time, slope[unit])
    y = (
        unit_fe[unit]
        + time_fe[time - 1]
        + covariate_trend * x[unit] * time
        + effect
        + noise * rng.normal(size=n_units * n_periods)
    )
    return pd.DataFrame(
        {
            "unit": unit,
            "time": time,
            "cohort": cohort[unit],
            "x": x[unit],
            "y": y,
            "treated": ((cohort[unit] > 0) & (time >= cohort[unit])).astype(float),
            "effect": effect,
        }
    )


def triple_panel(
    n_units: int = 2000,
    periods: tuple[int, ...] = (2015, 2016, 2017, 2018, 2019, 2020),
    cohorts: tuple[int, ...] = (2017, 2019, 0),
    slope: float = 1.0,
    covariate_trend: float = 0.0,
    noise: float = 1.0,
    seed: int = 0,
) -> pd.DataFrame:
    """A balanced triple-difference panel ``id, year, g (0 = never), eligible, x, y, effect``.

    Each unit belongs to a cohort ``g`` (the year treatment is enabled for its group) and a partition
    ``eligible``; only eligible units of an enabled cohort are affected, by ``slope * (year - g + 1)``. Trends
    differ by cohort (so a DiD of eligible units across cohorts is biased) and by partition (so a DiD within a
    cohort is biased), but not by their interaction: DDD parallel trends hold. With ``covariate_trend`` the
    trend also rises with ``x``, whose mean differs across the four subgroups, so it holds only given ``x``.
    """
    rng = np.random.default_rng(seed)
    t = np.array(periods, dtype=float)
    g = rng.choice(np.array(cohorts, dtype=float), size=n_units)
    q = rng.integers(0, 2, size=n_units).astype(float)
    x = rng.normal(size=n_units) + 0.8 * q * (g > 0) - 0.3 * q
    cohort_trend = pd.Series(g).map({c: 0.4 * k for k, c in enumerate(cohorts)}).to_numpy()
    unit = np.repeat(np.arange(n_units), t.size)
    year = np.tile(t, n_units)
    trend = year - t[0]
    gu, qu = g[unit], q[unit]
    effect = np.where((gu > 0) & (year >= gu) & (qu == 1), slope * (year - gu + 1), 0.0)
    y = (
        rng.normal(size=n_units)[unit]
        + np.tile(rng.normal(scale=0.5, size=t.size), n_units)
        + (cohort_trend[unit] - 0.7 * qu + covariate_trend * x[unit]) * trend
        + effect
        + noise * rng.normal(size=unit.size)
    )
    return pd.DataFrame({"id": unit, "year": year, "g": gu, "eligible": qu, "x": x[unit], "y": y, "effect": effect})
