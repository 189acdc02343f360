"""Multiple estimation: one formula with several outcomes (``y1 + y2 ~ x | fe``), fitted with one demeaning.

Outcomes whose estimation samples coincide (no outcome-specific missing values) share a single pass of the
demeaning over every column: the regressors are demeaned once, not once per outcome.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..design import build_design
from ..formula import Formula
from ..vcov import VcovSpec
from .feols import demean_design, ols_on_demeaned
from .result import RegressionResult


class FitCollection(list):
    """A list of fitted models (what ``etable`` and ``coefplot`` accept), with a stacked ``tidy()``."""

    def tidy(self) -> pd.DataFrame:
        """Every model's ``tidy()`` with a leading ``model`` (position) and ``lhs`` column."""
        parts = [fit.tidy().assign(model=i, lhs=fit._lhs) for i, fit in enumerate(self)]
        table = pd.concat(parts, ignore_index=True)
        return table[["model", "lhs", *[c for c in table.columns if c not in ("model", "lhs")]]]

    def summary(self) -> str:
        return "\n\n".join(f"Model {i}: {fit.summary()}" for i, fit in enumerate(self))

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        table = self.tidy().to_html(float_format=lambda v: f"{v:.6g}", index=False, border=0)
        return f"<div class='chipwar-result'><p><b>{html.escape(f'{len(self)} models')}</b></p>{table}</div>"


def feols_multiple(formula: Formula, data: object, spec: VcovSpec, weights: str | None, fixef_rm: str,
                   fixef_tol: float, fixef_maxiter: int, collin_tol: float) -> FitCollection:
    """One OLS per outcome of ``formula``; outcomes with the same sample share one demeaning."""
    designs = [build_design(formula, data, weights=weights, extra_columns=spec.cluster_columns, fixef_rm=fixef_rm,
                            lhs=name) for name in formula.lhs]
    groups: dict[bytes, list[int]] = {}
    for i, d in enumerate(designs):
        groups.setdefault(d.obs_index.tobytes(), []).append(i)
    fits: list[RegressionResult | None] = [None] * len(designs)
    for members in groups.values():
        first = designs[members[0]]
        k = len(members)
        stacked = np.column_stack([*(designs[i].y for i in members), first.x])
        names = [formula.lhs[i] for i in members] + first.x_names
        dm = demean_design(first, stacked, names, fixef_tol, fixef_maxiter)
        for pos, i in enumerate(members):
            core = ols_on_demeaned(designs[i], dm[:, pos], dm[:, k:], collin_tol)
            core.extra["lhs"] = formula.lhs[i]
            fits[i] = RegressionResult(core, spec)
    return FitCollection(fits)


def each_outcome(formula: Formula, fit_one: Callable[[str], RegressionResult]) -> FitCollection:
    """Separate fits per outcome (for estimators whose iterations cannot share a demeaning, e.g. Poisson)."""
    return FitCollection(fit_one(name) for name in formula.lhs)
