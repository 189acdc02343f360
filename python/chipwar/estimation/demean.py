"""Projecting the fixed effects out of a design's columns: the first step of every linear and Poisson engine."""

from __future__ import annotations

import warnings

import numpy as np

from .. import kernels
from .._errors import ConvergenceWarning
from ..model.design import Design

#: a column whose sum of squares shrinks by this factor when the fixed effects are projected out is absorbed
ABSORBED_TOL = 1e-10


def demean_design(design: Design, columns: np.ndarray, names: list[str], tol: float, max_iter: int) -> np.ndarray:
    """Project the design's fixed effects out of ``columns`` (n x p); warn naming any column that did not converge."""
    if not design.fe_names:
        return columns
    values, _, converged = kernels.demean(
        np.asfortranarray(columns), design.fe_codes, design.n_groups, design.weights, tol, max_iter
    )
    bad = [n for n, ok in zip(names, converged) if not ok]
    if bad:
        warnings.warn(
            f"demeaning did not converge in {max_iter} iterations for {bad}; raise fixef_maxiter or fixef_tol",
            ConvergenceWarning,
            stacklevel=3,
        )
    return values


def absorbed_columns(original: np.ndarray, demeaned: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """Columns the fixed effects explain entirely (nothing left after demeaning)."""
    # einsum sums the (weighted) squares column by column without n x k temporaries
    if weights is None:
        before, after = (np.einsum("ij,ij->j", a, a, dtype=np.float64) for a in (original, demeaned))
    else:
        before, after = (np.einsum("i,ij,ij->j", weights, a, a, dtype=np.float64) for a in (original, demeaned))
    return after <= ABSORBED_TOL * np.maximum(before, np.finfo(float).tiny)
