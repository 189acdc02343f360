"""Staggered difference-in-differences: Callaway & Sant'Anna group-time ATTs and their aggregations,
interaction-weighted event studies (Sun & Abraham), imputation (Borusyak, Jaravel & Spiess), two-stage DiD
(Gardner), extended TWFE (Wooldridge), the Goodman-Bacon decomposition of two-way fixed effects and Rambachan &
Roth sensitivity analysis."""

from __future__ import annotations

from .aggregate import AggregatedResult
from .att_gt import ATTgtResult, att_gt
from .bacon import BaconResult, bacon
from .did2s import did2s
from .etwfe import etwfe
from .honest import honest_did
from .imputation import did_imputation
from .lpdid import lpdid
from .stacked import stacked_did
from .sun_abraham import sun_abraham
from .triple import TripleDiffResult, ddd

__all__ = [
    "ATTgtResult",
    "AggregatedResult",
    "BaconResult",
    "TripleDiffResult",
    "att_gt",
    "bacon",
    "ddd",
    "did2s",
    "did_imputation",
    "etwfe",
    "honest_did",
    "lpdid",
    "stacked_did",
    "sun_abraham",
]
