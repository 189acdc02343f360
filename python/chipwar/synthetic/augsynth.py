"""Ridge-augmented synthetic control (Ben-Michael, Feller & Rothstein 2021) for one treated unit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import kernels
from .._errors import ChipwarError
from .._results import Result
from ..model.checks import positive_finite, varying_outcome
from ._panel import long_panel, resolve_donors, split_periods, wide_outcome
from ._plots import plot_trajectories


@dataclass(repr=False, eq=False)
class AugsynthResult(Result):
    """Result of :func:`augsynth`: augmented weights (may be negative), the SC weights, path, ATT and ridge."""

    weights: pd.Series  # augmented (may be negative; sum to one)
    sc_weights: pd.Series  # the synthetic-control weights it augments
    path: pd.DataFrame  # time, treated, synthetic, gap
    att: float
    pre_rmspe: float
    sc_att: float
    sc_pre_rmspe: float
    ridge: float
    cross_validated: bool
    treated_unit: Any
    treatment_time: Any

    @property
    def estimate(self) -> float:
        """The ATT (``att``), by the name every single-number result uses."""
        return self.att

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"unit": self.weights.index, "weight": self.weights.to_numpy(), "sc_weight": self.sc_weights.to_numpy()}
        )

    def summary(self) -> str:
        return "\n".join(
            [
                f"Ridge-augmented synthetic control for {self.treated_unit!r} at {self.treatment_time!r} "
                f"(ridge {self.ridge:.4g}{', cross-validated' if self.cross_validated else ''})",
                f"ATT {self.att:.6g} (SC alone {self.sc_att:.6g}); pre-period RMSPE {self.pre_rmspe:.6g} "
                f"(SC alone {self.sc_pre_rmspe:.6g})",
            ]
        )

    def plot(self, ax: Any = None) -> Any:
        """Treated vs augmented synthetic outcome."""
        path = self.path.set_index("time")
        return plot_trajectories(
            path["treated"],
            path["synthetic"],
            self.treatment_time,
            ax=ax,
            labels=(str(self.treated_unit), "augmented synthetic"),
            title="Augmented SC",
        )


def ridge_augmented_weights(y0_pre: np.ndarray, y1_pre: np.ndarray, sc_weights: np.ndarray, ridge: float) -> np.ndarray:
    """SC weights plus the ridge correction: gamma + Xc (Xc'Xc + ridge I)^-1 (x1 - X0'gamma), Xc the centred donors.

    ``y0_pre`` is donors x pre-periods. This is the weight form of adding the ridge prediction of the imbalance,
    m(x1) - sum_i gamma_i m(x_i), with m a ridge regression (intercept unpenalised) of an outcome on pre-period outcomes
    among donors; the correction sums to zero, so the weights still sum to one.
    """
    xc = y0_pre - y0_pre.mean(axis=0)
    imbalance = y1_pre - sc_weights @ y0_pre
    k = xc.shape[1]
    coef = np.linalg.solve(xc.T @ xc + ridge * np.eye(k), imbalance)
    return sc_weights + xc @ coef


def _cross_validate(y0: np.ndarray, y1: np.ndarray, grid: np.ndarray, holdout: int) -> float:
    """Ridge with the smallest mean squared error predicting each of the last ``holdout`` pre-periods from the ones before."""
    n_pre = y0.shape[1]
    errors = np.zeros(len(grid))
    for s in range(n_pre - holdout, n_pre):
        gamma = kernels.simplex_least_squares(y0[:, :s].T, y1[:s])[0]
        for g, ridge in enumerate(grid):
            w = ridge_augmented_weights(y0[:, :s], y1[:s], gamma, ridge)
            errors[g] += (y1[s] - w @ y0[:, s]) ** 2
    return float(grid[int(np.argmin(errors))])


def augsynth(
    data: Any,
    outcome: str,
    unit: str,
    time: str,
    treated_unit: Any,
    treatment_time: Any,
    ridge: float | None = None,
    donors: Sequence[Any] | None = None,
) -> AugsynthResult:
    """Ridge-augmented synthetic control on the pre-period outcomes.

    Parameters
    ----------
    data, outcome, unit, time, treated_unit, treatment_time, donors
        As in :func:`chipwar.synth` (balanced outcome panel needed).
    ridge : float, optional
        Ridge penalty. Default: chosen from 20 values between s and 1e-8 s (s the largest squared singular value
        of the centred donor pre-period outcomes) by predicting each of the last quarter of the pre-periods (at
        least one) from the earlier ones.

    Returns
    -------
    AugsynthResult
        ``.weights`` (augmented), ``.sc_weights``, ``.path`` (time, treated, synthetic, gap), ``.att`` (mean
        post-period gap), ``.pre_rmspe``, ``.ridge``, ``.sc_att``.

    Notes
    -----
    SC weights gamma minimise ||y1_pre - Y0_pre' gamma||^2 on the simplex (no predictors, no V); the augmented
    weights are ``ridge_augmented_weights``. As ridge grows the estimate tends to SC; as it shrinks it tends to the
    minimum-norm exact pre-period fit.
    """
    panel = long_panel(data, outcome, unit, time)
    donors = resolve_donors(panel, unit, treated_unit, donors)
    wide = wide_outcome(panel[panel[unit].isin([treated_unit, *donors])], outcome, unit, time)
    n_pre = split_periods(wide.columns, treatment_time, time)
    y0 = wide.loc[donors].to_numpy(dtype=np.float64)
    y1 = wide.loc[treated_unit].to_numpy(dtype=np.float64)
    varying_outcome(wide.to_numpy().ravel(), outcome)
    if not np.ptp(y0[:, :n_pre], axis=0).any():
        # every donor has the same pre-period path: any simplex weights fit alike, and the ridge has nothing to fit
        raise ChipwarError(
            f"every donor has the same pre-period values of {outcome!r}, so no weighting of them can be chosen; "
            "augsynth needs donors whose pre-treatment outcomes differ: add or choose other donors"
        )
    gamma = kernels.simplex_least_squares(y0[:, :n_pre].T, y1[:n_pre])[0]
    cross_validated = ridge is None
    if ridge is None:
        if n_pre < 3:
            raise ChipwarError("choosing the ridge by cross-validation needs at least three pre-periods; pass ridge=")
        xc = y0[:, :n_pre] - y0[:, :n_pre].mean(axis=0)
        top = float(np.linalg.svd(xc, compute_uv=False)[0] ** 2)
        ridge = _cross_validate(y0[:, :n_pre], y1[:n_pre], top * np.logspace(0, -8, 20), max(1, n_pre // 4))
    else:
        ridge = positive_finite(ridge, "ridge")
    weights = ridge_augmented_weights(y0[:, :n_pre], y1[:n_pre], gamma, ridge)
    gap = y1 - weights @ y0
    sc_gap = y1 - gamma @ y0
    path = pd.DataFrame({"time": list(wide.columns), "treated": y1, "synthetic": weights @ y0, "gap": gap})
    return AugsynthResult(
        weights=pd.Series(weights, index=pd.Index(donors, name=unit), name="weight"),
        sc_weights=pd.Series(gamma, index=pd.Index(donors, name=unit), name="sc_weight"),
        path=path,
        att=float(gap[n_pre:].mean()),
        pre_rmspe=float(np.sqrt(np.mean(gap[:n_pre] ** 2))),
        sc_att=float(sc_gap[n_pre:].mean()),
        sc_pre_rmspe=float(np.sqrt(np.mean(sc_gap[:n_pre] ** 2))),
        ridge=float(ridge),
        cross_validated=cross_validated,
        treated_unit=treated_unit,
        treatment_time=treatment_time,
    )
