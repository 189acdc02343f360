"""Staggered difference-in-differences: Callaway & Sant'Anna group-time ATTs and their aggregations,
the Goodman-Bacon decomposition of two-way fixed effects, and Rambachan & Roth sensitivity analysis."""

from __future__ import annotations

from .aggregate import AggregatedResult
from .att_gt import ATTgtResult, att_gt
from .bacon import BaconResult, bacon
from .honest import honest_did

__all__ = ["ATTgtResult", "AggregatedResult", "BaconResult", "att_gt", "bacon", "honest_did"]
