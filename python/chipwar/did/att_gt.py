"""Callaway & Sant'Anna (2021) group-time average treatment effects, as R's ``did::att_gt`` computes them."""

from __future__ import annotations

import warnings
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import kernels
from .._errors import ChipwarError, ChipwarWarning, ConvergenceWarning
from .._options import interval_alpha, replicates
from .._results import Result, WaldTest, significance_stars
from ..model.checks import cluster_codes, require_clusters
from ..model.frame import as_pandas
from . import _att_gt_rc, _inference
from ._panel import NEVER, Panel, balance, cohorts, make_panel, unit_constant, unit_level_codes

_METHODS = {"dr": 0, "ipw": 1, "reg": 2}
_CONTROLS = ("never", "notyet")
_BASES = ("varying", "universal")
# did refuses a cell when a fitted propensity score reaches this level (overlap failure).
_OVERLAP_LIMIT = 0.999


@dataclass
class _Cells:
    """The (g, t) cells to estimate, in did's order (by cohort, then period)."""

    cohort: list[float] = field(default_factory=list)
    period: list[int] = field(default_factory=list)  # period index of t
    base: list[int] = field(default_factory=list)  # period index of the base period
    control_after: list[float] = field(default_factory=list)

    def add(self, g: float, t: int, base: int, control_after: float) -> None:
        self.cohort.append(g)
        self.period.append(t)
        self.base.append(base)
        self.control_after.append(control_after)


def _plan_cells(periods: np.ndarray, groups: np.ndarray, control: str, anticipation: int, base_period: str) -> _Cells:
    """did's loop over groups and periods: which base period and which comparison units each ATT(g, t) uses."""
    cells = _Cells()
    first_t = 1 if base_period == "varying" else 0
    for g in groups:
        # Last period before treatment (net of anticipation): the base of every post-treatment cell.
        last_pre = int(np.flatnonzero(periods + anticipation < g)[-1])
        for t in range(first_t, len(periods)):
            post = g <= periods[t]
            base = last_pre if (post or base_period == "universal") else t - 1
            # Not-yet-treated comparison units must be untreated (net of anticipation) in both periods.
            after = NEVER if control == "never" else periods[max(t, base)] + anticipation
            cells.add(float(g), t, base, float(after))
    return cells


def _validate_options(control: str, method: str, base_period: str, anticipation: Any) -> None:
    if control not in _CONTROLS:
        raise ChipwarError(f"control must be one of {_CONTROLS}, got {control!r}")
    if method not in _METHODS:
        raise ChipwarError(f"method must be one of {tuple(_METHODS)}, got {method!r}")
    if base_period not in _BASES:
        raise ChipwarError(f"base_period must be one of {_BASES}, got {base_period!r}")
    if not isinstance(anticipation, (int, np.integer)) or anticipation < 0:
        raise ChipwarError(f"anticipation must be a non-negative integer number of periods, got {anticipation!r}")


def _unit_weights(panel: Panel, weights: str | None) -> np.ndarray:
    if weights is None:
        return np.ones(panel.n_units)
    w = unit_constant(panel, weights, role="weights column")
    if (w < 0).any() or not np.isfinite(w).all():
        raise ChipwarError(f"weights column {weights!r} must be finite and non-negative")
    if w.sum() <= 0:
        raise ChipwarError(f"weights column {weights!r} sums to zero")
    return w / w.mean()


def _covariate_matrix(panel: Panel, covariates: list[str]) -> np.ndarray:
    """(n * T) x k covariates, period-major, as the kernel expects; each covariate must vary."""
    if not covariates:
        return np.zeros((0, 0))
    columns = []
    for c in covariates:
        wide = panel.wide(c)
        if np.nanmax(wide) - np.nanmin(wide) <= 1e-12 * max(1.0, np.nanmax(np.abs(wide))):
            raise ChipwarError(
                f"covariate {c!r} has no variation (it is collinear with the intercept); drop it from covariates"
            )
        columns.append(wide.T.reshape(-1))
    return np.asfortranarray(np.column_stack(columns))


def att_gt(
    data: Any,
    outcome: str,
    unit: str | None,
    time: str,
    cohort: str,
    control: str = "never",
    method: str = "dr",
    covariates: list[str] | None = None,
    anticipation: int = 0,
    base_period: str = "varying",
    weights: str | None = None,
    cluster: str | None = None,
    bootstrap: int | None = None,
    seed: int | None = None,
    panel: bool = True,
    allow_unbalanced_panel: bool = False,
    alpha: float | None = None,
    multiplier: str = "rademacher",
    executor: Executor | None = None,
    progress: bool | None = None,
    level: float | None = None,
    reps: int | None = None,
) -> ATTgtResult:
    """Group-time average treatment effects of Callaway & Sant'Anna (2021).

    Every ATT(g, t) -- the effect in period t on the units first treated in period g -- is a two-period DiD of
    the cohort against a comparison group between t and a base period, computed as R's ``did::att_gt`` does
    with DRDID's panel estimators: doubly robust (``drdid_panel``), normalised inverse probability weighting
    (``std_ipw_did_panel``) or outcome regression (``reg_did_panel``), with a logit propensity score and a
    linear outcome model of the change among comparison units, fitted in C++. With ``panel=False`` (repeated
    cross sections) or ``allow_unbalanced_panel=True`` the cross-section estimators are used instead:
    ``drdid_rc`` (the locally efficient doubly robust one), ``std_ipw_did_rc`` or ``reg_did_rc``, with outcome
    models per group and period.

    Parameters
    ----------
    data : DataFrame
        Long balanced panel (units not observed in every period are dropped with a warning, as did does, unless
        ``allow_unbalanced_panel``), or repeated cross sections (one row per observation) with ``panel=False``.
    outcome, unit, time : str
        Outcome, unit identifier and numeric period columns. ``unit`` is not used with ``panel=False`` (each row
        is its own observation; pass None or any column).
    cohort : str
        First treated period of each unit; 0 or NaN for never treated. As in did, a cohort after the last period
        counts as never treated, and units treated in the first period (plus ``anticipation``) are not estimated.
    control : {"never", "notyet"}
        Comparison units: never treated, or never treated plus those not yet treated (by
        ``max(t, base) + anticipation``).
    method : {"dr", "ipw", "reg"}
        Doubly robust, inverse probability weighting, or outcome regression.
    covariates : list of str, optional
        Covariates of the propensity score and outcome models, taken in the earlier of the two periods of each
        cell (did's convention). An intercept is always included.
    anticipation : int
        Number of periods before ``cohort`` in which units may already react.
    base_period : {"varying", "universal"}
        did's base period: pre-treatment cells compare consecutive periods ("varying") or every period with
        the last pre-treatment period ("universal", whose own cell is reported as 0 with a missing SE).
    weights : str, optional
        Sampling weights, constant within unit (normalised to mean 1).
    cluster : str, optional
        Cluster variable constant within unit. Influence functions are averaged within clusters as did does
        (exactly did's bootstrap convention; the analytic SEs use the same cluster means). Clustering on
        ``unit`` is the default and is ignored.
    bootstrap : int, optional
        Number of multiplier-bootstrap replicates (``reps=`` is the same keyword in the common vocabulary). With it, SEs are bootstrap SEs (interquartile range) and
        ``conf_low``/``conf_high`` are uniform (sup-t) bands, as did's default ``cband=TRUE``.
    seed : int, optional
        Seed of the bootstrap (a random one is drawn and stored in ``res.seed`` if None).
    panel : bool
        True for panel data; False for repeated cross sections (did's ``panel=FALSE``): the cohort, weights and
        cluster columns then belong to each row.
    allow_unbalanced_panel : bool
        Keep the units of an unbalanced panel instead of dropping them: the panel is estimated with the
        repeated-cross-section estimators and the observations' influence functions are summed within unit, so
        inference is clustered by unit (did's option of the same name). Used even when the panel is balanced.
    alpha : float, optional
        Deprecated alias of ``1 - level`` (warns).
    multiplier : {"rademacher", "mammen"}
        Bootstrap multiplier weights (did uses Rademacher).
    executor : concurrent.futures.Executor, optional
        Runs chunks of bootstrap replicates (the draws do not depend on where they run).
    progress : bool, optional
        Progress bar for the bootstrap (default: on in notebooks).
    level : float
        Confidence level of the intervals and bands (default 0.95).
    reps : int, optional
        Number of multiplier-bootstrap replicates (``bootstrap=``, not both).

    Returns
    -------
    ATTgtResult
        ``.table`` (cohort, time, att, se, conf_low, conf_high, ...), ``.aggregate()``, ``.pretest()``.

    Notes
    -----
    Analytic standard errors are ``sqrt(diag(inf' inf) / n**2)`` with did's influence functions (rescaled by
    ``n / n_cell``); the results reproduce ``did`` 2.x to about 1e-10 on ``mpdta``. One deliberate exception: with
    ``panel=False``, ``method="dr"`` and covariates, DRDID's ``drdid_rc`` (which did calls) gives the pre-period
    comparison outcome regression's estimation effect the wrong sign; ours is the exact linearisation (checked
    against an M-estimation delta method and diff-diff in tests/test_did_attgt_rc_se.py). The two agree
    asymptotically when the propensity score is right, and differed by up to 3% in standard errors on mpdta.
    """
    alpha = interval_alpha(level, alpha)
    bootstrap = replicates(reps, bootstrap, "bootstrap")
    _validate_options(control, method, base_period, anticipation)
    if not panel and allow_unbalanced_panel:
        raise ChipwarError(
            "allow_unbalanced_panel=True applies to panel data only; with panel=False every row is already its own "
            "observation -- drop one of the two options"
        )
    covariates = list(covariates or [])
    frame = as_pandas(data)
    if not panel:
        frame = frame.assign(**{_att_gt_rc.ROW_ID: np.arange(len(frame))})
        unit = _att_gt_rc.ROW_ID
    elif unit is None:
        raise ChipwarError("unit is required for panel data; pass the unit identifier column (or panel=False)")
    by_row = not panel or allow_unbalanced_panel
    if cluster is not None and cluster in frame:  # a missing cluster is an error (as in the other estimators), not
        cluster_codes(frame[cluster], cluster)  # a row make_panel would drop
    extra = [c for c in (weights, cluster) if c is not None]
    p = make_panel(
        frame,
        unit,
        time,
        [outcome, cohort, *covariates, *extra],
        numeric=[outcome, cohort, *covariates, *([weights] if weights else [])],
        missing_allowed=[cohort],
        outcome=outcome,
    )
    if not by_row:
        p = balance(p)
    g_unit = cohorts(p, cohort, anticipation)
    periods = p.periods
    if not np.all(np.diff(periods) > 0):  # pragma: no cover - periods are unique and sorted by construction
        raise ChipwarError(f"time column {time!r} must be increasing")

    already = np.isfinite(g_unit) & (g_unit <= periods[0] + anticipation)
    groups = np.unique(g_unit[np.isfinite(g_unit) & ~already])
    treated_cohorts = np.unique(g_unit[np.isfinite(g_unit)])
    if already.any():
        warnings.warn(
            f"dropped {int(already.sum())} {f'units of {unit!r}' if panel else 'observations'} already treated in the "
            "first period "
            f"(cohort column {cohort!r} <= {periods[0] + anticipation:g})",
            ChipwarWarning,
            stacklevel=2,
        )
        keep = ~already
        p = make_panel(
            p.frame.loc[keep[p.unit_codes]], unit, time, list(p.frame.columns), missing_allowed=list(p.frame.columns)
        )
        g_unit = g_unit[keep]
    if groups.size == 0:
        if anticipation and treated_cohorts.size:
            raise ChipwarError(
                f"anticipation={anticipation} leaves no cohort of {cohort!r} with an untreated period: every cohort "
                f"({', '.join(f'{c:g}' for c in treated_cohorts[:5])}) starts within {anticipation} periods of the "
                f"first period {periods[0]:g} of {time!r}; lower anticipation (below "
                f"{treated_cohorts.max() - periods[0]:g})"
            )
        raise ChipwarError(
            f"cohort column {cohort!r} has no treated cohort after the first period; it must hold the first "
            "treated period (0 or NaN for never treated)"
        )
    if control == "never" and not np.isinf(g_unit).any():
        raise ChipwarError(
            f"no never-treated units (cohort column {cohort!r} is never 0/NaN); use control='notyet' or add "
            "never-treated units"
        )

    w_unit = _unit_weights(p, weights)
    clustering = _inference.Clustering()
    if cluster is not None and cluster != unit:
        codes = unit_level_codes(p, cluster, role="cluster column")
        require_clusters(cluster, int(codes.max()) + 1)
        clustering = _inference.Clustering(codes)

    cells = _plan_cells(periods, groups, control, int(anticipation), base_period)
    try:
        if by_row:
            att, inf, n_treated, n_control, ps_converged, max_ps = _att_gt_rc.group_time_rc(
                p, outcome, g_unit, w_unit, _att_gt_rc.covariate_rows(p, covariates), _METHODS[method], cells
            )
        else:
            att, inf, n_treated, n_control, ps_converged, max_ps = kernels.did_group_time(
                np.asfortranarray(p.wide(outcome)),
                g_unit,
                _covariate_matrix(p, covariates),
                w_unit,
                _METHODS[method],
                cells.period,
                cells.base,
                cells.cohort,
                cells.control_after,
            )
    except ChipwarError as err:
        raise _explain_cell_error(err, cells, periods, cohort, covariates) from None
    if allow_unbalanced_panel:
        inf = _att_gt_rc.sum_by_unit(p, inf)

    res = cell_result(
        ATTgtResult,
        cells,
        periods,
        (att, inf, n_treated, n_control, ps_converged, max_ps),
        method,
        covariates,
        g_unit,
        w_unit,
        clustering,
        alpha,
        dict(
            outcome=outcome,
            unit=unit if panel else None,
            time=time,
            cohort=cohort,
            control=control,
            method=method,
            covariates=covariates,
            anticipation=int(anticipation),
            base_period=base_period,
            cluster=cluster,
            weights=weights,
            multiplier=multiplier,
            panel=panel,
            allow_unbalanced_panel=allow_unbalanced_panel,
        ),
        outcome_scale=_inference.outcome_scale(p.frame[outcome].to_numpy()),
    )
    res._infer(bootstrap, seed, executor, progress)
    return res


def cell_result(
    result_type: type[ATTgtResult],
    cells: _Cells,
    periods: np.ndarray,
    kernel_output: tuple[Any, ...],
    method: str,
    covariates: list[str],
    unit_cohort: np.ndarray,
    unit_weights: np.ndarray,
    clustering: _inference.Clustering,
    alpha: float,
    info: dict[str, Any],
    **extra: Any,
) -> Any:
    """The result of a group-time kernel's ``(att, inf, n_treated, n_control, ps_converged, max_pscore)``: the
    universal base period's own cells set to 0, overlap checked (warnings point at the estimator's caller)."""
    att, inf, n_treated, n_control, ps_converged, max_ps = kernel_output
    zero_cell = np.asarray(cells.period) == np.asarray(cells.base)  # universal base period's own cell
    att[zero_cell] = 0.0
    inf[:, zero_cell] = 0.0
    _check_propensity(method, cells, periods, max_ps, ps_converged, covariates, stacklevel=4)
    return result_type(
        cohorts=np.asarray(cells.cohort),
        times=periods[cells.period],
        base_times=periods[cells.base],
        att=att,
        inf=inf,
        n_treated=n_treated,
        n_control=n_control,
        unit_cohort=unit_cohort,
        unit_weights=unit_weights,
        clustering=clustering,
        alpha=alpha,
        info=info,
        **extra,
    )


def _explain_cell_error(
    err: ChipwarError, cells: _Cells, periods: np.ndarray, cohort: str, covariates: list[str]
) -> ChipwarError:
    """Turn the kernel's "cell j: ..." into a message naming the cohort, period, column and fix."""
    text = str(err)
    if text.startswith("cell "):
        j = int(text.split(":")[0].split()[1])
        what = text.split(": ", 1)[1]
        g, t = cells.cohort[j], periods[cells.period[j]]
        where = f"ATT(g={g:g}, t={t:g})"
        if "comparison" in what:
            return ChipwarError(
                f"{where}: no comparison units -- no never-treated and no not-yet-treated units in cohort column "
                f"{cohort!r}; add never-treated units or restrict the sample to periods before the last cohort "
                "is treated"
            )
        if "no observations" in what:
            return ChipwarError(
                f"{where}: {what} ({periods[cells.base[j]]:g} is the base period); repeated cross sections need "
                f"observations of the cohort and of its comparison group in both periods -- add observations or "
                f"drop cohort {g:g} (cohort column {cohort!r})"
            )
        if "singular" in what:
            return ChipwarError(
                f"{where}: {what}; covariates {covariates} cannot be fitted in this cell -- drop or recode them"
            )
        return ChipwarError(f"{where}: {what}")
    return err


def _check_propensity(
    method: str,
    cells: _Cells,
    periods: np.ndarray,
    max_ps: np.ndarray,
    converged: list[bool],
    covariates: list[str],
    stacklevel: int = 3,
) -> None:
    if method == "reg":
        return
    bad = np.flatnonzero(max_ps >= _OVERLAP_LIMIT)
    if bad.size:
        j = bad[0]
        raise ChipwarError(
            f"overlap fails for ATT(g={cells.cohort[j]:g}, t={periods[cells.period[j]]:g}): a propensity score "
            f"reaches {max_ps[j]:.4f} (covariates {covariates} nearly separate treated from comparison units); "
            "use fewer or coarser covariates, or method='reg'"
        )
    not_conv = [j for j, ok in enumerate(converged) if not ok]
    if not_conv:
        j = not_conv[0]
        warnings.warn(
            f"the propensity-score logit did not converge in {len(not_conv)} cells, e.g. ATT(g={cells.cohort[j]:g}, "
            f"t={periods[cells.period[j]]:g})",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )


@dataclass(repr=False)
class ATTgtResult(Result):
    """Group-time ATTs with their influence functions; see :func:`att_gt`.

    Attributes
    ----------
    table : DataFrame
        cohort, time, att, se, conf_low, conf_high, base_time, post, n_treated, n_control.
    vcov : ndarray
        Covariance of the ATT(g, t) estimates (analytic, or bootstrap if requested).
    crit : float
        Critical value of the confidence intervals (normal, or sup-t with the bootstrap).
    n_units : int
        Units used.
    seed : int or None
        Bootstrap seed actually used.
    """

    cohorts: np.ndarray
    times: np.ndarray
    base_times: np.ndarray
    att: np.ndarray
    inf: np.ndarray  # n x cells influence functions (did's scale)
    n_treated: np.ndarray
    n_control: np.ndarray
    unit_cohort: np.ndarray  # first treated period of each unit (inf: never)
    unit_weights: np.ndarray
    clustering: _inference.Clustering
    alpha: float
    info: dict[str, Any]
    bootstrap: int | None = None
    seed: int | None = None
    outcome_scale: float = 1.0  # what a numerically zero standard error is judged against
    # set by _infer (the inference of the cells; aggregations reuse the bootstrap settings)
    vcov: np.ndarray = field(init=False)
    se: np.ndarray = field(init=False)
    crit: float = field(init=False)
    boot: _inference.BootstrapResult | None = field(init=False, default=None)
    executor: Executor | None = field(init=False, default=None)
    progress: bool | None = field(init=False, default=None)

    @property
    def n_units(self) -> int:
        return self.inf.shape[0]

    # -- inference ---------------------------------------------------------------------------------------
    def _infer(self, bootstrap: int | None, seed: int | None, executor: Executor | None, progress: bool | None) -> None:
        self.vcov = _inference.analytic_vcov(self.inf, self.clustering)
        self.se = _inference.standard_errors(self.vcov, self.outcome_scale)
        self.crit = float(kernels.normal_quantile(1 - self.alpha / 2))
        self.boot = None
        if bootstrap is not None:
            self.bootstrap = int(bootstrap)
            self.seed = _inference.seed_or_random(seed)
            self.boot = _inference.multiplier_bootstrap(
                self.inf,
                self.clustering,
                self.bootstrap,
                self.seed,
                self.alpha,
                self.info["multiplier"],
                executor,
                progress,
                self.outcome_scale,
            )
            self.se = self.boot.se
            self.vcov = self.boot.vcov
            if np.isfinite(self.boot.crit):
                self.crit = self.boot.crit
        self.executor = executor
        self.progress = progress
        # the universal base period's own cells are zero by construction; any other zero variance is news
        vanished = np.flatnonzero(np.isnan(self.se) & (self.times != self.base_times))
        if vanished.size:
            j = vanished[0]
            warnings.warn(
                f"{vanished.size} ATT(g, t) have a numerically zero standard error, reported as NaN, e.g. "
                f"ATT(g={self.cohorts[j]:g}, t={self.times[j]:g}) ({self.n_treated[j]:g} treated and "
                f"{self.n_control[j]:g} comparison units): the outcome does not vary around the estimate",
                ChipwarWarning,
                stacklevel=3,
            )

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "cohort": self.cohorts,
                "time": self.times,
                "att": self.att,
                "se": self.se,
                "conf_low": self.att - self.crit * self.se,
                "conf_high": self.att + self.crit * self.se,
                "base_time": self.base_times,
                "post": self.times >= self.cohorts,
                "n_treated": self.n_treated,
                "n_control": self.n_control,
            }
        )

    @property
    def level(self) -> float:
        """Confidence level of the intervals."""
        return 1.0 - self.alpha

    def pretest(self) -> WaldTest:
        """Wald pre-test of parallel trends: all pre-treatment ATT(g, t) are zero (did's ``W``, ``Wpval``).

        Returns
        -------
        WaldTest
            ``statistic`` (chi-squared) and ``p_value`` (did rounds it to 5 digits; this one is exact); unpacks as
            ``stat, p = res.pretest()``.
        """
        pre = (self.cohorts > self.times) & np.isfinite(self.se)
        if not pre.any():
            raise ChipwarError("there are no pre-treatment ATT(g, t) to test (no cohort has a period before it)")
        a = self.att[pre]
        v = self.vcov[np.ix_(pre, pre)]
        # as did, no statistic for a singular covariance; a near-singular one would make solve() return garbage
        # (even a negative "chi-squared"), so singularity is judged from the eigenvalues
        eigval, eigvec = np.linalg.eigh((v + v.T) / 2)
        if not eigval.min() > 1e-10 * max(eigval.max(), 0.0):
            raise ChipwarError(
                "the covariance of the pre-treatment ATT(g, t) is (numerically) singular; no Wald pre-test "
                "(did returns none either); inspect the pre-period estimates or use placebo waves"
            )
        stat = float(np.sum((eigvec.T @ a) ** 2 / eigval))
        return WaldTest(stat, float(kernels.chi2_sf(stat, int(pre.sum()))))

    def aggregate(
        self,
        type: str = "group",
        balance_e: int | None = None,
        min_e: float = -np.inf,
        max_e: float = np.inf,
    ) -> Any:
        """Aggregate the ATT(g, t) as ``did::aggte``; see :func:`chipwar.did.aggregate.aggregate`."""
        from .aggregate import aggregate

        return aggregate(self, type, balance_e=balance_e, min_e=min_e, max_e=max_e)

    # -- presentation ------------------------------------------------------------------------------------
    def tidy(self) -> pd.DataFrame:
        t = self.table
        z = t["att"] / t["se"]
        p = np.full(len(z), np.nan)  # no test for a universal base period's 0 (its SE is missing)
        finite = np.isfinite(z.to_numpy())
        p[finite] = 2 * (1 - kernels.normal_cdf(np.abs(z.to_numpy()[finite])))
        return pd.DataFrame(
            {
                "term": [f"ATT({g:g},{tt:g})" for g, tt in zip(t["cohort"], t["time"])],
                "cohort": t["cohort"],
                "time": t["time"],
                "estimate": t["att"],
                "std_error": t["se"],
                "statistic": z,
                "p_value": p,
                "conf_low": t["conf_low"],
                "conf_high": t["conf_high"],
            }
        )

    def summary(self) -> str:
        i = self.info
        band = (
            f"uniform {100 * (1 - self.alpha):g}% band (multiplier bootstrap, {self.bootstrap} reps, seed {self.seed})"
            if self.boot is not None
            else f"pointwise {100 * (1 - self.alpha):g}% intervals (analytic SEs)"
        )
        lines = [
            f"Group-time ATTs (Callaway & Sant'Anna 2021): {i['outcome']}, method={i['method']}, "
            f"control={i['control']}, base_period={i['base_period']}",
            f"units: {self.n_units}, cohorts: {', '.join(f'{g:g}' for g in np.unique(self.cohorts))}; {band}",
            f"{'cohort':>8} {'time':>8} {'ATT':>11} {'SE':>10} {'low':>11} {'high':>11}",
        ]
        for r in self.table.itertuples():
            p = 2 * (1 - float(kernels.normal_cdf(abs(r.att / r.se)))) if np.isfinite(r.se) and r.se > 0 else np.nan
            lines.append(
                f"{r.cohort:>8g} {r.time:>8g} {r.att:>11.5f} {r.se:>10.5f} {r.conf_low:>11.5f} {r.conf_high:>11.5f} "
                f"{significance_stars(p)}"
            )
        try:
            stat, pval = self.pretest()
            lines.append(f"Pre-test of parallel trends: W = {stat:.4f}, p = {pval:.5f}")
        except ChipwarError:
            pass
        return "\n".join(lines)

    def plot(self, ax: Any = None) -> Any:
        """ATT(g, t) against time, one series per cohort, with the confidence intervals; returns the Axes."""
        from ._plots import plot_group_time

        return plot_group_time(self, ax)
