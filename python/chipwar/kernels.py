"""The one door to the compiled kernels (:mod:`chipwar._core`): every other module calls them through here.

Kernels whose stub already says what they return pass through unchanged. The others get typed returns: a
NamedTuple instead of a dict or a bare tuple (each still unpacks as the tuple it was), and :class:`ColumnStatus`,
bound from the C++ enum, instead of the magic numbers 0 / 1 / 2. Conversions of the user's data (Fortran order,
``int32`` codes) and error messages that name the user's columns stay with the module that owns the computation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from . import _core
from ._core import (
    ColumnStatus,
    chi2_sf,
    compact_codes,
    conformal_pvalues,
    crossprod,
    did_group_time,
    did_group_time_rc,
    did_triple_group_time,
    f_sf,
    group_sums,
    independent_columns,
    multiplier_bootstrap,
    newey_west_meat,
    normal_cdf,
    normal_quantile,
    num_threads,
    relu_separation,
    scpi_insample_bounds,
    scpi_qp,
    sdid_fit,
    sdid_replicates,
    separation_impossible,
    set_num_threads,
    simplex_least_squares,
    singleton_keep_mask,
    t_pvalue,
    t_quantile,
    wild_bootstrap_t,
    zero_outcome_groups,
)

__all__ = [
    "AdhFit",
    "ColumnStatus",
    "Demeaned",
    "FixefRecovery",
    "OlsSolution",
    "PoissonFit",
    "adh_fit_many",
    "chi2_sf",
    "compact_codes",
    "conformal_pvalues",
    "crossprod",
    "demean",
    "did_group_time",
    "did_group_time_rc",
    "did_triple_group_time",
    "f_sf",
    "fit_poisson",
    "group_sums",
    "independent_columns",
    "multiplier_bootstrap",
    "newey_west_meat",
    "normal_cdf",
    "normal_quantile",
    "num_threads",
    "ols",
    "recover_fixef",
    "relu_separation",
    "scpi_insample_bounds",
    "scpi_qp",
    "sdid_fit",
    "sdid_replicates",
    "separation_impossible",
    "set_num_threads",
    "simplex_least_squares",
    "singleton_keep_mask",
    "t_pvalue",
    "t_quantile",
    "wild_bootstrap_t",
    "zero_outcome_groups",
]


class OlsSolution(NamedTuple):
    """Weighted least squares on columns already demeaned."""

    kept: np.ndarray  # bool per column: False where collinear with the columns before it
    coef: np.ndarray  # of the kept columns
    bread: np.ndarray  # (X'WX)^-1 of the kept columns
    resid: np.ndarray


def ols(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None, collin_tol: float) -> OlsSolution:
    """Least squares of ``y`` on the Fortran-ordered ``x`` (collinear columns dropped, in order)."""
    kept, coef, bread, resid = _core.ols(x, y, weights, collin_tol)
    return OlsSolution(np.asarray(kept, dtype=bool), np.asarray(coef), np.asarray(bread), np.asarray(resid))


class Demeaned(NamedTuple):
    """Columns with the fixed effects projected out."""

    values: np.ndarray  # float64, Fortran order
    iterations: list[int]  # per column
    converged: list[bool]  # per column


def demean(
    x: np.ndarray,
    codes: np.ndarray,
    n_groups: Sequence[int],
    weights: np.ndarray | None = None,
    tol: float = 1e-8,
    max_iter: int = 10000,
) -> Demeaned:
    """Alternating projections over the fixed effects ``codes`` (n x Q int32) on every column of ``x``."""
    values, iterations, converged = _core.demean(x, codes, n_groups, weights, tol, max_iter)
    return Demeaned(values, list(iterations), list(converged))


class FixefRecovery(NamedTuple):
    """Fixed-effect coefficients from their sum per observation."""

    coefs: list[np.ndarray]  # one array per fixed effect, by code
    converged: bool


def recover_fixef(
    fe_sum: np.ndarray, codes: np.ndarray, n_groups: Sequence[int], weights: np.ndarray | None
) -> FixefRecovery:
    coefs, converged = _core.recover_fixef(fe_sum, codes, n_groups, weights)
    return FixefRecovery([np.asarray(c) for c in coefs], bool(converged))


class AdhFit(NamedTuple):
    """One synthetic-control problem solved: donor weights at the predictor weights V found (or given)."""

    w: np.ndarray  # donor weights on the simplex
    v: np.ndarray  # predictor weights
    mspe: float  # pre-period MSPE of the outcome at (w, V)
    converged: bool  # the inner simplex QP met its tolerance
    best_start: int  # which start of the V search won


def adh_fit_many(
    problems: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    fixed_v: Sequence[np.ndarray],
    max_iter: int,
    random_starts: int,
    v_search: str,
) -> list[AdhFit]:
    """ADH synthetic control for (X0, x1, Z0, z1) problems, in parallel: V optimised, or ``fixed_v[i]`` when
    non-empty."""
    return [
        AdhFit(np.asarray(f["w"]), np.asarray(f["v"]), float(f["mspe"]), bool(f["converged"]), int(f["best_start"]))
        for f in _core.adh_fit_many(problems, fixed_v, max_iter, random_starts, v_search)
    ]


class PoissonFit(NamedTuple):
    """What the IRLS kernel of ``fepois`` returns."""

    status: list[ColumnStatus]  # one per column of x
    coef: np.ndarray  # of the kept columns
    x_demeaned: np.ndarray  # n x kept, demeaned under the final IRLS weights (the caller may overwrite it)
    bread: np.ndarray  # inverse Hessian
    eta: np.ndarray
    mu: np.ndarray
    deviance: float
    loglik: float
    loglik_null: float
    iterations: int
    converged: bool
    fixef_converged: bool

    @property
    def all_kept(self) -> bool:
        return all(s == ColumnStatus.kept for s in self.status)


def fit_poisson(
    x: np.ndarray,
    y: np.ndarray,
    codes: np.ndarray,
    n_groups: Sequence[int],
    weights: np.ndarray | None,
    offset: np.ndarray | None,
    tol: float,
    max_iter: int,
    fixef_tol: float,
    fixef_max_iter: int,
    collin_tol: float,
    absorbed_tol: float,
) -> PoissonFit:
    """Poisson PML with fixed effects by IRLS (``x`` and ``y`` float64 or float32, ``x`` in Fortran order)."""
    out = _core.fit_poisson(
        x, y, codes, n_groups, weights, offset, tol, max_iter, fixef_tol, fixef_max_iter, collin_tol, absorbed_tol
    )
    return PoissonFit(
        status=list(out["status"]),
        coef=np.asarray(out["coef"]),
        x_demeaned=np.asarray(out["x_demeaned"]),
        bread=np.asarray(out["bread"]),
        eta=np.asarray(out["eta"]),
        mu=np.asarray(out["mu"]),
        deviance=float(out["deviance"]),
        loglik=float(out["loglik"]),
        loglik_null=float(out["loglik_null"]),
        iterations=int(out["iterations"]),
        converged=bool(out["converged"]),
        fixef_converged=bool(out["fixef_converged"]),
    )
