"""Staggered difference-in-differences: Callaway & Sant'Anna group-time ATTs and their aggregations,
the Goodman-Bacon decomposition of two-way fixed effects, and Rambachan & Roth sensitivity analysis."""

from __future__ import annotations

from .att_gt import ATTgtResult, att_gt

__all__ = ["ATTgtResult", "att_gt"]
