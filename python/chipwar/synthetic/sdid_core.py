"""The pieces block and staggered SDID share: the result type, synthdid's fit options, replicate designs and SEs."""

from __future__ import annotations

import warnings
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import kernels
from .._errors import ChipwarError, ConvergenceWarning
from .._progress import default_progress
from .._results import Result, significance_stars
from ._panel import wide_outcome
from ._plots import plot_trajectories

_ESTIMATORS = ("sdid", "sc", "did")
_SE_METHODS = ("placebo", "bootstrap", "jackknife")
ESTIMATOR_NAMES = {
    "sdid": "Synthetic difference-in-differences",
    "sc": "Synthetic control (synthdid)",
    "did": "Difference-in-differences",
}
# sdid needs every cell; these estimators of the package fill the missing ones from a factor model


@dataclass(repr=False, eq=False, kw_only=True)
class SdidResult(Result):
    """Result of :func:`sdid`: the ATT, its standard error, and the unit and time weights."""

    estimate: float  # the ATT
    se: float
    se_method: str  # "placebo", "bootstrap" or "jackknife"
    reps: int  # replicates behind se
    estimator: str  # "sdid", "sc" or "did"
    unit_weights: pd.Series
    time_weights: pd.Series
    replicates: np.ndarray
    converged: bool
    treated_units: list[Any]
    treatment_time: Any
    n_treated: int
    n_post: int
    covariate_coef: pd.Series | None  # covariates= residualisation (None without)
    outcomes: pd.DataFrame  # units x periods
    level: float = 0.95

    def confint(self, level: float | None = None) -> pd.DataFrame:
        """Normal interval estimate +/- z se (synthdid's convention), columns ``conf_low`` and ``conf_high``
        (``level``: the fit's ``level`` unless given)."""
        level = self.level if level is None else level
        z = float(kernels.normal_quantile(0.5 + level / 2))
        return pd.DataFrame(
            {"conf_low": [self.estimate - z * self.se], "conf_high": [self.estimate + z * self.se]}, index=["ATT"]
        )

    @property
    def pvalue(self) -> float:
        """Two-sided normal p-value of the ATT."""
        return float(2 * (1 - kernels.normal_cdf(abs(self.estimate / self.se)))) if self.se > 0 else float("nan")

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        ci = self.confint(level)
        return pd.DataFrame(
            {
                "term": ["ATT"],
                "estimate": [self.estimate],
                "std_error": [self.se],
                "statistic": [self.estimate / self.se if self.se > 0 else np.nan],
                "p_value": [self.pvalue],
                "conf_low": ci["conf_low"].to_numpy(),
                "conf_high": ci["conf_high"].to_numpy(),
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
            f"{self.level:.0%} CI [{ci['conf_low'].iloc[0]:.6g}, {ci['conf_high'].iloc[0]:.6g}]",
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
            treated,
            synthetic,
            self.treatment_time,
            ax=ax,
            labels=("treated", "synthetic control"),
            title=f"{self.estimator.upper()} estimate {self.estimate:.3g}",
            period_weights=self.time_weights,
        )


def _residualise(
    panel: pd.DataFrame, wide: pd.DataFrame, outcome: str, unit: str, time: str, covariates: list[str], controls: list
) -> tuple[pd.DataFrame, pd.Series]:
    """Outcome net of covariates: beta from a two-way fixed-effects regression on the control units only."""
    blocks = [wide_outcome(panel, c, unit, time) for c in covariates]

    def twoway_demean(m: np.ndarray) -> np.ndarray:
        return m - m.mean(axis=1, keepdims=True) - m.mean(axis=0, keepdims=True) + m.mean()

    y = twoway_demean(wide.loc[controls].to_numpy()).ravel()
    x = np.column_stack([twoway_demean(b.loc[controls].to_numpy()).ravel() for b in blocks])
    kept, coef, _, _ = kernels.ols(x, y, None, 1e-10)
    dropped = [c for c, k in zip(covariates, kept) if not k]
    if dropped:
        raise ChipwarError(
            f"covariates {dropped} have no variation within units and periods among the controls (or are collinear); drop them"
        )
    beta = pd.Series(coef, index=covariates)
    adjusted = wide - sum(b * beta[c] for c, b in zip(covariates, blocks))
    return adjusted, beta


def fit_options(y: np.ndarray, n0: int, t0: int, estimator: str, outcome: str) -> tuple[dict, np.ndarray, np.ndarray]:
    """synthdid's Frank-Wolfe options and starting weights for the block ``y`` (controls in its first ``n0`` rows)."""
    n1, t1 = y.shape[0] - n0, y.shape[1] - t0
    noise = float(np.std(np.diff(y[:n0, :t0], axis=1), ddof=1))
    if not noise > 0:
        raise ChipwarError(
            f"{outcome!r} has no variation over the pre-period among the controls; sdid cannot weight them"
        )
    opts = dict(
        zeta_omega=(n1 * t1) ** 0.25 * noise,
        zeta_lambda=1e-6 * noise,
        omega_intercept=True,
        lambda_intercept=True,
        update_omega=True,
        update_lambda=True,
        min_decrease=1e-5 * noise,
        max_iter=10000,
        max_iter_pre_sparsify=100,
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
    return kernels.sdid_replicates(y, t0, opts, omega, lam, index, offsets, n0s)


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
        ConvergenceWarning,
        stacklevel=stacklevel + 1,
    )


def _replicate_designs(
    method: str, n0: int, n: int, reps: int, rng: np.random.Generator
) -> list[tuple[np.ndarray, int]]:
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
