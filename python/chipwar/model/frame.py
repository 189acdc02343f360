"""Input tables at the boundary: convert polars / pyarrow to pandas and check the columns an estimator uses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ChipwarError


def as_pandas(data: Any, what: str = "data") -> pd.DataFrame:
    """Return ``data`` as a pandas DataFrame (accepting polars and pyarrow tables), without copying pandas input."""
    if isinstance(data, pd.DataFrame):
        frame = data
    elif hasattr(data, "to_pandas"):  # polars.DataFrame, pyarrow.Table
        frame = data.to_pandas()
    else:
        raise ChipwarError(
            f"{what} must be a pandas DataFrame (or a polars / pyarrow table), got {type(data).__name__}"
        )
    duplicated = frame.columns[frame.columns.duplicated()].unique().tolist()
    if duplicated:
        raise ChipwarError(f"{what} has duplicate column names {duplicated}; rename them so each column is unique")
    return frame


def require_columns(frame: pd.DataFrame, columns: Iterable[str], role: str = "column") -> None:
    """Raise ChipwarError naming every requested column that ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        close = {m: [c for c in frame.columns if str(c).lower() == str(m).lower()] for m in missing}
        hint = "; ".join(f"did you mean {v[0]!r} for {k!r}?" for k, v in close.items() if v)
        raise ChipwarError(
            f"{role} {', '.join(repr(m) for m in missing)} not found in the data"
            + (f" ({hint})" if hint else f"; available columns: {list(frame.columns)[:20]}")
        )


def numeric_column(frame: pd.DataFrame, name: str, role: str = "column") -> np.ndarray:
    """Return column ``name`` as float64 (NaN for missing); raise for non-numeric data or infinite values."""
    s = frame[name]
    if isinstance(s.dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)
    ):
        # C() turns a regressor into dummies; an outcome, weight or time column has no such reading
        hint = f", or use C({name}) to treat it as a categorical variable" if role == "regressor" else ""
        raise ChipwarError(
            f"{role} {name!r} is not numeric (dtype {s.dtype}); convert it to numbers, e.g. "
            f"data[{name!r}] = pd.to_numeric(data[{name!r}]){hint}"
        )
    values = s.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(values).any():
        raise ChipwarError(f"{role} {name!r} contains infinite values; replace them (e.g. with NaN to drop those rows)")
    return values
