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
from ._panel import adoption_design, long_panel, wide_outcome
from ._plots import plot_trajectories

_ESTIMATORS = ("sdid", "sc", "did")
_SE_METHODS = ("placebo", "bootstrap", "jackknife")
ESTIMATOR_NAMES = {"sdid": "Synthetic difference-in-differences", "sc": "Synthetic control (synthdid)",
                   "did": "Difference-in-differences"}
# sdid needs every cell; these estimators of the package fill the missing ones from a factor model
UNBALANCED_ALTERNATIVE = "cw.ife (interactive fixed effects) or cw.mc (matrix completion), which take unbalanced panels"


class SdidResult(Result):
    """Result of :func:`sdid`: the ATT, its standard error, and the unit and time weights."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    level: float = 0.95

    def confint(self, level: float | None = None) -> pd.DataFrame:
        """Normal interval estimate +/- z se (synthdid's convention), columns ``lower`` and ``upper`` (``level``:
        the fit's ``level`` unless given)."""
        level = self.level if level is None else level
        z = float(_core.normal_quantile(0.5 + level / 2))
        return pd.DataFrame({"lower": [self.estimate - z * self.se], "upper": [self.estimate + z * self.se]}, index=["ATT"])

    @property
    def pvalue(self) -> float:
        """Two-sided normal p-value of the ATT."""
        return float(2 * (1 - _core.normal_cdf(abs(self.estimate / self.se)))) if self.se > 0 else float("nan")

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        ci = self.confint(level)
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
        names = ESTIMATOR_NAMES
        ci = self.confint()
        top = self.unit_weights[self.unit_weights > 0].sort_values(ascending=False).head(5)
        lines = [
            f"{names[self.estimator]}: {self.n_treated} treated, {len(self.unit_weights)} control units; "
            f"{self.n_post} post- and {len(self.time_weights)} pre-periods",
            f"ATT {self.estimate:.6g}  SE {self.se:.6g} ({self.se_method}, {self.reps} replicates)  "
            f"p {self.pvalue:.4g} {significance_stars(self.pvalue)}",
            f"{self.level:.0%} CI [{ci['lower'].iloc[0]:.6g}, {ci['upper'].iloc[0]:.6g}]",
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


def fit_options(y: np.ndarray, n0: int, t0: int, estimator: str, outcome: str) -> tuple[dict, np.ndarray, np.ndarray]:
    """synthdid's Frank-Wolfe options and starting weights for the block ``y`` (controls in its first ``n0`` rows)."""
    n1, t1 = y.shape[0] - n0, y.shape[1] - t0
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
    return opts, omega0, lambda0


def _replicate_chunk(task: tuple, y: np.ndarray) -> tuple[np.ndarray, bool]:
    t0, opts, omega, lam, index, offsets, n0s = task
    return _core.sdid_replicates(y, t0, opts, omega, lam, index, offsets, n0s)


def replicate_chunks(n_designs: int, executor: Executor | None, progress: bool | None) -> list[np.ndarray]:
    """Replicate positions per task. Chunks exist for the progress bar and for an executor; run here without a bar,
    all replicates go to one C++ call, whose threads then share them out to the end instead of idling at the end of
    every chunk."""
    show_progress = default_progress() if progress is None else progress
    n_chunks = 1 if executor is None and not show_progress else min(n_designs, 10)
    return np.array_split(np.arange(n_designs), n_chunks)


def replicate_se(method: str, replicates: np.ndarray) -> float:
    """synthdid's standard errors: the jackknife's sqrt((m-1)/m (m-1) var), else sqrt((R-1)/R) times the SD."""
    if method == "jackknife":
        m = len(replicates)
        return float(np.sqrt((m - 1) / m * (m - 1) * np.var(replicates, ddof=1)))
    return float(np.std(replicates, ddof=0))


def warn_not_converged(stacklevel: int) -> None:
    """The ConvergenceWarning of sdid, pointing ``stacklevel`` frames above this call (the caller's line)."""
    warnings.warn(
        "sdid: Frank-Wolfe reached max_iter=10000 before its objective stopped decreasing by min_decrease^2 (as "
        "synthdid's defaults often do; the published synthdid numbers are these iterates)",
        ConvergenceWarning, stacklevel=stacklevel + 1,
    )


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
    level: float = 0.95,
) -> SdidResult:
    """Synthetic difference-in-differences and its SC and DiD special cases, with synthdid's defaults.

    Parameters
    ----------
    data : DataFrame
        Balanced long panel (one row per unit and period); unbalanced panels are refused (cw.ife / cw.mc take them).
    outcome, unit, time : str
        Column names.
    treated : str
        0/1 column, 1 for treated units from their adoption period on (treatment must stay on). When units adopt
        at different periods (staggered adoption) the estimate is Clarke, Pailanir, Athey & Imbens's (Stata
        ``sdid``; Arkhangelsky et al. 2021, Appendix A): each adoption cohort is fitted against the never-treated
        units over all periods (pre-periods before its adoption, post-periods from it to the end), and the ATT is
        the cohorts' estimates weighted by their treated unit-periods N_a T_post,a. Every option below then applies
        per cohort, and each replicate re-estimates the whole aggregate (see :class:`StaggeredSdidResult`).
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
        weights fixed. Staggered adoption, as Stata sdid: the placebo gives the treated units' adoption periods to
        randomly drawn controls; the bootstrap resamples units (which keep their cohort; cohorts a draw misses drop
        out of its aggregate); the jackknife leaves out each unit and needs two treated units in every cohort.
        Unlike Stata, whose replicates recompute the noise level sigma, the replicates keep each cohort's
        full-sample zeta and stopping rule, as synthdid's do (this keeps one cohort identical to the block case).
    reps : int
        Replicates for placebo / bootstrap.
    seed : int, optional
        Seed of the replicate draws (results are identical for any number of threads or executor).
    covariates : list of str, optional
        Residualise the outcome on these first: beta from a two-way fixed-effects regression on the control units
        (the "projected" approach of Kranz 2022); the estimate then uses Y - X beta.
    executor, progress
        Run the replicates in chunks on a ``concurrent.futures.Executor`` and show a progress bar.
    level : float
        Level of the normal intervals of ``confint()`` and ``tidy()``.

    Returns
    -------
    SdidResult
        ``.estimate``, ``.se``, ``.confint()``, ``.unit_weights`` (by control unit), ``.time_weights`` (by pre-period),
        ``.replicates``, ``.tidy()``, ``.summary()``, ``.plot()``. With staggered adoption a
        :class:`~chipwar.synthetic.sdid_staggered.StaggeredSdidResult`: the same plus ``.cohorts`` (estimate, SE,
        size and weight of each cohort), weights by cohort, ``.cohort(start)`` and ``.plot(cohort=...)``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, chipwar as cw
    >>> rng = np.random.default_rng(0)
    >>> units, years = [f"u{i}" for i in range(20)], np.arange(2000, 2016)
    >>> panel = pd.DataFrame([(u, t) for u in units for t in years], columns=["unit", "year"])
    >>> adopt = {"u18": 2008, "u19": 2011}
    >>> panel["treated"] = [float(t >= adopt.get(u, 9999)) for u, t in zip(panel.unit, panel.year)]
    >>> panel["y"] = rng.normal(size=len(panel)) + 2.0 * panel.treated
    >>> fit = cw.sdid(panel, "y", "unit", "year", "treated", se="placebo", reps=50, seed=1)
    >>> list(fit.cohorts.index), round(float(fit.cohorts.weight.sum()), 6)
    ([2008, 2011], 1.0)
    """
    if estimator not in _ESTIMATORS:
        raise ChipwarError(f"estimator must be one of {_ESTIMATORS}, got {estimator!r}")
    if se not in _SE_METHODS:
        raise ChipwarError(f"se must be one of {_SE_METHODS}, got {se!r}")
    if not 0 < level < 1:
        raise ChipwarError(f"level must be between 0 and 1, got {level!r}")
    if se != "jackknife" and (not isinstance(reps, (int, np.integer)) or reps < 2):
        raise ChipwarError(f"reps must be an integer of at least 2, got {reps!r}")
    covariates = list(covariates or [])
    panel = long_panel(data, outcome, unit, time, extra=[treated, *covariates])
    wide = wide_outcome(panel, outcome, unit, time, alternative=UNBALANCED_ALTERNATIVE)
    controls, treated_units, starts = adoption_design(panel, wide, unit, time, treated, "sdid")
    beta = None
    if covariates:
        wide, beta = _residualise(panel, wide, outcome, unit, time, covariates, controls)
    if len(set(starts.values())) > 1:
        # imported here: the staggered estimator builds on this module's helpers
        from .sdid_staggered import staggered_sdid

        return staggered_sdid(wide, controls, starts, estimator=estimator, se=se, reps=reps, seed=seed,
                              covariate_coef=beta, executor=executor, progress=progress, outcome=outcome,
                              level=level)
    start = starts[treated_units[0]]
    y = wide.loc[controls + treated_units].to_numpy(dtype=np.float64)
    n0, n = len(controls), y.shape[0]
    t0 = int(list(wide.columns).index(start))
    n1, t1 = n - n0, y.shape[1] - t0

    opts, omega0, lambda0 = fit_options(y, n0, t0, estimator, outcome)
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
    tasks = []
    for chunk in replicate_chunks(len(designs), executor, progress):
        rows = [designs[i][0] for i in chunk]
        offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).tolist()
        tasks.append((t0, rep_opts, omega, lam, np.concatenate(rows).tolist(), offsets, [designs[i][1] for i in chunk]))
    # the panel is shared by every chunk: sent once to a dask cluster, not once per chunk
    outputs = run_tasks(_replicate_chunk, tasks, executor=executor, progress=progress, desc=f"sdid {se}",
                        shared={"y": y})
    replicates = np.concatenate([o[0] for o in outputs])
    converged = converged and all(o[1] for o in outputs)
    std_error = replicate_se(se, replicates)
    if not converged:
        warn_not_converged(stacklevel=2)
    time_weights = pd.Series(lam, index=wide.columns[:t0], name="time_weight")
    return SdidResult(
        estimate=float(estimate), se=std_error, se_method=se, reps=len(replicates), estimator=estimator,
        unit_weights=pd.Series(omega, index=pd.Index(controls, name=unit), name="unit_weight"),
        time_weights=time_weights.rename_axis(time), replicates=replicates, converged=bool(converged),
        treated_units=treated_units, treatment_time=start, n_treated=n1, n_post=t1, covariate_coef=beta,
        outcomes=wide, level=level,
    )
