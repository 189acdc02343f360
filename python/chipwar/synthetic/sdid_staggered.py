"""Synthetic DiD for staggered adoption, as Clarke, Pailañir, Athey & Imbens's Stata ``sdid`` (Arkhangelsky et al.
2021, Appendix A): one synthdid fit per adoption cohort against the never-treated units, aggregated with weights
proportional to each cohort's treated unit-periods, and placebo / bootstrap / jackknife replicates of the aggregate.

``cw.sdid`` comes here when the treated units adopt at different periods; with one cohort every step reduces to the
block estimator of :mod:`.sdid` (same fit, same replicate draws, same numbers).
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import kernels
from .._errors import ChipwarError
from .._progress import run_tasks
from .._results import significance_stars
from ._panel import _describe
from ._plots import _axes, plot_weights
from .sdid_core import (
    ESTIMATOR_NAMES,
    SdidResult,
    _replicate_designs,
    fit_options,
    replicate_chunks,
    replicate_se,
    warn_not_converged,
)


@dataclass(frozen=True)
class _Cohort:
    """One adoption cohort: its start, its number of pre-periods, its rows of ``y`` and its fitted weights."""

    start: Any
    t0: int
    opts: dict
    omega: np.ndarray
    lam: np.ndarray
    estimate: float


def cohort_shares(n_treated: np.ndarray, n_post: np.ndarray) -> np.ndarray:
    """Stata sdid's aggregation weights: N_a T_post,a over their sum (cohorts with no treated unit get 0).

    Normalised before the dot product, as Stata does, so that one cohort gets the weight 1.0 exactly and the
    aggregate equals its estimate to the bit."""
    units_periods = np.asarray(n_treated, dtype=float) * np.asarray(n_post, dtype=float)
    return units_periods / units_periods.sum(axis=-1, keepdims=True)


@dataclass(repr=False, eq=False, kw_only=True)
class StaggeredSdidResult(SdidResult):
    """Result of :func:`chipwar.sdid` with staggered adoption: the aggregate ATT and one row per adoption cohort.

    Attributes
    ----------
    estimate, se : float
        The aggregate ATT (cohort estimates weighted by their treated unit-periods) and its replicate SE.
    cohorts : DataFrame
        Indexed by adoption period: ``estimate``, ``std_error`` (from the same replicates), ``n_treated``,
        ``n_pre``, ``n_post`` and ``weight`` (the cohort's share of the aggregate).
    unit_weights : DataFrame
        Control units x cohorts (omega of each cohort's fit).
    time_weights : DataFrame
        Periods x cohorts (lambda of each cohort's fit over its pre-periods, NaN from its adoption on).
    replicates, cohort_replicates : ndarray
        Aggregate ATT per replicate; cohort estimates per replicate (replicates x cohorts, NaN where a bootstrap
        draw holds no unit of the cohort).
    adoption : Series
        Adoption period of each treated unit.
    """

    unit_weights: pd.DataFrame  # type: ignore[assignment]
    time_weights: pd.DataFrame  # type: ignore[assignment]
    cohorts: pd.DataFrame
    cohort_replicates: np.ndarray
    adoption: pd.Series

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """The aggregate (term ``ATT``) and each cohort (``cohort::<start>``), normal intervals at ``level``."""
        level = self.level if level is None else level
        z = float(kernels.normal_quantile(0.5 + level / 2))
        estimate = np.concatenate([[self.estimate], self.cohorts["estimate"].to_numpy()])
        std_error = np.concatenate([[self.se], self.cohorts["std_error"].to_numpy()])
        with np.errstate(divide="ignore", invalid="ignore"):
            statistic = np.where(std_error > 0, estimate / std_error, np.nan)
        p_value = 2 * (1 - np.asarray(kernels.normal_cdf(np.abs(statistic)), dtype=float))
        return pd.DataFrame(
            {
                "term": ["ATT"] + [f"cohort::{c}" for c in self.cohorts.index],
                "estimate": estimate,
                "std_error": std_error,
                "statistic": statistic,
                "p_value": p_value,
                "conf_low": estimate - z * std_error,
                "conf_high": estimate + z * std_error,
            }
        )

    def summary(self) -> str:
        names = ESTIMATOR_NAMES
        table = self.tidy()
        lines = [
            (
                f"{names[self.estimator]}, staggered adoption: {self.n_treated} treated units in {len(self.cohorts)} "
                f"cohorts, {len(self.unit_weights)} never-treated controls; aggregated by treated unit-periods "
                "(Clarke et al.'s Stata sdid)"
            ),
            f"SE: {self.se_method}, {self.reps} replicates; intervals at {self.level:.0%}",
            f"{'term':>16} {'estimate':>11} {'SE':>10} {'low':>11} {'high':>11} {'weight':>7}",
        ]
        weights = [1.0, *self.cohorts["weight"]]
        for row, w in zip(table.itertuples(), weights):
            lines.append(
                f"{row.term:>16} {row.estimate:>11.5g} {row.std_error:>10.5g} {row.conf_low:>11.5g} "
                f"{row.conf_high:>11.5g} {w:>7.3f} {significance_stars(row.p_value)}"
            )
        return "\n".join(lines)

    def cohort(self, start: Any) -> SdidResult:
        """The fit of one cohort as a block :class:`SdidResult` (its weights, outcomes and replicate SE)."""
        if start not in self.cohorts.index:
            raise ChipwarError(f"no adoption cohort {start!r}; the cohorts are {_describe(self.cohorts.index)}")
        row = self.cohorts.loc[start]
        units = [u for u, a in self.adoption.items() if a == start]
        t0 = int(row["n_pre"])
        position = list(self.cohorts.index).index(start)
        return SdidResult(
            estimate=float(row["estimate"]),
            se=float(row["std_error"]),
            se_method=self.se_method,
            reps=self.reps,
            estimator=self.estimator,
            unit_weights=self.unit_weights[start].rename("unit_weight"),
            time_weights=self.time_weights[start].iloc[:t0].rename("time_weight"),
            replicates=self.cohort_replicates[:, position],
            converged=self.converged,
            treated_units=units,
            treatment_time=start,
            n_treated=len(units),
            n_post=int(row["n_post"]),
            covariate_coef=self.covariate_coef,
            outcomes=self.outcomes.loc[list(self.unit_weights.index) + units],
            level=self.level,
        )

    def plot(self, cohort: Any = None, ax: Any = None) -> Any:
        """Cohort estimates with their intervals beside the aggregate; with ``cohort=``, that cohort's treated
        average against its synthetic control (as :meth:`SdidResult.plot`)."""
        if cohort is not None:
            return self.cohort(cohort).plot(ax=ax)
        ax = _axes(ax)
        table = self.tidy()
        rows = table.iloc[1:]
        x = np.arange(len(rows))
        ax.errorbar(
            x,
            rows["estimate"],
            yerr=[rows["estimate"] - rows["conf_low"], rows["conf_high"] - rows["estimate"]],
            fmt="o",
            capsize=3,
            color="tab:blue",
            label="cohort estimate",
        )
        ax.axhspan(table["conf_low"].iloc[0], table["conf_high"].iloc[0], color="tab:orange", alpha=0.2)
        ax.axhline(self.estimate, color="tab:orange", label=f"aggregate ATT {self.estimate:.3g}")
        ax.axhline(0.0, color="grey", linewidth=0.8)
        ax.set_xticks(x)
        ax.set_xticklabels([str(c) for c in self.cohorts.index])
        ax.set_xlabel("adoption cohort")
        ax.set_ylabel(f"estimate and {self.level:.0%} interval")
        ax.legend()
        return ax

    def plot_weights(self, cohort: Any, ax: Any = None) -> Any:
        """The control units' weights in one cohort's fit."""
        return plot_weights(self.cohort(cohort).unit_weights, ax=ax, title=f"unit weights, cohort {cohort}")


def _cohort_chunk(task: tuple, y: np.ndarray) -> tuple[list[np.ndarray], bool]:
    """Each cohort's estimates on its replicate row subsets: one C++ call per cohort over all of the chunk's replicates."""
    outputs, converged = [], True
    for t0, opts, omega, lam, index, offsets, n0s in task:
        values, ok = (
            kernels.sdid_replicates(y, t0, opts, omega, lam, index, offsets, n0s) if n0s else (np.empty(0), True)
        )
        outputs.append(values)
        converged = converged and ok
    return outputs, converged


def _check_se_design(se: str, n0: int, labels: np.ndarray, starts: list) -> None:
    n1 = len(labels)
    if se == "placebo" and n0 <= n1:
        raise ChipwarError(f"the placebo SE needs more control than treated units ({n0} vs {n1}); use se='bootstrap'")
    if se == "jackknife":
        single = [starts[c] for c in range(len(starts)) if (labels == c).sum() < 2]
        if single:
            raise ChipwarError(
                f"the jackknife SE needs at least two treated units in every adoption cohort (Stata sdid's rule); "
                f"cohorts {_describe(single)} have one: use se='placebo' or se='bootstrap'"
            )


def staggered_sdid(
    wide: pd.DataFrame,
    controls: list,
    starts: dict,
    estimator: str,
    se: str,
    reps: int,
    seed: int | None,
    covariate_coef: pd.Series | None,
    executor: Executor | None,
    progress: bool | None,
    outcome: str,
    level: float = 0.95,
) -> StaggeredSdidResult:
    """Cohort-by-cohort SDID on the (balanced, possibly residualised) units x periods matrix ``wide``.

    Rows of the working matrix: the controls, then the treated units by adoption period and unit. A replicate is
    a row subset whose first rows are its controls (drawn by :func:`._replicate_designs`, as the block estimator
    draws them); its remaining rows keep their cohort, except in the placebo, where the pseudo-treated controls take
    the adoption periods of the treated units in order (Stata sdid's ``placebo_treat``). Each cohort of a replicate
    is refitted from the full-sample weights with the full-sample options (zeta, min_decrease), as synthdid's
    replicates are; the jackknife keeps the weights fixed.
    """
    periods = list(wide.columns)
    treated_units = sorted(starts, key=lambda u: (periods.index(starts[u]), u))
    cohort_starts = sorted(set(starts.values()), key=periods.index)
    labels = np.array([cohort_starts.index(starts[u]) for u in treated_units])  # cohort of each treated row
    y = wide.loc[controls + treated_units].to_numpy(dtype=np.float64)
    n0, n, n_periods = len(controls), y.shape[0], y.shape[1]
    _check_se_design(se, n0, labels, cohort_starts)

    cohorts, converged = [], True
    for c, start in enumerate(cohort_starts):
        t0 = periods.index(start)
        # built as the block estimator builds its matrix: numpy's reductions (the noise level) follow the memory
        # layout, so a copy in another layout would move zeta by an ulp and one cohort would no longer be the block fit
        block = wide.loc[controls + [u for u, lab in zip(treated_units, labels) if lab == c]].to_numpy(dtype=np.float64)
        opts, omega0, lambda0 = fit_options(block, n0, t0, estimator, outcome)
        estimate, omega, lam, ok = kernels.sdid_fit(block, n0, t0, opts, omega0, lambda0)
        cohorts.append(_Cohort(start, t0, opts, omega, lam, float(estimate)))
        converged = converged and ok
    n_treated = np.bincount(labels, minlength=len(cohorts))
    n_post = np.array([n_periods - c.t0 for c in cohorts])
    shares = cohort_shares(n_treated, n_post)
    estimate = float(shares @ np.array([c.estimate for c in cohorts]))

    designs = _replicate_designs(se, n0, n, reps, np.random.default_rng(seed))
    row_labels = np.concatenate([np.full(n0, -1), labels])
    replicate_labels = [labels if se == "placebo" else row_labels[rows[n0r:]] for rows, n0r in designs]
    tasks, positions = [], []
    for chunk in replicate_chunks(len(designs), executor, progress):
        task, chunk_positions = [], []
        for c, cohort in enumerate(cohorts):
            members = [i for i in chunk if (replicate_labels[i] == c).any()]
            rows = [
                np.concatenate(
                    [designs[i][0][: designs[i][1]], designs[i][0][designs[i][1] :][replicate_labels[i] == c]]
                )
                for i in members
            ]
            offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(int).tolist()
            opts = dict(cohort.opts)
            if se == "jackknife":  # synthdid's and Stata's jackknife keep the fitted weights
                opts.update(update_omega=False, update_lambda=False)
            index = np.concatenate(rows).astype(int).tolist() if rows else []
            task.append((cohort.t0, opts, cohort.omega, cohort.lam, index, offsets, [designs[i][1] for i in members]))
            chunk_positions.append(members)
        tasks.append(task)
        positions.append(chunk_positions)
    # the panel is shared by every chunk: sent once to a dask cluster, not once per chunk
    outputs = run_tasks(_cohort_chunk, tasks, executor=executor, progress=progress, desc=f"sdid {se}", shared={"y": y})
    cohort_replicates = np.full((len(designs), len(cohorts)), np.nan)
    for (values, ok), chunk_positions in zip(outputs, positions):
        converged = converged and ok
        for c, members in enumerate(chunk_positions):
            cohort_replicates[members, c] = values[c]
    counts = np.array([np.bincount(lab, minlength=len(cohorts)) for lab in replicate_labels])
    replicate_shares = cohort_shares(counts, n_post)
    replicates = np.nansum(replicate_shares * np.nan_to_num(cohort_replicates), axis=1)
    cohort_se = [
        replicate_se(se, cohort_replicates[~np.isnan(cohort_replicates[:, c]), c]) for c in range(len(cohorts))
    ]
    if not converged:
        warn_not_converged(stacklevel=3)  # staggered_sdid is called by sdid, whose caller the warning names

    time_index = wide.columns
    time_weights = pd.DataFrame(
        {c.start: np.concatenate([c.lam, np.full(n_periods - c.t0, np.nan)]) for c in cohorts}, index=time_index
    )
    time_weights.columns.name = "cohort"
    unit_weights = pd.DataFrame({c.start: c.omega for c in cohorts}, index=pd.Index(controls, name=wide.index.name))
    unit_weights.columns.name = "cohort"
    table = pd.DataFrame(
        {
            "estimate": [c.estimate for c in cohorts],
            "std_error": cohort_se,
            "n_treated": n_treated,
            "n_pre": [c.t0 for c in cohorts],
            "n_post": n_post,
            "weight": shares,
        },
        index=pd.Index(cohort_starts, name="cohort"),
    )
    return StaggeredSdidResult(
        estimate=estimate,
        se=replicate_se(se, replicates),
        se_method=se,
        reps=len(replicates),
        estimator=estimator,
        cohorts=table,
        unit_weights=unit_weights,
        time_weights=time_weights,
        replicates=replicates,
        cohort_replicates=cohort_replicates,
        converged=bool(converged),
        treated_units=treated_units,
        adoption=pd.Series(starts).loc[treated_units].rename("adoption"),
        treatment_time=cohort_starts[0],
        n_treated=len(treated_units),
        n_post=int(n_post.max()),
        covariate_coef=covariate_coef,
        outcomes=wide,
        level=level,
    )
