"""``coefplot`` and ``iplot``: coefficients with confidence intervals (matplotlib; each returns the Axes)."""

from __future__ import annotations

import numpy as np

from .._errors import ChipwarError
from ..model.formula import IEvent
from .tables import _models


def _axes(ax: object):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots()[1]


def _legend_label(i: int, model: object) -> str:
    sample = getattr(model, "sample", None)
    return f"({i + 1}) {model._lhs}" + ("" if sample is None else f", {sample}")


def coefplot(models: object, level: float = 0.95, ax: object = None, terms: list[str] | None = None):
    """Point estimates and ``level`` confidence intervals of every term, one marker series per model."""
    items = _models(models)
    names: list[str] = []
    for m in items:
        names += [t for t in m.coef.index if t not in names and (terms is None or t in terms)]
    if not names:
        raise ChipwarError("coefplot: no coefficients to plot (check terms=)")
    ax = _axes(ax)
    width = 0.6 / len(items)
    for i, m in enumerate(items):
        ci = m.confint(level)
        present = [t for t in names if t in m.coef.index]
        x = np.array([names.index(t) for t in present]) + (i - (len(items) - 1) / 2) * width
        est = m.coef[present].to_numpy()
        err = np.vstack([est - ci.loc[present, "conf_low"].to_numpy(), ci.loc[present, "conf_high"].to_numpy() - est])
        ax.errorbar(x, est, yerr=err, fmt="o", capsize=3, label=_legend_label(i, m))
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=45, ha="right")
    ax.set_ylabel(f"Estimate and {level:.0%} CI")
    if len(items) > 1:
        ax.legend()
    return ax


def iplot(model: object, level: float = 0.95, ax: object = None):
    """Event-study plot of the ``i(var, by, ref=...)`` terms: estimates by level, the reference level at zero."""
    (m,) = _models(model)
    events = [a for t in m._fit.design.formula.rhs for a in t.atoms if isinstance(a, IEvent)]
    if not events:
        raise ChipwarError("iplot: the model has no i() term; use coefplot")
    ev = events[0]
    suffix = f":{ev.by}" if ev.by else ""
    prefix = f"{ev.var}::"
    terms = [t for t in m.coef.index if t.startswith(prefix) and t.endswith(suffix)]
    levels = [t[len(prefix) : len(t) - len(suffix)] for t in terms]
    ci = m.confint(level)
    points = [(lev, m.coef[t], ci.loc[t, "conf_low"], ci.loc[t, "conf_high"]) for lev, t in zip(levels, terms)]
    points += [(str(r), 0.0, 0.0, 0.0) for r in ev.ref]
    try:  # numeric levels (years, event times) go on a numeric axis
        points.sort(key=lambda p: float(p[0]))
        x = np.array([float(p[0]) for p in points])
        labels = None
    except ValueError:
        x = np.arange(len(points), dtype=float)
        labels = [p[0] for p in points]
    est = np.array([p[1] for p in points])
    lower = np.array([p[2] for p in points])
    upper = np.array([p[3] for p in points])
    ax = _axes(ax)
    ax.errorbar(x, est, yerr=np.vstack([est - lower, upper - est]), fmt="o-", capsize=3)
    ax.axhline(0.0, color="grey", linewidth=0.8)
    if labels is not None:
        ax.set_xticks(x)
        ax.set_xticklabels(labels)
    ax.set_xlabel(ev.var)
    ax.set_ylabel(f"Estimate and {level:.0%} CI")
    return ax
