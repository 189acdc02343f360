"""Simulated factor-model panels with a known effect, shared by the synthetic-control tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def factor_panel(n_units: int = 30, n_periods: int = 30, n_pre: int = 20, n_treated: int = 1, effect: float = 5.0,
                 noise: float = 0.5, seed: int = 0) -> pd.DataFrame:
    """Y_it = a_i + b_t + l_i' f_t + e_it (two factors) plus ``effect`` for the last ``n_treated`` units after n_pre.

    The treated units' loadings lie inside the controls' range, so a convex combination of controls fits them.
    """
    rng = np.random.default_rng(seed)
    loadings = rng.uniform(0, 1, size=(n_units, 2))
    factors = np.cumsum(rng.normal(size=(n_periods, 2)), axis=0)
    y = rng.normal(size=(n_units, 1)) + rng.normal(size=(1, n_periods)) + loadings @ factors.T
    y += noise * rng.normal(size=y.shape)
    treated = np.zeros_like(y)
    treated[n_units - n_treated:, n_pre:] = 1.0
    y += effect * treated
    units = [f"u{i:03d}" for i in range(n_units)]
    return pd.DataFrame({
        "unit": np.repeat(units, n_periods),
        "time": np.tile(np.arange(2000, 2000 + n_periods), n_units),
        "y": y.ravel(),
        "treated": treated.ravel(),
    })


def staggered_factor_panel(n_controls: int = 30, n_periods: int = 24, cohorts: dict | None = None,
                           noise: float = 0.5, seed: int = 0) -> pd.DataFrame:
    """The factor model of :func:`factor_panel` with staggered adoption.

    ``cohorts`` maps an adoption period index to (number of units, effect); e.g. ``{12: (2, 1.0), 16: (3, 4.0)}``
    treats two units from period 12 on with effect 1 and three from period 16 on with effect 4. Treated units'
    loadings lie inside the controls' range. Column ``effect`` holds each cell's true effect.
    """
    cohorts = cohorts if cohorts is not None else {12: (2, 1.0), 16: (3, 4.0)}
    rng = np.random.default_rng(seed)
    n_units = n_controls + sum(k for k, _ in cohorts.values())
    loadings = rng.uniform(0, 1, size=(n_units, 2))
    factors = np.cumsum(rng.normal(size=(n_periods, 2)), axis=0)
    y = rng.normal(size=(n_units, 1)) + rng.normal(size=(1, n_periods)) + loadings @ factors.T
    y += noise * rng.normal(size=y.shape)
    treated, effect = np.zeros_like(y), np.zeros_like(y)
    row = n_controls
    for start, (size, tau) in sorted(cohorts.items()):
        treated[row:row + size, start:] = 1.0
        effect[row:row + size, start:] = tau
        row += size
    units = [f"u{i:03d}" for i in range(n_units)]
    return pd.DataFrame({
        "unit": np.repeat(units, n_periods),
        "time": np.tile(np.arange(2000, 2000 + n_periods), n_units),
        "y": (y + effect).ravel(),
        "treated": treated.ravel(),
        "effect": effect.ravel(),
    })
