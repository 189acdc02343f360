"""Aggregations of group-time ATTs (R's ``did::aggte``): simple, by cohort, by event time, by calendar time.

Every aggregate is a weighted average of ATT(g, t); its influence function is the same average of the ATT(g, t)
influence functions plus, where the weights are estimated cohort shares, did's correction for estimating them
(``wif``). Overall summaries follow did: "group" weights cohorts by their size, "dynamic" and "calendar" average
their non-negative event times / periods with equal weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import kernels
from .._errors import ChipwarError
from .._results import Result, significance_stars
from . import _inference

_TYPES = ("simple", "group", "dynamic", "calendar")
_KEY = {"group": "cohort", "dynamic": "event_time", "calendar": "time"}


def _weights_influence(
    row_cohorts: np.ndarray, share: np.ndarray, unit_cohort: np.ndarray, unit_weights: np.ndarray
) -> np.ndarray:
    """did's ``wif``: influence of estimating the cohort shares P(G = g) in weights share_k / sum(share).

    ``row_cohorts`` and ``share`` give the cohort and its share for each averaged estimate. Returns n x rows.
    """
    indicator = unit_weights[:, None] * (unit_cohort[:, None] == row_cohorts[None, :]) - share[None, :]
    total = share.sum()
    return indicator / total - indicator.sum(axis=1, keepdims=True) * (share / total**2)[None, :]


def _combine(att: np.ndarray, inf: np.ndarray, weights: np.ndarray, wif: np.ndarray | None) -> tuple[float, np.ndarray]:
    """A weighted average of estimates and its influence function (did's ``get_agg_inf_func``)."""
    estimate = float(att @ weights)
    influence = inf @ weights
    if wif is not None:
        influence = influence + wif @ att
    return estimate, influence


@dataclass(repr=False)
class AggregatedResult(Result):
    """An aggregation of ATT(g, t); see :func:`aggregate`.

    Attributes
    ----------
    type : str
        "simple", "group", "dynamic" or "calendar".
    att, se : float
        The overall summary and its standard error.
    table : DataFrame
        One row per cohort / event time / period (empty for "simple"): the key column (``cohort``,
        ``event_time`` or ``time``), ``att``, ``se``, pointwise ``conf_low``/``conf_high`` and uniform
        ``band_low``/``band_high`` (sup-t over the rows; only with the bootstrap, NaN otherwise).
    inf : ndarray
        Influence functions of the rows (n x rows); ``inf_overall`` of the summary.
    """

    type: str
    att: float
    se: float
    table: pd.DataFrame
    inf: np.ndarray
    inf_overall: np.ndarray
    alpha: float
    info: dict[str, Any]
    clustering: _inference.Clustering

    @property
    def estimate(self) -> float:
        """The overall summary (``att``), by the name every single-number result uses."""
        return self.att

    def tidy(self) -> pd.DataFrame:
        key = _KEY.get(self.type)
        rows = [{"term": "overall", "estimate": self.att, "std_error": self.se}]
        if key is not None:
            rows += [
                {"term": f"{key}::{k:g}", "estimate": a, "std_error": s}
                for k, a, s in zip(self.table[key], self.table["att"], self.table["se"])
            ]
        out = pd.DataFrame(rows)
        z = kernels.normal_quantile(1 - self.alpha / 2)
        out["statistic"] = out["estimate"] / out["std_error"]
        out["p_value"] = 2 * (1 - kernels.normal_cdf(np.abs(out["statistic"].to_numpy())))
        out["conf_low"] = out["estimate"] - z * out["std_error"]
        out["conf_high"] = out["estimate"] + z * out["std_error"]
        return out

    def summary(self) -> str:
        labels = {
            "simple": "simple weighted average",
            "group": "by cohort",
            "dynamic": "by event time",
            "calendar": "by calendar time",
        }
        t = self.tidy()
        lines = [
            f"Aggregated ATT ({labels[self.type]}) of {self.info['outcome']}: {self.att:.5f} (SE {self.se:.5f})",
            f"{'term':>18} {'estimate':>11} {'SE':>10} {'low':>11} {'high':>11}",
        ]
        for r in t.itertuples():
            lines.append(
                f"{r.term:>18} {r.estimate:>11.5f} {r.std_error:>10.5f} {r.conf_low:>11.5f} {r.conf_high:>11.5f} "
                f"{significance_stars(r.p_value)}"
            )
        return "\n".join(lines)

    def plot(self, ax: Any = None) -> Any:
        """Estimates by cohort / event time / period with pointwise intervals and the uniform band."""
        from ._plots import plot_aggregate

        return plot_aggregate(self, ax)


def aggregate(
    res: Any,
    type: str = "group",
    balance_e: int | None = None,
    min_e: float = -np.inf,
    max_e: float = np.inf,
) -> AggregatedResult:
    """Aggregate group-time ATTs as ``did::aggte`` does.

    Parameters
    ----------
    res : ATTgtResult
        Output of :func:`chipwar.att_gt`.
    type : {"simple", "group", "dynamic", "calendar"}
        simple: post-treatment ATT(g, t) weighted by cohort size; group: average over each cohort's post
        periods, then cohorts weighted by size; dynamic: by event time e = t - g (cohorts weighted by size);
        calendar: by period among treated cohorts.
    balance_e : int, optional
        Dynamic only: keep cohorts observed for at least ``balance_e`` periods after treatment, and event times
        in the range where all of them are observed (did's balanced event study).
    min_e, max_e : float
        Event-time window (dynamic), and for simple / group the longest exposure included (did's ``max_e``).

    Returns
    -------
    AggregatedResult
        With the bootstrap when ``res`` was bootstrapped (its replicates and seed), analytic SEs otherwise.
    """
    if type not in _TYPES:
        raise ChipwarError(f"aggregation type must be one of {_TYPES}, got {type!r}")
    if balance_e is not None and type != "dynamic":
        raise ChipwarError("balance_e applies only to type='dynamic'")
    if np.isnan(res.att).any():  # pragma: no cover - att_gt raises instead of returning missing cells
        raise ChipwarError("some ATT(g, t) are missing; cannot aggregate")
    g, t, att, inf = res.cohorts, res.times, res.att, res.inf
    groups = np.unique(g)
    pg_group = np.array([np.mean(res.unit_weights * (res.unit_cohort == v)) for v in groups])
    pg_cell = pg_group[np.searchsorted(groups, g)]
    post = (g <= t) & (t <= g + max_e)

    keys: list[float] = []
    rows_att: list[float] = []
    rows_inf: list[np.ndarray] = []

    def add(key: float, keep: np.ndarray, with_wif: bool) -> None:
        if not keep.any():
            return
        w = pg_cell[keep] / pg_cell[keep].sum()
        wif = _weights_influence(g[keep], pg_cell[keep], res.unit_cohort, res.unit_weights) if with_wif else None
        a, f = _combine(att[keep], inf[:, keep], w, wif)
        keys.append(key)
        rows_att.append(a)
        rows_inf.append(f)

    if type == "simple":
        if not post.any():
            raise ChipwarError("no post-treatment ATT(g, t) to aggregate")
        keep = post
        w = pg_cell[keep] / pg_cell[keep].sum()
        wif = _weights_influence(g[keep], pg_cell[keep], res.unit_cohort, res.unit_weights)
        overall, overall_inf = _combine(att[keep], inf[:, keep], w, wif)
    elif type == "group":
        for v in groups:
            add(v, (g == v) & post, with_wif=False)  # equal weights within a cohort: nothing estimated
        a = np.array(rows_att)
        share = pg_group[np.isin(groups, keys)]
        # Cohort shares are estimated: did's wif over the cohort-level rows.
        wif = _weights_influence(np.array(keys), share, res.unit_cohort, res.unit_weights)
        overall, overall_inf = _combine(a, np.column_stack(rows_inf), share / share.sum(), wif)
    elif type == "dynamic":
        e = t - g
        include = np.ones_like(e, dtype=bool)
        eseq = np.unique(e)
        if balance_e is not None:
            last, first = res.times.max(), min(res.times.min(), res.base_times.min())
            eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - last + first)]
            include = (last - g) >= balance_e
        eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
        for v in eseq:
            add(v, (e == v) & include, with_wif=True)
        overall, overall_inf = _equal_average(keys, rows_att, rows_inf, lambda k: k >= 0, "event time >= 0")
    else:  # calendar
        for v in np.unique(t[t >= g.min()]):
            add(v, (t == v) & (g <= t), with_wif=True)
        overall, overall_inf = _equal_average(keys, rows_att, rows_inf, lambda k: True, "a treated period")

    row_inf = np.column_stack(rows_inf) if rows_inf else np.zeros((res.n_units, 0))
    return _finish(res, type, np.array(keys), np.array(rows_att), row_inf, overall, overall_inf)


def _equal_average(
    keys: list[float], atts: list[float], infs: list[np.ndarray], select: Any, what: str
) -> tuple[float, np.ndarray]:
    chosen = [i for i, k in enumerate(keys) if select(k)]
    if not chosen:
        raise ChipwarError(f"no estimate with {what} to average")
    w = np.full(len(chosen), 1.0 / len(chosen))
    return _combine(np.array(atts)[chosen], np.column_stack([infs[i] for i in chosen]), w, None)


def _finish(
    res: Any,
    type: str,
    keys: np.ndarray,
    atts: np.ndarray,
    row_inf: np.ndarray,
    overall: float,
    overall_inf: np.ndarray,
) -> AggregatedResult:
    all_inf = np.column_stack([row_inf, overall_inf])
    z = float(kernels.normal_quantile(1 - res.alpha / 2))
    band = np.full(len(keys), np.nan)
    if res.boot is not None:
        boot = _inference.multiplier_bootstrap(
            all_inf,
            res.clustering,
            res.bootstrap,
            res.seed,
            res.alpha,
            res.info["multiplier"],
            res.executor,
            res.progress,
            res.outcome_scale,
        )
        se = boot.se
        # rows with no sampling variation (a universal base period's 0) stay out of the band, as in did
        varies = np.isfinite(se[:-1])
        crit = _inference.sup_t_critical(boot.draws[:, :-1][:, varies], boot.sigma[:-1][varies], res.alpha)
        band = np.full(len(keys), crit)
    else:
        se = _inference.standard_errors(_inference.analytic_vcov(all_inf, res.clustering), res.outcome_scale)
    table = pd.DataFrame()
    if type != "simple":
        s = se[:-1]
        table = pd.DataFrame(
            {
                _KEY[type]: keys,
                "att": atts,
                "se": s,
                "conf_low": atts - z * s,
                "conf_high": atts + z * s,
                "band_low": atts - band * s,
                "band_high": atts + band * s,
            }
        )
    return AggregatedResult(
        type, overall, float(se[-1]), table, row_inf, overall_inf, res.alpha, res.info, res.clustering
    )
