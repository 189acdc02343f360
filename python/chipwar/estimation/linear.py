"""One linear model (OLS or 2SLS) on one sample: what ``feols`` runs per model."""

from __future__ import annotations

from ..model.formula import Formula
from .iv import fit_iv
from .iv_result import IVResult
from .ols import fit_ols
from .prepare import prepare
from .result import RegressionResult


def feols_model(
    formula: Formula,
    data: object,
    vcov: object = None,
    weights: str | None = None,
    cluster: str | None = None,
    fixef_rm: str = "singleton",
    fixef_tol: float = 1e-8,
    fixef_maxiter: int = 10000,
    collin_tol: float = 1e-10,
    dtype: str = "float64",
) -> RegressionResult:
    """:func:`chipwar.feols` of one single-outcome formula (no split): OLS, or 2SLS when it has an IV part."""
    spec, design = prepare(formula, data, vcov, cluster, weights, fixef_rm, dtype)
    if formula.is_iv:
        return IVResult(fit_iv(design, fixef_tol, fixef_maxiter, collin_tol), spec)
    core = fit_ols(design, fixef_tol, fixef_maxiter, collin_tol)
    return RegressionResult(core, spec)
