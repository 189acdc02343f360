"""Staggered difference-in-differences: Callaway & Sant'Anna group-time ATTs and their aggregations,
the Goodman-Bacon decomposition of two-way fixed effects, Rambachan & Roth sensitivity analysis, interaction-weighted
event studies (Sun & Abraham), imputation (Borusyak, Jaravel & Spiess), two-stage DiD (Gardner) and extended TWFE
(Wooldridge)."""

from __future__ import annotations

from .aggregate import AggregatedResult
from .att_gt import ATTgtResult, att_gt
from .bacon import BaconResult, bacon
from .did2s import did2s
from .etwfe import etwfe
from .honest import honest_did
from .imputation import did_imputation
from .sun_abraham import sun_abraham

__all__ = [
    "ATTgtResult", "AggregatedResult", "BaconResult", "att_gt", "bacon", "did2s", "did_imputation", "etwfe",
    "honest_did", "sun_abraham",
]
