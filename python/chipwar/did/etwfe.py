"""Wooldridge's (2023) extended two-way fixed effects (ETWFE), linear (feols) and Poisson (fepois): cohort x period
treatment interactions in one regression, aggregated to the ATT and to cohort, event-time and calendar effects with
delta-method SEs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._errors import ChipwarError
from .._results import Result, significance_stars
from ..estimation import feols, fepois
from ..estimation.result import RegressionResult
from ..vcov import parse_vcov
from ._event_study import EventStudyResult, normal_bands
from ._first_stage import group_sums
from ._staggered import (
    COHORT,
    REL,
    TIME,
    UNIT,
    StaggeredPanel,
    Y,
    cell_codes,
    last_treated_as_control,
    staggered_panel,
)

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
        """Weighted means of the effects within each value of ``keys`` (rows where ``mask``; one key column, or a
        matrix whose rows are keys): the sorted key values, the estimates and their covariance."""
        values, codes = np.unique(keys[mask], axis=0, return_inverse=True)
        codes = codes.reshape(-1)
        w = self.weight[mask]
        totals = group_sums(w[:, None], codes)[:, 0]
        est = group_sums((w * self.effect[mask])[:, None], codes)[:, 0] / totals
        grad = group_sums(w[:, None] * self.gradient[mask], codes) / totals[:, None]
        return values, est, grad @ self.vcov @ grad.T


class EtwfeResult(Result):
    """ATT(g, t) of every treatment cell (``.table``), the overall ATT (``.att``, ``.se``) and ``.aggregate()``."""

    def __init__(
        self, family: str, fit: RegressionResult, effects: CellEffects, cells: pd.DataFrame, info: dict, level: float
    ) -> None:
        self.family = family
        self.regression = fit
        self._effects = effects
        self._cells = cells
        self.info = info
        self.level = level
        post = effects.rows["event_time"].to_numpy() >= 0
        _, est, vcov = effects.aggregate(np.zeros(post.size), post)
        self.att, self.se = float(est[0]), float(np.sqrt(vcov[0, 0]))

    @property
    def estimate(self) -> float:
        """The overall ATT (``att``), by the name every single-number result uses."""
        return self.att

    @property
    def table(self) -> pd.DataFrame:
        """``cohort, time, event_time, estimate, se, conf_low, conf_high, p_value`` per cell (ATT(g, t))."""
        rows = self._effects.rows
        keys, est, vcov = self._effects.aggregate(rows[["cohort", "time"]].to_numpy(), np.ones(len(rows), dtype=bool))
        se = np.sqrt(np.clip(np.diag(vcov), 0, None))
        low, high, p = normal_bands(est, se, self.level)
        return pd.DataFrame(
            {
                "cohort": keys[:, 0],
                "time": keys[:, 1],
                "event_time": keys[:, 1] - keys[:, 0],
                "estimate": est,
                "se": se,
                "conf_low": low,
                "conf_high": high,
                "p_value": p,
            }
        )

    @property
    def cell_coefficients(self) -> pd.DataFrame:
        """``cohort, time, coefficient, se``: the regression coefficient of every cell's dummy (for the Poisson
        family the log of the ratio of treated to untreated expected outcomes, at the cohort's mean covariates)."""
        names = [f"{CELL}::{k}" for k in range(len(self._cells))]
        return self._cells.reset_index(drop=True).assign(
            coefficient=self.regression.coef.reindex(names).to_numpy(), se=self.regression.se.reindex(names).to_numpy()
        )

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
        return pd.DataFrame(
            {
                "term": terms,
                "estimate": est,
                "std_error": se,
                "statistic": est / se,
                "p_value": p,
                "conf_low": low,
                "conf_high": high,
            }
        )

    def summary(self) -> str:
        head = [f"Extended TWFE (Wooldridge 2023), family {self.family}"]
        head += [f"{k}: {v}" for k, v in self.info.items() if isinstance(v, str | int | float)]
        rows = [f"{'':<18} {'Estimate':>12} {'Std. Error':>12} {'z value':>9} {'Pr(>|z|)':>10}"]
        for r in self.tidy().itertuples():
            rows.append(
                f"{r.term:<18} {r.estimate:>12.6g} {r.std_error:>12.6g} {r.statistic:>9.4g} "
                f"{r.p_value:>10.4g} {significance_stars(r.p_value)}"
            )
        return "\n".join(head + ["-" * len(rows[0])] + rows)

    def plot(self, ax=None):
        """The dynamic aggregation (event-study plot); returns the matplotlib Axes."""
        return self.aggregate("dynamic").plot(ax=ax)


def _poisson_effects(fit, frame: pd.DataFrame, in_cell: np.ndarray, cells: pd.DataFrame, demeaned: dict[str, str]):
    """Effects on the outcome's scale of the cell rows fepois kept: ``mu - mu exp(-tau)`` with ``tau`` the row's
    treatment term on the log scale, and its gradient ``mu x - mu exp(-tau) (x - d tau / d beta)`` in the
    coefficients (fixed effects held at their estimates, as R's etwfe/marginaleffects do)."""
    design = fit._fit.design  # rows of ``frame`` in the estimation sample (separated ones are gone)
    names = list(fit.coef.index)
    wanted = np.flatnonzero(in_cell)
    where = np.clip(np.searchsorted(design.obs_index, wanted), 0, design.nobs - 1)
    kept = design.obs_index[where] == wanted
    rows = frame.iloc[wanted[kept]]
    d = _treatment_derivative(rows, cells, names, demeaned)
    x = design.x[where[kept]][:, [design.x_names.index(n) for n in names]]
    mu = fit.fitted[where[kept]]
    untreated_mu = mu * np.exp(-(d @ fit.coef.to_numpy()))
    return rows, mu - untreated_mu, mu[:, None] * x - untreated_mu[:, None] * (x - d)


def _treatment_derivative(rows: pd.DataFrame, cells: pd.DataFrame, names: list[str], demeaned: dict[str, str]):
    """How switching treatment on moves each cell row's linear predictor, per coefficient (rows x ``names``): 1 for
    the row's cell dummy and the row's demeaned covariate for its cell x covariate terms."""
    position = pd.Series(np.arange(len(names), dtype=float), index=names)
    cell = rows[CELL].to_numpy()
    at = np.arange(len(rows))
    dummy = position.reindex([f"{CELL}::{k}" for k in range(len(cells))]).to_numpy()
    if np.isnan(dummy).any():
        lost = [tuple(cells.iloc[k]) for k in np.flatnonzero(np.isnan(dummy))]
        raise ChipwarError(
            f"treatment cell(s) (cohort, period) {lost[:3]} could not be estimated (collinear with the fixed effects)"
        )
    out = np.zeros((len(rows), len(names)))
    out[at, dummy.astype(np.int64)[cell]] = 1.0
    for dm in demeaned.values():
        col = position.reindex([f"{CELL}::{k}:{dm}" for k in range(len(cells))]).to_numpy()[cell]
        kept = ~np.isnan(col)  # a cell x covariate term the regression dropped contributes nothing
        out[at[kept], col[kept].astype(np.int64)] = rows[dm].to_numpy()[kept]
    return out


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
    family : {"gaussian", "poisson"}
        The linear model (``feols``) or Poisson pseudo-maximum likelihood (``fepois``, log link; zeros in the outcome
        are data). Poisson effects are on the outcome's scale: each treated row's ``mu - mu exp(-tau)``, averaged.
    fixef : {"unit", "cohort"} or str
        Unit or cohort fixed effects, each with period fixed effects (identical cell effects in a balanced panel),
        or any fixed effects written with the data's columns, e.g. ``"pair + exporter^year + importer^year"`` for
        a gravity model whose unit is the pair (they must absorb unit and period effects for ETWFE to hold).
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
        ``.regression`` (the fitted ``feols`` / ``fepois``), ``.cell_coefficients``.
    """
    if family not in ("gaussian", "poisson"):
        raise ChipwarError(f"family={family!r}: use 'gaussian' (feols) or 'poisson' (fepois)")
    if not isinstance(fixef, str) or not fixef.strip():
        raise ChipwarError(f"fixef={fixef!r}: use 'unit', 'cohort' or fixed effects like 'pair + exporter^year'")
    user_fe = [] if fixef in ("unit", "cohort") else [c.strip() for p in fixef.split("+") for c in p.split("^")]
    if cgroup not in ("notyet", "never"):
        raise ChipwarError(f"cgroup={cgroup!r}: use 'notyet' or 'never'")
    if vcov is not None and cluster is not None:
        raise ChipwarError("give either vcov= or cluster=, not both")
    user_clusters = [c for part in parse_vcov(vcov).cluster_columns for c in part.split("^")]
    panel = staggered_panel(data, outcome, unit, time, cohort, covariates, weights, cluster, user_fe + user_clusters)
    frame = panel.frame
    if family == "poisson" and (frame[Y] < 0).any():  # checked here: fepois only knows the working name
        raise ChipwarError(
            f"outcome {outcome!r} has negative values; family='poisson' needs outcome >= 0 (counts, flows): use "
            "family='gaussian' for outcomes that can be negative"
        )
    control = "not yet treated" if cgroup == "notyet" else "never treated"
    if cgroup == "never":
        panel.require_never_treated("cgroup='never' needs as controls; use cgroup='notyet'")
    elif not panel.has_never_treated:
        frame, last = last_treated_as_control(frame, panel.cohorts, cohort)
        control = f"not yet treated (last cohort {last:g} as never treated)"

    in_cell = (frame[COHORT] > 0) & ((frame[REL] >= 0) if cgroup == "notyet" else (frame[REL] != -1))
    cells, codes = cell_codes(frame, in_cell, [COHORT, TIME])
    frame = frame.assign(**{CELL: codes})
    cov_terms, demeaned = _covariate_terms(panel, frame, fixef)

    fe = {"unit": f"{UNIT} + {TIME}", "cohort": f"{COHORT} + {TIME}"}.get(fixef, fixef)
    spec = vcov if vcov is not None else {"CRV1": panel.cluster}
    fml = f"{Y} ~ " + " + ".join([f"i({CELL}, ref=-1)", *cov_terms]) + f" | {fe}"
    if family == "gaussian":
        fit = feols(fml, frame, weights=weights, vcov=spec, fixef_rm="none")
        rows = frame.loc[in_cell]
        gradient = _treatment_derivative(rows, cells, list(fit.coef.index), demeaned)
        effect = gradient @ fit.coef.to_numpy()
    else:
        fit = fepois(fml, frame, weights=weights, vcov=spec, fixef_rm="none")
        rows, effect, gradient = _poisson_effects(fit, frame, in_cell.to_numpy(), cells, demeaned)
    effects = CellEffects(
        rows=pd.DataFrame(
            {"cohort": rows[COHORT].to_numpy(), "time": rows[TIME].to_numpy(), "event_time": rows[REL].to_numpy()}
        ),
        effect=effect,
        gradient=gradient,
        weight=np.ones(len(rows)) if weights is None else rows[weights].to_numpy(dtype=float),
        vcov=fit.vcov.to_numpy(),
    )
    info = {
        "observations": fit.nobs,
        "units": int(frame[UNIT].nunique()),
        "control group": control,
        "fixed effects": {"unit": f"{unit} + {time}", "cohort": f"{cohort} + {time}"}.get(fixef, fixef),
        "standard errors": fit.vcov_type.replace(UNIT, unit).replace("_cw_cluster", str(cluster)),
    }
    return EtwfeResult(family, fit, effects, cells.rename(columns={COHORT: "cohort", TIME: "time"}), info, level)
