"""Panel reshaping and validation shared by synth, sdid and augsynth: long data -> a units x periods outcome matrix."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._errors import ChipwarError
from ..model.checks import finite_scale, period_value, time_values
from ..model.frame import as_pandas, numeric_column, require_columns


def _describe(items: Any, limit: int = 8) -> str:
    items = list(items)
    shown = ", ".join(repr(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def long_panel(data: Any, outcome: str, unit: str, time: str, extra: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """Check the panel keywords and return the needed columns, with the outcome (and ``extra``) as float64.

    Raises ChipwarError for missing columns, non-numeric or infinite outcomes, missing unit or time labels and
    duplicate unit-time rows (naming a few of them).
    """
    frame = as_pandas(data)
    columns = list(dict.fromkeys([outcome, unit, time, *extra]))
    require_columns(frame, columns)
    time_values(frame, time, dates=True)  # numbers or dates: text would order "10" before "2"
    columns_out = {unit: frame[unit].to_numpy(), time: frame[time].to_numpy()}
    for name in dict.fromkeys([outcome, *extra]):
        columns_out[name] = numeric_column(frame, name, role="outcome" if name == outcome else "column")
    finite_scale(columns_out[outcome], outcome)
    out = pd.DataFrame(columns_out)  # built at once: inserting column by column costs more than the checks here
    for key in (unit, time):
        if out[key].isna().any():
            raise ChipwarError(
                f"column {key!r} has missing values in {int(out[key].isna().sum())} rows; drop those rows"
            )
    dup = out.duplicated([unit, time], keep=False)
    if dup.any():
        pairs = out.loc[dup, [unit, time]].drop_duplicates().itertuples(index=False, name=None)
        raise ChipwarError(
            f"duplicate ({unit}, {time}) rows: {_describe(pairs)}; keep one row per unit and period (e.g. aggregate first)"
        )
    return out


def wide_outcome(panel: pd.DataFrame, outcome: str, unit: str, time: str, need_complete: bool = True) -> pd.DataFrame:
    """Units x periods outcome matrix (rows and columns sorted); with ``need_complete``, every cell must be present
    (else the error names the missing cells)."""
    keys = (panel[unit], panel[time])
    if any(isinstance(k.dtype, pd.CategoricalDtype) for k in keys):
        wide = panel.pivot(index=unit, columns=time, values=outcome).sort_index().sort_index(axis=1)
    else:
        # pivot's result from one sorted factorisation per key, a few times faster (the replicate loops of sdid and
        # synth on small panels are otherwise a noticeable share of this); long_panel has ruled out duplicate cells.
        (unit_codes, units), (time_codes, times) = (pd.factorize(k, sort=True) for k in keys)
        values = np.full((len(units), len(times)), np.nan)
        values[unit_codes, time_codes] = panel[outcome].to_numpy(dtype=np.float64)
        wide = pd.DataFrame(values, index=pd.Index(units, name=unit), columns=pd.Index(times, name=time))
    if need_complete:
        missing = np.argwhere(wide.isna().to_numpy())
        if len(missing):
            cells = [(wide.index[i], wide.columns[j]) for i, j in missing]
            raise ChipwarError(
                f"the panel is unbalanced or {outcome!r} is missing for {len(cells)} unit-period cells: {_describe(cells)} "
                f"(as ({unit}, {time})); this estimator needs every unit observed in every period: fill or drop those "
                "units or periods"
            )
    return wide


def check_donors(donors: list[Any], unit: str, minimum: int = 2) -> None:
    """Raise unless there are at least ``minimum`` donor (control) units."""
    if len(donors) < minimum:
        raise ChipwarError(
            f"only {len(donors)} donor unit(s) in column {unit!r} ({_describe(donors)}); synthetic control needs at least "
            f"{minimum}: add untreated units"
        )


def split_periods(periods: pd.Index, treatment_time: Any, time: str) -> int:
    """Number of pre-periods (periods before ``treatment_time``); raise if it leaves no pre- or post-period, or if
    ``treatment_time`` is not a period value (text for numeric periods, 1999.5 for whole ones)."""
    period_value(treatment_time, periods.to_numpy(), "treatment_time", time)
    pre = int((periods < treatment_time).sum())
    if pre == 0 or pre == len(periods):
        raise ChipwarError(
            f"treatment time {treatment_time!r} is outside the panel's {time!r} range {periods.min()!r}..{periods.max()!r}"
            f" (needs at least one period before and one from the treatment time on)"
        )
    return pre


def resolve_donors(panel: pd.DataFrame, unit: str, treated_unit: Any, donors: Any) -> list[Any]:
    """Donor list for one treated unit (default: every other unit), checked against the data."""
    units = sorted(panel[unit].unique().tolist())
    if treated_unit not in units:
        raise ChipwarError(
            f"treated unit {treated_unit!r} not found in column {unit!r}; units include {_describe(units)}"
        )
    if donors is None:
        chosen = [u for u in units if u != treated_unit]
    else:
        chosen = list(dict.fromkeys(donors))
        unknown = [d for d in chosen if d not in units]
        if unknown:
            raise ChipwarError(f"donors {_describe(unknown)} not found in column {unit!r}")
        if treated_unit in chosen:
            raise ChipwarError(f"the treated unit {treated_unit!r} is also listed as a donor; remove it from donors")
    check_donors(chosen, unit)
    return chosen


def adoption_design(
    panel: pd.DataFrame, wide: pd.DataFrame, unit: str, time: str, treated: str, estimator: str
) -> tuple[list, list, dict]:
    """Never-treated controls, treated units and each treated unit's adoption period from the 0/1 column
    ``treated`` (absorbing, at least two pre-periods; ``estimator`` names the caller in the messages)."""
    missing = int(panel[treated].isna().sum())
    if missing:
        raise ChipwarError(
            f"treatment column {treated!r} has missing values in {missing} row(s); every unit-period needs 0 or 1: "
            "fill them or drop those units"
        )
    indicator = wide_outcome(panel, treated, unit, time, need_complete=False)  # wide's sorted units and periods
    values = indicator.to_numpy()
    if not np.isin(values[~np.isnan(values)], (0.0, 1.0)).all():
        raise ChipwarError(f"column {treated!r} must be a 0/1 treatment indicator")
    values = np.nan_to_num(values)
    ever = values.any(axis=1)
    treated_units = list(wide.index[ever])
    controls = list(wide.index[~ever])
    if not treated_units:
        raise ChipwarError(f"no unit has {treated!r} == 1; mark the treated unit-periods with 1")
    check_donors(controls, unit)
    first_on = values.argmax(axis=1)
    not_absorbing = [u for i, u in enumerate(wide.index) if ever[i] and not values[i, first_on[i] :].all()]
    if not_absorbing:
        raise ChipwarError(
            f"treatment in {treated!r} switches off again for {_describe(not_absorbing)}; {estimator} needs treatment "
            "to stay on once it starts"
        )
    starts = {u: wide.columns[first_on[i]] for i, u in enumerate(wide.index) if ever[i]}
    earliest = int(first_on[ever].min())
    if earliest < 2:
        raise ChipwarError(
            f"treatment starts in the first or second period ({wide.columns[earliest]!r}); {estimator} needs at least "
            "two pre-periods: drop the units treated that early"
        )
    return controls, treated_units, starts
