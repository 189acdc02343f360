"""The untreated-outcome model shared by the imputation (Borusyak, Jaravel & Spiess) and two-stage (Gardner)
estimators: unit and period fixed effects (plus covariates) fitted by ``feols`` on the untreated observations, the
imputed Y(0) of every observation, and the linear map that both variance formulas need.

Both estimators are linear in the outcome. Their variances need, for target vectors ``a`` (estimand weights for the
imputation estimator, second-stage regressors for the two-stage one), ``W0 Z0 (Z0' W0 Z0)^+ Z' a``: how much each
untreated observation's outcome moves the target through the fitted fixed effects. ``Z = [U, R]`` holds the unit
dummies ``U`` and the period dummies and covariates ``R``. The unit block of the normal equations is diagonal, so it is
eliminated exactly (a Schur complement), leaving a dense system of the size of ``R``'s columns: no iteration, and
O(n p^2) work for p periods plus covariates.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .. import kernels
from .._errors import ChipwarError, ChipwarWarning
from ..estimation import feols
from ..estimation.result import RegressionResult
from ._staggered import TIME, TREATED, UNIT, StaggeredPanel, Y

#: demeaning tolerance of the untreated fit: the imputed Y(0) are differences of recovered fixed effects, so they
#: need more precision than feols' default (1e-8) gives the coefficients
FIXEF_TOL = 1e-12
#: eigenvalues of the (unit-diagonal) reduced normal equations below this fraction of the largest count as zero
PINV_RTOL = 1e-10


@dataclass
class FirstStage:
    """The untreated fit on a panel whose rows are all imputable (rows that are not were removed)."""

    panel: StaggeredPanel
    frame: pd.DataFrame
    fit: RegressionResult
    y0_hat: np.ndarray  # imputed untreated outcome of every row
    untreated: np.ndarray  # bool
    weights: np.ndarray  # observation weights (ones without weights=)
    unit_dummies: sp.csr_matrix  # n x units
    other_columns: sp.csr_matrix  # n x (periods + covariates)

    @property
    def residual(self) -> np.ndarray:
        """Y - Y(0)_hat: the treatment effect estimate on treated rows, the first-stage residual on untreated ones."""
        return self.frame[Y].to_numpy() - self.y0_hat

    def untreated_influence(self, targets: np.ndarray) -> np.ndarray:
        """``W0 Z0 (Z0' W0 Z0)^+ Z' targets`` (rows of treated observations are 0), column by column.

        Parameters
        ----------
        targets : ndarray (n x k)

        Returns
        -------
        ndarray (n x k)
        """
        u, r = self.unit_dummies, self.other_columns
        w0 = np.where(self.untreated, self.weights, 0.0)
        unit_weight = u.T @ w0  # diagonal of U0' W0 U0
        inv_unit = np.where(unit_weight > 0, 1.0 / np.where(unit_weight > 0, unit_weight, 1.0), 0.0)
        cross = (u.T @ sp.diags(w0) @ r).toarray()  # U0' W0 R0
        schur = (r.T @ sp.diags(w0) @ r).toarray() - cross.T @ (inv_unit[:, None] * cross)
        b_u, b_r = u.T @ targets, r.T @ targets
        theta_r = _solve_singular(schur, b_r - cross.T @ (inv_unit[:, None] * b_u))
        theta_u = inv_unit[:, None] * (b_u - cross @ theta_r)
        return w0[:, None] * (u @ theta_u + r @ theta_r)


def _solve_singular(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A solution of the consistent, symmetric positive semi-definite system ``a x = b``.

    The Schur complement is singular by construction (the period dummies add up to the unit dummies), and its
    numerically-zero eigenvalue is not exactly zero: a pseudo-inverse at machine precision would invert it and
    amplify rounding into the solution. So the system is scaled to unit diagonal (periods and covariates on one
    scale) and eigenvalues below ``PINV_RTOL`` of the largest are treated as zero. Any solution gives the same
    fitted values ``Z0 theta``.
    """
    scale = np.sqrt(np.diag(a))
    scale[scale == 0] = 1.0
    inv = np.linalg.pinv(a / np.outer(scale, scale), rtol=PINV_RTOL, hermitian=True)
    return (inv @ (b / scale[:, None])) / scale[:, None]


def _design_blocks(frame: pd.DataFrame, covariates: list[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Unit dummies, and period dummies with the covariates, of the untreated-outcome model on every row."""
    n = len(frame)
    rows = np.arange(n)
    _, units = np.unique(frame[UNIT].to_numpy(), return_inverse=True)
    _, times = np.unique(frame[TIME].to_numpy(), return_inverse=True)
    du = sp.csr_matrix((np.ones(n), (rows, units)), shape=(n, int(units.max()) + 1))
    dt = sp.csr_matrix((np.ones(n), (rows, times)), shape=(n, int(times.max()) + 1))
    other = sp.hstack(
        [dt] + ([sp.csr_matrix(frame[covariates].to_numpy(dtype=float))] if covariates else []), format="csr"
    )
    return du, other


def fit_untreated(panel: StaggeredPanel) -> FirstStage:
    """Fit unit + period fixed effects (and covariates) on the untreated rows and impute Y(0) everywhere.

    Treated rows whose period has no untreated observation (every unit treated by then) cannot be imputed; they are
    removed with a warning. No singletons are dropped: a unit with a single untreated period still identifies its
    fixed effect, which its treated periods need.
    """
    frame = panel.frame
    untreated = frame[TREATED].to_numpy() == 0
    if not untreated.any():
        raise ChipwarError(f"every observation is treated (cohort column {panel.cohort!r}); nothing identifies Y(0)")
    if untreated.all():  # treated units observed only before their cohort (rows missing or removed)
        raise ChipwarError(
            f"no observation is treated (cohort column {panel.cohort!r}): the treated units are "
            f"observed only before their cohort in {panel.time!r}; nothing to estimate"
        )
    rhs = " + ".join(f"`{c}`" for c in panel.covariates) or "1"
    fit = feols(
        f"{Y} ~ {rhs} | {UNIT} + {TIME}",
        frame.loc[untreated],
        weights=panel.weights,
        fixef_rm="none",
        fixef_tol=FIXEF_TOL,
    )
    y0 = fit.predict(frame)  # NaN where a unit or period has no untreated observation in the fit
    lost = np.isnan(y0)
    if lost.any():
        no_period = ~frame[TIME].isin(frame.loc[untreated, TIME]).to_numpy()
        periods = sorted(frame.loc[lost & no_period, TIME].unique().tolist())
        why = (
            f"no untreated unit is observed in period(s) {periods[:5]} of {panel.time!r}"
            if periods
            else "their unit has no untreated observation with a positive weight"
        )
        if (lost | untreated).all():
            raise ChipwarError(
                f"no treated observation has an identified Y(0) (cohort column {panel.cohort!r}): {why}; add "
                "never-treated or later-treated units observed in those periods"
            )
        warnings.warn(
            f"{int(lost.sum())} treated observation(s) removed: {why}, so their Y(0) is not identified",
            ChipwarWarning,
            stacklevel=3,
        )
        frame = frame.loc[~lost].reset_index(drop=True)
        y0 = y0[~lost]
        untreated = untreated[~lost]
    unit_dummies, other_columns = _design_blocks(frame, panel.covariates)
    weights = np.ones(len(frame)) if panel.weights is None else frame[panel.weights].to_numpy(dtype=float)
    return FirstStage(
        panel=panel,
        frame=frame,
        fit=fit,
        y0_hat=y0,
        untreated=untreated,
        weights=weights,
        unit_dummies=unit_dummies,
        other_columns=other_columns,
    )


def group_sums(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Sum the rows of ``values`` (n x k) within the groups of ``codes`` (any labels): (G x k), groups sorted."""
    _, inverse = np.unique(codes, return_inverse=True)
    inverse = inverse.astype(np.int32)
    return np.asarray(kernels.group_sums(np.asfortranarray(values, dtype=float), inverse, int(inverse.max()) + 1))
