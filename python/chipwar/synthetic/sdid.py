"""Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021), as in R's synthdid."""

from __future__ import annotations

import warnings
from concurrent.futures import Executor
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._errors import ChipwarError, ConvergenceWarning
from .._progress import default_progress, run_tasks
from .._results import Result, significance_stars
from ._panel import _describe, check_donors, long_panel, wide_outcome
from ._plots import plot_trajectories

_ESTIMATORS = ("sdid", "sc", "did")
_SE_METHODS = ("placebo", "bootstrap", "jackknife")


class SdidResult(Result):
    """Result of :func:`sdid`: the ATT, its standard error, and the unit and time weights."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    def confint(self, level: float = 0.95) -> pd.DataFrame:
        """Normal interval estimate +/- z se (synthdid's convention), columns ``lower`` and ``upper``."""
        z = float(_core.normal_quantile(0.5 + level / 2))
        return pd.DataFrame({"lower": [self.estimate - z * self.se], "upper": [self.estimate + z * self.se]}, index=["ATT"])

    @property
    def pvalue(self) -> float:
        """Two-sided normal p-value of the ATT."""
        return float(2 * (1 - _core.normal_cdf(abs(self.estimate / self.se)))) if self.se > 0 else float("nan")

    def tidy(self) -> pd.DataFrame:
        ci = self.confint()
        return pd.DataFrame(
            {
                "term": ["ATT"],
                "estimate": [self.estimate],
                "std_error": [self.se],
                "statistic": [self.estimate / self.se if self.se > 0 else np.nan],
                "p_value": [self.pvalue],
                "conf_low": ci["lower"].to_numpy(),
                "conf_high": ci["upper"].to_numpy(),
            }
        )

    def summary(self) -> str:
        names = {"sdid": "Synthetic difference-in-differences", "sc": "Synthetic control (synthdid)", "did": "Difference-in-differences"}
        ci = self.confint()
        top = self.unit_weights[self.unit_weights > 0].sort_values(ascending=False).head(5)
        lines = [
            f"{names[self.estimator]}: {self.n_treated} treated, {len(self.unit_weights)} control units; "
            f"{self.n_post} post- and {len(self.time_weights)} pre-periods",
            f"ATT {self.estimate:.6g}  SE {self.se:.6g} ({self.se_method}, {self.reps} replicates)  "
            f"p {self.pvalue:.4g} {significance_stars(self.pvalue)}",
            f"95% CI [{ci['lower'].iloc[0]:.6g}, {ci['upper'].iloc[0]:.6g}]",
            "Top unit weights: " + ", ".join(f"{k} {v:.3f}" for k, v in top.items()),
        ]
        return "\n".join(lines)

    def plot(self, ax: Any = None) -> Any:
        """Treated average vs the weighted control average, with the time weights shown under the pre-period."""
        treated = self.outcomes.loc[self.treated_units].mean(axis=0)
        synthetic = self.outcomes.loc[self.unit_weights.index].T @ self.unit_weights
        if self.estimator != "sc":
            # synthdid's plot shifts the control trajectory by the lambda-weighted pre-period gap (the DiD intercept).
            gap = (treated - synthetic).loc[self.time_weights.index] @ self.time_weights
            synthetic = synthetic + gap
        return plot_trajectories(
            treated, synthetic, self.treatment_time, ax=ax, labels=("treated", "synthetic control"),
            title=f"{self.estimator.upper()} estimate {self.estimate:.3g}", period_weights=self.time_weights,
        )


def _treatment_design(panel: pd.DataFrame, wide: pd.DataFrame, unit: str, time: str, treated: str) -> tuple[list, list, Any]:
    """Controls, treated units and the common adoption period from the 0/1 column ``treated``."""
    missing = int(panel[treated].isna().sum())
    if missing:
        raise ChipwarError(
            f"treatment column {treated!r} has missing values in {missing} row(s); every unit-period needs 0 or 1: "
            "fill them or drop those units"
        )
    indicator = wide_outcome(panel, treated, unit, time, need_complete=False)  # wide's sorted units and periods
    values = indicator.to_numpy()
    if not np.isin(values[~np.isnan(values)], (0.0, 1.0)).all():
        raise ChipwarError(f"column {treated!r} must be a 0/1 treatment indicator")
    values = np.nan_to_num(values)
    ever = values.any(axis=1)
    treated_units = list(wide.index[ever])
    controls = list(wide.index[~ever])
    if not treated_units:
        raise ChipwarError(f"no unit has {treated!r} == 1; mark the treated unit-periods with 1")
    check_donors(controls, unit)
    starts = {u: wide.columns[values[i].argmax()] for i, u in enumerate(wide.index) if ever[i]}
    first = sorted(set(starts.values()))
    if len(first) > 1:
        raise ChipwarError(
            f"treated units adopt at different {time!r} values ({_describe(first)}); sdid needs one common adoption "
            "period: estimate each cohort separately (subset the data) or use a staggered estimator such as cw.att_gt"
        )
    t0 = int(list(wide.columns).index(first[0]))
    not_absorbing = [u for i, u in enumerate(wide.index) if ever[i] and not values[i, t0:].all()]
    if not_absorbing:
        raise ChipwarError(
            f"treatment in {treated!r} switches off again for {_describe(not_absorbing)}; sdid needs treatment to stay on"
        )
    if t0 < 2:
        raise ChipwarError(f"treatment starts in the first or second period ({first[0]!r}); sdid needs at least two pre-periods")
    return controls, treated_units, first[0]


def _residualise(panel: pd.DataFrame, wide: pd.DataFrame, outcome: str, unit: str, time: str, covariates: list[str],
                 controls: list) -> tuple[pd.DataFrame, pd.Series]:
    """Outcome net of covariates: beta from a two-way fixed-effects regression on the control units only."""
    blocks = [wide_outcome(panel, c, unit, time) for c in covariates]
    def twoway_demean(m: np.ndarray) -> np.ndarray:
        return m - m.mean(axis=1, keepdims=True) - m.mean(axis=0, keepdims=True) + m.mean()
    y = twoway_demean(wide.loc[controls].to_numpy()).ravel()
    x = np.column_stack([twoway_demean(b.loc[controls].to_numpy()).ravel() for b in blocks])
    kept, coef, _, _ = _core.ols(x, y, None, 1e-10)
    dropped = [c for c, k in zip(covariates, kept) if not k]
    if dropped:
        raise ChipwarError(f"covariates {dropped} have no variation within units and periods among the controls (or are collinear); drop them")
    beta = pd.Series(coef, index=covariates)
    adjusted = wide - sum(b * beta[c] for c, b in zip(covariates, blocks))
    return adjusted, beta


def _replicate_chunk(task: tuple, y: np.ndarray) -> tuple[np.ndarray, bool]:
    t0, opts, omega, lam, index, offsets, n0s = task
    return _core.sdid_replicates(y, t0, opts, omega, lam, index, offsets, n0s)


def _replicate_designs(method: str, n0: int, n: int, reps: int, rng: np.random.Generator) -> list[tuple[np.ndarray, int]]:
    """Row subsets (controls first) and their number of controls, drawn as synthdid's placebo / bootstrap / jackknife."""
    n1 = n - n0
    if method == "placebo":
        return [(rng.permutation(n0), n0 - n1) for _ in range(reps)]
    if method == "bootstrap":
        designs = []
        while len(designs) < reps:
            rows = np.sort(rng.integers(0, n, size=n))
            controls = int((rows < n0).sum())
            if 0 < controls < n:  # synthdid redraws samples without controls or without treated units
                designs.append((rows, controls))
        return designs
    return [(np.delete(np.arange(n), i), n0 - (i < n0)) for i in range(n)]


def sdid(
    data: Any,
    outcome: str,
    unit: str,
    time: str,
    treated: str,
    estimator: str = "sdid",
    se: str = "placebo",
    reps: int = 200,
    seed: int | None = None,
    covariates: list[str] | None = None,
    executor: Executor | None = None,
    progress: bool | None = None,
) -> SdidResult:
    """Synthetic difference-in-differences and its SC and DiD special cases, with synthdid's defaults.

    Parameters
    ----------
    data : DataFrame
        Balanced long panel (one row per unit and period).
    outcome, unit, time : str
        Column names.
    treated : str
        0/1 column, 1 for treated units from the (common) adoption period on.
    estimator : {"sdid", "sc", "did"}
        ``"sdid"``: unit weights with zeta_omega = (N1 T1)^(1/4) sigma and an intercept, time weights with
        zeta_lambda = 1e-6 sigma, sigma the standard deviation of the controls' first differences in the pre-period;
        ``"sc"``: unit weights without intercept and zeta_omega = 1e-6 sigma, no time weights; ``"did"``: uniform weights.
        Weights come from synthdid's Frank-Wolfe (100 iterations, sparsify: weights <= max/4 set to 0, then up to
        10000 iterations; stop when the objective falls by less than (1e-5 sigma)^2).
    se : {"placebo", "bootstrap", "jackknife"}
        synthdid's variance estimators: placebo (controls permuted, the last N1 of them as pseudo-treated; needs more
        controls than treated units) and bootstrap (units resampled) re-estimate the weights in every replicate and
        report sqrt((R-1)/R) times the standard deviation; the jackknife (needs two or more treated units) keeps the
        weights fixed.
    reps : int
        Replicates for placebo / bootstrap.
    seed : int, optional
        Seed of the replicate draws (results are identical for any number of threads or executor).
    covariates : list of str, optional
        Residualise the outcome on these first: beta from a two-way fixed-effects regression on the control units
        (the "projected" approach of Kranz 2022); the estimate then uses Y - X beta.
    executor, progress
        Run the replicates in chunks on a ``concurrent.futures.Executor`` and show a progress bar.

    Returns
    -------
    SdidResult
        ``.estimate``, ``.se``, ``.confint()``, ``.unit_weights`` (by control unit), ``.time_weights`` (by pre-period),
        ``.replicates``, ``.tidy()``, ``.summary()``, ``.plot()``.
    """
    if estimator not in _ESTIMATORS:
        raise ChipwarError(f"estimator must be one of {_ESTIMATORS}, got {estimator!r}")
    if se not in _SE_METHODS:
        raise ChipwarError(f"se must be one of {_SE_METHODS}, got {se!r}")
    if se != "jackknife" and (not isinstance(reps, (int, np.integer)) or reps < 2):
        raise ChipwarError(f"reps must be an integer of at least 2, got {reps!r}")
    covariates = list(covariates or [])
    panel = long_panel(data, outcome, unit, time, extra=[treated, *covariates])
    wide = wide_outcome(panel, outcome, unit, time)
    controls, treated_units, start = _treatment_design(panel, wide, unit, time, treated)
    beta = None
    if covariates:
        wide, beta = _residualise(panel, wide, outcome, unit, time, covariates, controls)
    y = wide.loc[controls + treated_units].to_numpy(dtype=np.float64)
    n0, n = len(controls), y.shape[0]
    t0 = int(list(wide.columns).index(start))
    n1, t1 = n - n0, y.shape[1] - t0

    noise = float(np.std(np.diff(y[:n0, :t0], axis=1), ddof=1))
    if not noise > 0:
        raise ChipwarError(f"{outcome!r} has no variation over the pre-period among the controls; sdid cannot weight them")
    opts = dict(
        zeta_omega=(n1 * t1) ** 0.25 * noise, zeta_lambda=1e-6 * noise, omega_intercept=True, lambda_intercept=True,
        update_omega=True, update_lambda=True, min_decrease=1e-5 * noise, max_iter=10000, max_iter_pre_sparsify=100,
        sparsify=True,
    )
    omega0, lambda0 = np.empty(0), np.empty(0)
    if estimator == "sc":
        opts.update(zeta_omega=1e-6 * noise, omega_intercept=False, update_lambda=False)
        lambda0 = np.zeros(t0)
    elif estimator == "did":
        opts.update(update_omega=False, update_lambda=False)
    estimate, omega, lam, converged = _core.sdid_fit(y, n0, t0, opts, omega0, lambda0)

    if se == "placebo" and n0 <= n1:
        raise ChipwarError(f"the placebo SE needs more control than treated units ({n0} vs {n1}); use se='bootstrap'")
    if se == "jackknife" and n1 < 2:
        raise ChipwarError("the jackknife SE is undefined with a single treated unit (synthdid returns NA); use se='placebo'")
    rng = np.random.default_rng(seed)
    designs = _replicate_designs(se, n0, n, reps, rng)
    rep_opts = dict(opts)
    if se == "jackknife":  # synthdid's jackknife keeps the fitted weights
        rep_opts.update(update_omega=False, update_lambda=False)
    # Chunks exist for the progress bar and for an executor; run here without a bar, all replicates go to one C++
    # call, whose threads then share them out to the end instead of idling at the end of every chunk.
    show_progress = default_progress() if progress is None else progress
    n_chunks = 1 if executor is None and not show_progress else min(len(designs), 10)
    chunks = np.array_split(np.arange(len(designs)), n_chunks)
    tasks = []
    for chunk in chunks:
        rows = [designs[i][0] for i in chunk]
        offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).tolist()
        tasks.append((t0, rep_opts, omega, lam, np.concatenate(rows).tolist(), offsets, [designs[i][1] for i in chunk]))
    # the panel is shared by every chunk: sent once to a dask cluster, not once per chunk
    outputs = run_tasks(_replicate_chunk, tasks, executor=executor, progress=progress, desc=f"sdid {se}",
                        shared={"y": y})
    replicates = np.concatenate([o[0] for o in outputs])
    converged = converged and all(o[1] for o in outputs)
    if se == "jackknife":
        m = len(replicates)
        std_error = float(np.sqrt((m - 1) / m * (m - 1) * np.var(replicates, ddof=1)))
    else:
        std_error = float(np.std(replicates, ddof=0))
    if not converged:
        warnings.warn(
            "sdid: Frank-Wolfe reached max_iter=10000 before its objective stopped decreasing by min_decrease^2 (as "
            "synthdid's defaults often do; the published synthdid numbers are these iterates)",
            ConvergenceWarning, stacklevel=2,
        )
    time_weights = pd.Series(lam, index=wide.columns[:t0], name="time_weight")
    return SdidResult(
        estimate=float(estimate), se=std_error, se_method=se, reps=len(replicates), estimator=estimator,
        unit_weights=pd.Series(omega, index=pd.Index(controls, name=unit), name="unit_weight"),
        time_weights=time_weights.rename_axis(time), replicates=replicates, converged=bool(converged),
        treated_units=treated_units, treatment_time=start, n_treated=n1, n_post=t1, covariate_coef=beta,
        outcomes=wide,
    )
