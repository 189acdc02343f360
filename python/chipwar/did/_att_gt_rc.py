"""The repeated-cross-section side of :func:`chipwar.att_gt`: observation-level arrays and the kernel call.

With ``panel=False`` every row is its own observation (R did's repeated cross sections); with
``allow_unbalanced_panel=True`` the rows of an unbalanced panel are the observations and their influence functions
are summed within unit afterwards, so that inference is clustered by unit as did does.
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from .._errors import ChipwarError
from ._panel import Panel

ROW_ID = "__chipwar_row__"  # unit column of repeated cross sections: each row is its own unit


def covariate_rows(panel: Panel, covariates: list[str]) -> np.ndarray:
    """N x k covariates of the observations (each row's own values); each covariate must vary."""
    if not covariates:
        return np.zeros((0, 0))
    x = panel.frame[covariates].to_numpy(dtype=np.float64)
    spread = x.max(axis=0) - x.min(axis=0)
    flat = spread <= 1e-12 * np.maximum(1.0, np.abs(x).max(axis=0))
    if flat.any():
        c = covariates[int(np.flatnonzero(flat)[0])]
        raise ChipwarError(
            f"covariate {c!r} has no variation (it is collinear with the intercept); drop it from covariates"
        )
    return np.asfortranarray(x)


def group_time_rc(
    panel: Panel, outcome: str, g_unit: np.ndarray, w_unit: np.ndarray, x: np.ndarray, method: int, cells
) -> tuple:
    """Run the repeated-cross-section kernel on the rows of ``panel``; same outputs as ``kernels.did_group_time``."""
    codes = panel.unit_codes
    return kernels.did_group_time_rc(
        panel.frame[outcome].to_numpy(dtype=np.float64),
        panel.period_codes.astype(np.int32),
        g_unit[codes],
        x,
        w_unit[codes],
        method,
        cells.period,
        cells.base,
        cells.cohort,
        cells.control_after,
    )


def sum_by_unit(panel: Panel, inf: np.ndarray) -> np.ndarray:
    """Per-unit sums of observation influence functions, rescaled so that ``V = inf' inf / n_units**2`` holds.

    The observation-level estimator satisfies ``att - ATT ~ sum(psi) / N``; clustering by unit makes the variance
    ``sum_u (sum_{i in u} psi_i)**2 / N**2``, which is the unit-level ``inf' inf / G**2`` with ``inf = (G / N) sums``.
    """
    n_obs = inf.shape[0]
    sums = kernels.group_sums(np.asfortranarray(inf), panel.unit_codes.astype(np.int32), panel.n_units)
    return sums * (panel.n_units / n_obs)
