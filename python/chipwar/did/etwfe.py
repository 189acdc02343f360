"""Wooldridge's (2023) extended two-way fixed effects (ETWFE): cohort x period treatment interactions in one
regression, aggregated to the ATT and to cohort, event-time and calendar effects with delta-method SEs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._errors import ChipwarError
from .._results import Result, significance_stars
from ..estimation import feols
from ..estimation.result import RegressionResult
from ._event_study import EventStudyResult, normal_bands
from ._first_stage import group_sums
from ._staggered import COHORT, REL, TIME, UNIT, Y, StaggeredPanel, last_treated_as_control, staggered_panel

CELL = "_cw_cell"
AGGREGATIONS = ("simple", "group", "dynamic", "calendar")
_AGG_INDEX = {"group": "cohort", "dynamic": "event_time", "calendar": "time"}


@dataclass
class CellEffects:
    """Observation-level treatment effects of the rows in a treatment cell, and their gradients in the coefficients.

    Any aggregate is a weighted mean of ``effect`` over some rows; its gradient is the same mean of ``gradient``.
    """

    rows: pd.DataFrame  # cohort, time, event_time of each row in a cell
    effect: np.ndarray
    gradient: np.ndarray  # rows x coefficients
    weight: np.ndarray
    vcov: np.ndarray  # of the coefficients

    def aggregate(self, keys: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Weighted means of the effects within each value of ``keys`` (rows where ``mask``): values, estimates, vcov."""
        values, codes = np.unique(keys[mask], return_inverse=True)
        w = self.weight[mask]
        totals = group_sums(w[:, None], codes)[:, 0]
        est = group_sums((w * self.effect[mask])[:, None], codes)[:, 0] / totals
        grad = group_sums(w[:, None] * self.gradient[mask], codes) / totals[:, None]
        return values, est, grad @ self.vcov @ grad.T


class EtwfeResult(Result):
    """ATT(g, t) of every treatment cell (``.table``), the overall ATT (``.att``, ``.se``) and ``.aggregate()``."""

    def __init__(self, family: str, fit: RegressionResult, effects: CellEffects, info: dict, level: float) -> None:
        self.family = family
        self.regression = fit
        self._effects = effects
        self.info = info
        self.level = level
        post = effects.rows["event_time"].to_numpy() >= 0
        _, est, vcov = effects.aggregate(np.zeros(post.size), post)
        self.att, self.se = float(est[0]), float(np.sqrt(vcov[0, 0]))

    @property
    def table(self) -> pd.DataFrame:
        """``cohort, time, event_time, estimate, se, conf_low, conf_high, p_value`` per cell (ATT(g, t))."""
        rows = self._effects.rows
        cell = (rows["cohort"] * 1e5 + rows["time"]).to_numpy()
        keys, est, vcov = self._effects.aggregate(cell, np.ones(cell.size, dtype=bool))
        first = pd.Series(np.arange(cell.size)).groupby(cell).first().loc[keys].to_numpy()
        se = np.sqrt(np.clip(np.diag(vcov), 0, None))
        low, high, p = normal_bands(est, se, self.level)
        out = rows.iloc[first].reset_index(drop=True)
        return out.assign(estimate=est, se=se, conf_low=low, conf_high=high, p_value=p)

    def aggregate(self, type: str = "simple") -> EventStudyResult:
        """Average the observation-level effects of treated rows (event time >= 0): overall (``"simple"``), by cohort
        (``"group"``), by event time (``"dynamic"``) or by period (``"calendar"``), as R's ``etwfe::emfx``.

        The weights are the rows' observation weights (so cells count by their size); standard errors are
        delta-method with the weights held fixed. ``.att`` of every aggregation is the overall ATT.
        """
        if type not in AGGREGATIONS:
            raise ChipwarError(f"aggregate(type={type!r}): use one of {AGGREGATIONS}")
        rows = self._effects.rows
        post = rows["event_time"].to_numpy() >= 0
        name = _AGG_INDEX.get(type, "estimand")
        keys = rows[name].to_numpy(dtype=float) if type != "simple" else np.zeros(len(rows))
        values, est, vcov = self._effects.aggregate(keys, post)
        return EventStudyResult(
            method=f"ETWFE ({self.family}) {type} aggregation",
            index_name=name,
            index=values if type != "simple" else np.array(["ATT"]),
            estimates=est,
            vcov=vcov,
            att=self.att,
            se=self.se,
            info={k: v for k, v in self.info.items() if isinstance(v, str | int | float)},
            level=self.level,
        )

    def tidy(self) -> pd.DataFrame:
        """``term, estimate, std_error, statistic, p_value, conf_low, conf_high``: the ATT, then every ATT(g, t)."""
        t = self.table
        est = np.concatenate([[self.att], t["estimate"]])
        se = np.concatenate([[self.se], t["se"]])
        low, high, p = normal_bands(est, se, self.level)
        terms = ["ATT"] + [f"ATT({g:g},{s:g})" for g, s in zip(t["cohort"], t["time"])]
        return pd.DataFrame({"term": terms, "estimate": est, "std_error": se, "statistic": est / se, "p_value": p,
                             "conf_low": low, "conf_high": high})

    def summary(self) -> str:
        head = [f"Extended TWFE (Wooldridge 2023), family {self.family}"]
        head += [f"{k}: {v}" for k, v in self.info.items() if isinstance(v, str | int | float)]
        rows = [f"{'':<18} {'Estimate':>12} {'Std. Error':>12} {'z value':>9} {'Pr(>|z|)':>10}"]
        for r in self.tidy().itertuples():
            rows.append(f"{r.term:<18} {r.estimate:>12.6g} {r.std_error:>12.6g} {r.statistic:>9.4g} "
                        f"{r.p_value:>10.4g} {significance_stars(r.p_value)}")
        return "\n".join(head + ["-" * len(rows[0])] + rows)

    def plot(self, ax=None):
        """The dynamic aggregation (event-study plot); returns the matplotlib Axes."""
        return self.aggregate("dynamic").plot(ax=ax)


def _covariate_terms(panel: StaggeredPanel, frame: pd.DataFrame, fixef: str) -> tuple[list[str], dict[str, str]]:
    """Wooldridge's covariate terms: X, X x cohort, X x period, and the treatment cells x X demeaned within cohort
    (so the cell coefficient is the effect at the cohort's mean X). Terms the fixed effects absorb (X and X x cohort
    of a covariate constant within units, under unit fixed effects) are left out rather than dropped with a warning.
    Returns the terms and, per covariate, the name of its demeaned column (added to ``frame``)."""
    terms: list[str] = []
    demeaned: dict[str, str] = {}
    first_period = float(panel.periods.min())
    for j, c in enumerate(panel.covariates):
        varies = (frame.groupby(UNIT)[c].nunique() > 1).any()
        if fixef == "cohort" or varies:
            terms += [f"`{c}`", f"i({COHORT}, `{c}`, ref=0)"]
        terms.append(f"i({TIME}, `{c}`, ref={first_period!r})")
        demeaned[c] = f"_cw_dm{j}"
        frame[demeaned[c]] = frame[c] - frame.groupby(COHORT)[c].transform("mean")
        terms.append(f"i({CELL}, {demeaned[c]}, ref=-1)")
    return terms, demeaned


def etwfe(
    data: object,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    family: str = "gaussian",
    fixef: str = "unit",
    covariates: list[str] | None = None,
    cgroup: str = "notyet",
    vcov: object = None,
    cluster: str | None = None,
    weights: str | None = None,
    level: float = 0.95,
) -> EtwfeResult:
    """Extended TWFE of Wooldridge (2023), as R's ``etwfe``.

    One regression of the outcome on a dummy for every treated cohort x period cell (period >= cohort) with
    ``fixef`` and period fixed effects. With ``cgroup="notyet"`` (default) the not-yet- and never-treated
    observations are the controls (without never-treated units, the last-treated cohort is, and the periods from
    its treatment on are removed, with a warning); with ``cgroup="never"`` the cells also cover the pre-treatment
    periods except the one before treatment, so only never-treated units are controls.

    Parameters
    ----------
    data : DataFrame
        Panel with one row per unit and period.
    outcome, unit, time, cohort : str
        Columns; ``cohort`` is the first treated period, 0 or NaN for never treated.
    family : {"gaussian"}
        The linear model (``feols``). The Poisson family needs ``fepois``, which this version does not have yet.
    fixef : {"unit", "cohort"}
        Unit or cohort fixed effects (with period fixed effects); identical cell effects in a balanced panel.
    covariates : list of str, optional
        Controls, entered with their cohort and period interactions and interacted (demeaned within cohort) with
        the treatment cells, as in Wooldridge (2023).
    cgroup : {"notyet", "never"}
        Control group.
    vcov : str or dict, optional
        Any ``feols`` vcov; default clustered by ``cluster`` or else by ``unit``.
    cluster : str, optional
        Cluster column (shorthand for ``vcov={"CRV1": cluster}``).
    weights : str, optional
        Regression weights, also weighting the aggregations.
    level : float
        Confidence level.

    Returns
    -------
    EtwfeResult
        ``.table`` (ATT(g, t)), ``.att``/``.se`` (the average effect over treated observations), ``.aggregate(type)``,
        ``.regression`` (the fitted ``feols``).
    """
    if family != "gaussian":
        raise ChipwarError(
            f"family={family!r} is not available: this version of etwfe supports 'gaussian' (the Poisson family "
            "needs fepois, which is not merged yet)"
        )
    if fixef not in ("unit", "cohort"):
        raise ChipwarError(f"fixef={fixef!r}: use 'unit' or 'cohort' (each with period fixed effects)")
    if cgroup not in ("notyet", "never"):
        raise ChipwarError(f"cgroup={cgroup!r}: use 'notyet' or 'never'")
    if vcov is not None and cluster is not None:
        raise ChipwarError("give either vcov= or cluster=, not both")
    panel = staggered_panel(data, outcome, unit, time, cohort, covariates, weights, cluster)
    frame = panel.frame
    control = "not yet treated" if cgroup == "notyet" else "never treated"
    if cgroup == "never":
        panel.require_never_treated("cgroup='never' needs as controls; use cgroup='notyet'")
    elif not panel.has_never_treated:
        frame, last = last_treated_as_control(frame, panel.cohorts, cohort)
        control = f"not yet treated (last cohort {last:g} as never treated)"

    in_cell = (frame[COHORT] > 0) & ((frame[REL] >= 0) if cgroup == "notyet" else (frame[REL] != -1))
    cells = frame.loc[in_cell, [COHORT, TIME]].drop_duplicates().sort_values([COHORT, TIME])
    cell_index = pd.MultiIndex.from_frame(cells)
    codes = np.full(len(frame), -1, dtype=np.int64)
    codes[in_cell.to_numpy()] = cell_index.get_indexer(pd.MultiIndex.from_frame(frame.loc[in_cell, [COHORT, TIME]]))
    frame = frame.assign(**{CELL: codes})
    cov_terms, demeaned = _covariate_terms(panel, frame, fixef)

    fe = UNIT if fixef == "unit" else COHORT
    spec = vcov if vcov is not None else {"CRV1": panel.cluster}
    fit = feols(f"{Y} ~ " + " + ".join([f"i({CELL}, ref=-1)", *cov_terms]) + f" | {fe} + {TIME}", frame,
                weights=weights, vcov=spec, fixef_rm="none")

    rows = frame.loc[in_cell]
    names = list(fit.coef.index)
    position = {n: j for j, n in enumerate(names)}
    gradient = np.zeros((len(rows), len(names)))
    cell_of_row = rows[CELL].to_numpy()
    for k in range(len(cells)):
        at = cell_of_row == k
        if f"{CELL}::{k}" not in position:
            raise ChipwarError(f"the treatment cell (cohort, period) = {tuple(cells.iloc[k])} could not be estimated "
                               "(collinear with the fixed effects)")
        gradient[at, position[f"{CELL}::{k}"]] = 1.0
        for c, dm in demeaned.items():
            name = f"{CELL}::{k}:{dm}"
            if name in position:
                gradient[at, position[name]] = rows.loc[at, dm].to_numpy()
    effects = CellEffects(
        rows=pd.DataFrame({"cohort": rows[COHORT].to_numpy(), "time": rows[TIME].to_numpy(),
                           "event_time": rows[REL].to_numpy()}),
        effect=gradient @ fit.coef.to_numpy(),
        gradient=gradient,
        weight=np.ones(len(rows)) if weights is None else rows[weights].to_numpy(dtype=float),
        vcov=fit.vcov.to_numpy(),
    )
    info = {
        "observations": fit.nobs,
        "units": int(frame[UNIT].nunique()),
        "control group": control,
        "fixed effects": f"{unit if fixef == 'unit' else cohort} + {time}",
        "standard errors": fit.vcov_type.replace(UNIT, unit).replace("_cw_cluster", str(cluster)),
    }
    return EtwfeResult("gaussian", fit, effects, info, level)
