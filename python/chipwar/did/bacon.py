"""Goodman-Bacon (2021) decomposition of the two-way fixed-effects DiD estimate into 2x2 comparisons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ChipwarError
from .._results import Result
from ..model.frame import as_pandas
from ._panel import NEVER, cohort_from_treatment, make_panel

# Comparison types, in bacondecomp's terms; "later vs earlier treated" is the "forbidden" comparison that uses
# already-treated units as controls.
EARLY_VS_LATE = "earlier vs later treated"
LATE_VS_EARLY = "later vs earlier treated"
VS_NEVER = "treated vs never treated"
VS_ALWAYS = "later vs always treated"


def _two_way_demean(m: np.ndarray) -> np.ndarray:
    """Residual of a balanced (units x periods) array on unit and period dummies (exact, no iteration)."""
    return m - m.mean(axis=1, keepdims=True) - m.mean(axis=0, keepdims=True) + m.mean()


def _did(ybar: np.ndarray, treated: int, control: int, pre: np.ndarray, post: np.ndarray) -> float:
    """2x2 DiD of group means: (treated post - pre) - (control post - pre)."""
    change = ybar[:, post].mean(axis=1) - ybar[:, pre].mean(axis=1)
    return float(change[treated] - change[control])


@dataclass(repr=False)
class BaconResult(Result):
    """Goodman-Bacon decomposition; see :func:`bacon`.

    Attributes
    ----------
    table : DataFrame
        One row per 2x2 comparison: ``type``, ``treated`` and ``control`` (cohorts; inf = never treated),
        ``weight``, ``estimate``.
    twfe : float
        The two-way fixed-effects coefficient on the treatment (computed directly, by two-way demeaning).
    """

    table: pd.DataFrame
    twfe: float
    info: dict[str, Any]

    def by_type(self) -> pd.DataFrame:
        """Total weight and weighted-average estimate of each comparison type."""
        t = self.table.assign(product=self.table["weight"] * self.table["estimate"])
        out = t.groupby("type", sort=False)[["weight", "product"]].sum()
        out["estimate"] = out["product"] / out["weight"]
        return out[["weight", "estimate"]].reset_index()

    def tidy(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        lines = [
            f"Goodman-Bacon decomposition of the TWFE estimate {self.twfe:.5f} ({self.info['outcome']} on "
            f"{self.info['treated']}), {len(self.table)} 2x2 comparisons",
            f"{'type':>26} {'weight':>9} {'avg. estimate':>14}",
        ]
        for r in self.by_type().itertuples():
            lines.append(f"{r.type:>26} {r.weight:>9.4f} {r.estimate:>14.5f}")
        return "\n".join(lines)

    def plot(self, ax: Any = None) -> Any:
        """Scatter of the 2x2 estimates against their weights, by type, with the TWFE estimate as a line."""
        from ._plots import plot_bacon

        return plot_bacon(self, ax)


def bacon(data: Any, outcome: str, unit: str, time: str, treated: str) -> BaconResult:
    """Goodman-Bacon (2021) decomposition of the two-way fixed-effects estimate.

    With staggered adoption in a balanced panel, the coefficient on ``treated`` in
    ``outcome ~ treated | unit + time`` is a weighted average of all 2x2 DiDs between timing groups: earlier vs
    later treated (before the later group starts), later vs earlier treated (after the earlier group started:
    the already-treated serve as controls), treated vs never treated, and later vs always treated. Weights
    (Goodman-Bacon 2021, eq. 10) depend on group sizes and on the variance of treatment within each pair; they
    sum to one and reproduce the TWFE coefficient exactly.

    Parameters
    ----------
    data : DataFrame
        Balanced long panel.
    outcome, unit, time : str
        Outcome, unit and period columns.
    treated : str
        0/1 treatment indicator that stays on once switched on (staggered adoption).

    Returns
    -------
    BaconResult
        ``.table`` (type, treated, control, weight, estimate), ``.twfe``, ``.by_type()``, ``.plot()``.
    """
    frame = as_pandas(data)
    p = make_panel(frame, unit, time, [outcome, treated], numeric=[outcome, treated], outcome=outcome)
    if not p.balanced:
        raise ChipwarError(
            f"the Bacon decomposition needs a balanced panel: some units of {unit!r} miss periods of {time!r}; "
            "keep only units observed in every period"
        )
    first = cohort_from_treatment(p, treated)
    periods = p.periods
    d = p.wide(treated)
    y = p.wide(outcome)
    d_tilde = _two_way_demean(d)
    var_d = float(np.mean(d_tilde**2))
    if var_d <= 1e-14:
        raise ChipwarError(
            f"treatment column {treated!r} has no variation beyond unit and period effects (e.g. everyone is "
            "treated at the same time); the TWFE estimate and its decomposition are not defined"
        )
    twfe = float(np.sum(d_tilde * y) / np.sum(d_tilde**2))

    groups, group_of_unit = np.unique(first, return_inverse=True)  # sorted: earliest cohort first, never last
    share = np.bincount(group_of_unit) / p.n_units
    ybar = np.vstack([y[group_of_unit == k].mean(axis=0) for k in range(len(groups))])
    treated_share = np.array([np.mean(periods >= g) for g in groups])  # D-bar: 0 for never, 1 for always treated

    rows = []
    for k in range(len(groups)):
        for l in range(k + 1, len(groups)):
            nk, nl = share[k], share[l]
            dk, dl = treated_share[k], treated_share[l]
            nkl = nk / (nk + nl)
            pair = nkl * (1 - nkl)
            start_k = periods >= groups[k]
            start_l = periods >= groups[l]
            # k treated, l (not yet / never treated) as control, before l starts.
            if dk < 1 and dl < 1:
                weight = ((nk + nl) * (1 - dl)) ** 2 * pair * (dk - dl) / (1 - dl) * (1 - dk) / (1 - dl) / var_d
                window = ~start_l
                estimate = _did(ybar, k, l, window & ~start_k, window & start_k)
                rows.append((VS_NEVER if groups[l] == NEVER else EARLY_VS_LATE, groups[k], groups[l], weight, estimate))
            # l treated, k (already treated) as control, after k started.
            if dl > 0 and dk > 0:
                weight = ((nk + nl) * dk) ** 2 * pair * (dl / dk) * (dk - dl) / dk / var_d
                window = start_k
                estimate = _did(ybar, l, k, window & ~start_l, window & start_l)
                rows.append((VS_ALWAYS if dk == 1 else LATE_VS_EARLY, groups[l], groups[k], weight, estimate))
    table = pd.DataFrame(rows, columns=["type", "treated", "control", "weight", "estimate"])
    return BaconResult(table, twfe, {"outcome": outcome, "treated": treated})
