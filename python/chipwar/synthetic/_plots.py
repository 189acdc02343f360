"""Matplotlib pictures shared by the synthetic-control results; each returns the Axes it drew on."""

from __future__ import annotations

from typing import Any

import pandas as pd


def _axes(ax: Any) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def plot_trajectories(
    treated: pd.Series,
    synthetic: pd.Series,
    treatment_time: Any,
    ax: Any = None,
    labels: tuple[str, str] = ("treated", "synthetic"),
    title: str = "",
    period_weights: pd.Series | None = None,
    band: pd.DataFrame | None = None,
    band_label: str = "conformal interval",
) -> Any:
    """Treated and synthetic outcome paths with the treatment time marked (optionally time weights and a band)."""
    ax = _axes(ax)
    ax.plot(treated.index, treated.to_numpy(), color="black", label=labels[0])
    ax.plot(synthetic.index, synthetic.to_numpy(), color="tab:blue", linestyle="--", label=labels[1])
    if band is not None:
        ax.fill_between(band.index, band["lower"], band["upper"], color="tab:blue", alpha=0.2, label=band_label)
    if period_weights is not None and period_weights.max() > 0:
        # Time weights as bars along the bottom, scaled to a tenth of the plotted range.
        low, high = ax.get_ylim()
        heights = period_weights / period_weights.max() * (high - low) / 10
        ax.bar(
            period_weights.index, heights.to_numpy(), bottom=low, color="tab:orange", alpha=0.6, label="time weights"
        )
    ax.axvline(treatment_time, color="grey", linestyle=":")
    ax.set_title(title)
    ax.legend()
    return ax


def plot_gaps(gaps: pd.DataFrame, treatment_time: Any, highlight: Any = None, ax: Any = None, title: str = "") -> Any:
    """Gap paths (periods x units) in grey, ``highlight`` (the treated unit) in black."""
    ax = _axes(ax)
    for name in gaps.columns:
        if name != highlight:
            ax.plot(gaps.index, gaps[name].to_numpy(), color="grey", alpha=0.4, linewidth=0.8)
    if highlight is not None and highlight in gaps.columns:
        ax.plot(gaps.index, gaps[highlight].to_numpy(), color="black", linewidth=2, label=str(highlight))
        ax.legend()
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.axvline(treatment_time, color="grey", linestyle=":")
    ax.set_ylabel("gap (treated - synthetic)")
    ax.set_title(title)
    return ax


def plot_weights(weights: pd.Series, ax: Any = None, title: str = "donor weights") -> Any:
    """Horizontal bars of the positive donor weights, largest on top."""
    ax = _axes(ax)
    shown = weights[weights > 0].sort_values()
    ax.barh([str(i) for i in shown.index], shown.to_numpy(), color="tab:blue")
    ax.set_xlabel("weight")
    ax.set_title(title)
    return ax
