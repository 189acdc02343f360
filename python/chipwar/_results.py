"""What every chipwar result object shares: summary text as repr, an HTML view for Jupyter, a tidy table."""

from __future__ import annotations

import html
from typing import NamedTuple

import pandas as pd


class WaldTest(NamedTuple):
    """A test statistic and its p-value (unpacks as ``statistic, p_value``)."""

    statistic: float
    p_value: float


class Result:
    """Base of every result: subclasses implement ``summary()`` (text) and ``tidy()`` (a DataFrame)."""

    def summary(self) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def tidy(self) -> pd.DataFrame:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        title = html.escape(self.summary().splitlines()[0]) if self.summary() else type(self).__name__
        table = self.tidy().to_html(float_format=lambda v: f"{v:.6g}", index=False, border=0)
        return f"<div class='chipwar-result'><p><b>{title}</b></p>{table}</div>"


def significance_stars(p: float) -> str:
    """fixest's codes: *** p < .001, ** p < .01, * p < .05, . p < .1."""
    if p != p:  # NaN
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else "." if p < 0.1 else ""
