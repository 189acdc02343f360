"""``fepois``: Poisson pseudo-maximum likelihood (PPML) with any number of high-dimensional fixed effects."""

from __future__ import annotations

import warnings
from concurrent.futures import Executor
from functools import partial

import numpy as np

from .. import _core
from .._checks import check_iteration_caps, check_tolerances
from .._errors import ChipwarError, ChipwarWarning, ConvergenceWarning
from .._frame import numeric_column
from ..design import Design
from ..formula import expand_models, parse_formula
from .feols import ABSORBED_TOL
from .poisson_result import PoissonResult
from .prepare import prepare
from .result import FitCore
from .separation import drop_separated, separation_checks

_STATUS = {1: "absorbed by the fixed effects", 2: "collinear"}


def _check_outcome(design: Design, name: str) -> None:
    if (design.y < 0).any():
        raise ChipwarError(f"outcome {name!r} has negative values; Poisson regression needs y >= 0 (counts, flows)")
    if not (design.y > 0).any():
        raise ChipwarError(f"outcome {name!r} is zero in every row of the estimation sample; there is nothing to fit")


def _offset_values(design: Design, offset: object) -> np.ndarray | None:
    """The offset on the estimation sample, from a column name or an array aligned with the input rows."""
    if offset is None:
        return None
    if isinstance(offset, str):
        values = numeric_column(design.data, offset, role="offset")
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
    design: Design,
    offset: np.ndarray | None = None,
    tol: float = 1e-8,
    maxiter: int = 25,
    fixef_tol: float = 1e-8,
    fixef_maxiter: int = 10000,
    collin_tol: float = 1e-10,
) -> tuple[FitCore, dict]:
    """Run the IRLS kernel on a prepared (separation-free) design; returns the fit core and the kernel's output."""
    names = design.x_names
    out = _core.fit_poisson(
        design.x, design.y, design.fe_codes, design.n_groups, design.weights, offset,
        tol, maxiter, fixef_tol, fixef_maxiter, collin_tol, ABSORBED_TOL,
    )
    status = np.asarray(out["status"], dtype=int)
    dropped = [f"{n} ({_STATUS[s]})" for n, s in zip(names, status) if s]
    if dropped:
        warnings.warn(f"terms removed: {', '.join(dropped)}", ChipwarWarning, stacklevel=3)
    kept = np.flatnonzero(status == 0)
    if kept.size == 0 and names:
        raise ChipwarError(f"every regressor was removed ({', '.join(dropped)}); nothing is left to estimate")
    if not out["converged"]:
        warnings.warn(
            f"fepois did not converge in {maxiter} iterations (deviance still changing by more than tol={tol:g}); "
            "raise maxiter",
            ConvergenceWarning,
            stacklevel=3,
        )
    if not out["fixef_converged"]:
        warnings.warn(
            f"demeaning did not converge in {fixef_maxiter} iterations; raise fixef_maxiter or fixef_tol",
            ConvergenceWarning,
            stacklevel=3,
        )
    coef = np.asarray(out["coef"])
    mu, eta = np.asarray(out["mu"]), np.asarray(out["eta"])
    w = 1.0 if design.weights is None else design.weights
    resid = design.y - mu
    # score of observation i: x~_i w_i (y_i - mu_i), with x~ demeaned under the final IRLS weights; formed in
    # the kernel's array (no second n x k array)
    scores = np.asarray(out["x_demeaned"])
    scores *= (w * resid)[:, None]
    fe_sum = None
    if design.fe_names:
        x_kept = design.x if kept.size == len(names) else design.x[:, kept]  # no copy when every column is kept
        fe_sum = eta - (0.0 if offset is None else offset)
        fe_sum -= x_kept @ coef
    core = FitCore(
        design=design,
        coef=coef,
        names=[names[j] for j in kept],
        dropped=dropped,
        bread=np.asarray(out["bread"]),
        scores=scores,
        resid=resid,
        fitted=mu,
        dispersion=None,  # Poisson: the inverse Hessian is the variance
        fe_sum=fe_sum,
        extra={"lhs": design.formula.lhs[0], "eta": eta, "offset": offset},
    )
    return core, out


def fepois(
    fml: str,
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
    split: str | None = None,
    fsplit: str | None = None,
    executor: Executor | None = None,
    progress: bool | None = None,
    dtype: str = "float64",
) -> PoissonResult:
    """Poisson pseudo-maximum likelihood with high-dimensional fixed effects (PPML, as ``fixest::fepois``).

    Estimated by iteratively reweighted least squares: every iteration projects the fixed effects out of the
    working residual under the current weights (C++ alternating projections, with a tolerance that tightens as
    the deviance settles) and takes the Newton step; the regressors are re-demeaned only while the weights still
    move (the gradient is exact either way) and once more at the solution for the variance. Convergence is
    fixest's, ``|dev - dev_old| / (0.1 + |dev|) < tol``, on a step at ``fixef_tol`` after an already small change.

    Zeros in the outcome are ordinary data. Observations that make the maximum likelihood estimate not exist are
    dropped before estimation and counted in ``.n_separated`` (one warning): fixed-effect groups whose outcome
    is zero throughout, and separation found by the iterated rectifier method of Correia, Guimarães & Zylkin
    (2021). The rectifier is skipped when the rows with a positive outcome alone have the full rank of the
    design (then nothing can be separated; Santos Silva & Tenreyro 2010). Regressors that the dropping makes
    collinear or absorbed are removed and reported.

    Parameters
    ----------
    fml : str
        ``"y ~ x1 + x2 | fe1 + fe2"`` (see :func:`chipwar.feols` for the terms).
    data : DataFrame
    vcov : str or dict, optional
        ``"iid"`` (default), ``"hetero"``, ``{"CRV1": "a"}``, ``{"CRV1": "a + b"}``, ``{"CRV3": "a"}`` (one
        Poisson refit per cluster), ``{"NW": L, "time": t, "panel": i}`` or ``{"DK": L, "time": t}`` (see
        :mod:`chipwar.vcov_extra`). Small-sample corrections
        follow fixest's defaults for GLMs: the inverse Hessian times ``(n - 1) / (n - K)`` (iid and hetero);
        clustered: ``G / (G - 1) * (n - 1) / (n - K)`` with fixed effects nested in the cluster not counted in K.
        Inference uses the normal distribution (z values), as fixest does for GLMs.
    weights : str, optional
        Column of prior (frequency or analytic) weights.
    offset : str or array, optional
        Column (or array with one value per input row) added to the linear predictor with coefficient 1,
        e.g. the log of exposure.
    cluster : str, optional
        Shorthand for ``vcov={"CRV1": cluster}``.
    fixef_rm : {"singleton", "none"}
        Drop observations alone in a fixed-effect group (default, as fixest).
    tol, maxiter : float, int
        IRLS convergence tolerance on the relative change of the deviance, and the iteration cap (fixest: 1e-8, 25).
    fixef_tol, fixef_maxiter : float, int
        Final tolerance and sweep cap of the demeaning.
    collin_tol : float
        Collinearity tolerance (see :func:`chipwar.feols`).
    separation : bool, str or list of str
        Which separation checks run: True (default) both, ``"fe"`` only the all-zero fixed-effect groups (what
        fixest and pyfixest do by default), ``"ir"`` only the iterated rectifier, ``["fe", "ir"]`` both, False none.
    split, fsplit, executor, progress
        One fit per group of a column (``fsplit``: the full sample first), and where the models of a multiple
        estimation run, as in :func:`chipwar.feols`. For a single model, ``executor`` and ``progress`` serve the
        refits of ``vcov={"CRV3": g}`` (one per cluster).
    dtype : {"float64", "float32"}
        Storage of the outcome and regressors. ``"float32"`` halves the memory of the ``[y | x]`` buffer for very
        large data; every sum (demeaning, cross products, coefficients, variance) is still accumulated in float64,
        so the only loss is the rounding of the stored values to float32 (relative 2^-24, about 6e-8): coefficients
        and standard errors then agree with float64 storage to about 1e-7 relative (more for ill-conditioned
        regressors); the IRLS kernel reads the float32 values straight into its float64 working columns (no
        float64 copy of the inputs beside them). Values beyond about 3e38 overflow in float32.

    Returns
    -------
    PoissonResult
        (a :class:`FitCollection` of them for several outcomes ``"y1 + y2 ~ ..."``, a stepwise term
        ``sw()``/``csw()``/``sw0()``/``csw0()`` and/or ``split=``/``fsplit=``, each model fitted separately). With ``.converged``, ``.n_separated``, ``.loglik``, ``.deviance``, ``.pseudo_r2`` besides the usual
        regression results.
    """
    check_tolerances(tol=tol, fixef_tol=fixef_tol, collin_tol=collin_tol)
    check_iteration_caps(maxiter=maxiter, fixef_maxiter=fixef_maxiter)
    texts = expand_models(fml)
    formula = parse_formula(texts[0])
    if formula.is_iv:
        raise ChipwarError("fepois does not take an IV part ('| endog ~ instruments'); use feols for 2SLS")
    if len(texts) > 1 or split is not None or fsplit is not None:
        from .multiple import fepois_sample
        from .split import fit_models

        if offset is not None and not isinstance(offset, str) and np.shape(offset) != (len(data),):
            raise ChipwarError(f"offset must be a column name or an array with one value per row ({len(data)})")
        fit_sample = partial(fepois_sample, vcov=vcov, weights=weights, offset=offset, cluster=cluster,
                             fixef_rm=fixef_rm, tol=tol, maxiter=maxiter, fixef_tol=fixef_tol,
                             fixef_maxiter=fixef_maxiter, collin_tol=collin_tol, separation=separation, dtype=dtype)
        return fit_models(fit_sample, texts, data, split, fsplit, executor, progress)
    checks = separation_checks(separation)
    spec, design = prepare(formula, data, vcov, cluster, weights, fixef_rm, dtype)
    _check_outcome(design, formula.lhs[0])
    n_separated = 0
    if checks:
        design, report = drop_separated(design, fixef_rm=fixef_rm, checks=checks)
        n_separated = report.n_separated
        design.n_singletons += report.n_singletons
    off = _offset_values(design, offset)
    core, out = fit_poisson(design, off, tol, maxiter, fixef_tol, fixef_maxiter, collin_tol)
    core.extra.update(
        n_separated=n_separated,
        converged=bool(out["converged"]),
        iterations=int(out["iterations"]),
        deviance=float(out["deviance"]),
        loglik=float(out["loglik"]),
        loglik_null=float(out["loglik_null"]),
        fit_options={"tol": tol, "maxiter": maxiter, "fixef_tol": fixef_tol, "fixef_maxiter": fixef_maxiter,
                     "collin_tol": collin_tol},  # the CRV3 refits use the same
    )
    return PoissonResult(core, spec, executor, progress)  # the executor also runs CRV3's refits
