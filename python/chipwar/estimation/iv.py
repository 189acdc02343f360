"""Two-stage least squares with high-dimensional fixed effects: ``y ~ exog | fe | endog ~ instruments``."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np

from .. import kernels
from .._errors import ChipwarError, ChipwarWarning
from ..model.design import Design
from .demean import absorbed_columns, demean_design
from .fit import FitCore, IVPart, OlsPart
from .ols import fit_ols


def first_stages(
    design: Design, fixef_tol: float, fixef_maxiter: int, collin_tol: float
) -> dict[str, FitCore[OlsPart]]:
    """One OLS per endogenous regressor on the exogenous regressors and the (excluded) instruments."""
    n_endog, n_instr = design.endog.shape[1], design.instruments.shape[1]
    if n_instr < n_endog:
        raise ChipwarError(
            f"{n_endog} endogenous column(s) {design.endog_names} but only {n_instr} instrument column(s) "
            f"{design.instrument_names}; add instruments (the model is not identified)"
        )
    x = np.asfortranarray(np.column_stack([design.x, design.instruments]))
    names = [*design.x_names, *design.instrument_names]
    out = {}
    for j, name in enumerate(design.endog_names):
        core = fit_ols(
            replace(design, y=np.ascontiguousarray(design.endog[:, j]), x=x, x_names=names),
            fixef_tol,
            fixef_maxiter,
            collin_tol,
        )
        out[name] = replace(core, lhs=name)
    kept = [t for t in design.instrument_names if t in core.names]  # the same regressors in every first stage
    if len(kept) < n_endog:
        reasons = {"collinear": "collinear with the included regressors or the other instruments"}
        removed = []
        for term in core.dropped:
            name, reason = term[:-1].split(" (", 1)
            if name in design.instrument_names:
                removed.append(f"{name!r} is {reasons.get(reason, reason)}")
        raise ChipwarError(
            f"the model is under-identified: {n_endog} endogenous regressor(s) ({_quoted(design.endog_names)}) but "
            f"only {len(kept)} usable excluded instrument(s) of {_quoted(design.instrument_names)} "
            f"({'; '.join(removed)}); an instrument must vary apart from the included regressors and the fixed "
            "effects: add instruments"
        )
    return out


def _quoted(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)


def _under_identified(design: Design, newly_collinear: list[str]) -> ChipwarError:
    """The rank condition fails: the first stages' coefficients on the excluded instruments have rank below the
    number of endogenous regressors, which shows as collinear second-stage regressors that the first stages kept."""
    return ChipwarError(
        f"the model is under-identified: the excluded instrument(s) {_quoted(design.instrument_names)} do not move "
        f"the endogenous regressor(s) {_quoted(design.endog_names)} independently of each other and of the included "
        f"regressors (in the second stage {_quoted(newly_collinear)} became collinear); add instruments that shift "
        "each endogenous regressor"
    )


def fit_iv(
    design: Design, fixef_tol: float = 1e-8, fixef_maxiter: int = 10000, collin_tol: float = 1e-10
) -> FitCore[IVPart]:
    """2SLS on a prepared design: the second stage regresses y on the first-stage fitted values of the
    endogenous regressors (named ``fit_<name>``, first, as fixest) and the exogenous regressors; residuals use
    the actual endogenous values. The first-stage fits are kept in its :class:`IVPart`."""
    first = first_stages(design, fixef_tol, fixef_maxiter, collin_tol)
    lhs = design.formula.lhs[0]
    dm = demean_design(design, np.column_stack([design.y, design.x]), [lhs, *design.x_names], fixef_tol, fixef_maxiter)
    y_dm, x_dm = dm[:, 0], dm[:, 1:]
    stages = [c.part for c in first.values()]
    endog_dm = np.column_stack([p.y_demeaned for p in stages])
    endog_hat = endog_dm - np.column_stack([c.resid for c in first.values()])

    names = [f"fit_{n}" for n in design.endog_names] + design.x_names
    actual = np.column_stack([design.endog, design.x])  # original scale, for the fixed-effect part
    actual_dm = np.column_stack([endog_dm, x_dm])
    fitted_dm = np.column_stack([endog_hat, x_dm])
    usable = np.ones(len(names), dtype=bool)
    dropped: list[str] = []
    if design.fe_names:
        absorbed = absorbed_columns(actual, actual_dm, design.weights)
        dropped += [f"{n} (absorbed by the fixed effects)" for n, a in zip(names, absorbed) if a]
        usable &= ~absorbed
    idx = np.flatnonzero(usable)
    kept_mask, coef, bread, _ = kernels.ols(np.asfortranarray(fitted_dm[:, idx]), y_dm, design.weights, collin_tol)
    kept_mask = np.asarray(kept_mask, dtype=bool)
    kept = idx[kept_mask]
    # regressors collinear with the fitted endogenous values but not with the actual ones: the instruments fail the
    # rank condition (collinear actual regressors are dropped as in OLS)
    collinear = idx[~kept_mask]
    if collinear.size:
        actual_gram = kernels.crossprod(np.asfortranarray(actual_dm[:, idx]), design.weights)
        independent = np.asarray(kernels.independent_columns(actual_gram, collin_tol), dtype=bool)
        newly_collinear = [names[j] for j in idx[~kept_mask & independent]]
        if newly_collinear:
            raise _under_identified(design, newly_collinear)
    dropped += [f"{names[j]} (collinear)" for j in idx[~kept_mask]]
    if dropped:
        warnings.warn(f"terms removed: {', '.join(dropped)}", ChipwarWarning, stacklevel=3)
    if not any(names[j].startswith("fit_") for j in kept):
        raise ChipwarError(
            f"every endogenous regressor was removed ({', '.join(dropped)}); the instruments do not identify them"
        )
    coef = np.asarray(coef)
    resid = y_dm - actual_dm[:, kept] @ coef  # structural residuals
    w = design.weights
    fitted = design.y - resid
    return FitCore(
        design=design,
        coef=coef,
        names=[names[j] for j in kept],
        dropped=dropped,
        bread=np.asarray(bread),
        scores=fitted_dm[:, kept] * (resid if w is None else w * resid)[:, None],
        resid=resid,
        fitted=fitted,
        dispersion=float(np.sum((1.0 if w is None else w) * resid**2)),
        lhs=lhs,
        # demeaned instruments (exogenous and excluded, as kept by the first stages) and regressors: CRV3
        part=IVPart(
            y_demeaned=y_dm,
            first_stage=first,
            z_demeaned=stages[0].x_demeaned,
            x_structural=actual_dm[:, kept],
            collin_tol=collin_tol,
        ),
        fe_sum=(fitted - actual[:, kept] @ coef) if design.fe_names else None,
    )
