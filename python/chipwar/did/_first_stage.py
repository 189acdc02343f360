"""The untreated-outcome model shared by the imputation (Borusyak, Jaravel & Spiess) and two-stage (Gardner)
estimators: unit and period fixed effects (plus covariates) fitted by ``feols`` on the untreated observations, the
imputed Y(0) of every observation, and the linear map that both variance formulas need.

Both estimators are linear in the outcome. Their variances need, for target vectors ``a`` (estimand weights for the
imputation estimator, second-stage regressors for the two-stage one), ``W0 Z0 (Z0' W0 Z0)^+ Z' a``: how much each
untreated observation's outcome moves the target through the fitted fixed effects. ``Z`` (unit dummies, period
dummies, covariates) is sparse, so the normal equations are solved by Jacobi-preconditioned conjugate gradients.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .. import _core
from .._errors import ChipwarError, ChipwarWarning, ConvergenceWarning
from ..estimation import feols
from ..estimation.result import RegressionResult
from ._staggered import TIME, TREATED, UNIT, Y, StaggeredPanel

#: relative residual of the normal equations accepted from the conjugate-gradient solver
CG_TOL = 1e-10
#: demeaning tolerance of the untreated fit: the imputed Y(0) are differences of recovered fixed effects, so they
#: need more precision than feols' default (1e-8) gives the coefficients
FIXEF_TOL = 1e-12


@dataclass
class FirstStage:
    """The untreated fit on a panel whose rows are all imputable (rows that are not were removed)."""

    panel: StaggeredPanel
    frame: pd.DataFrame
    fit: RegressionResult
    y0_hat: np.ndarray  # imputed untreated outcome of every row
    untreated: np.ndarray  # bool
    weights: np.ndarray  # observation weights (ones without weights=)
    z: sp.csr_matrix  # n x p design of the untreated model on every row

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
        z0 = self.z[self.untreated]
        w0 = self.weights[self.untreated]
        gram = (z0.T @ sp.diags(w0) @ z0).tocsr()
        rhs = self.z.T @ targets
        diag = gram.diagonal()
        precond = sp.diags(np.where(diag > 0, 1.0 / np.where(diag > 0, diag, 1.0), 0.0))
        theta = np.empty((self.z.shape[1], targets.shape[1]))
        for j in range(targets.shape[1]):
            b = rhs[:, j]
            norm = np.linalg.norm(b)
            if norm == 0:
                theta[:, j] = 0.0
                continue
            sol, _ = spla.cg(gram, b, rtol=CG_TOL / 10, atol=0.0, maxiter=20 * gram.shape[0], M=precond)
            if np.linalg.norm(gram @ sol - b) > CG_TOL * 100 * norm:
                warnings.warn(
                    "the variance's fixed-effect normal equations did not converge; standard errors may be inexact",
                    ConvergenceWarning,
                    stacklevel=4,
                )
            theta[:, j] = sol
        out = np.zeros_like(targets, dtype=float)
        out[self.untreated] = w0[:, None] * (z0 @ theta)
        return out


def _sparse_design(frame: pd.DataFrame, covariates: list[str]) -> sp.csr_matrix:
    n = len(frame)
    units = frame[UNIT].to_numpy()
    _, times = np.unique(frame[TIME].to_numpy(), return_inverse=True)
    n_u = int(units.max()) + 1
    rows = np.arange(n)
    du = sp.csr_matrix((np.ones(n), (rows, units)), shape=(n, n_u))
    dt = sp.csr_matrix((np.ones(n), (rows, times)), shape=(n, int(times.max()) + 1))
    blocks = [du, dt] + ([sp.csr_matrix(frame[covariates].to_numpy(dtype=float))] if covariates else [])
    return sp.hstack(blocks, format="csr")


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
    rhs = " + ".join(f"`{c}`" for c in panel.covariates) or "1"
    fit = feols(f"{Y} ~ {rhs} | {UNIT} + {TIME}", frame.loc[untreated], weights=panel.weights, fixef_rm="none",
                fixef_tol=FIXEF_TOL)
    fe = fit.fixef()
    y0 = fe[UNIT].reindex(frame[UNIT].to_numpy()).to_numpy() + fe[TIME].reindex(frame[TIME].to_numpy()).to_numpy()
    if panel.covariates:
        beta = fit.coef.reindex(panel.covariates).fillna(0.0).to_numpy()  # absorbed covariates contribute nothing
        y0 = y0 + frame[panel.covariates].to_numpy(dtype=float) @ beta
    lost = np.isnan(y0)
    if lost.any():
        periods = sorted(frame.loc[lost, TIME].unique().tolist())
        warnings.warn(
            f"{int(lost.sum())} treated observation(s) removed: no untreated unit is observed in period(s) "
            f"{periods[:5]} of {panel.time!r}, so their Y(0) is not identified",
            ChipwarWarning,
            stacklevel=3,
        )
        frame = frame.loc[~lost].reset_index(drop=True)
        y0 = y0[~lost]
        untreated = untreated[~lost]
    weights = np.ones(len(frame)) if panel.weights is None else frame[panel.weights].to_numpy(dtype=float)
    return FirstStage(
        panel=panel,
        frame=frame,
        fit=fit,
        y0_hat=y0,
        untreated=untreated,
        weights=weights,
        z=_sparse_design(frame, panel.covariates),
    )


def group_sums(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Sum the rows of ``values`` (n x k) within the groups of ``codes`` (any labels): (G x k), groups sorted."""
    _, inverse = np.unique(codes, return_inverse=True)
    inverse = inverse.astype(np.int32)
    return np.asarray(_core.group_sums(np.asfortranarray(values, dtype=float), inverse, int(inverse.max()) + 1))
