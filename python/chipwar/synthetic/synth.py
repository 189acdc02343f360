"""Abadie-Diamond-Hainmueller synthetic control with predictors, and inference on it (placebos, conformal)."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import kernels
from .._errors import ChipwarError, ConvergenceWarning
from .._options import interval_alpha
from .._progress import run_tasks
from .._results import Result
from ._panel import _describe, long_panel, resolve_donors, split_periods, wide_outcome
from ._plots import plot_gaps, plot_trajectories, plot_weights

# The V searches; L-BFGS iterations per start of "global" and the fixed pseudo-random starts added to its deterministic
# ones (the outer problem has local minima; 20 extra starts recover the published Prop 99 weights, see
# tests/test_synth_adh.py). "synth" runs R's optim with its own defaults and ignores both.
_V_SEARCHES = ("global", "synth")
_MAX_ITER = 200
_RANDOM_STARTS = 20


class _Spec:
    """Predictor values for every unit (raw, k x units) and the outcome matrix, from which ADH problems are built."""

    def __init__(self, wide: pd.DataFrame, raw: pd.DataFrame, window: list, outcome: str) -> None:
        self.wide, self.raw, self.window, self.outcome = wide, raw, window, outcome

    def problem(self, treated: Any, donors: Sequence[Any]) -> tuple:
        units = [treated, *donors]
        x = self.raw[units].to_numpy(dtype=np.float64)
        sd = x.std(axis=1, ddof=1)
        flat = [str(p) for p, s in zip(self.raw.index, sd) if not s > 0]
        if flat:
            raise ChipwarError(
                f"predictors {flat} take the same value for every unit; drop them (they cannot be weighted)"
            )
        x = x / sd[:, None]  # rows standardised, as Synth does
        z = self.wide.loc[units, self.window].to_numpy(dtype=np.float64).T
        return (x[:, 1:], x[:, 0], z[:, 1:], z[:, 0])


def _fit_chunk(task: tuple) -> list[kernels.AdhFit]:
    problems, fixed_v, v_search = task
    return kernels.adh_fit_many(problems, fixed_v, _MAX_ITER, _RANDOM_STARTS, v_search)


def _fit_many(
    problems: list[tuple],
    v: np.ndarray | None,
    v_search: str,
    executor: Executor | None,
    progress: bool | None,
    desc: str,
) -> list[kernels.AdhFit]:
    """ADH fits of many problems, in C++ (OpenMP) chunks, optionally on an executor and with a progress bar."""
    fixed = [np.empty(0) if v is None else v for _ in problems]
    chunks = np.array_split(np.arange(len(problems)), min(len(problems), 10)) if problems else []
    tasks = [([problems[i] for i in c], [fixed[i] for i in c], v_search) for c in chunks]
    return [fit for out in run_tasks(_fit_chunk, tasks, executor=executor, progress=progress, desc=desc) for fit in out]


class PlaceboResult(Result):
    """Placebo (permutation) inference: ratios of post- to pre-period RMSPE, gap paths and the p-value."""

    def __init__(
        self, kind: str, ratios: pd.Series, gaps: pd.DataFrame, actual: Any, treatment_time: Any, pre_mspe: pd.Series
    ) -> None:
        self.kind, self.ratios, self.gaps, self.actual, self.treatment_time = kind, ratios, gaps, actual, treatment_time
        self.pre_mspe = pre_mspe
        ranked = ratios.rank(ascending=False, method="max")
        self.rank = int(ranked[actual])
        self.p_value = self.rank / len(ratios)

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "placebo": self.ratios.index,
                "ratio": self.ratios.to_numpy(),
                "pre_mspe": self.pre_mspe.reindex(self.ratios.index).to_numpy(),
                "is_actual": self.ratios.index == self.actual,
            }
        )

    def summary(self) -> str:
        return (
            f"{self.kind} placebo: actual ratio {self.ratios[self.actual]:.4g}, rank {self.rank} of "
            f"{len(self.ratios)}, p = {self.p_value:.4g}"
        )

    def plot(self, ax: Any = None) -> Any:
        """Gap paths of every placebo with the actual one highlighted."""
        return plot_gaps(self.gaps, self.treatment_time, highlight=self.actual, ax=ax, title=self.summary())


@dataclass(repr=False, eq=False)
class SynthResult(Result):
    """Result of :func:`synth`; see there for the attributes."""

    weights: pd.Series  # donor weights (on the simplex)
    v: pd.Series  # predictor weights
    path: pd.DataFrame  # time, treated, synthetic, gap
    att: float  # mean post-period gap
    pre_rmspe: float
    mspe: float  # the outer objective at V
    treated_unit: Any
    treatment_time: Any
    v_search: str
    # what the placebos refit with
    _spec: _Spec
    _fixed_v: np.ndarray | None
    _predictors: list[tuple[str, list[Any], str]]
    _panel: pd.DataFrame
    _unit: str
    _time: str

    @property
    def estimate(self) -> float:
        """The ATT (``att``, the mean post-period gap), by the name every single-number result uses."""
        return self.att

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame({"unit": self.weights.index, "weight": self.weights.to_numpy()})

    def summary(self) -> str:
        top = self.weights[self.weights > 0].sort_values(ascending=False)
        return "\n".join(
            [
                f"Synthetic control for {self.treated_unit!r} treated at {self.treatment_time!r}: {len(self.weights)} donors",
                f"ATT (mean post-period gap) {self.att:.6g}; pre-period RMSPE {self.pre_rmspe:.6g}",
                "Weights: " + ", ".join(f"{k} {v:.3f}" for k, v in top.items()),
                "V: " + ", ".join(f"{k} {v:.3f}" for k, v in self.v.items()),
            ]
        )

    def balance(self) -> pd.DataFrame:
        """Predictor balance: treated, synthetic (weighted donors) and the donors' simple mean (unscaled values)."""
        raw = self._spec.raw
        donors = raw[self.weights.index]
        return pd.DataFrame(
            {
                "treated": raw[self.treated_unit],
                "synthetic": donors @ self.weights,
                "donor_mean": donors.mean(axis=1),
                "v": self.v.to_numpy(),
            }
        )

    def plot(self, ax: Any = None, kind: str = "path") -> Any:
        """``kind="path"``: treated vs synthetic; ``"gap"``: the gap; ``"weights"``: donor weights."""
        path = self.path.set_index("time")
        if kind == "path":
            return plot_trajectories(
                path["treated"],
                path["synthetic"],
                self.treatment_time,
                ax=ax,
                labels=(str(self.treated_unit), "synthetic"),
                title="Synthetic control",
            )
        if kind == "gap":
            return plot_gaps(
                path[["gap"]].rename(columns={"gap": self.treated_unit}),
                self.treatment_time,
                highlight=self.treated_unit,
                ax=ax,
                title="Gap",
            )
        if kind == "weights":
            return plot_weights(self.weights, ax=ax)
        raise ChipwarError(f"kind must be 'path', 'gap' or 'weights', got {kind!r}")

    # --- inference -------------------------------------------------------------------------------------------------
    def placebo(
        self,
        kind: str = "space",
        exclude_mspe_multiple: float | None = None,
        executor: Executor | None = None,
        progress: bool | None = None,
    ) -> PlaceboResult:
        """Permutation inference (Abadie, Diamond & Hainmueller 2010).

        ``"space"``: every donor in turn is the treated unit (donors: the other donors), refitted the same way;
        ``"time"``: the treatment is moved to every earlier pre-period with at least two periods before it
        (predictor periods and the optimisation window cut at the fake date; predictors left without periods are
        dropped). The statistic is the ratio of post- to pre-period RMSPE; the p-value is the rank of the actual one
        divided by the number of runs. ``exclude_mspe_multiple`` drops space placebos whose pre-period MSPE exceeds
        that multiple of the treated unit's.
        """
        if kind == "space":
            return self._space_placebo(exclude_mspe_multiple, executor, progress)
        if kind == "time":
            return self._time_placebo(executor, progress)
        raise ChipwarError(f"kind must be 'space' or 'time', got {kind!r}")

    def _space_placebo(self, exclude: float | None, executor: Executor | None, progress: bool | None) -> PlaceboResult:
        donors = list(self.weights.index)
        problems = [self._spec.problem(d, [o for o in donors if o != d]) for d in donors]
        fits = _fit_many(problems, self._fixed_v, self.v_search, executor, progress, "space placebos")
        wide = self._spec.wide
        gaps = {self.treated_unit: self.path.set_index("time")["gap"]}
        for d, fit in zip(donors, fits):
            others = [o for o in donors if o != d]
            gaps[d] = wide.loc[d] - wide.loc[others].T @ fit.w
        gaps = pd.DataFrame(gaps)
        pre = gaps.index < self.treatment_time
        pre_mspe = (gaps[pre] ** 2).mean()
        if exclude is not None:
            gaps = gaps.loc[:, pre_mspe <= exclude * pre_mspe[self.treated_unit]]
        ratios = np.sqrt((gaps[~pre] ** 2).mean() / (gaps[pre] ** 2).mean())
        return PlaceboResult("space", ratios, gaps, self.treated_unit, self.treatment_time, pre_mspe)

    def _time_placebo(self, executor: Executor | None, progress: bool | None) -> PlaceboResult:
        periods = list(self._spec.wide.columns)
        pre_periods = [p for p in periods if p < self.treatment_time]
        fake_dates = pre_periods[2:]
        if not fake_dates:
            raise ChipwarError("the time placebo needs at least three pre-periods")
        problems, kept = [], []
        for s in fake_dates:
            spec = self._spec_before(s)
            if spec is not None:
                problems.append(spec.problem(self.treated_unit, list(self.weights.index)))
                kept.append((s, spec))
        fits = _fit_many(problems, None, self.v_search, executor, progress, "time placebos")
        wide = self._spec.wide
        y1 = wide.loc[self.treated_unit, pre_periods]
        gaps, ratios = {}, {}
        for (s, _), fit in zip(kept, fits):
            gap = y1 - wide.loc[self.weights.index, pre_periods].T @ fit.w
            before = gap.index < s
            gaps[s] = gap
            ratios[s] = float(np.sqrt((gap[~before] ** 2).mean() / (gap[before] ** 2).mean()))
        actual = self.path.set_index("time")["gap"]
        pre = actual.index < self.treatment_time
        ratios[self.treatment_time] = float(np.sqrt((actual[~pre] ** 2).mean() / (actual[pre] ** 2).mean()))
        gaps[self.treatment_time] = actual
        gaps = pd.DataFrame(gaps)
        pre_mspe = pd.Series({s: float((gaps[s][gaps.index < s] ** 2).mean()) for s in gaps.columns})
        return PlaceboResult("time", pd.Series(ratios), gaps, self.treatment_time, self.treatment_time, pre_mspe)

    def _spec_before(self, date: Any) -> _Spec | None:
        rows = {}
        for label, (var, periods, _) in zip(self._spec.raw.index, self._predictors):
            early = [p for p in periods if p < date]
            if early:
                rows[label] = _predictor_row(self._panel, var, early, self._unit, self._time, self._spec.raw.columns)
        window = [p for p in self._spec.window if p < date]
        if not rows or not window:
            return None
        return _Spec(self._spec.wide, pd.DataFrame(rows).T, window, self._spec.outcome)

    def leave_one_out(self, executor: Executor | None = None, progress: bool | None = None) -> pd.DataFrame:
        """Synthetic paths refitted without each donor of positive weight: periods x dropped donor."""
        donors = list(self.weights.index)
        dropped = [d for d in donors if self.weights[d] > 0]
        problems = [self._spec.problem(self.treated_unit, [o for o in donors if o != d]) for d in dropped]
        fits = _fit_many(problems, self._fixed_v, self.v_search, executor, progress, "leave-one-out")
        wide = self._spec.wide
        paths = {d: wide.loc[[o for o in donors if o != d]].T @ fit.w for d, fit in zip(dropped, fits)}
        return pd.DataFrame(paths).rename_axis(columns="dropped")

    def conformal(
        self,
        alpha: float | None = None,
        grid_size: int = 201,
        executor: Executor | None = None,
        progress: bool | None = None,
        level: float | None = None,
    ) -> pd.DataFrame:
        """Per-period conformal intervals (Chernozhukov, Wuthrich & Zhu 2021) for the effect in each post-period.

        For each post-period t and each effect theta on a grid, the null is imposed on the treated outcome, simplex
        weights are refitted on the outcomes of all pre-periods plus t, and p(theta) is the share of those periods
        whose absolute residual is at least that of t. The interval is the range of grid points with p > 1 - level
        (resolution: the grid step, reported in column ``step``); it needs level <= pre-periods / (pre-periods + 1).
        ``level`` defaults to 0.9; ``alpha`` is its deprecated alias ``1 - level`` (warns).
        """
        alpha = interval_alpha(level, alpha, default=0.9)
        wide = self._spec.wide
        periods = list(wide.columns)
        pre = [p for p in periods if p < self.treatment_time]
        post = [p for p in periods if p >= self.treatment_time]
        if not 1.0 / (len(pre) + 1) <= alpha < 1:
            raise ChipwarError(
                f"level must be at most pre-periods / (pre-periods + 1) = {len(pre) / (len(pre) + 1):.4g} "
                "for bounded intervals"
            )
        donors = list(self.weights.index)
        gaps = self.path.set_index("time")["gap"]
        tasks = [
            (
                wide.loc[donors, pre + [t]].to_numpy().T,
                wide.loc[self.treated_unit, pre + [t]].to_numpy(),
                float(gaps[t]),
                self.pre_rmspe,
                alpha,
                grid_size,
            )
            for t in post
        ]
        rows = run_tasks(_conformal_interval, tasks, executor=executor, progress=progress, desc="conformal")
        out = pd.DataFrame(rows, columns=["lower", "upper", "step"])
        out.insert(0, "gap", gaps[post].to_numpy())
        out.insert(0, "time", post)
        return out


def _conformal_interval(task: tuple) -> tuple[float, float, float]:
    y0, y1, gap, scale, alpha, grid_size = task
    half = 10 * scale + 2 * abs(gap) + 1e-8
    for _ in range(8):  # widen until both ends of the grid are rejected
        grid = np.linspace(gap - half, gap + half, grid_size)
        p = kernels.conformal_pvalues(y0, y1, grid)
        accepted = grid[p > alpha]
        if p[0] <= alpha and p[-1] <= alpha:
            break
        half *= 4
    if accepted.size == 0:
        return (np.nan, np.nan, float(grid[1] - grid[0]))
    return (float(accepted.min()), float(accepted.max()), float(grid[1] - grid[0]))


def _predictor_row(panel: pd.DataFrame, var: str, periods: list, unit: str, time: str, units: Iterable) -> pd.Series:
    sub = panel[panel[time].isin(periods)]
    values = sub.groupby(unit)[var].mean().reindex(list(units))  # NaN-skipping mean over the periods, as Synth
    return values


def _normalise_predictors(predictors: Any, outcome: str, pre_periods: list) -> list[tuple[str, list, str]]:
    if predictors is None:  # the outcome in every pre-period
        return [(outcome, [p], "mean") for p in pre_periods]
    out = []
    for item in predictors:
        if isinstance(item, str):
            item = (item, pre_periods, "mean")
        if len(item) == 2:
            item = (*item, "mean")
        var, periods, op = item
        if op != "mean":
            raise ChipwarError(f"predictor {var!r}: only op='mean' is supported, got {op!r}")
        periods = [periods] if np.isscalar(periods) else list(periods)
        if not periods:
            raise ChipwarError(f"predictor {var!r} has no periods")
        out.append((var, periods, op))
    return out


def _label(var: str, periods: list) -> str:
    if len(periods) == 1:
        return f"{var} {periods[0]}"
    return f"{var} {periods[0]}-{periods[-1]}"


def synth(
    data: Any,
    outcome: str,
    unit: str,
    time: str,
    treated_unit: Any,
    treatment_time: Any,
    predictors: Sequence[Any] | None = None,
    optimize_window: Iterable[Any] | None = None,
    v: Sequence[float] | None = None,
    donors: Sequence[Any] | None = None,
    v_search: str = "global",
) -> SynthResult:
    """Synthetic control with predictor weights (Abadie & Gardeazabal 2003; Abadie, Diamond & Hainmueller 2010).

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period.
    outcome, unit, time : str
        Column names.
    treated_unit, treatment_time
        The treated unit's label in ``unit`` and the first treated period.
    predictors : list, optional
        Items ``(column, periods, "mean")``: the column's mean over ``periods`` (missing values skipped, as Synth);
        a single period gives a "special predictor" such as ``("cigsale", [1975], "mean")``; a bare column name means
        its mean over all pre-periods. Default: the outcome in every pre-period.
    optimize_window : iterable, optional
        Periods whose outcome MSPE V minimises (default: all pre-periods).
    v : sequence of float, optional
        Fixed predictor weights (normalised to sum to one) instead of optimising them.
    donors : sequence, optional
        Donor units (default: every other unit).
    v_search : {"global", "synth"}, optional
        How V is searched (ignored when ``v`` is given; placebos and leave-one-out refit the same way).
        ``"global"`` (default): L-BFGS from many starts, the lowest MSPE kept. ``"synth"``: an emulation of R's
        Synth package (``synth()`` with its defaults), which reproduces the weights R's Synth prints, including
        published ones that are local optima (Abadie & Gardeazabal's Basque weights, Cataluna 0.85 and Madrid 0.15,
        with or without Spain in the donor pool), at a pre-period MSPE that can be higher than ``"global"``'s.

    Returns
    -------
    SynthResult
        ``.weights`` (by donor), ``.v`` (by predictor), ``.path`` (time, treated, synthetic, gap), ``.att`` (mean
        post-period gap), ``.pre_rmspe`` (all pre-periods), ``.mspe`` (optimisation window), ``.balance()``,
        ``.placebo()``, ``.leave_one_out()``, ``.conformal()``, ``.plot()``.

    Notes
    -----
    Predictor rows are divided by their standard deviation across the treated unit and the donors. For a V (diagonal,
    summing to one) the weights minimise (x1 - X0 w)' V (x1 - X0 w) on the simplex (exact active-set QP). V minimises
    the MSPE over ``optimize_window`` by L-BFGS (Ceres) on a softmax parametrisation with analytic gradients, from
    equal weights, Synth's regression-based start, each predictor dominant in turn and 20 fixed pseudo-random
    starts; the best is kept, so the result is deterministic.

    ``v_search="synth"`` does what R's Synth does: V = |x| / sum |x|; from equal weights and from the regression
    start, R optim's Nelder-Mead (at most 500 evaluations) and BFGS (central-difference gradients with step 1e-3, at
    most 100 iterations) with R's default tolerances, the lower of the two per start (Synth's ``optimxmethod``
    default), and the regression start's result unless the equal-weights one is strictly lower. Synth's loss is
    evaluated as Synth evaluates it, with the inner QP solved by kernlab's interior-point ``ipop`` at Synth's settings
    (margin 5e-4, 5 significant figures, bound 10), whose inexact weights steer the search: a search on exactly solved
    inner problems stops elsewhere on Prop 99. An ipop failure (a computationally singular system) ends that method's
    run, as it does in R; where every run fails (R's Synth stops with an error), the same search runs on exactly
    solved inner problems. The reported weights and MSPE are the exact QP solution at the V found.
    """
    if v_search not in _V_SEARCHES:
        raise ChipwarError(f"v_search must be 'global' or 'synth', got {v_search!r}")
    spec_items_columns = []
    if predictors is not None:
        spec_items_columns = [p if isinstance(p, str) else p[0] for p in predictors]
    panel = long_panel(data, outcome, unit, time, extra=[c for c in dict.fromkeys(spec_items_columns) if c != outcome])
    donors = resolve_donors(panel, unit, treated_unit, donors)
    used = [treated_unit, *donors]
    panel = panel[panel[unit].isin(used)]
    wide = wide_outcome(panel, outcome, unit, time)
    periods = list(wide.columns)
    n_pre = split_periods(wide.columns, treatment_time, time)
    pre_periods = periods[:n_pre]
    window = pre_periods if optimize_window is None else list(optimize_window)
    if not window:
        raise ChipwarError(
            f"optimize_window is empty; give the pre-treatment periods of {time!r} whose fit chooses V (e.g. "
            f"range({pre_periods[0]!r}, {treatment_time!r})), or None for all of them"
        )
    outside = [p for p in window if p not in pre_periods]
    if outside:
        raise ChipwarError(f"optimize_window periods {_describe(outside)} are not pre-treatment periods of {time!r}")

    items = _normalise_predictors(predictors, outcome, pre_periods)
    rows = {}
    for var, prd, _ in items:
        absent = [p for p in prd if p not in periods]
        if absent:
            raise ChipwarError(f"predictor {var!r}: periods {_describe(absent)} are not in the panel's {time!r}")
        row = _predictor_row(panel, var, prd, unit, time, used)
        if row.isna().any():
            raise ChipwarError(
                f"predictor {var!r} over {_label(var, prd)} is missing for units {_describe(row.index[row.isna()])}; "
                "choose periods where it is observed"
            )
        rows[_label(var, prd)] = row
    raw = pd.DataFrame(rows).T
    spec = _Spec(wide, raw, window, outcome)
    problem = spec.problem(treated_unit, donors)
    fixed_v = None
    if v is not None:
        try:
            fixed_v = np.asarray(v, dtype=np.float64)
        except (TypeError, ValueError):
            fixed_v = np.full(0, np.nan)  # not numbers: refused below
        if (
            fixed_v.shape != (len(items),)
            or not np.isfinite(fixed_v).all()
            or (fixed_v < 0).any()
            or not fixed_v.sum() > 0
        ):
            raise ChipwarError(
                f"v must have {len(items)} finite, non-negative entries (one per predictor), not all zero; got {v!r}"
            )
    fit = kernels.adh_fit_many(
        [problem], [np.empty(0) if fixed_v is None else fixed_v], _MAX_ITER, _RANDOM_STARTS, v_search
    )[0]
    if not fit.converged:
        warnings.warn(
            "synth: the simplex QP hit its iteration cap (weights may be inexact)", ConvergenceWarning, stacklevel=2
        )
    weights = pd.Series(fit.w, index=pd.Index(donors, name=unit), name="weight")
    synthetic = wide.loc[donors].T @ weights
    treated_path = wide.loc[treated_unit]
    gap = treated_path - synthetic
    path = pd.DataFrame(
        {"time": periods, "treated": treated_path.to_numpy(), "synthetic": synthetic.to_numpy(), "gap": gap.to_numpy()}
    )
    post = np.arange(len(periods)) >= n_pre
    return SynthResult(
        weights=weights,
        v=pd.Series(fit.v, index=raw.index, name="v"),
        path=path,
        att=float(gap[post].mean()),
        pre_rmspe=float(np.sqrt((gap[~post] ** 2).mean())),
        mspe=float(fit.mspe),
        treated_unit=treated_unit,
        treatment_time=treatment_time,
        v_search=v_search,
        _spec=spec,
        _fixed_v=fixed_v,
        _predictors=items,
        _panel=panel,
        _unit=unit,
        _time=time,
    )
