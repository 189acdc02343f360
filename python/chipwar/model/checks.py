"""Checks of values at the boundary, shared by every estimator: time columns, cluster columns, numeric options and
the scale of outcomes.

Each check raises :class:`chipwar.ChipwarError` naming the user's column (or option) and the fix, so that no
estimator orders periods as text, computes clustered standard errors from one cluster, iterates with a negative
tolerance or returns an infinite, NaN or zero standard error because sums of squares overflowed.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ChipwarError
from .frame import numeric_column

# Outcomes beyond this magnitude are refused: their squares (up to 1e200) and sums of squares over any realistic
# number of rows stay far below float64's maximum (about 1.8e308) even after multiplying by regressors of
# ordinary size, while larger values overflow somewhere in a variance (one value of 1e308, or y * 1e200).
SCALE_LIMIT = 1e100


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _first_of_each_kind(values: pd.Series) -> tuple[object | None, object | None]:
    """The first string and the first non-string value among the non-missing ``values``."""
    present = values.dropna()
    is_text = present.map(lambda v: isinstance(v, str | bytes)).to_numpy(dtype=bool)
    text = present[is_text].iloc[0] if is_text.any() else None
    other = present[~is_text].iloc[0] if (~is_text).any() else None
    return text, other


def time_values(frame: pd.DataFrame, name: str, role: str = "time column", dates: bool = False) -> np.ndarray:
    """Column ``name`` as ordered float64 periods (NaN for missing).

    Numbers pass (infinite values are refused); with ``dates``, datetimes pass as their nanosecond counts (only
    their order is used). Text is refused rather than ordered as text, which puts "10" before "2"; so is a
    column mixing text and numbers.
    """
    column = frame[name]
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        if not dates:
            raise ChipwarError(
                f"{role} {name!r} holds dates ({column.dtype}); this estimator needs the periods as numbers: convert "
                f"them, e.g. data[{name!r}] = data[{name!r}].dt.year"
            )
        stamps = column.to_numpy(dtype="datetime64[ns]")
        values = stamps.astype(np.int64).astype(np.float64)
        values[np.isnat(stamps)] = np.nan
        return values
    numeric = pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype)
    if numeric and not isinstance(column.dtype, pd.CategoricalDtype):
        return numeric_column(frame, name, role=role)
    if isinstance(column.dtype, pd.CategoricalDtype) and pd.api.types.is_numeric_dtype(column.cat.categories.dtype):
        return column.astype(np.float64).to_numpy()  # categories that are numbers order as numbers
    fix = f"convert it, e.g. data[{name!r}] = pd.to_numeric(data[{name!r}])"
    text, other = _first_of_each_kind(column.astype(object))
    if text is not None and other is not None:
        raise ChipwarError(
            f"{role} {name!r} mixes text and numbers (e.g. {text!r} and {other!r}); every period must be a number: "
            + fix
        )
    raise ChipwarError(
        f"{role} {name!r} is not numeric (dtype {column.dtype}); periods are ordered as numbers, and as text '10' "
        f"would sort before '2': {fix}"
    )


def period_value(value: Any, periods: np.ndarray, name: str, time: str) -> Any:
    """Check a period given as an option (``treatment_time=``) against the numeric periods of column ``time``.

    It must be a finite number (not text or a bool), and a whole number when every period is one (1999.5 on
    yearly data is a typo, not a date between two years).
    """
    numeric_periods = np.asarray(periods).dtype.kind in "iuf"
    if not numeric_periods:  # dates: pandas compares them with whatever the user passes
        return value
    if not _is_number(value):
        raise ChipwarError(
            f"{name}={value!r} is not a number, but {time!r} holds numbers; pass the period as a number, e.g. "
            f"{name}={_example(value, periods)}"
        )
    if not np.isfinite(float(value)):
        raise ChipwarError(f"{name}={value!r} must be a finite period of {time!r}")
    whole = np.all(np.mod(np.asarray(periods, dtype=np.float64), 1) == 0)
    if whole and float(value) % 1 != 0:
        raise ChipwarError(
            f"{name}={value!r} is not a whole number, but every period of {time!r} is: pass one of its periods, "
            f"e.g. {name}={int(np.floor(float(value)))} or {int(np.ceil(float(value)))}"
        )
    return value


def _example(value: Any, periods: np.ndarray) -> str:
    """``value`` as a number when it reads as one ("2000" -> 2000), else a period of the panel."""
    number = pd.to_numeric(pd.Series([value], dtype=object), errors="coerce").iloc[0]
    if pd.notna(number):
        return f"{float(number):g}"
    values = np.asarray(periods)
    return f"{values[len(values) // 2]:g}" if values.size else "2000"


def require_clusters(name: str, n_clusters: int) -> None:
    """Raise unless cluster column ``name`` has at least two clusters (the clustered variance has G - 1 in its
    denominator and is zero or undefined with one)."""
    if n_clusters < 2:
        raise ChipwarError(
            f"cluster column {name!r} has {n_clusters} cluster(s) in the estimation sample; clustered standard errors "
            "need at least two clusters: cluster by a finer column (e.g. the unit), or drop the cluster option"
        )


def cluster_codes(values: pd.Series | np.ndarray, name: str) -> tuple[np.ndarray, int]:
    """Codes 0..G-1 of cluster column ``name`` (any type); missing values and a single cluster are refused."""
    codes, levels = pd.factorize(pd.Series(values), use_na_sentinel=True)
    missing = int((codes < 0).sum())
    if missing:
        raise ChipwarError(
            f"cluster column {name!r} has missing values in {missing} row(s); every row needs a cluster: fill them "
            "or drop those rows"
        )
    require_clusters(name, len(levels))
    return codes.astype(np.int64), len(levels)


def check_tolerances(**tolerances: Any) -> None:
    """Each keyword (a convergence or collinearity tolerance, relative) must be a finite number in (0, 1)."""
    for name, value in tolerances.items():
        if not _is_number(value) or not 0 < float(value) < 1:
            raise ChipwarError(f"{name} must be a number between 0 and 1 (exclusive), e.g. 1e-8; got {value!r}")


def check_iteration_caps(**caps: Any) -> None:
    """Each keyword (an iteration cap) must be a positive integer."""
    for name, value in caps.items():
        if not isinstance(value, numbers.Integral) or isinstance(value, bool | np.bool_) or value < 1:
            raise ChipwarError(f"{name} must be a positive integer (an iteration cap), got {value!r}")


def positive_finite(value: Any, name: str) -> float:
    """A penalty or scale option: a finite number > 0."""
    if not _is_number(value) or not 0 < float(value) < np.inf:
        raise ChipwarError(f"{name} must be positive and finite (a number > 0), got {value!r}")
    return float(value)


def finite_scale(values: np.ndarray, name: str, role: str = "outcome") -> None:
    """Refuse values whose squares and sums of squares would overflow float64 (see ``SCALE_LIMIT``)."""
    with np.errstate(invalid="ignore"):
        largest = float(np.nanmax(np.abs(values))) if np.size(values) and not np.isnan(values).all() else 0.0
    if largest > SCALE_LIMIT:
        raise ChipwarError(
            f"{role} {name!r} has values up to {largest:.3g} in absolute value; beyond {SCALE_LIMIT:.0e} their squares "
            "and sums of squares overflow float64 and the standard errors would be infinite or zero: rescale it "
            f"(e.g. divide it by 10**{int(np.log10(largest))}) and scale the estimates back"
        )


def varying_outcome(values: np.ndarray, name: str) -> None:
    """Refuse a constant outcome (as fixest: "The dependent variable is a constant"): no effect, and no standard
    error, can be estimated from it."""
    present = values[~np.isnan(values)]
    if present.size and present.min() == present.max():
        raise ChipwarError(
            f"outcome {name!r} is constant (every row is {present[0]:g}), so there is no variation to estimate an "
            "effect from; check that the right column is passed as outcome"
        )
