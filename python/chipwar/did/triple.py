"""Doubly robust triple differences for staggered adoption (Ortiz-Villavicencio & Sant'Anna 2025), as R's
``triplediff::ddd`` computes them: group-time ATTs of the eligible units of each cohort, their aggregations and
the multiplier bootstrap, on top of ``att_gt``'s cells, inference and aggregation."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import kernels
from .._errors import ChipwarError
from .._options import interval_alpha, replicates
from ..model.frame import as_pandas
from . import _inference
from ._panel import balance, cohorts, make_panel, unit_constant, unit_level_codes
from .att_gt import (
    _METHODS,
    ATTgtResult,
    _Cells,
    _covariate_matrix,
    _plan_cells,
    _unit_weights,
    _validate_options,
    cell_result,
)

# triplediff's spellings of the comparison groups, accepted beside chipwar's
_CONTROL_ALIASES = {"never": "never", "notyet": "notyet", "nevertreated": "never", "notyettreated": "notyet"}


def _partition(panel: Any, column: str) -> np.ndarray:
    """Per-unit 0/1 eligibility; raises naming the column if it is not binary or changes within a unit."""
    q = unit_constant(panel, column, role="partition column")
    values = np.unique(q)
    if not np.isin(values, (0.0, 1.0)).all():
        raise ChipwarError(
            f"partition column {column!r} must be 0/1 (1 = eligible for treatment, 0 = not), found values "
            f"{values[~np.isin(values, (0.0, 1.0))][:5].tolist()}; recode it as an indicator"
        )
    if values.size < 2:
        raise ChipwarError(
            f"partition column {column!r} is {values[0]:g} for every unit; a triple difference needs eligible (1) "
            "and ineligible (0) units"
        )
    return q


def ddd(
    data: Any,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    partition: str,
    control: str = "never",
    method: str = "dr",
    covariates: list[str] | None = None,
    base_period: str = "universal",
    anticipation: int = 0,
    weights: str | None = None,
    cluster: str | None = None,
    bootstrap: int | None = None,
    seed: int | None = None,
    level: float = 0.95,
    multiplier: str = "rademacher",
    executor: Executor | None = None,
    progress: bool | None = None,
    reps: int | None = None,
) -> TripleDiffResult:
    """Doubly robust triple differences with staggered adoption (Ortiz-Villavicencio & Sant'Anna 2025).

    Units belong to a cohort (the period treatment is enabled for their group: a state, a country) and to a
    partition (1 = eligible for treatment, e.g. controlled products; 0 = not). ATT(g, t) is the effect in period t
    on the eligible units of cohort g. It is identified by DDD parallel trends -- the gap in trends between
    eligible and ineligible units is the same in every cohort -- and estimated, as R's ``triplediff::ddd``, by

        DiD(g eligible vs g ineligible) + DiD(g eligible vs c eligible) - DiD(g eligible vs c ineligible)

    with each DiD the two-period estimator of :func:`att_gt` (doubly robust, IPW or outcome regression; the
    propensity score of g-eligible against each other subgroup fitted on that pair). With ``control="notyet"``
    every comparison cohort c (never treated, and each cohort not yet treated by max(t, base)) gives its own DDD,
    and these are combined with the efficient GMM weights ``Omega^{-1} 1 / (1' Omega^{-1} 1)`` (the paper's
    eq. 4.11-4.12; Omega the covariance of their influence functions).

    Parameters
    ----------
    data : DataFrame
        Long balanced panel (units missing a period are dropped with a warning).
    outcome, unit, time, cohort : str
        As :func:`att_gt`: ``cohort`` is the first period treatment is enabled for the unit's group (0 or NaN:
        never).
    partition : str
        Eligibility indicator, 0/1 and constant within unit.
    control : {"never", "notyet"}
        Comparison cohorts (triplediff's "nevertreated" / "notyettreated" are accepted too).
    method : {"dr", "ipw", "reg"}
        Estimator of every DiD.
    covariates : list of str, optional
        Covariates of the propensity-score and outcome models (taken in the earlier period of each cell, as
        ``att_gt``; triplediff expects time-invariant covariates, for which this is the same).
    base_period : {"universal", "varying"}
        triplediff's default is "universal" (every cell against the period before the cohort's treatment).
    anticipation : int
        Periods before ``cohort`` in which units may react (0 in triplediff).
    weights, cluster : str, optional
        Sampling weights and a cluster column, both constant within unit (as :func:`att_gt`).
    bootstrap : int, optional
        Multiplier-bootstrap replicates: bootstrap SEs and uniform (sup-t) bands, as :func:`att_gt`.
    seed : int, optional
        Bootstrap seed (a random one is drawn and kept in ``res.seed`` if None).
    level : float
        Confidence level.
    multiplier : {"rademacher", "mammen"}
        Bootstrap weights.
    executor, progress
        As :func:`att_gt`: chunks of bootstrap replicates on any ``concurrent.futures.Executor``.

    Returns
    -------
    TripleDiffResult
        ``.table`` (cohort, time, att, se, bands, n_treated = eligible units of the cohort, n_comparison_cohorts),
        ``.tidy()``, ``.aggregate("simple" | "group" | "dynamic" | "calendar")``, ``.pretest()``, ``.plot()``.

    Notes
    -----
    Standard errors are the influence-function ones of ``att_gt`` (``sqrt(diag(inf' inf) / n**2)``), which is what
    triplediff reports for cells with one comparison cohort. For GMM cells triplediff reports
    ``sqrt(1 / (n 1' Omega^{-1} 1))`` with Omega the sample covariance (denominator n - 1) of influence functions
    it scales by the cell's share of units; when every unit is in the cell that is this SE times
    ``sqrt(n / (n - 1))``, otherwise smaller than the influence function implies by that share. The point
    estimates are the same either way (the GMM weights do not depend on Omega's scale).

    Examples
    --------
    >>> import chipwar as cw
    >>> from chipwar.did._simulate import triple_panel
    >>> d = triple_panel(n_units=400, seed=1)
    >>> res = cw.ddd(d, outcome="y", unit="id", time="year", cohort="g", partition="eligible")
    >>> res.aggregate("dynamic").table.columns[:3].tolist()
    ['event_time', 'att', 'se']
    """
    alpha = interval_alpha(level, None)
    bootstrap = replicates(reps, bootstrap, "bootstrap")
    if control not in _CONTROL_ALIASES:
        raise ChipwarError(f"control must be one of {tuple(_CONTROL_ALIASES)}, got {control!r}")
    control = _CONTROL_ALIASES[control]
    _validate_options(control, method, base_period, anticipation)
    covariates = list(covariates or [])
    extra = [c for c in (weights, cluster) if c is not None]
    p = make_panel(
        as_pandas(data),
        unit,
        time,
        [outcome, cohort, partition, *covariates, *extra],
        numeric=[outcome, cohort, partition, *covariates, *([weights] if weights else [])],
        missing_allowed=[cohort],
    )
    p = balance(p)
    q_unit = _partition(p, partition)
    g_unit = cohorts(p, cohort, anticipation)
    periods = p.periods
    already = np.isfinite(g_unit) & (g_unit <= periods[0] + anticipation)
    if already.any():
        raise ChipwarError(
            f"{int(already.sum())} units of {unit!r} are enabled in the first period (cohort column {cohort!r} <= "
            f"{periods[0] + anticipation:g}); they have no pre-treatment period -- drop them or recode their cohort"
        )
    groups = np.unique(g_unit[np.isfinite(g_unit)])
    if groups.size == 0:
        raise ChipwarError(f"cohort column {cohort!r} has no treated cohort; it must hold the first enabled period")
    if control == "never" and not np.isinf(g_unit).any():
        raise ChipwarError(
            f"no never-treated units (cohort column {cohort!r} is never 0/NaN); use control='notyet' or add "
            "never-treated units"
        )
    w_unit = _unit_weights(p, weights)
    clustering = _inference.Clustering()
    if cluster is not None and cluster != unit:
        clustering = _inference.Clustering(unit_level_codes(p, cluster, role="cluster column"))

    cells = _plan_cells(periods, groups, control, int(anticipation), base_period)
    try:
        att, inf, n_treated, n_control, ps_converged, max_ps, n_comparisons = kernels.did_triple_group_time(
            np.asfortranarray(p.wide(outcome)),
            g_unit,
            q_unit,
            _covariate_matrix(p, covariates),
            w_unit,
            _METHODS[method],
            cells.period,
            cells.base,
            cells.cohort,
            cells.control_after,
        )
    except ChipwarError as err:
        raise _explain(err, cells, periods, cohort, partition, covariates) from None
    res = cell_result(
        TripleDiffResult,
        cells,
        periods,
        (att, inf, n_treated, n_control, ps_converged, max_ps),
        method,
        covariates,
        g_unit,
        w_unit,
        clustering,
        alpha,
        {
            "outcome": outcome,
            "unit": unit,
            "time": time,
            "cohort": cohort,
            "partition": partition,
            "control": control,
            "method": method,
            "covariates": covariates,
            "anticipation": int(anticipation),
            "base_period": base_period,
            "cluster": cluster,
            "weights": weights,
            "multiplier": multiplier,
            "panel": True,
        },
        n_comparison_cohorts=np.asarray(n_comparisons),
        outcome_scale=_inference.outcome_scale(p.frame[outcome].to_numpy()),
        unit_partition=q_unit,
    )
    res._infer(bootstrap, seed, executor, progress)
    return res


def _explain(
    err: ChipwarError, cells: _Cells, periods: np.ndarray, cohort: str, partition: str, covariates: list[str]
) -> ChipwarError:
    """Turn the kernel's "cell j: ..." into a message naming the cell, the columns and the fix."""
    text = str(err)
    if not text.startswith("cell "):
        return err
    j = int(text.split(":")[0].split()[1])
    what = text.split(": ", 1)[1]
    where = f"ATT(g={cells.cohort[j]:g}, t={periods[cells.period[j]]:g})"
    if what.startswith("no ") and "units" in what:
        return ChipwarError(
            f"{where}: {what} (cohort column {cohort!r}, partition column {partition!r}); every cohort and its "
            "comparison group need eligible and ineligible units -- drop the cohort or pool cohorts"
        )
    if "singular" in what:
        return ChipwarError(f"{where}: {what}; covariates {covariates} cannot be fitted in this cell")
    return ChipwarError(f"{where}: {what}")


@dataclass(repr=False)
class TripleDiffResult(ATTgtResult):
    """Group-time triple-difference ATTs; see :func:`ddd`. Everything of :class:`ATTgtResult` (``table``,
    ``tidy``, ``aggregate``, ``pretest``, ``plot``), plus the comparison cohorts each cell combined."""

    n_comparison_cohorts: np.ndarray = None  # type: ignore[assignment]
    unit_partition: np.ndarray = None  # type: ignore[assignment]

    @property
    def table(self) -> Any:
        t = super().table
        t["n_comparison_cohorts"] = self.n_comparison_cohorts
        return t

    def summary(self) -> str:
        i = self.info
        lines = super().summary().splitlines()
        lines[0] = (
            f"Triple differences (Ortiz-Villavicencio & Sant'Anna 2025): {i['outcome']}, partition "
            f"{i['partition']}, method={i['method']}, control={i['control']}, base_period={i['base_period']}"
        )
        return "\n".join(lines)
