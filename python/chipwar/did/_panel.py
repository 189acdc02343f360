"""Panel validation and cohort handling shared by the staggered-adoption estimators.

Every DiD estimator in chipwar (``att_gt``, ``bacon``, and the regression-based ``sun_abraham``, ``did_imputation``,
``did2s``, ``etwfe``) starts from the same long panel: one row per unit and period, a numeric time column, and either a
cohort column (first treated period; 0 or NaN = never treated) or a 0/1 treatment indicator. The helpers here check
that input and turn it into the arrays the estimators need, raising :class:`chipwar.ChipwarError` naming the column and
the fix on bad input, and warning once for every group of rows they drop.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._errors import ChipwarError, ChipwarWarning
from ..model.checks import finite_scale, time_values
from ..model.frame import numeric_column, require_columns

NEVER = np.inf  # cohort code of never-treated units


@dataclass
class Panel:
    """A validated long panel (rows sorted by unit, then time) and its unit-level cohorts.

    Attributes
    ----------
    frame : DataFrame
        The rows kept, sorted by unit then time, with a fresh RangeIndex.
    unit, time : str
        Column names.
    periods : ndarray
        Sorted distinct periods.
    unit_codes : ndarray of int
        Position of each row's unit in ``units``.
    units : ndarray
        Distinct units in order.
    period_codes : ndarray of int
        Position of each row's period in ``periods``.
    """

    frame: pd.DataFrame
    unit: str
    time: str
    periods: np.ndarray
    units: np.ndarray
    unit_codes: np.ndarray
    period_codes: np.ndarray

    @property
    def n_units(self) -> int:
        return len(self.units)

    @property
    def balanced(self) -> bool:
        return len(self.frame) == self.n_units * len(self.periods)

    def wide(self, column: str) -> np.ndarray:
        """Values of ``column`` as an (units x periods) float array; NaN where a unit misses a period."""
        out = np.full((self.n_units, len(self.periods)), np.nan)
        out[self.unit_codes, self.period_codes] = self.frame[column].to_numpy(dtype=np.float64)
        return out

    def unit_values(self, column: str) -> np.ndarray:
        """The value of a unit-level (time-invariant) column for each unit, in the order of ``units``."""
        first = np.unique(self.unit_codes, return_index=True)[1]
        return self.frame[column].to_numpy()[first]


def drop_incomplete_rows(frame: pd.DataFrame, columns: Sequence[str], what: str = "estimation") -> pd.DataFrame:
    """Drop rows with a missing value in any of ``columns``, warning once with the count per column."""
    missing = frame[list(columns)].isna()
    bad = missing.any(axis=1).to_numpy()
    if bad.any():
        counts = {c: int(n) for c, n in missing.sum().items() if n}
        warnings.warn(
            f"dropped {int(bad.sum())} rows with missing values for the {what} (per column: {counts})",
            ChipwarWarning,
            stacklevel=3,
        )
        frame = frame.loc[~bad]
    return frame


def make_panel(
    data: pd.DataFrame,
    unit: str,
    time: str,
    columns: Sequence[str] = (),
    numeric: Sequence[str] = (),
    missing_allowed: Sequence[str] = (),
    outcome: str | None = None,
) -> Panel:
    """Validate a long panel and index it by unit and period.

    Parameters
    ----------
    data : DataFrame
        Long panel; must contain ``unit``, ``time`` and ``columns``.
    unit, time : str
        Unit identifier and (numeric) period columns.
    columns : sequence of str
        Further columns the estimator uses: rows missing any of them (or unit/time) are dropped with a warning.
    numeric : sequence of str
        Columns among ``columns`` that must be numeric and finite.
    missing_allowed : sequence of str
        Columns where NaN carries meaning (a cohort column: never treated), so their NaN rows are kept.
    outcome : str, optional
        The outcome among ``numeric``: values so large that their squares overflow are refused.

    Raises
    ------
    ChipwarError
        Missing columns, non-numeric or infinite values, or duplicate unit-period rows.
    """
    used = list(dict.fromkeys([unit, time, *columns]))
    require_columns(data, used)
    frame = data[used]
    time_values(frame, time)
    for c in numeric:
        values = numeric_column(frame, c, role="outcome" if c == outcome else "column")
        if c == outcome:
            finite_scale(values, c)
    frame = drop_incomplete_rows(frame, [c for c in used if c not in missing_allowed])
    if frame.empty:
        raise ChipwarError(f"no rows left after dropping missing values in {used}")
    unit_codes, units = pd.factorize(frame[unit], sort=True)
    times = frame[time].to_numpy(dtype=np.float64)
    periods = np.unique(times)
    period_codes = np.searchsorted(periods, times)
    # One integer key per (unit, period): duplicates and sorting without pandas' multi-column machinery.
    key = unit_codes.astype(np.int64) * len(periods) + period_codes
    counts = np.bincount(key, minlength=len(units) * len(periods))
    if counts.max() > 1:
        repeated = np.flatnonzero(counts[key] > 1)
        example = frame[[unit, time]].iloc[repeated[0]].tolist()
        raise ChipwarError(
            f"{int((counts[counts > 1] - 1).sum())} duplicate ({unit!r}, {time!r}) rows, e.g. {example}; a panel "
            "needs one row per unit and period: aggregate the duplicates or fix the unit identifier"
        )
    if len(key) > 1 and not (np.diff(key) > 0).all():
        order = np.argsort(key, kind="stable")
        frame, unit_codes, period_codes = frame.iloc[order], unit_codes[order], period_codes[order]
    frame = frame.reset_index(drop=True)
    return Panel(frame, unit, time, periods, np.asarray(units), unit_codes.astype(np.int64), period_codes)


def balance(panel: Panel) -> Panel:
    """Keep only units observed in every period (R did's default for panel data), warning how many were dropped."""
    if panel.balanced:
        return panel
    counts = np.bincount(panel.unit_codes, minlength=panel.n_units)
    keep_unit = counts == len(panel.periods)
    if not keep_unit.any():
        raise ChipwarError(
            f"no unit of {panel.unit!r} is observed in all {len(panel.periods)} periods of {panel.time!r}; "
            "a balanced panel is needed (use allow_unbalanced_panel=True, or panel=False for repeated cross sections)"
        )
    warnings.warn(
        f"dropped {int((~keep_unit).sum())} units of {panel.unit!r} not observed in every period (balanced panel)",
        ChipwarWarning,
        stacklevel=3,
    )
    rows = keep_unit[panel.unit_codes]
    frame = panel.frame.loc[rows]
    return make_panel(frame, panel.unit, panel.time, list(frame.columns), missing_allowed=list(frame.columns))


def unit_constant(panel: Panel, column: str, role: str = "column") -> np.ndarray:
    """Per-unit value of a column that must not change over time within a unit (NaN counts as a value)."""
    values = panel.frame[column].to_numpy(dtype=np.float64)
    filled = np.where(np.isnan(values), -np.inf, values)
    lo = np.full(panel.n_units, np.inf)
    hi = np.full(panel.n_units, -np.inf)
    np.minimum.at(lo, panel.unit_codes, filled)
    np.maximum.at(hi, panel.unit_codes, filled)
    changing = lo != hi
    if changing.any():
        example = panel.units[np.flatnonzero(changing)[0]]
        raise ChipwarError(
            f"{role} {column!r} changes over time within {int(changing.sum())} units of {panel.unit!r} "
            f"(e.g. {example!r}); it must be constant within a unit"
        )
    return np.where(lo == -np.inf, np.nan, lo)


def unit_level_codes(panel: Panel, column: str, role: str = "column") -> np.ndarray:
    """Codes 0..G-1 of a (possibly non-numeric) column that must be constant within unit, one per unit.

    Used for cluster identifiers: raises ChipwarError naming the column if it changes within a unit.
    """
    codes = pd.factorize(panel.frame[column])[0]
    lo = np.full(panel.n_units, np.iinfo(np.int64).max)
    hi = np.full(panel.n_units, -1)
    np.minimum.at(lo, panel.unit_codes, codes)
    np.maximum.at(hi, panel.unit_codes, codes)
    if (lo != hi).any():
        raise ChipwarError(f"{role} {column!r} changes over time within units of {panel.unit!r}; it must be constant")
    return pd.factorize(lo)[0].astype(np.int64)


def cohorts(panel: Panel, cohort: str, anticipation: int = 0) -> np.ndarray:
    """First treated period of each unit, ``NEVER`` (inf) for never-treated units.

    Follows R did: 0 or NaN means never treated, and a cohort after the last period is treated as never treated
    (it is never observed treated). Other values must be periods of the panel.

    Raises
    ------
    ChipwarError
        If the cohort changes within a unit, or a cohort is not one of the periods of ``time``.
    """
    g = unit_constant(panel, cohort, role="cohort column")
    never = np.isnan(g) | (g == 0) | (g > panel.periods[-1])
    g = np.where(never, NEVER, g)
    treated = ~never
    off_grid = treated & ~np.isin(g, panel.periods)
    if off_grid.any():
        bad = np.unique(g[off_grid])[:5].tolist()
        raise ChipwarError(
            f"cohort column {cohort!r} has values {bad} that are not periods of {panel.time!r} "
            f"({panel.periods[0]:g}..{panel.periods[-1]:g}); it must hold the first treated period (0 or NaN for "
            "never treated)"
        )
    return g


def cohort_from_treatment(panel: Panel, treated: str) -> np.ndarray:
    """First period with ``treated == 1`` for each unit (``NEVER`` if none), requiring staggered adoption.

    Raises
    ------
    ChipwarError
        If ``treated`` is not 0/1, or switches off again after switching on within a unit.
    """
    d = panel.frame[treated].to_numpy(dtype=np.float64)
    if not np.isin(d, (0.0, 1.0)).all():
        raise ChipwarError(f"treatment column {treated!r} must be 0/1, found values {np.unique(d)[:5].tolist()}")
    times = panel.frame[panel.time].to_numpy(dtype=np.float64)
    first = np.full(panel.n_units, NEVER)
    np.minimum.at(first, panel.unit_codes, np.where(d == 1.0, times, NEVER))
    reverting = (times >= first[panel.unit_codes]) & (d == 0.0)
    if reverting.any():
        example = panel.frame[panel.unit].to_numpy()[np.flatnonzero(reverting)[0]]
        raise ChipwarError(
            f"treatment column {treated!r} switches back to 0 after switching on for units of {panel.unit!r} "
            f"(e.g. {example!r}); staggered designs need treatment to stay on once it starts"
        )
    return first
