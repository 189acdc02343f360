"""The Poisson (PPML) engine: IRLS with fixed effects on a prepared design, and one model on one sample (what
``fepois`` runs per model); it never calls the public ``fepois`` back."""

from __future__ import annotations

import warnings
from concurrent.futures import Executor

import numpy as np

from .. import kernels
from .._errors import ChipwarError, ChipwarWarning, ConvergenceWarning
from ..model.design import Design
from ..model.formula import Formula
from ..model.frame import as_pandas, numeric_column
from .demean import ABSORBED_TOL
from .fit import FitCore, PoissonOptions, PoissonPart
from .poisson_result import PoissonResult
from .prepare import prepare
from .separation import drop_separated, separation_checks

_REASON = {kernels.ColumnStatus.absorbed: "absorbed by the fixed effects", kernels.ColumnStatus.collinear: "collinear"}


def _check_outcome(design: Design, name: str) -> None:
    if (design.y < 0).any():
        raise ChipwarError(f"outcome {name!r} has negative values; Poisson regression needs y >= 0 (counts, flows)")
    if not (design.y > 0).any():
        raise ChipwarError(f"outcome {name!r} is zero in every row of the estimation sample; there is nothing to fit")


def _offset_values(design: Design, data: object, offset: object) -> np.ndarray | None:
    """The offset on the estimation sample, from a column of ``data`` or an array aligned with its rows."""
    if offset is None:
        return None
    if isinstance(offset, str):
        values = numeric_column(as_pandas(data), offset, role="offset")
        label = f"offset column {offset!r}"
    else:
        values = np.asarray(offset, dtype=float)
        if values.shape != (design.n_input,):
            raise ChipwarError(f"offset must be a column name or an array with one value per row ({design.n_input})")
        label = "offset"
    values = np.ascontiguousarray(values[design.obs_index])
    if not np.isfinite(values).all():
        raise ChipwarError(f"{label} has missing or infinite values in the estimation sample; drop those rows first")
    return values


def fit_poisson(
    design: Design, offset: np.ndarray | None, options: PoissonOptions, n_separated: int = 0
) -> FitCore[PoissonPart]:
    """Run the IRLS kernel on a prepared (separation-free) design (``n_separated``: observations the separation
    checks dropped before, reported by the result)."""
    names = design.x_names
    tol, maxiter, fixef_maxiter = options.tol, options.maxiter, options.fixef_maxiter
    out = kernels.fit_poisson(
        design.x,
        design.y,
        design.fe_codes,
        design.n_groups,
        design.weights,
        offset,
        tol,
        maxiter,
        options.fixef_tol,
        fixef_maxiter,
        options.collin_tol,
        ABSORBED_TOL,
    )
    dropped = [f"{n} ({_REASON[s]})" for n, s in zip(names, out.status) if s != kernels.ColumnStatus.kept]
    if dropped:
        warnings.warn(f"terms removed: {', '.join(dropped)}", ChipwarWarning, stacklevel=3)
    kept = np.array([j for j, s in enumerate(out.status) if s == kernels.ColumnStatus.kept], dtype=np.intp)
    if kept.size == 0 and names:
        raise ChipwarError(f"every regressor was removed ({', '.join(dropped)}); nothing is left to estimate")
    if not out.converged:
        warnings.warn(
            f"fepois did not converge in {maxiter} iterations (deviance still changing by more than tol={tol:g}); "
            "raise maxiter",
            ConvergenceWarning,
            stacklevel=3,
        )
    if not out.fixef_converged:
        warnings.warn(
            f"demeaning did not converge in {fixef_maxiter} iterations; raise fixef_maxiter or fixef_tol",
            ConvergenceWarning,
            stacklevel=3,
        )
    coef, mu, eta = out.coef, out.mu, out.eta
    w = 1.0 if design.weights is None else design.weights
    resid = design.y - mu
    # score of observation i: x~_i w_i (y_i - mu_i), with x~ demeaned under the final IRLS weights; formed in
    # the kernel's array (no second n x k array)
    scores = out.x_demeaned
    scores *= (w * resid)[:, None]
    fe_sum = None
    if design.fe_names:
        x_kept = design.x if kept.size == len(names) else design.x[:, kept]  # no copy when every column is kept
        fe_sum = eta - (0.0 if offset is None else offset)
        fe_sum -= x_kept @ coef
    return FitCore(
        design=design,
        coef=coef,
        names=[names[j] for j in kept],
        dropped=dropped,
        bread=out.bread,
        scores=scores,
        resid=resid,
        fitted=mu,
        dispersion=None,  # Poisson: the inverse Hessian is the variance
        lhs=design.formula.lhs[0],
        part=PoissonPart(
            eta=eta,
            offset=offset,
            options=options,
            converged=out.converged,
            iterations=out.iterations,
            deviance=out.deviance,
            loglik=out.loglik,
            loglik_null=out.loglik_null,
            n_separated=n_separated,
        ),
        fe_sum=fe_sum,
    )


def fepois_model(
    formula: Formula,
    data: object,
    vcov: object = None,
    weights: str | None = None,
    offset: object = None,
    cluster: str | None = None,
    fixef_rm: str = "singleton",
    tol: float = 1e-8,
    maxiter: int = 25,
    fixef_tol: float = 1e-8,
    fixef_maxiter: int = 10000,
    collin_tol: float = 1e-10,
    separation: bool | str | list[str] = True,
    executor: Executor | None = None,
    progress: bool | None = None,
    dtype: str = "float64",
) -> PoissonResult:
    """:func:`chipwar.fepois` of one single-outcome formula without an IV part (no split); ``executor`` and
    ``progress`` serve the refits of ``vcov={"CRV3": g}``."""
    checks = separation_checks(separation)
    spec, design = prepare(formula, data, vcov, cluster, weights, fixef_rm, dtype)
    _check_outcome(design, formula.lhs[0])
    n_separated = 0
    if checks:
        design, report = drop_separated(design, fixef_rm=fixef_rm, checks=checks)
        n_separated = report.n_separated
        design.n_singletons += report.n_singletons
    off = _offset_values(design, data, offset)
    options = PoissonOptions(tol, maxiter, fixef_tol, fixef_maxiter, collin_tol)
    core = fit_poisson(design, off, options, n_separated)
    return PoissonResult(core, spec, executor, progress)  # the executor also runs CRV3's refits
