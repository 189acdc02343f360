"""``fepois``: Poisson pseudo-maximum likelihood (PPML) with any number of high-dimensional fixed effects (the
public entry: one model goes to :func:`.poisson.fepois_model`, several to :func:`.split.fit_models`)."""

from __future__ import annotations

from concurrent.futures import Executor
from functools import partial

import numpy as np

from .._errors import ChipwarError
from ..model.checks import check_iteration_caps, check_tolerances
from ..model.formula import expand_models, parse_formula
from .multiple import fepois_sample
from .poisson import fepois_model
from .poisson_result import PoissonResult
from .prepare import vcov_spec
from .split import fit_models


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
        :mod:`chipwar.vcov.hac`). Small-sample corrections
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
        refits of ``vcov={"CRV3": g}`` (one per cluster); with another variance it would have nothing to run, so
        it is an error rather than silently unused.
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
        if offset is not None and not isinstance(offset, str) and np.shape(offset) != (len(data),):
            raise ChipwarError(f"offset must be a column name or an array with one value per row ({len(data)})")
        fit_sample = partial(
            fepois_sample,
            vcov=vcov,
            weights=weights,
            offset=offset,
            cluster=cluster,
            fixef_rm=fixef_rm,
            tol=tol,
            maxiter=maxiter,
            fixef_tol=fixef_tol,
            fixef_maxiter=fixef_maxiter,
            collin_tol=collin_tol,
            separation=separation,
            dtype=dtype,
        )
        return fit_models(fit_sample, texts, data, split, fsplit, executor, progress)
    if executor is not None and vcov_spec(vcov, cluster).kind != "CRV3":
        raise ChipwarError(
            "fepois(executor=...) runs the models of a multiple estimation (several outcomes, stepwise terms, "
            "split= / fsplit=) or the refits of a single model's vcov={'CRV3': g}; this call has neither. Drop "
            "executor=, or give it where the refits happen: fit.with_vcov({'CRV3': g}, executor=...)"
        )
    return fepois_model(
        formula,
        data,
        vcov,
        weights,
        offset,
        cluster,
        fixef_rm,
        tol,
        maxiter,
        fixef_tol,
        fixef_maxiter,
        collin_tol,
        separation,
        executor,
        progress,
        dtype,
    )
