"""Validation of a staggered-adoption panel for the regression-based estimators (Sun-Abraham, imputation, two-stage,
ETWFE): one row per unit and period, one first-treatment period per unit, and that period a period of the panel.

The estimators fit regressions through ``feols`` on a working copy of the data with fixed column names (``_cw_*``), so
user column names never have to be valid formula identifiers.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._errors import ChipwarError, ChipwarWarning
from ..model.checks import (
    cluster_codes,
    finite_scale,
    require_clusters,
    time_values,
    varying_outcome,
)
from ..model.frame import as_pandas, numeric_column, require_columns

Y, UNIT, TIME, COHORT, REL, TREATED = "_cw_y", "_cw_unit", "_cw_time", "_cw_g", "_cw_rel", "_cw_d"


@dataclass
class StaggeredPanel:
    """A validated panel: ``frame`` holds the working columns plus the covariates, weights and cluster columns.

    ``_cw_g`` is the first treated period (0 for never treated), ``_cw_rel`` the period minus the cohort (NaN for
    never-treated units) and ``_cw_d`` the treatment indicator (1 from the cohort's first treated period on).
    """

    frame: pd.DataFrame
    outcome: str
    unit: str
    time: str
    cohort: str
    covariates: list[str]
    weights: str | None
    cluster: str  # working name of the cluster column
    periods: np.ndarray
    cohorts: np.ndarray  # treated cohorts present, sorted
    n_dropped: dict[str, int]

    @property
    def has_never_treated(self) -> bool:
        return bool((self.frame[COHORT] == 0).any())

    @property
    def n_units(self) -> int:
        return int(self.frame[UNIT].nunique())

    def require_never_treated(self, why: str) -> None:
        """Raise unless some unit is never treated; ``why`` says which option needs them and what to do instead."""
        if not self.has_never_treated:
            raise ChipwarError(
                f"cohort column {self.cohort!r} has no never-treated units (cohort 0 or NaN), which {why}"
            )


def _unit_codes(frame: pd.DataFrame, unit: str) -> np.ndarray:
    codes, _ = pd.factorize(frame[unit], sort=True, use_na_sentinel=True)
    if (codes < 0).any():
        raise ChipwarError(f"unit column {unit!r} has missing values; every row needs a unit identifier")
    return codes.astype(np.int64)


def staggered_panel(
    data: object,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: list[str] | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    carry: list[str] | None = None,
) -> StaggeredPanel:
    """Check a staggered panel and build its working frame (``carry``: further columns copied as they are, e.g.
    the fixed effects or cluster variables of a user-written specification).

    Raises ChipwarError for duplicate unit-period rows, a cohort that changes within a unit, cohort values that are
    not periods of the panel, and missing unit, time or cohort identifiers. Rows with a missing outcome, covariate or
    weight are dropped, and so are units treated from the first period on (they have no untreated period, so none of
    these estimators can use them); each with one warning.
    """
    frame = as_pandas(data)
    covariates = list(covariates or [])
    for name, value in (("outcome", outcome), ("unit", unit), ("time", time), ("cohort", cohort)):
        if not isinstance(value, str):
            raise ChipwarError(f"{name}= must be a column name (a string), got {value!r}")
    carry = list(dict.fromkeys(carry or []))
    extra = covariates + ([weights] if weights else []) + ([cluster] if cluster else []) + carry
    require_columns(frame, [outcome, unit, time, cohort, *extra])
    if frame.empty:
        raise ChipwarError("data has no rows")

    t = time_values(frame, time)
    if np.isnan(t).any():
        raise ChipwarError(f"time column {time!r} has missing values; every row needs a period")
    g = numeric_column(frame, cohort, role="cohort column")
    g = np.where(np.isnan(g), 0.0, g)  # NaN means never treated, as 0
    if (g < 0).any():
        raise ChipwarError(
            f"cohort column {cohort!r} has negative values; use the first treated period, or 0 for never"
        )
    ids = _unit_codes(frame, unit)

    key = pd.DataFrame({"u": ids, "t": t})
    dup = key.duplicated(keep=False).to_numpy()
    if dup.any():
        first = frame.loc[dup, [unit, time]].iloc[0].tolist()
        raise ChipwarError(
            f"{int(dup.sum())} rows share a (unit, period) pair in columns {unit!r} and {time!r} (e.g. {first}); "
            "the panel needs one row per unit and period: aggregate or deduplicate first"
        )
    per_unit = pd.Series(g).groupby(ids).nunique()
    if (per_unit > 1).any():
        bad = frame[unit].to_numpy()[np.flatnonzero(np.isin(ids, per_unit.index[per_unit > 1]))[0]]
        raise ChipwarError(
            f"cohort column {cohort!r} changes over time within {int((per_unit > 1).sum())} unit(s) of {unit!r} "
            f"(e.g. {bad!r}); it must hold each unit's first treated period in every row"
        )
    periods = np.unique(t)
    treated_g = np.unique(g[g > 0])
    foreign = np.setdiff1d(treated_g, periods)
    if foreign.size:
        raise ChipwarError(
            f"cohort column {cohort!r} has values {foreign[:5].tolist()} that are not periods of {time!r} "
            f"({periods.min():g}..{periods.max():g}); cohorts must be first treated periods of the panel, "
            "and units first treated after the last period are coded 0 (never treated)"
        )

    work = pd.DataFrame({UNIT: ids, TIME: t, COHORT: g}, index=frame.index)
    work[Y] = numeric_column(frame, outcome, role="outcome")
    finite_scale(work[Y].to_numpy(), outcome)
    for c in covariates:
        work[c] = numeric_column(frame, c, role="covariate")
    if weights:
        work[weights] = numeric_column(frame, weights, role="weights")
        if (work[weights] < 0).any():
            raise ChipwarError(f"weights column {weights!r} has negative values; weights must be >= 0")
    cluster_name = UNIT
    if cluster and cluster != unit:
        cluster_name = "_cw_cluster"
        work[cluster_name] = cluster_codes(frame[cluster], cluster)[0]
    for c in carry:
        if c not in work:
            work[c] = frame[c].to_numpy()

    n_dropped = {"missing": 0, "always_treated": 0}
    incomplete = work[[Y, *covariates] + ([weights] if weights else [])].isna().any(axis=1).to_numpy()
    if incomplete.any():
        n_dropped["missing"] = int(incomplete.sum())
        warnings.warn(
            f"{n_dropped['missing']} row(s) removed because the outcome, a covariate or the weight is missing",
            ChipwarWarning,
            stacklevel=3,
        )
        work = work.loc[~incomplete]
    always = (work[COHORT] > 0) & (work[COHORT] <= periods.min())
    if always.any():
        n_dropped["always_treated"] = int(work.loc[always, UNIT].nunique())
        warnings.warn(
            f"{n_dropped['always_treated']} unit(s) treated from the first period on removed (cohort "
            f"{periods.min():g} in {cohort!r}); they have no untreated period to compare with",
            ChipwarWarning,
            stacklevel=3,
        )
        work = work.loc[~always]
    if work.empty or not (work[COHORT] > 0).any():
        raise ChipwarError(f"cohort column {cohort!r} has no treated units (first treated periods > 0) left to study")

    varying_outcome(work[Y].to_numpy(), outcome)
    if cluster:  # rows dropped above may have taken clusters with them
        require_clusters(cluster, int(work[cluster_name].nunique()))
    work[REL] = np.where(work[COHORT] > 0, work[TIME] - work[COHORT], np.nan)
    work[TREATED] = (work[REL] >= 0).astype(np.float64)
    return StaggeredPanel(
        frame=work.reset_index(drop=True),
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        covariates=covariates,
        weights=weights,
        cluster=cluster_name,
        periods=periods,
        cohorts=np.unique(work.loc[work[COHORT] > 0, COHORT].to_numpy()),
        n_dropped=n_dropped,
    )


def last_treated_as_control(frame: pd.DataFrame, cohorts: np.ndarray, column: str) -> tuple[pd.DataFrame, float]:
    """Without never-treated units, make the last-treated cohort the control group: drop the periods from its
    treatment on (nothing untreated is left there) and recode it as never treated. Warns saying so."""
    last = float(cohorts.max())
    if cohorts.size < 2:
        raise ChipwarError(
            f"cohort column {column!r} has a single cohort and no never-treated units: there is no control group"
        )
    late = frame[TIME] >= last
    warnings.warn(
        f"no never-treated units in {column!r}: cohort {last:g} serves as the control group and the {int(late.sum())} "
        f"observation(s) from period {last:g} on are removed",
        ChipwarWarning,
        stacklevel=3,
    )
    frame = frame.loc[~late].copy()
    frame.loc[frame[COHORT] == last, [COHORT, REL]] = [0.0, np.nan]
    return frame, last


def cell_codes(frame: pd.DataFrame, mask: pd.Series, columns: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct values of ``columns`` among the rows in ``mask`` (sorted; one row per cell) and each row's cell
    number (-1 outside ``mask``): the treatment cells of Sun-Abraham and ETWFE."""
    keys = frame.loc[mask, columns]
    cells = keys.drop_duplicates().sort_values(columns).reset_index(drop=True)
    codes = np.full(len(frame), -1, dtype=np.int64)
    codes[np.asarray(mask)] = pd.MultiIndex.from_frame(cells).get_indexer(pd.MultiIndex.from_frame(keys))
    return cells, codes
