"""``feols``: least squares with any number of high-dimensional fixed effects."""

from __future__ import annotations

import warnings
from concurrent.futures import Executor
from functools import partial

import numpy as np

from .. import _core
from .._errors import ChipwarError, ChipwarWarning, ConvergenceWarning
from ..design import Design
from ..formula import expand_models, parse_formula
from .prepare import prepare
from .result import FitCore, RegressionResult

#: a column whose sum of squares shrinks by this factor when the fixed effects are projected out is absorbed
ABSORBED_TOL = 1e-10


def demean_design(
    design: Design, columns: np.ndarray, names: list[str], tol: float, max_iter: int
) -> np.ndarray:
    """Project the design's fixed effects out of ``columns`` (n x p); warn naming any column that did not converge."""
    if not design.fe_names:
        return columns
    values, _, converged = _core.demean(
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


def fit_ols(design: Design, fixef_tol: float = 1e-8, fixef_maxiter: int = 10000, collin_tol: float = 1e-10) -> FitCore:
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


def ols_on_demeaned(design: Design, y_dm: np.ndarray, x_dm: np.ndarray, collin_tol: float = 1e-10) -> FitCore:
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
    kept_mask, coef, bread, resid = _core.ols(x_use, y_dm, design.weights, collin_tol)
    kept_idx = idx[np.asarray(kept_mask, dtype=bool)]
    dropped += [f"{names[j]} (collinear)" for j in idx[~np.asarray(kept_mask, dtype=bool)]]
    if dropped:
        warnings.warn(f"terms removed: {', '.join(dropped)}", ChipwarWarning, stacklevel=3)
    if kept_idx.size == 0 and names:
        raise ChipwarError(
            f"every regressor was removed ({', '.join(dropped)}); nothing is left to estimate"
        )
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
        fe_sum=fe_sum,
        extra={"y_demeaned": y_dm, "lhs": design.formula.lhs[0], "x_demeaned": x_kept, "collin_tol": collin_tol},
    )


def feols(
    fml: str,
    data: object,
    vcov: object = None,
    weights: str | None = None,
    cluster: str | None = None,
    fixef_rm: str = "singleton",
    fixef_tol: float = 1e-8,
    fixef_maxiter: int = 10000,
    collin_tol: float = 1e-10,
    split: str | None = None,
    fsplit: str | None = None,
    executor: Executor | None = None,
    progress: bool | None = None,
    dtype: str = "float64",
) -> RegressionResult:
    """Least squares with high-dimensional fixed effects.

    Parameters
    ----------
    fml : str
        ``"y ~ x1 + x2 | fe1 + fe2"``; see :mod:`chipwar.formula` for the terms (``log(x)``, ``x1:x2``, ``C(cat)``,
        ``i(var, by, ref=...)``, ``a^b`` combined fixed effects, ``0``/``1`` for no/with intercept).
        ``"y ~ exog | fe | endog ~ z1 + z2"`` estimates by 2SLS (an :class:`IVResult`, with ``first_stage``,
        ``first_stage_f()`` and the joint ``weak_iv_f()``); endogenous coefficients are named ``fit_<name>`` and
        come first, as in fixest.
    data : DataFrame
        pandas (or polars / pyarrow) table.
    vcov : str or dict, optional
        ``"iid"`` (default), ``"hetero"``, ``{"CRV1": "a"}``, ``{"CRV1": "a + b"}``, ``{"CRV3": "a"}`` (OLS and
        IV), ``{"NW": L, "time": t, "panel": i}``, ``{"DK": L, "time": t}``. See :mod:`chipwar.vcov` and
        :mod:`chipwar.vcov_extra` for the small-sample corrections (fixest's defaults).
    weights : str, optional
        Column of analytic weights.
    cluster : str, optional
        Shorthand for ``vcov={"CRV1": cluster}``.
    fixef_rm : {"singleton", "none"}
        Drop observations that are alone in a fixed-effect group (default, as fixest).
    fixef_tol, fixef_maxiter : float, int
        Convergence tolerance and sweep cap of the demeaning (alternating projections with Irons-Tuck acceleration).
    collin_tol : float
        A term whose residual sum of squares on the earlier terms is below this fraction of its own is dropped.
    split : str, optional
        Fit the model(s) separately on each group of this column (fixest's ``split``); rows where it is missing
        belong to no group.
    fsplit : str, optional
        As ``split``, with the full sample first (fixest's ``fsplit``).
    executor : concurrent.futures.Executor, optional
        Fit the models of a multiple estimation on this executor (e.g. ``dask.distributed``'s
        ``client.get_executor()``): one task per split sample, or per model without a split. The results are
        identical to the local run.
    progress : bool, optional
        A progress bar over those tasks (None: on in notebooks).
    dtype : {"float64", "float32"}
        Storage of the outcome and regressors. ``"float32"`` halves the memory of the ``[y | x]`` buffer for very
        large data; every sum (demeaning, cross products, coefficients, variance) is still accumulated in float64,
        so the only loss is the rounding of the stored values to float32 (relative 2^-24, about 6e-8): coefficients
        and standard errors then agree with float64 storage to about 1e-7 relative (more for ill-conditioned
        regressors). Values beyond about 3e38 overflow in float32.

    Returns
    -------
    RegressionResult or IVResult
        Or a :class:`FitCollection` (one fit per model) for several outcomes ``"y1 + y2 ~ ..."`` and/or a stepwise
        term ``sw(a, b)``, ``csw(a, b)``, ``sw0(...)``, ``csw0(...)`` among the regressors, and/or ``split=`` /
        ``fsplit=`` (the models are the product, sample outermost, then outcomes, as fixest; each fit's ``sample``
        names its sample); models with the same sample share one demeaning of every column.
    """
    texts = expand_models(fml)
    formula = parse_formula(texts[0])
    if len(texts) > 1 or split is not None or fsplit is not None:
        from .multiple import feols_sample
        from .split import fit_models

        fit_sample = partial(feols_sample, vcov=vcov, weights=weights, cluster=cluster, fixef_rm=fixef_rm,
                             fixef_tol=fixef_tol, fixef_maxiter=fixef_maxiter, collin_tol=collin_tol, dtype=dtype)
        return fit_models(fit_sample, texts, data, split, fsplit, executor, progress)
    spec, design = prepare(formula, data, vcov, cluster, weights, fixef_rm, dtype)
    if formula.is_iv:
        from .iv import fit_iv  # iv builds on this module
        from .iv_result import IVResult

        return IVResult(fit_iv(design, fixef_tol, fixef_maxiter, collin_tol), spec)
    core = fit_ols(design, fixef_tol, fixef_maxiter, collin_tol)
    return RegressionResult(core, spec)
