"""The least-squares engine: OLS with fixed effects on a prepared design (used by feols, IV, multiple estimation,
the wild bootstrap and the DiD estimators); it never calls the public ``feols`` back."""

from __future__ import annotations

import warnings

import numpy as np

from .. import kernels
from .._errors import ChipwarError, ChipwarWarning
from ..model.design import Design
from .demean import absorbed_columns, demean_design
from .fit import FitCore, OlsPart


def fit_ols(
    design: Design, fixef_tol: float = 1e-8, fixef_maxiter: int = 10000, collin_tol: float = 1e-10
) -> FitCore[OlsPart]:
    """Estimate OLS with fixed effects on a prepared design."""
    names = design.x_names
    if design.nobs <= len(names):
        raise ChipwarError(
            f"only {design.nobs} observation(s) for {len(names)} coefficient(s) ({', '.join(names)}); "
            "there are no residual degrees of freedom"
        )
    # y and x are normally views of one Fortran buffer (no copy); a design rebuilt with other y/x (IV stages) is not
    shared = design.yx is not None and np.shares_memory(design.yx, design.y) and np.shares_memory(design.yx, design.x)
    stacked = design.yx if shared else np.column_stack([design.y, design.x])
    dm = demean_design(design, stacked, [design.formula.lhs[0], *names], fixef_tol, fixef_maxiter)
    return ols_on_demeaned(design, dm[:, 0], dm[:, 1:], collin_tol)


def ols_on_demeaned(design: Design, y_dm: np.ndarray, x_dm: np.ndarray, collin_tol: float = 1e-10) -> FitCore[OlsPart]:
    """OLS of the demeaned outcome on the demeaned regressors of ``design`` (absorbed and collinear terms dropped)."""
    names = design.x_names
    dropped: list[str] = []
    usable = np.ones(len(names), dtype=bool)
    if design.fe_names and names:
        absorbed = absorbed_columns(design.x, x_dm, design.weights)
        dropped += [f"{n} (absorbed by the fixed effects)" for n, a in zip(names, absorbed) if a]
        usable &= ~absorbed
    idx = np.flatnonzero(usable)
    x_use = x_dm if usable.all() else np.asfortranarray(x_dm[:, idx])  # copy only when something was absorbed
    kept_mask, coef, bread, resid = kernels.ols(x_use, y_dm, design.weights, collin_tol)
    kept_idx = idx[np.asarray(kept_mask, dtype=bool)]
    dropped += [f"{names[j]} (collinear)" for j in idx[~np.asarray(kept_mask, dtype=bool)]]
    if dropped:
        warnings.warn(f"terms removed: {', '.join(dropped)}", ChipwarWarning, stacklevel=3)
    if kept_idx.size == 0 and names:
        raise ChipwarError(f"every regressor was removed ({', '.join(dropped)}); nothing is left to estimate")
    x_kept = x_dm if kept_idx.size == len(names) else x_dm[:, kept_idx]
    w = design.weights
    scores = x_kept * (resid if w is None else w * resid)[:, None]
    fitted = design.y - resid
    fe_sum = None
    if design.fe_names:
        fe_sum = fitted - (design.x if kept_idx.size == len(names) else design.x[:, kept_idx]) @ coef
    return FitCore(
        design=design,
        coef=np.asarray(coef),
        names=[names[j] for j in kept_idx],
        dropped=dropped,
        bread=np.asarray(bread),
        scores=scores,
        resid=resid,
        fitted=fitted,
        dispersion=float(np.sum((1.0 if w is None else w) * resid**2)),
        lhs=design.formula.lhs[0],
        part=OlsPart(y_demeaned=y_dm, x_demeaned=x_kept, collin_tol=collin_tol),
        fe_sum=fe_sum,
    )
