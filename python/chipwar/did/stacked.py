"""Stacked difference-in-differences with the corrective weights of Wing, Freedman & Hollingsworth (2024)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._errors import ChipwarError, ChipwarWarning
from ..estimation import feols
from ._event_study import EventStudyResult, linear_combination
from ._staggered import COHORT, TIME, UNIT, Y, staggered_panel

SUB, REL, TREAT, WEIGHT = "_cw_subexp", "_cw_rel", "_cw_treat", "_cw_q"
_CONTROLS = ("notyet", "never")


def event_window(pre_window: object, post_window: object, periods: np.ndarray, time: str) -> tuple[int, int]:
    """Validated event window (periods before and after treatment); the panel's periods must be integers."""
    for name, value in (("pre_window", pre_window), ("post_window", post_window)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ChipwarError(f"{name} must be a non-negative integer number of periods, got {value!r}")
    if pre_window < 1:  # type: ignore[operator]
        raise ChipwarError("pre_window must be at least 1: event time -1 is the reference period")
    if not np.all(periods == np.round(periods)):
        raise ChipwarError(f"time column {time!r} must hold integer periods (event time is period minus cohort)")
    return int(pre_window), int(post_window)  # type: ignore[call-overload]


def build_stack(
    frame: pd.DataFrame, periods: np.ndarray, pre: int, post: int, control: str, cohort: str
) -> tuple[pd.DataFrame, list[float]]:
    """One sub-experiment per adoption cohort a whose window [a - pre, a + post] lies inside the panel: its units
    and its clean controls (never treated, or with ``control="notyet"`` also first treated after a + post),
    observed in the window; each with the corrective weight of WFH's ``compute_weights`` (treated 1, controls
    (N^D_ae / N^D_e) / (N^C_ae / N^C_e), counts of observations by sub-experiment a and event time e)."""
    first, last = periods.min(), periods.max()
    g = frame[COHORT].to_numpy()
    cohorts = np.unique(g[g > 0])
    inside = [a for a in cohorts if a - pre >= first and a + post <= last]
    trimmed = [a for a in cohorts if a not in inside]
    pieces, used = [], []
    for a in inside:
        clean = (g == 0) | ((g > a + post) if control == "notyet" else False)
        rows = ((g == a) | clean) & (frame[TIME] >= a - pre).to_numpy() & (frame[TIME] <= a + post).to_numpy()
        if not clean.any():
            trimmed.append(a)
            continue
        piece = frame.loc[rows].assign(**{SUB: a, REL: frame.loc[rows, TIME] - a, TREAT: (g[rows] == a).astype(float)})
        pieces.append(piece)
        used.append(float(a))
    if not pieces:
        raise ChipwarError(
            f"no cohort of {cohort!r} has its whole event window [-{pre}, {post}] inside the panel and clean "
            "controls; shorten pre_window / post_window"
        )
    if trimmed:
        warnings.warn(
            f"stacked DiD left out {len(trimmed)} cohort(s) of {cohort!r} ({sorted(float(a) for a in trimmed)}): "
            f"their window [-{pre}, {post}] does not fit in periods {first:g}..{last:g} or they have no clean "
            "controls",
            ChipwarWarning,
            stacklevel=3,
        )
    stack = pd.concat(pieces, ignore_index=True)
    treat = stack[TREAT].to_numpy()
    by_event = stack.groupby(REL)[TREAT].agg(["sum", "size"])
    by_sub = stack.groupby([SUB, REL])[TREAT].agg(["sum", "size"])
    n_treat_e = by_event["sum"].reindex(stack[REL]).to_numpy()
    n_control_e = (by_event["size"] - by_event["sum"]).reindex(stack[REL]).to_numpy()
    key = pd.MultiIndex.from_arrays([stack[SUB], stack[REL]])
    n_treat_ae = by_sub["sum"].reindex(key).to_numpy()
    n_control_ae = (by_sub["size"] - by_sub["sum"]).reindex(key).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        q = (n_treat_ae / n_treat_e) / (n_control_ae / n_control_e)
    stack[WEIGHT] = np.where(treat == 1.0, 1.0, q)
    return stack, used


def stacked_did(
    data: object,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    pre_window: int = 3,
    post_window: int = 3,
    control: str = "notyet",
    cluster: str | None = None,
    level: float = 0.95,
) -> EventStudyResult:
    """Stacked DiD with the corrective weights of Wing, Freedman & Hollingsworth (2024).

    Each adoption cohort a whose event window [a - pre_window, a + post_window] lies inside the panel is one
    sub-experiment: its units and its clean controls (units never treated or, with ``control="notyet"``, first
    treated after a + post_window), observed in the window. The sub-experiments are stacked and the weighted
    event-study regression

        y = treat + event-time effects + sum_{e != -1} delta_e 1[event time = e] x treat

    (``feols("y ~ i(event_time, treat, ref=-1) | treat + event_time")``, as the authors' fixest code) is fitted
    with weight 1 for treated observations and (N^D_ae / N^D_e) / (N^C_ae / N^C_e) for the controls of
    sub-experiment a at event time e (shares of the treated and control observations), so that delta_e is the
    trimmed aggregate ATT: the average of the sub-experiments' effects at e weighted by their treated shares.

    Parameters
    ----------
    data : DataFrame
        Panel with one row per unit and (integer) period.
    outcome, unit, time, cohort : str
        Columns; ``cohort`` is the first treated period (0 or NaN: never).
    pre_window, post_window : int
        Event window: periods before (at least 1: -1 is the reference) and after treatment.
    control : {"notyet", "never"}
        Clean controls: not treated within the window (default, as WFH), or never treated only.
    cluster : str, optional
        Cluster of the CRV1 variance (default: ``unit``, as WFH cluster by the original unit).
    level : float
        Confidence level.

    Returns
    -------
    EventStudyResult
        ``.table``: delta_e by ``event_time`` (-1 left out); ``.att``/``.se``: the average of the post-treatment
        delta_e (equal weights) and its delta-method SE; ``.info["stack"]`` the stacked data with the weights
        (``_cw_q``), ``.info["cohorts"]`` the sub-experiments kept, ``.info["regression"]`` the fit.

    Examples
    --------
    >>> import chipwar as cw
    >>> from chipwar.did._simulate import simulate_staggered
    >>> d = simulate_staggered(n_units=300, n_periods=10, seed=1)
    >>> res = cw.stacked_did(d, outcome="y", unit="unit", time="time", cohort="cohort", pre_window=2, post_window=2)
    >>> res.table["event_time"].tolist()
    [-2.0, 0.0, 1.0, 2.0]
    """
    if control not in _CONTROLS:
        raise ChipwarError(f"control must be one of {_CONTROLS}, got {control!r}")
    panel = staggered_panel(data, outcome, unit, time, cohort, cluster=cluster)
    pre, post = event_window(pre_window, post_window, panel.periods, time)
    stack, used = build_stack(panel.frame, panel.periods, pre, post, control, cohort)
    fit = feols(
        f"{Y} ~ i({REL}, {TREAT}, ref=-1) | {TREAT} + {REL}",
        stack,
        weights=WEIGHT,
        vcov={"CRV1": panel.cluster},
        fixef_rm="none",
    )
    events = [e for e in range(-pre, post + 1) if e != -1]
    names = [f"{REL}::{e}:{TREAT}" for e in events]
    missing = [e for e, name in zip(events, names) if name not in fit.coef.index]
    if missing:
        raise ChipwarError(f"stacked DiD: event times {missing} could not be estimated (no treated observations)")
    coef = fit.coef[names].to_numpy()
    vcov = fit.vcov.loc[names, names].to_numpy()
    post_mask = np.array(events) >= 0
    att, se = linear_combination(post_mask / post_mask.sum(), coef, vcov)
    return EventStudyResult(
        method="Stacked DiD (Wing, Freedman & Hollingsworth 2024)",
        index_name="event_time",
        index=np.array(events, dtype=float),
        estimates=coef,
        vcov=vcov,
        att=att,
        se=se,
        info={
            "observations": fit.nobs,
            "units": int(stack[UNIT].nunique()),
            "sub-experiments": len(used),
            "control group": {"notyet": "not yet treated in the window", "never": "never treated"}[control],
            "standard errors": fit.vcov_type.replace("_cw_unit", unit).replace("_cw_cluster", str(cluster)),
            "cohorts": used,
            "stack": stack,
            "regression": fit,
        },
        level=level,
    )
