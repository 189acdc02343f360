"""Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021), as in R's synthdid."""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Any

import numpy as np
import pandas as pd

from .. import kernels
from .._errors import ChipwarError
from .._progress import run_tasks
from ._panel import adoption_design, long_panel, wide_outcome
from .sdid_core import (
    _ESTIMATORS,
    _SE_METHODS,
    SdidResult,
    _replicate_chunk,
    _replicate_designs,
    _residualise,
    fit_options,
    replicate_chunks,
    replicate_se,
    warn_not_converged,
)


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
        Balanced long panel (one row per unit and period); unbalanced panels are refused.
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
    wide = wide_outcome(panel, outcome, unit, time)
    controls, treated_units, starts = adoption_design(panel, wide, unit, time, treated, "sdid")
    beta = None
    if covariates:
        wide, beta = _residualise(panel, wide, outcome, unit, time, covariates, controls)
    if len(set(starts.values())) > 1:
        # imported here: the staggered estimator builds on this module's helpers
        from .sdid_staggered import staggered_sdid

        return staggered_sdid(
            wide,
            controls,
            starts,
            estimator=estimator,
            se=se,
            reps=reps,
            seed=seed,
            covariate_coef=beta,
            executor=executor,
            progress=progress,
            outcome=outcome,
            level=level,
        )
    start = starts[treated_units[0]]
    y = wide.loc[controls + treated_units].to_numpy(dtype=np.float64)
    n0, n = len(controls), y.shape[0]
    t0 = int(list(wide.columns).index(start))
    n1, t1 = n - n0, y.shape[1] - t0

    opts, omega0, lambda0 = fit_options(y, n0, t0, estimator, outcome)
    estimate, omega, lam, converged = kernels.sdid_fit(y, n0, t0, opts, omega0, lambda0)

    if se == "placebo" and n0 <= n1:
        raise ChipwarError(f"the placebo SE needs more control than treated units ({n0} vs {n1}); use se='bootstrap'")
    if se == "jackknife" and n1 < 2:
        raise ChipwarError(
            "the jackknife SE is undefined with a single treated unit (synthdid returns NA); use se='placebo'"
        )
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
    outputs = run_tasks(
        _replicate_chunk, tasks, executor=executor, progress=progress, desc=f"sdid {se}", shared={"y": y}
    )
    replicates = np.concatenate([o[0] for o in outputs])
    converged = converged and all(o[1] for o in outputs)
    std_error = replicate_se(se, replicates)
    if not converged:
        warn_not_converged(stacklevel=2)
    time_weights = pd.Series(lam, index=wide.columns[:t0], name="time_weight")
    return SdidResult(
        estimate=float(estimate),
        se=std_error,
        se_method=se,
        reps=len(replicates),
        estimator=estimator,
        unit_weights=pd.Series(omega, index=pd.Index(controls, name=unit), name="unit_weight"),
        time_weights=time_weights.rename_axis(time),
        replicates=replicates,
        converged=bool(converged),
        treated_units=treated_units,
        treatment_time=start,
        n_treated=n1,
        n_post=t1,
        covariate_coef=beta,
        outcomes=wide,
        level=level,
    )
