"""Synthetic control with prediction intervals, as Cattaneo, Feng, Palomba & Titiunik's scpi: one or several
treated units (staggered adoption), unit-time effects."""

from __future__ import annotations

import warnings
from concurrent.futures import Executor
from typing import Any

import numpy as np
import pandas as pd

from .. import kernels
from .._errors import ChipwarError, ConvergenceWarning
from .._progress import run_tasks
from .._results import Result
from ._plots import plot_trajectories, plot_weights
from ._scpi_data import scpi_data
from ._scpi_inference import (
    E_METHODS,
    U_SIGMAS,
    UnitFit,
    choose_rho,
    local_geometry,
    out_of_sample_bounds,
    out_of_sample_designs,
    pseudo_residuals,
    sigma_root,
)
from ._scpi_weights import fit_weights, resolve_constraint
from .sdid_core import replicate_chunks


class ScpiResult(Result):
    """Result of :func:`scpi`: weights, the synthetic path and prediction intervals for the counterfactual.

    Attributes
    ----------
    estimate : float
        Average post-period effect (treated minus synthetic); ``effects`` has it period by period.
    weights : Series
        Donor weights; ``coefficients`` adds the constant when ``constant=True``.
    constraint : WeightConstraint
        The weight set with its Q (and Q2 / lambda for ridge and L1-L2), scpi's defaults unless given.
    synthetic : DataFrame
        By period: ``treated`` and ``synthetic`` outcomes, pre- and post-period.
    intervals : dict of DataFrame
        Prediction intervals of the synthetic (counterfactual) outcome by post-period: ``"insample"`` (weights'
        uncertainty only) and one per out-of-sample method (``"gaussian"``, ``"ls"``, ``"qreg"``), columns
        ``lower`` and ``upper``.
    effects : DataFrame
        By post-period: ``effect`` and its interval from ``interval_method`` (``conf_low``, ``conf_high``).
    """

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    def tidy(self, method: str | None = None) -> pd.DataFrame:
        """The average effect (term ``ATT``, no interval: scpi gives period-wise ones) and each post-period effect
        (``effect::<period>``) with the prediction interval of ``method`` (default ``interval_method``)."""
        method = self.interval_method if method is None else method
        if method not in self.intervals:
            raise ChipwarError(f"no {method!r} intervals; this fit has {sorted(self.intervals)}")
        band = self.intervals[method]
        effect = self.effects["effect"]
        periods = list(effect.index)
        return pd.DataFrame(
            {
                "term": ["ATT"] + [f"effect::{t}" for t in periods],
                "estimate": np.concatenate([[self.estimate], effect.to_numpy()]),
                "std_error": np.nan,
                "statistic": np.nan,
                "p_value": np.nan,
                "conf_low": np.concatenate([[np.nan], self.effects["treated"].to_numpy() - band["upper"].to_numpy()]),
                "conf_high": np.concatenate([[np.nan], self.effects["treated"].to_numpy() - band["lower"].to_numpy()]),
            }
        )

    def summary(self) -> str:
        top = self.weights[self.weights.abs() > 1e-6].sort_values(ascending=False).head(6)
        band = self.intervals[self.interval_method]
        radius = f", Q {self.constraint.q:.4g}" if np.isfinite(self.constraint.q) else ""
        covered = int(((self.effects["treated"] >= band["lower"]) & (self.effects["treated"] <= band["upper"])).sum())
        lines = [
            (
                f"Synthetic control (scpi, {self.constraint.name} weights{radius}) for {self.treated_unit!r} from "
                f"{self.treatment_time!r}: {len(self.weights)} donors, {len(self.synthetic) - len(self.effects)} pre- "
                f"and {len(self.effects)} post-periods"
            ),
            f"Average post-period effect {self.estimate:.6g}; pre-period RMSE {self.pre_rmse:.6g}",
            (
                f"Prediction intervals ({self.interval_method}, u_alpha {self.u_alpha:g}, e_alpha {self.e_alpha:g}, "
                f"{self.sims} simulations, rho {self.rho:.4g}): the treated outcome lies inside in {covered} of "
                f"{len(self.effects)} post-periods"
            ),
            "Top weights: " + ", ".join(f"{k} {v:.3f}" for k, v in top.items()),
        ]
        return "\n".join(lines)

    def plot(self, ax: Any = None, method: str | None = None) -> Any:
        """Treated against synthetic outcome, with the prediction band of ``method`` over the post-period."""
        method = self.interval_method if method is None else method
        return plot_trajectories(
            self.synthetic["treated"],
            self.synthetic["synthetic"],
            self.treatment_time,
            ax=ax,
            labels=("treated", "synthetic control"),
            title=f"scpi ({self.constraint.name}): {method} intervals",
            band=self.intervals[method],
            band_label=f"{method} prediction interval",
        )

    def plot_weights(self, ax: Any = None) -> Any:
        """The donors' weights."""
        return plot_weights(self.weights, ax=ax, title=f"scpi {self.constraint.name} weights")


class ScpiMultiResult(Result):
    """Result of :func:`scpi` with several treated units (staggered adoption allowed): one :class:`ScpiResult`
    per unit in ``units``, from the unit-by-unit weights and scpi's pooled variance and bounds (unit-time effects).

    ``estimate`` is the average effect over all treated unit-periods; ``tidy()`` lists it (term ``ATT``, no
    interval) and every unit-period effect (``effect::<unit>::<period>``) with its prediction interval.
    """

    def __init__(self, units: dict) -> None:
        self.units = units
        effects = np.concatenate([r.effects["effect"].to_numpy() for r in units.values()])
        self.estimate = float(effects.mean())

    def tidy(self, method: str | None = None) -> pd.DataFrame:
        rows = []
        for name, result in self.units.items():
            table = result.tidy(method).iloc[1:].copy()
            table["term"] = [f"effect::{name}::{t[len('effect::') :]}" for t in table["term"]]
            rows.append(table)
        head = pd.DataFrame(
            {
                "term": ["ATT"],
                "estimate": [self.estimate],
                "std_error": [np.nan],
                "statistic": [np.nan],
                "p_value": [np.nan],
                "conf_low": [np.nan],
                "conf_high": [np.nan],
            }
        )
        return pd.concat([head, *rows], ignore_index=True)

    def summary(self) -> str:
        lines = [
            (
                f"Synthetic control (scpi) for {len(self.units)} treated units; average effect over treated "
                f"unit-periods {self.estimate:.6g}"
            )
        ]
        lines += ["  " + r.summary().splitlines()[0] for r in self.units.values()]
        return "\n".join(lines)

    def plot(self, unit: Any = None, ax: Any = None, method: str | None = None) -> Any:
        """One unit's treated and synthetic paths with its prediction band (default: the first unit)."""
        key = next(iter(self.units)) if unit is None else unit
        if key not in self.units:
            raise ChipwarError(f"no treated unit {key!r}; the treated units are {list(self.units)}")
        return self.units[key].plot(ax=ax, method=method)


def _standard_normals(seed: int | None, shape: tuple[int, int]) -> np.ndarray:
    """The simulation's N(0, 1) draws (one column per simulation; tests swap in scpi_pkg's draws)."""
    return np.random.default_rng(seed).standard_normal(shape)


def _bounds_chunk(task: tuple) -> tuple[np.ndarray, np.ndarray, int]:
    draws, q, beta, p_rows, name, n_weights, q1, q2, lower = task
    return kernels.scpi_insample_bounds(q, beta, draws, p_rows, name, n_weights, q1, q2, lower)


def _check_options(
    w_constr: str,
    e_method: str,
    u_sigma: str,
    u_order: int,
    e_order: int,
    u_lags: int,
    e_lags: int,
    sims: int,
    level: float,
    u_alpha: float | None,
    e_alpha: float | None,
) -> tuple[float, float]:
    if e_method not in (*E_METHODS, "all"):
        raise ChipwarError(f"e_method must be one of {(*E_METHODS, 'all')}, got {e_method!r}")
    if u_sigma not in U_SIGMAS:
        raise ChipwarError(f"u_sigma must be one of {U_SIGMAS}, got {u_sigma!r}")
    for name, value in (("u_order", u_order), ("e_order", e_order)):
        if value not in (0, 1):
            raise ChipwarError(
                f"{name} must be 0 or 1 (scpi's higher polynomial orders are not supported yet), got {value!r}"
            )
    if not isinstance(u_lags, (int, np.integer)) or u_lags < 0:
        raise ChipwarError(f"u_lags must be a nonnegative integer, got {u_lags!r}")
    if e_lags != 0:
        raise ChipwarError("e_lags other than 0 are not supported yet")
    if not isinstance(sims, (int, np.integer)) or sims < 10:
        raise ChipwarError(f"sims must be an integer of at least 10, got {sims!r}")
    if not 0 < level < 1:
        raise ChipwarError(f"level must be between 0 and 1, got {level!r}")
    split = (1 - level) / 2  # each source of uncertainty gets half: the interval then covers with at least `level`
    u_alpha = split if u_alpha is None else u_alpha
    e_alpha = split if e_alpha is None else e_alpha
    for name, value in (("u_alpha", u_alpha), ("e_alpha", e_alpha)):
        if not 0 < value < 1:
            raise ChipwarError(f"{name} must be between 0 and 1, got {value!r}")
    return float(u_alpha), float(e_alpha)


def scpi(
    data: Any,
    outcome: str,
    unit: str,
    time: str,
    treated: str,
    features: list[str] | None = None,
    w_constr: str = "simplex",
    Q: float | None = None,
    Q2: float | None = None,
    constant: bool = False,
    cointegrated_data: bool = False,
    e_method: str = "all",
    u_missp: bool = True,
    u_sigma: str = "HC1",
    u_order: int = 1,
    u_lags: int = 0,
    e_order: int = 1,
    e_lags: int = 0,
    sims: int = 200,
    rho: float | str = "type-2",
    rho_max: float = 0.2,
    level: float = 0.95,
    u_alpha: float | None = None,
    e_alpha: float | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    progress: bool | None = None,
) -> ScpiResult:
    """Synthetic control weights from scpi's constrained least squares and its prediction intervals.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period, balanced in the outcome.
    outcome, unit, time : str
        Column names.
    treated : str
        0/1 column, 1 for treated units from their treatment period on; the never-treated units are the donors.
        Several treated units (staggered adoption allowed) get their own weights over their own pre-period and
        unit-time prediction intervals, pooled as scpi_pkg pools them (the variance's T and HC1 degrees of freedom,
        the choice of the residual models, the location-scale and order-0 quantile bounds).
    features : list of str, optional
        Columns matched over the pre-period, stacked feature by feature without rescaling (scpi's default: the
        outcome alone).
    w_constr : {"simplex", "lasso", "ridge", "L1-L2", "ols"}
        scpi's weight sets: simplex (w >= 0, sum w = Q, Q = 1), lasso (||w||_1 <= Q, Q = 1), ridge
        (||w||_2 <= Q), L1-L2 (simplex and ||w||_2 <= Q2), ols (unconstrained). The default Q of ridge and Q2 of
        L1-L2 is scpi's rule of thumb: lambda = sigma^2 (J + KM) / ||b_ols||^2, Q = ||b_ols|| / (1 + lambda), the
        smallest over features with 5 or more pre-periods and at least 0.5. The least-squares problems are solved
        to KKT precision in C++ (an active-set method, the L2 ball through its multiplier).
    Q, Q2 : float, optional
        Override scpi's defaults.
    constant : bool
        Add a constant (free) to the synthetic control, as scpi's ``constant=True``.
    cointegrated_data : bool
        scpi's option: model the pseudo-residuals and out-of-sample errors with first differences of the donors.
    e_method : {"all", "gaussian", "ls", "qreg"}
        Out-of-sample bounds: conditional subgaussian, location-scale, quantile regression (exact linear
        programs); ``"all"`` computes all three (``tidy()`` then uses the subgaussian ones).
    u_missp, u_sigma, u_order, u_lags, e_order, e_lags
        scpi's model of the pseudo-residuals u (its conditional mean when misspecified, HC0-HC3 variance, order
        and lags of the design) and of the out-of-sample error; orders above 1 and e_lags are not supported yet.
    sims : int
        Simulation draws of the in-sample problems (each solved for every post-period, both bounds).
    rho, rho_max : float or {"type-1", "type-2"}
        scpi's regularisation of the local geometry of the constraint set.
    level : float
        Coverage of the intervals: u_alpha = e_alpha = (1 - level) / 2 unless given (scpi's defaults
        u_alpha = e_alpha = 0.05 are ``level=0.9``).
    seed, executor, progress
        Seed of the simulation draws; the draws can run in chunks on a ``concurrent.futures.Executor`` (results do
        not depend on it or on the number of threads).

    Returns
    -------
    ScpiResult
        With several treated units an :class:`ScpiMultiResult` (``units``: one ScpiResult per unit).

    Examples
    --------
    >>> import numpy as np, pandas as pd, chipwar as cw
    >>> rng = np.random.default_rng(0)
    >>> factors = np.cumsum(rng.normal(size=(30, 2)), axis=0)
    >>> loadings = rng.uniform(size=(12, 2))
    >>> y = loadings @ factors.T + 0.1 * rng.normal(size=(12, 30))
    >>> panel = pd.DataFrame([(f"u{i}", 2000 + t, y[i, t] + 2.0 * (i == 11 and t >= 24), float(i == 11 and t >= 24))
    ...                       for i in range(12) for t in range(30)], columns=["unit", "year", "y", "treated"])
    >>> fit = cw.scpi(panel, "y", "unit", "year", "treated", sims=50, seed=1)
    >>> round(float(fit.weights.sum()), 6), list(fit.intervals)
    (1.0, ['insample', 'gaussian', 'ls', 'qreg'])
    """
    u_alpha, e_alpha = _check_options(
        w_constr, e_method, u_sigma, u_order, e_order, u_lags, e_lags, sims, level, u_alpha, e_alpha
    )
    prepared = scpi_data(data, outcome, unit, time, treated, features, constant, cointegrated_data)
    units, rhos, geometries = [], [], []
    for one in prepared:  # weights, rho and local geometry unit by unit (V = I makes the weight problems separate)
        constraint = resolve_constraint(w_constr, one, Q, Q2)
        coef = fit_weights(one, constraint)
        w = coef[: one.n_donors]
        rhos.append(choose_rho(one.a - one.z @ coef, one.b, w, one.n_extra, rho, rho_max))
        active, geometry = local_geometry(constraint, w, rhos[-1], rho_max)
        units.append(UnitFit(one, constraint, coef, active))
        geometries.append(geometry)
    moments = pseudo_residuals(units, u_missp, u_sigma, u_order, u_lags)
    normals = _standard_normals(seed, (sum(len(u.coef) for u in units), sims))
    first = np.cumsum([0] + [len(u.coef) for u in units])
    chunks = replicate_chunks(sims, executor, progress)
    tasks = []
    for k, (unit_fit, geometry, moment) in enumerate(zip(units, geometries, moments)):
        draws = sigma_root(moment.sigma) @ normals[first[k] : first[k + 1]]  # each unit's rows of one draw matrix
        q1, q2, lower = geometry._core_args(unit_fit.data.n_donors)
        tasks += [
            (
                draws[:, chunk],
                moment.q,
                unit_fit.coef,
                unit_fit.data.p,
                geometry.name,
                unit_fit.data.n_donors,
                q1,
                q2,
                lower,
            )
            for chunk in chunks
        ]
    outputs = run_tasks(_bounds_chunk, tasks, executor=executor, progress=progress, desc="scpi simulations")
    problems = 2 * sims * sum(u.data.p.shape[0] for u in units)
    failed = int(sum(o[2] for o in outputs))
    if failed > 0.1 * problems:
        warnings.warn(
            f"scpi: {failed} of {problems} simulated problems had no finite solution (their bounds are left out)",
            ConvergenceWarning,
            stacklevel=2,
        )
    designs = out_of_sample_designs(units, e_order)
    methods = E_METHODS if e_method == "all" else (e_method,)
    e_bounds = {m: out_of_sample_bounds(designs, m, e_alpha / 2) for m in methods}
    results = []
    for k, unit_fit in enumerate(units):
        mine = outputs[k * len(chunks) : (k + 1) * len(chunks)]
        lower_sims, upper_sims = np.vstack([o[0] for o in mine]), np.vstack([o[1] for o in mine])
        results.append(
            _result(
                unit_fit,
                rhos[k],
                lower_sims,
                upper_sims,
                {m: b[k] for m, b in e_bounds.items()},
                e_method,
                e_alpha,
                u_alpha,
                sims,
                moments[k],
            )
        )
    return results[0] if len(results) == 1 else ScpiMultiResult(units={r.treated_unit: r for r in results})


def _result(
    unit_fit: UnitFit,
    rho: float,
    lower_sims: np.ndarray,
    upper_sims: np.ndarray,
    e_bounds: dict[str, tuple[np.ndarray, np.ndarray]],
    e_method: str,
    e_alpha: float,
    u_alpha: float,
    sims: int,
    moments: Any,
) -> ScpiResult:
    prepared, constraint, coef = unit_fit.data, unit_fit.constraint, unit_fit.coef
    w_lb = np.nanquantile(lower_sims, u_alpha / 2, axis=0)
    w_ub = np.nanquantile(upper_sims, 1 - u_alpha / 2, axis=0)
    post, pre = prepared.post_periods, prepared.pre_periods
    fit_post = prepared.p @ coef
    fit_pre = (
        prepared.z[prepared.outcome_rows] @ coef
        if prepared.outcome_in_features
        else (np.hstack([prepared.pre_donor_outcomes, prepared.c[: len(pre)]]) @ coef)
    )
    intervals = {"insample": pd.DataFrame({"lower": fit_post + w_lb, "upper": fit_post + w_ub}, index=post)}
    for method, (e_lb, e_ub) in e_bounds.items():
        intervals[method] = pd.DataFrame({"lower": fit_post + w_lb + e_lb, "upper": fit_post + w_ub + e_ub}, index=post)
    interval_method = "gaussian" if e_method == "all" else e_method
    band = intervals[interval_method]
    effect = prepared.y_post - fit_post
    names = [*prepared.donors, *(["constant"] if prepared.constant else [])]
    return ScpiResult(
        estimate=float(effect.mean()),
        weights=pd.Series(coef[: prepared.n_donors], index=pd.Index(prepared.donors), name="weight"),
        coefficients=pd.Series(coef, index=names, name="coefficient"),
        constraint=constraint,
        synthetic=pd.DataFrame(
            {
                "treated": np.concatenate([prepared.y_pre, prepared.y_post]),
                "synthetic": np.concatenate([fit_pre, fit_post]),
            },
            index=pre.append(post),
        ),
        intervals=intervals,
        effects=pd.DataFrame(
            {
                "treated": prepared.y_post,
                "synthetic": fit_post,
                "effect": effect,
                "conf_low": prepared.y_post - band["upper"].to_numpy(),
                "conf_high": prepared.y_post - band["lower"].to_numpy(),
            },
            index=post,
        ),
        interval_method=interval_method,
        treated_unit=prepared.treated_unit,
        treatment_time=post[0],
        rho=rho,
        u_alpha=u_alpha,
        e_alpha=e_alpha,
        sims=sims,
        insample_draws=(lower_sims, upper_sims),
        sigma=moments.sigma,
        pre_rmse=float(np.sqrt(np.mean((prepared.y_pre - fit_pre) ** 2))),
        data=prepared,
    )
