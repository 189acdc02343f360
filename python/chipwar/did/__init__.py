"""Staggered difference-in-differences: Callaway & Sant'Anna group-time ATTs and their aggregations,
interaction-weighted event studies (Sun & Abraham), imputation (Borusyak, Jaravel & Spiess), two-stage DiD
(Gardner), extended TWFE (Wooldridge), the Goodman-Bacon decomposition of two-way fixed effects, Rambachan &
Roth sensitivity analysis and Roth (2022) pre-trend power."""

from __future__ import annotations

from .aggregate import AggregatedResult
from .att_gt import ATTgtResult, att_gt
from .bacon import BaconResult, bacon
from .did2s import did2s
from .etwfe import etwfe
from .honest import honest_did
from .imputation import did_imputation
from .lpdid import lpdid
from .pretrends import PretrendPowerResult, pretrend_power
from .stacked import stacked_did
from .sun_abraham import sun_abraham
from .triple import TripleDiffResult, ddd

__all__ = [
    "ATTgtResult",
    "AggregatedResult",
    "BaconResult",
    "PretrendPowerResult",
    "TripleDiffResult",
    "att_gt",
    "bacon",
    "ddd",
    "did2s",
    "did_imputation",
    "etwfe",
    "honest_did",
    "lpdid",
    "pretrend_power",
    "stacked_did",
    "sun_abraham",
]
