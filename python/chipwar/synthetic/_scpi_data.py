"""scpi's data matrices for one treated unit (scpi_pkg's ``scdata``): A (treated features), B (donor features), C
(constant), P (post-period predictors), stacked feature by feature over the pre-period."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ChipwarError
from ._panel import _describe, adoption_design, long_panel, wide_outcome


@dataclass(frozen=True)
class ScpiData:
    """The estimation matrices. Rows of A, B, C: feature-major (all pre-periods of the first feature, then the next).

    ``feature_rows[k]`` is the slice of rows of feature k; the outcome's rows are ``outcome_rows``. P holds the
    donors' post-period outcomes and the constant (if any); ``pre_donor_outcomes`` the donors' pre-period outcomes.
    """

    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    p: np.ndarray
    features: list[str]
    feature_rows: list[slice]
    outcome_rows: slice
    donors: list[Any]
    treated_unit: Any
    pre_periods: pd.Index
    post_periods: pd.Index
    y_pre: np.ndarray
    y_post: np.ndarray
    pre_donor_outcomes: np.ndarray
    constant: bool
    cointegrated: bool
    outcome_in_features: bool

    @property
    def z(self) -> np.ndarray:
        return np.hstack([self.b, self.c])

    @property
    def n_donors(self) -> int:
        return self.b.shape[1]

    @property
    def n_extra(self) -> int:
        """KM: the constant / covariate-adjustment columns."""
        return self.c.shape[1]


def scpi_data(
    data: Any,
    outcome: str,
    unit: str,
    time: str,
    treated: str,
    features: list[str] | None,
    constant: bool,
    cointegrated: bool,
) -> list[ScpiData]:
    """Validate the panel and build scpi's matrices for every treated unit (scpi_pkg's ``scdataMulti``): each
    against the never-treated donors over its own pre-period (before its first treated period) and post-period
    (from it to the panel's end); features default to the outcome alone, unscaled."""
    features = [outcome] if features is None else list(dict.fromkeys(features))
    if not features:
        raise ChipwarError("features is empty; give at least one column (default: the outcome)")
    panel = long_panel(data, outcome, unit, time, extra=[treated, *[f for f in features if f != outcome]])
    wide = wide_outcome(panel, outcome, unit, time)
    donors, treated_units, starts = adoption_design(panel, wide, unit, time, treated, "scpi")
    values = {f: wide if f == outcome else wide_outcome(panel, f, unit, time, need_complete=False) for f in features}
    return [
        _unit_data(wide, values, features, outcome, unit, time, u, starts[u], donors, constant, cointegrated)
        for u in treated_units
    ]


def _unit_data(
    wide: pd.DataFrame,
    values: dict[str, pd.DataFrame],
    features: list[str],
    outcome: str,
    unit: str,
    time: str,
    treated_unit: Any,
    start: Any,
    donors: list,
    constant: bool,
    cointegrated: bool,
) -> ScpiData:
    pre = wide.columns[wide.columns < start]
    post = wide.columns[wide.columns >= start]
    units = donors + [treated_unit]
    blocks, rows, first = [], [], 0
    for feature in features:
        block = values[feature].loc[units, pre]
        missing = block.isna().to_numpy()
        if missing.any():
            cells = [(block.index[i], block.columns[j]) for i, j in np.argwhere(missing)]
            raise ChipwarError(
                f"feature {feature!r} is missing for {len(cells)} pre-period cells: {_describe(cells)} (as ({unit}, "
                f"{time})); fill them or drop the feature"
            )
        blocks.append(block.to_numpy(dtype=np.float64).T)  # pre-periods x units
        rows.append(slice(first, first + len(pre)))
        first += len(pre)
    stacked = np.vstack(blocks)
    b, a = stacked[:, :-1], stacked[:, -1]
    if (np.std(b, axis=0) == 0).any():
        flat = [d for d, sd in zip(donors, np.std(b, axis=0)) if sd == 0]
        raise ChipwarError(f"donors {_describe(flat)} do not vary over the pre-period of {treated_unit!r}; drop them")
    c = np.ones((len(a), 1)) if constant else np.empty((len(a), 0))
    post_donors = wide.loc[donors, post].to_numpy(dtype=np.float64).T
    p = np.hstack([post_donors, np.ones((len(post), 1))]) if constant else post_donors
    outcome_index = features.index(outcome) if outcome in features else None
    return ScpiData(
        a=a,
        b=b,
        c=c,
        p=p,
        features=features,
        feature_rows=rows,
        outcome_rows=rows[outcome_index] if outcome_index is not None else slice(0, 0),
        donors=donors,
        treated_unit=treated_unit,
        pre_periods=pre,
        post_periods=post,
        y_pre=wide.loc[treated_unit, pre].to_numpy(dtype=np.float64),
        y_post=wide.loc[treated_unit, post].to_numpy(dtype=np.float64),
        pre_donor_outcomes=wide.loc[donors, pre].to_numpy(dtype=np.float64).T,
        constant=constant,
        cointegrated=cointegrated,
        outcome_in_features=outcome_index is not None,
    )
