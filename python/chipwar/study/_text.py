"""Shared wording of the report: an estimate with its interval, and its verdict against the truth."""

from __future__ import annotations

import numpy as np


def estimate(value: float, low: float, high: float) -> str:
    """``0.251 (95% CI 0.201 to 0.301)``, or the value alone when there is no interval."""
    if np.isnan(low) or np.isnan(high):
        return f"{value:.3f} (no confidence interval)"
    return f"{value:.3f} (95% CI {low:.3f} to {high:.3f})"


def percent(log_points: float) -> str:
    """Log points as a percentage change: 0.3 -> '+35%'."""
    return f"{np.expm1(log_points) * 100:+.0f}%"


def verdict(truth: float, low: float, high: float) -> str:
    """Whether the interval holds the true value (simulated data)."""
    if np.isnan(low):
        return f"the true value is {truth:.3f}"
    inside = low <= truth <= high
    return f"the true value {truth:.3f} is {'inside' if inside else 'OUTSIDE'} the interval"


def direction(low: float, high: float) -> int:
    """+1 when the interval lies above zero, -1 below, 0 when it holds zero (or is missing)."""
    if np.isnan(low) or np.isnan(high) or low <= 0 <= high:
        return 0
    return 1 if low > 0 else -1


def moved(low: float, high: float, up: str = "rose", down: str = "fell") -> str:
    """The verb of an interval: ``up``, ``down`` or 'showed no change distinguishable from zero'."""
    return {1: up, -1: down, 0: "showed no change distinguishable from zero"}[direction(low, high)]
