"""Borusyak, Jaravel & Spiess (2024): the imputation estimator of staggered treatment effects."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import kernels
from .._errors import ChipwarError
from ..estimation import feols
from ._event_study import EventStudyResult
from ._first_stage import FirstStage, fit_untreated, group_sums
from ._staggered import COHORT, REL, TIME, UNIT, Y, staggered_panel


def estimand_weights(first: FirstStage, horizons: list[float]) -> tuple[np.ndarray, list[str]]:
    """Columns of weights over the treated rows, each summing to one (observation weights within): the overall
    ATT over ``horizons``, then one column per horizon."""
    rel = first.frame[REL].to_numpy()
    treated = ~first.untreated
    cols = [treated & np.isin(rel, horizons)] + [treated & (rel == h) for h in horizons]
    a = np.column_stack(cols) * first.weights[:, None]
    return a / a.sum(axis=0, keepdims=True), ["ATT"] + [f"{h:g}" for h in horizons]


def _averaged_effects(v: np.ndarray, tau: np.ndarray, cell: np.ndarray, cluster: np.ndarray, leave_out: bool):
    """BJS's auxiliary tau-bar: per estimand (column of ``v``), the v-weighted mean effect of each cohort x horizon
    cell (rows of ``cell``), optionally leaving out the observation's own cluster. Returns (n_treated x k)."""
    _, cell_id = np.unique(cell, axis=0, return_inverse=True)
    cell_id = cell_id.reshape(-1)
    num = group_sums(v * tau[:, None], cell_id)[cell_id]
    den = group_sums(v, cell_id)[cell_id]
    with np.errstate(divide="ignore", invalid="ignore"):
        full = np.where(den != 0, num / den, 0.0)
        if not leave_out:
            return full
        _, pair = np.unique(np.column_stack([cell_id, cluster]), axis=0, return_inverse=True)
        pair = pair.reshape(-1)
        num_out = num - group_sums(v * tau[:, None], pair)[pair]
        den_out = den - group_sums(v, pair)[pair]
        # a cell held by a single cluster has nothing left out: use its full average
        return np.where(np.abs(den_out) > 1e-14 * np.abs(den).max(), num_out / den_out, full)


def _pretrend_test(first: FirstStage, k: int) -> tuple[pd.DataFrame, tuple[float, float]]:
    """BJS Test 1: on the untreated rows, add dummies for the k periods before treatment to the Y(0) model and test
    them jointly (Wald F with the cluster-robust variance, df = (k, G - 1))."""
    panel = first.panel
    frame = first.frame.loc[first.untreated].copy()
    names = []
    for j in range(1, k + 1):
        names.append(f"_cw_pre{j}")
        frame[names[-1]] = (frame[REL] == -j).astype(float)
    rhs = " + ".join(names + [f"`{c}`" for c in panel.covariates])
    fit = feols(
        f"{Y} ~ {rhs} | {UNIT} + {TIME}", frame, weights=panel.weights, vcov={"CRV1": panel.cluster}, fixef_rm="none"
    )
    kept = [n for n in names if n in fit.coef.index]
    if not kept:
        raise ChipwarError(f"pretrends={k}: no pre-treatment period of the treated cohorts could be estimated")
    b = fit.coef[kept].to_numpy()
    stat = float(b @ np.linalg.solve(fit.vcov.loc[kept, kept].to_numpy(), b)) / len(kept)
    p = float(kernels.f_sf(stat, len(kept), fit.df_t))
    table = pd.DataFrame(
        {"event_time": [-float(n.removeprefix("_cw_pre")) for n in kept], "estimate": b, "se": fit.se[kept].to_numpy()}
    )
    return table, (stat, p)


def did_imputation(
    data: object,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: list[str] | None = None,
    cluster: str | None = None,
    weights: str | None = None,
    horizons: list[int] | None = None,
    pretrends: int | None = None,
    leave_out: bool = False,
    level: float = 0.95,
) -> EventStudyResult:
    """The imputation estimator of Borusyak, Jaravel & Spiess (2024).

    Fits unit and period fixed effects (and ``covariates``) on the untreated observations, imputes Y(0) for the
    treated ones, and averages Y - Y(0)_hat: over all treated observations at ``horizons`` (the ATT) and by horizon
    (event time). Observation weights weight both the fit and the averages.

    Standard errors are the paper's conservative ones (Theorem 3): with the estimator written as ``sum(v_it Y_it)``,
    ``sum over clusters (sum v_it e_it)^2``, where ``e_it`` is the first-stage residual for untreated observations
    and, for treated ones, the effect estimate minus its v-weighted average within the cohort x horizon cell (the
    partition of R's ``didimputation`` and Stata's ``did_imputation``); ``leave_out=True`` excludes the
    observation's own cluster from that average (the paper's small-sample refinement). No finite-sample factor.

    Parameters
    ----------
    data : DataFrame
        Panel with one row per unit and period.
    outcome, unit, time, cohort : str
        Columns; ``cohort`` is the first treated period, 0 or NaN for never treated.
    covariates : list of str, optional
        Time-varying controls in the Y(0) model.
    cluster : str, optional
        Cluster column (default: ``unit``).
    weights : str, optional
        Observation weights.
    horizons : list of int, optional
        Event times (>= 0) to estimate; default every observed one. The ATT averages over these horizons.
    pretrends : int, optional
        Run the paper's pre-trend test with this many pre-treatment periods (``.pretest()``, ``info["pretrends"]``).
    leave_out : bool
        Leave-out averaging of the treated residuals in the variance.
    level : float
        Confidence level of the bands in ``.table``.

    Returns
    -------
    EventStudyResult
        ``.att``, ``.se``, ``.table`` (one row per horizon) and ``.vcov`` (joint covariance of the horizons).
        ``info["effects"]`` holds every treated observation's effect estimate.
    """
    panel = staggered_panel(data, outcome, unit, time, cohort, covariates, weights, cluster)
    first = fit_untreated(panel)
    frame = first.frame
    treated = ~first.untreated
    observed = np.unique(frame.loc[treated, REL].to_numpy())
    if horizons is None:
        hs = observed.tolist()
    else:
        hs = sorted({float(h) for h in np.atleast_1d(horizons)})
        missing = [h for h in hs if h not in set(observed)]
        if missing or any(h < 0 for h in hs):
            raise ChipwarError(
                f"horizons {missing or [h for h in hs if h < 0]} are not event times of treated observations "
                f"(observed: {observed.min():g}..{observed.max():g}); horizons count periods since treatment, from 0"
            )
    a, _names = estimand_weights(first, hs)
    v = a - first.untreated_influence(a)
    resid = first.residual
    estimates = a.T @ np.where(treated, resid, 0.0)

    eps = np.repeat(np.where(first.untreated, resid, 0.0)[:, None], v.shape[1], axis=1)
    cluster_codes = frame[panel.cluster].to_numpy()
    cell = frame.loc[treated, [COHORT, REL]].to_numpy()
    eps[treated] = resid[treated, None] - _averaged_effects(
        v[treated], resid[treated], cell, cluster_codes[treated], leave_out
    )
    psi = group_sums(v * eps, cluster_codes)
    vcov = psi.T @ psi

    info: dict = {
        "observations": len(frame),
        "treated observations": int(treated.sum()),
        "units": int(frame[UNIT].nunique()),
        "standard errors": f"conservative (BJS), clustered by {cluster or unit}" + (", leave-out" if leave_out else ""),
        "effects": frame.loc[treated, [UNIT, TIME, COHORT, REL]]
        .rename(columns={UNIT: "unit_code", TIME: "time", COHORT: "cohort", REL: "event_time"})
        .assign(effect=resid[treated]),
        "first_stage": first.fit,
    }
    if pretrends:
        info["pretrends"], info["pretest"] = _pretrend_test(first, int(pretrends))
        info["pretrend F"], info["pretrend p-value"] = info["pretest"]
    return EventStudyResult(
        method="Borusyak, Jaravel & Spiess (2024) imputation estimator",
        index_name="event_time",
        index=np.array(hs),
        estimates=estimates[1:],
        vcov=vcov[1:, 1:],
        att=estimates[0],
        se=float(np.sqrt(vcov[0, 0])),
        info=info,
        level=level,
    )
