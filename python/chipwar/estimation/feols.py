"""``feols``: least squares with any number of high-dimensional fixed effects (the public entry: one model goes
to :func:`.linear.feols_model`, several to :func:`.split.fit_models`; neither imports this module back)."""

from __future__ import annotations

from concurrent.futures import Executor
from functools import partial

from .._errors import ChipwarError
from ..model.checks import check_iteration_caps, check_tolerances
from ..model.formula import expand_models, parse_formula
from .linear import feols_model
from .multiple import feols_sample
from .result import RegressionResult
from .split import fit_models


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
        ``"y ~ x1 + x2 | fe1 + fe2"``; see :mod:`chipwar.model.formula` for the terms (``log(x)``, ``x1:x2``, ``C(cat)``,
        ``i(var, by, ref=...)``, ``a^b`` combined fixed effects, ``0``/``1`` for no/with intercept).
        ``"y ~ exog | fe | endog ~ z1 + z2"`` estimates by 2SLS (an :class:`IVResult`, with ``first_stage``,
        ``first_stage_f()`` and the joint ``weak_iv_f()``); endogenous coefficients are named ``fit_<name>`` and
        come first, as in fixest.
    data : DataFrame
        pandas (or polars / pyarrow) table.
    vcov : str or dict, optional
        ``"iid"`` (default), ``"hetero"``, ``{"CRV1": "a"}``, ``{"CRV1": "a + b"}``, ``{"CRV3": "a"}`` (OLS and
        IV), ``{"NW": L, "time": t, "panel": i}``, ``{"DK": L, "time": t}``. See :mod:`chipwar.vcov.compute`,
        :mod:`chipwar.vcov.crv3` and :mod:`chipwar.vcov.hac` for the small-sample corrections (fixest's defaults).
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
        identical to the local run. A single model has no tasks to spread (its CRV3 is a closed form), so an
        executor there is an error rather than silently unused.
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
    check_tolerances(fixef_tol=fixef_tol, collin_tol=collin_tol)
    check_iteration_caps(fixef_maxiter=fixef_maxiter)
    texts = expand_models(fml)
    formula = parse_formula(texts[0])
    if len(texts) > 1 or split is not None or fsplit is not None:
        fit_sample = partial(
            feols_sample,
            vcov=vcov,
            weights=weights,
            cluster=cluster,
            fixef_rm=fixef_rm,
            fixef_tol=fixef_tol,
            fixef_maxiter=fixef_maxiter,
            collin_tol=collin_tol,
            dtype=dtype,
        )
        return fit_models(fit_sample, texts, data, split, fsplit, executor, progress)
    if executor is not None:
        raise ChipwarError(
            "feols(executor=...) runs the models of a multiple estimation (several outcomes, stepwise terms, "
            "split= / fsplit=) as tasks; this call fits one model, which has none to spread. Drop executor="
        )
    return feols_model(formula, data, vcov, weights, cluster, fixef_rm, fixef_tol, fixef_maxiter, collin_tol, dtype)
