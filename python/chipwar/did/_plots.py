"""Pictures of DiD results: group-time ATTs, event studies / aggregations, and the Bacon scatter."""

from __future__ import annotations

from typing import Any

import numpy as np

_PRE, _POST = "tab:blue", "tab:red"


def _axes(ax: Any) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7, 4))
    return ax


def plot_group_time(res: Any, ax: Any = None) -> Any:
    """ATT(g, t) by period, cohorts side by side (small horizontal offsets), pre-periods blue, post red."""
    ax = _axes(ax)
    t = res.table
    groups = np.unique(t["cohort"])
    offsets = np.linspace(-0.2, 0.2, len(groups)) if len(groups) > 1 else [0.0]
    for g, off in zip(groups, offsets):
        rows = t[t["cohort"] == g]
        for post, color in ((False, _PRE), (True, _POST)):
            r = rows[rows["post"] == post]
            ax.errorbar(
                r["time"] + off,
                r["att"],
                yerr=[r["att"] - r["conf_low"], r["conf_high"] - r["att"]],
                fmt="o",
                color=color,
                ms=4,
                capsize=2,
                alpha=0.9,
            )
        ax.annotate(
            f"g={g:g}",
            (rows["time"].iloc[-1] + off, rows["att"].iloc[-1]),
            fontsize=7,
            xytext=(4, 0),
            textcoords="offset points",
        )
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel("period")
    ax.set_ylabel("ATT(g, t)")
    ax.set_title("Group-time average treatment effects")
    return ax


def plot_aggregate(agg: Any, ax: Any = None) -> Any:
    """Aggregated effects with pointwise intervals (error bars) and the uniform band (shaded), if any."""
    ax = _axes(ax)
    t = agg.table
    if t.empty:
        ax.errorbar([0], [agg.att], yerr=[[agg.att - (agg.att - 1.96 * agg.se)], [1.96 * agg.se]], fmt="o")
        ax.set_xticks([0], ["overall"])
        ax.axhline(0, color="black", lw=0.8)
        return ax
    key = t.columns[0]
    x = t[key].to_numpy(dtype=float)
    pre = x < 0 if key == "event_time" else np.zeros(len(x), dtype=bool)
    if np.isfinite(t["band_low"]).any():
        ax.fill_between(x, t["band_low"], t["band_high"], color="grey", alpha=0.2, step="mid", label="uniform band")
    for mask, color, label in ((pre, _PRE, "pre-treatment"), (~pre, _POST, "estimate")):
        if mask.any():
            ax.errorbar(
                x[mask],
                t["att"][mask],
                yerr=[(t["att"] - t["conf_low"])[mask], (t["conf_high"] - t["att"])[mask]],
                fmt="o",
                color=color,
                capsize=3,
                label=label,
            )
    ax.axhline(0, color="black", lw=0.8)
    if key == "event_time":
        ax.axvline(-0.5, color="grey", ls="--", lw=0.8)
    ax.set_xlabel({"event_time": "periods since treatment", "cohort": "cohort", "time": "period"}[key])
    ax.set_ylabel("ATT")
    ax.legend(fontsize=8)
    return ax


def plot_bacon(bacon: Any, ax: Any = None) -> Any:
    """Goodman-Bacon scatter: 2x2 estimates against their weights, by comparison type, with the TWFE line."""
    ax = _axes(ax)
    t = bacon.table
    for kind, marker in zip(t["type"].unique(), "osd^v"):
        r = t[t["type"] == kind]
        ax.scatter(r["weight"], r["estimate"], marker=marker, label=kind, alpha=0.8)
    ax.axhline(bacon.twfe, color="black", ls="--", lw=0.8, label=f"TWFE = {bacon.twfe:.4g}")
    ax.set_xlabel("weight")
    ax.set_ylabel("2x2 DiD estimate")
    ax.legend(fontsize=8)
    return ax
