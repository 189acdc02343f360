"""Multiple estimation: several outcomes and/or a stepwise term (``y1 + y2 ~ x + csw(a, b) | fe``).

Models whose estimation samples coincide (no model-specific missing values) share a single pass of the
demeaning over every column any of them uses: each outcome and regressor is demeaned once, not once per model.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from .._errors import ChipwarError
from ..model.design import build_design
from ..model.formula import Formula, parse_formula
from ..vcov import VcovSpec
from .demean import demean_design
from .linear import feols_model
from .ols import ols_on_demeaned
from .poisson import fepois_model
from .prepare import vcov_spec
from .result import RegressionResult


class FitCollection(list):
    """A list of fitted models (what ``etable`` and ``coefplot`` accept), with a stacked ``tidy()``."""

    def tidy(self) -> pd.DataFrame:
        """Every model's ``tidy()`` with a leading ``model`` (position), ``sample`` (split estimations) and ``lhs``."""
        split = any(fit.sample is not None for fit in self)
        lead = ["model", "sample", "lhs"] if split else ["model", "lhs"]
        parts = [fit.tidy().assign(model=i, sample=fit.sample, lhs=fit._lhs) for i, fit in enumerate(self)]
        table = pd.concat(parts, ignore_index=True)
        return table[[*lead, *[c for c in table.columns if c not in ("model", "sample", "lhs")]]]

    def summary(self) -> str:
        return "\n\n".join(
            f"Model {i}{'' if fit.sample is None else f' ({fit.sample})'}: {fit.summary()}"
            for i, fit in enumerate(self)
        )

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        table = self.tidy().to_html(float_format=lambda v: f"{v:.6g}", index=False, border=0)
        return f"<div class='chipwar-result'><p><b>{html.escape(f'{len(self)} models')}</b></p>{table}</div>"


def _shared_stack(designs: list) -> tuple[np.ndarray, list[str], list[list[int]]]:
    """Every distinct column of ``designs`` (outcome then regressors) once, and where each design's columns are.

    Columns are matched by name and checked for equal values, so a term built differently in two models (e.g. a
    factor whose reference level depends on the other terms) is kept twice rather than shared wrongly.
    """
    store: list[np.ndarray] = []
    names: list[str] = []
    positions: list[list[int]] = []
    for d in designs:
        where = []
        for name, col in zip([d.formula.lhs[0], *d.x_names], [d.y, *d.x.T]):
            j = next((j for j, n in enumerate(names) if n == name and np.array_equal(store[j], col)), None)
            if j is None:
                j = len(store)
                store.append(col)
                names.append(name)
            where.append(j)
        positions.append(where)
    return np.column_stack(store), names, positions


def feols_multiple(
    formulas: list[Formula],
    data: object,
    spec: VcovSpec,
    weights: str | None,
    fixef_rm: str,
    fixef_tol: float,
    fixef_maxiter: int,
    collin_tol: float,
    dtype: str = "float64",
) -> FitCollection:
    """One OLS per single-outcome formula; models with the same sample share one demeaning of all their columns."""
    designs = [
        build_design(
            f,
            data,
            weights=weights,
            extra_columns=spec.cluster_columns,
            time_columns=spec.time_columns,
            fixef_rm=fixef_rm,
            dtype=dtype,
        )
        for f in formulas
    ]
    groups: dict[bytes, list[int]] = {}
    for i, d in enumerate(designs):
        groups.setdefault(d.obs_index.tobytes(), []).append(i)
    fits: list[RegressionResult | None] = [None] * len(designs)
    for members in groups.values():
        stacked, names, positions = _shared_stack([designs[i] for i in members])
        dm = demean_design(designs[members[0]], stacked, names, fixef_tol, fixef_maxiter)
        for i, where in zip(members, positions):
            x_dm = np.asfortranarray(dm[:, where[1:]])
            fits[i] = RegressionResult(ols_on_demeaned(designs[i], dm[:, where[0]], x_dm, collin_tol), spec)
    return FitCollection(fits)


def feols_sample(texts: list[str], data: pd.DataFrame, rows: np.ndarray | None, **options) -> list:
    """feols of every model formula on one sample (``options``: feols's keywords); several models share a demeaning."""
    if len(texts) == 1:
        return [feols_model(parse_formula(texts[0]), data, **options)]
    if parse_formula(texts[0]).is_iv:
        raise ChipwarError(
            "several models (outcomes or stepwise terms) with an IV part are not supported; fit one model at a time"
        )
    spec = vcov_spec(options.pop("vcov"), options.pop("cluster"))
    return list(feols_multiple([parse_formula(t) for t in texts], data, spec, **options))


def fepois_sample(
    texts: list[str], data: pd.DataFrame, rows: np.ndarray | None, offset: object = None, **options
) -> list:
    """fepois of every model formula on one sample, each fitted separately (IRLS weights differ by model).

    An offset given as an array (one value per row of the caller's data) is taken on the sample's ``rows``.
    """
    if rows is not None and offset is not None and not isinstance(offset, str):
        offset = np.asarray(offset, dtype=float)[rows]
    return [fepois_model(parse_formula(text), data, offset=offset, **options) for text in texts]
