"""Gardner (2021): two-stage difference-in-differences with the GMM-corrected standard errors."""

from __future__ import annotations

import numpy as np

from .._errors import ChipwarError
from ._event_study import EventStudyResult
from ._first_stage import FirstStage, fit_untreated, group_sums
from ._staggered import REL, UNIT, staggered_panel


def second_stage(first: FirstStage, x2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Regress the first-stage residual on ``x2`` (n x k, no constant); return the coefficients and their GMM variance.

    The variance stacks both stages' moment conditions (Gardner 2021; Butts & Gardner's ``did2s``): the cluster
    score is ``sum w x2 e2 - W0 Z0 (Z0'W0Z0)^+ Z'W x2 e1`` and the bread ``(X2'W X2)^-1``; no finite-sample factor.
    """
    w = first.weights
    y_tilde = first.residual
    xtx = x2.T @ (w[:, None] * x2)
    coef = np.linalg.solve(xtx, x2.T @ (w * y_tilde))
    e2 = y_tilde - x2 @ coef
    e1 = np.where(first.untreated, y_tilde, 0.0)
    score = w[:, None] * x2 * e2[:, None] - first.untreated_influence(w[:, None] * x2) * e1[:, None]
    psi = group_sums(score, first.frame[first.panel.cluster].to_numpy())
    bread = np.linalg.inv(xtx)
    return coef, bread @ (psi.T @ psi) @ bread


def did2s(
    data: object,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: list[str] | None = None,
    cluster: str | None = None,
    weights: str | None = None,
    pretrends: bool = False,
    level: float = 0.95,
) -> EventStudyResult:
    """Two-stage DiD of Gardner (2021), as R's ``did2s``.

    Stage one fits unit and period fixed effects (and ``covariates``) on the untreated observations; stage two
    regresses the residualised outcome of all observations on the treatment indicator (the ATT) and, separately, on
    event-time dummies (the event study; with ``pretrends=True`` also on dummies for the pre-treatment periods of the
    treated units except -1). The point estimates equal the imputation estimator's with the same weights.

    Parameters
    ----------
    data : DataFrame
        Panel with one row per unit and period.
    outcome, unit, time, cohort : str
        Columns; ``cohort`` is the first treated period, 0 or NaN for never treated.
    covariates : list of str, optional
        Time-varying controls in the first stage.
    cluster : str, optional
        Cluster column of the GMM variance (default: ``unit``).
    weights : str, optional
        Observation weights in both stages.
    pretrends : bool
        Add pre-treatment event times to the event study (a check of parallel trends).
    level : float
        Confidence level of the bands in ``.table``.

    Returns
    -------
    EventStudyResult
    """
    panel = staggered_panel(data, outcome, unit, time, cohort, covariates, weights, cluster)
    first = fit_untreated(panel)
    rel = first.frame[REL].to_numpy()
    treated = ~first.untreated
    event_times = np.unique(rel[treated])
    if pretrends:
        pre = np.unique(rel[~np.isnan(rel) & (rel < -1)])
        event_times = np.concatenate([pre, event_times])
    if not event_times.size:
        raise ChipwarError("no treated observations to estimate")
    att, att_vcov = second_stage(first, treated[:, None].astype(float))
    es, es_vcov = second_stage(first, (rel[:, None] == event_times[None, :]).astype(float))
    return EventStudyResult(
        method="Gardner (2021) two-stage DiD",
        index_name="event_time",
        index=event_times,
        estimates=es,
        vcov=es_vcov,
        att=float(att[0]),
        se=float(np.sqrt(att_vcov[0, 0])),
        info={
            "observations": len(first.frame),
            "treated observations": int(treated.sum()),
            "units": int(first.frame[UNIT].nunique()),
            "standard errors": f"GMM two-stage, clustered by {cluster or unit}",
            "first_stage": first.fit,
        },
        level=level,
    )
