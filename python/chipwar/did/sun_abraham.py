"""Sun & Abraham (2021): the interaction-weighted event-study estimator, through ``feols``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._errors import ChipwarError
from ..estimation import feols
from ._event_study import EventStudyResult, linear_combination
from ._staggered import COHORT, REL, TIME, UNIT, Y, cell_codes, last_treated_as_control, staggered_panel

CELL = "_cw_cell"


def cell_weights(cells: pd.DataFrame, by: str, estimated: np.ndarray) -> pd.DataFrame:
    """Weights aggregating cohort x period cells within each value of ``by``, proportional to the cells' ``size``.

    ``cells`` has one row per cell (columns ``by`` and ``size``); ``estimated`` marks the cells with a coefficient.
    Returns a (values of ``by``) x (cells) matrix as a DataFrame, each row summing to one.
    """
    size = np.where(estimated, cells["size"].to_numpy(dtype=float), 0.0)
    keys = np.unique(cells.loc[estimated, by].to_numpy())
    member = cells[by].to_numpy()[None, :] == keys[:, None]
    w = member * size[None, :]
    return pd.DataFrame(w / w.sum(axis=1, keepdims=True), index=pd.Index(keys, name=by))


def reference_periods(frame: pd.DataFrame, ref: int | list[int] | None, time: str, cohort: str) -> set[float]:
    """The relative periods left out as the reference, checked against the treated cohorts' observed ones.

    A reference that no treated cohort has would silently leave a cohort without one: its dummies then sum to its
    units' fixed effects and the regression drops an arbitrary cell as collinear, which biases every effect.
    """
    treated = frame[COHORT] > 0
    observed = np.unique(frame.loc[treated, REL].to_numpy())
    listed = ", ".join(f"{r:g}" for r in observed)
    if ref is None:
        before = observed[observed < 0]
        if before.size == 0:
            raise ChipwarError(
                f"no treated cohort in {cohort!r} is observed before its treatment in {time!r}, so there is no "
                f"reference period (observed relative periods: {listed})"
            )
        refs = {float(before.max())}
    else:
        refs = {float(r) for r in np.atleast_1d(ref)}
        missing = sorted(refs.difference(observed))
        if missing:
            raise ChipwarError(
                f"ref={', '.join(f'{r:g}' for r in missing)} is not a relative period (time - cohort, in the units "
                f"of {time!r}) of any treated cohort in {cohort!r}; the observed ones are {listed}; pass ref= one "
                "of them, or leave ref out for the period just before treatment"
            )
    has_ref = frame.loc[treated].groupby(COHORT)[REL].agg(lambda r: bool(r.isin(refs).any()))
    if not has_ref.all():
        lacking = ", ".join(f"{g:g}" for g in has_ref.index[~has_ref])
        raise ChipwarError(
            f"cohort(s) {lacking} of {cohort!r} have no observation in the reference period(s) "
            f"{', '.join(f'{r:g}' for r in sorted(refs))}; without one their effects are not identified: add a "
            f"relative period each of them has to ref= (observed: {listed})"
        )
    return refs


def sun_abraham(
    data: object,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: list[str] | None = None,
    cluster: str | None = None,
    weights: str | None = None,
    ref: int | list[int] | None = None,
    level: float = 0.95,
) -> EventStudyResult:
    """Interaction-weighted event study of Sun & Abraham (2021), as fixest's ``sunab()``.

    Regresses the outcome on cohort x relative-period dummies (all relative periods except ``ref``) with unit and
    period fixed effects, then averages the cohort-specific effects of each relative period with the cohorts'
    shares of the observations in that period (summed ``weights`` if given). Never-treated units are the controls;
    without them the last-treated cohort is (and the periods from its treatment on are removed, with a warning).

    Parameters
    ----------
    data : DataFrame
        Panel with one row per unit and period.
    outcome, unit, time, cohort : str
        Columns; ``cohort`` is the first treated period, 0 or NaN for never treated.
    covariates : list of str, optional
        Time-varying controls added linearly.
    cluster : str, optional
        Cluster column for the CRV1 variance (default: ``unit``, as fixest does with unit fixed effects).
    weights : str, optional
        Regression weights (also weight the cohort shares).
    ref : int or list of int, optional
        Relative period(s) left out as the reference, in the units of ``time`` (relative period = time - cohort).
        Default: the period just before treatment, as fixest's ``ref.p = -1``: -1 on consecutive periods, the
        latest observed pre-treatment relative period otherwise (-2 on a biennial panel). Every value must be an
        observed relative period of a treated cohort, and every treated cohort needs an observation in one of them
        (without a reference its dummies are collinear with the unit fixed effects); otherwise a ChipwarError
        names the observed relative periods.
    level : float
        Confidence level of the bands in ``.table``.

    Returns
    -------
    EventStudyResult
        ``.att``/``.se``: the average over all treated cohort x period cells (relative period >= 0) weighted by their
        number of observations, as fixest's ``summary(..., agg = "ATT")``; ``.table``: the effect of each relative
        period. Standard errors are delta-method with the aggregation weights held fixed (as fixest). ``.info``
        holds the regression (``"regression"``) and the weights (``"weights"``: event time x cell).
    """
    panel = staggered_panel(data, outcome, unit, time, cohort, covariates, weights, cluster)
    frame = panel.frame
    control = "never treated"
    if not panel.has_never_treated:
        frame, last = last_treated_as_control(frame, panel.cohorts, cohort)
        control = f"last treated (cohort {last:g})"
    refs = reference_periods(frame, ref, time, cohort)

    treated_cell = (frame[COHORT] > 0) & ~frame[REL].isin(refs)
    cells, codes = cell_codes(frame, treated_cell, [COHORT, REL])
    if cells.empty:
        raise ChipwarError(f"no treated cohort x relative-period cells outside ref={sorted(refs)} to estimate")
    size = np.ones(len(frame)) if weights is None else frame[weights].to_numpy(dtype=float)
    cells["size"] = np.bincount(codes[codes >= 0], weights=size[codes >= 0], minlength=len(cells))
    frame = frame.assign(**{CELL: codes})

    rhs = " + ".join([f"i({CELL}, ref=-1)"] + [f"`{c}`" for c in panel.covariates])
    fit = feols(f"{Y} ~ {rhs} | {UNIT} + {TIME}", frame, weights=weights, vcov={"CRV1": panel.cluster}, fixef_rm="none")

    names = [f"{CELL}::{k}" for k in range(len(cells))]
    estimated = np.isin(names, fit.coef.index)
    coef = fit.coef.reindex(names).fillna(0.0).to_numpy()
    vcov = fit.vcov.reindex(index=names, columns=names).fillna(0.0).to_numpy()
    cells = cells.rename(columns={COHORT: "cohort", REL: "event_time"})

    by_event = cell_weights(cells, "event_time", estimated)
    w_event = by_event.to_numpy()
    post = cells.assign(post=np.where(cells["event_time"] >= 0, "post", "pre"))
    if not (estimated & (post["post"] == "post").to_numpy()).any():
        raise ChipwarError("no treated cohort x period cell at or after treatment could be estimated")
    w_att = cell_weights(post, "post", estimated).loc["post"].to_numpy()

    cells["coefficient"] = np.where(estimated, coef, np.nan)
    att, se = linear_combination(w_att, coef, vcov)
    return EventStudyResult(
        method="Sun & Abraham (2021) interaction-weighted event study",
        index_name="event_time",
        index=by_event.index.to_numpy(),
        estimates=w_event @ coef,
        vcov=w_event @ vcov @ w_event.T,
        att=att,
        se=se,
        info={
            "observations": fit.nobs,
            "units": int(frame[UNIT].nunique()),
            "control group": control,
            "reference period(s)": ", ".join(f"{r:g}" for r in sorted(refs)),
            "standard errors": fit.vcov_type.replace("_cw_unit", unit).replace("_cw_cluster", str(cluster)),
            "cells": cells,
            "weights": pd.DataFrame(w_event, index=by_event.index),
            "regression": fit,
        },
        level=level,
    )
