"""Local-projections difference-in-differences (Dube, Girardi, Jordà & Taylor 2023) for absorbing treatment."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._errors import ChipwarError
from ..estimation import feols
from ._event_study import EventStudyResult
from ._staggered import COHORT, TIME, UNIT, Y, staggered_panel
from .stacked import event_window

LD, ENTRY, WEIGHT = "_cw_long_diff", "_cw_entry", "_cw_rw"
_CONTROLS = ("notyet", "never")


@dataclass
class _Wide:
    """Outcomes on the full integer period grid (NaN where unobserved), one row per unit."""

    y: np.ndarray  # units x periods
    cohort: np.ndarray  # per unit, 0 = never
    periods: np.ndarray  # first..last, step 1

    def shifted(self, k: int) -> np.ndarray:
        """y at period t + k for every (unit, t) (NaN outside the panel)."""
        out = np.full_like(self.y, np.nan)
        if k >= 0:
            out[:, : self.y.shape[1] - k] = self.y[:, k:]
        else:
            out[:, -k:] = self.y[:, :k]
        return out

    def baseline(self, pmd: int | str | None) -> np.ndarray:
        """y_{t-1}, or with pre-mean differencing the mean of the k (or, "max", all) outcomes before t."""
        if pmd is None:
            return self.shifted(-1)
        lags = range(1, self.y.shape[1]) if pmd == "max" else range(1, int(pmd) + 1)
        stack = np.stack([self.shifted(-k) for k in lags])
        if pmd == "max":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # the first period has no earlier outcome
                return np.nanmean(stack, axis=0)
        return stack.mean(axis=0)  # NaN unless all k are observed


def _wide(frame: pd.DataFrame, periods: np.ndarray) -> _Wide:
    grid = np.arange(periods.min(), periods.max() + 1)
    units = np.unique(frame[UNIT].to_numpy())
    y = np.full((units.size, grid.size), np.nan)
    ui = np.searchsorted(units, frame[UNIT].to_numpy())
    ti = np.searchsorted(grid, frame[TIME].to_numpy())
    y[ui, ti] = frame[Y].to_numpy()
    cohort = np.zeros(units.size)
    cohort[ui] = frame[COHORT].to_numpy()
    return _Wide(y, cohort, grid)


def _sample(w: _Wide, lhs: np.ndarray, control_until: np.ndarray, control: str) -> pd.DataFrame:
    """Rows (unit, t) with the long difference ``lhs``: the newly treated (t = cohort) and clean controls
    (not treated by ``control_until``, or never treated)."""
    t = np.broadcast_to(w.periods[None, :], lhs.shape)
    g = np.broadcast_to(w.cohort[:, None], lhs.shape)
    entry = g == t
    clean = g == 0 if control == "never" else (g == 0) | (g > control_until)
    keep = (entry | clean) & np.isfinite(lhs)
    u = np.broadcast_to(np.arange(lhs.shape[0])[:, None], lhs.shape)
    return pd.DataFrame({UNIT: u[keep], TIME: t[keep], LD: lhs[keep], ENTRY: entry[keep].astype(float)})


def _fit(sample: pd.DataFrame, reweight: bool, what: str) -> tuple[float, float, np.ndarray]:
    """Coefficient, CRV1 SE (feols) and per-unit scores of the long difference on the entry dummy with period
    fixed effects; with ``reweight`` the equal-weighting weights N_t / N^C_t of each period's sample."""
    if sample[ENTRY].sum() == 0 or (sample[ENTRY] == 0).sum() == 0:
        raise ChipwarError(f"LP-DiD {what}: no newly treated or no clean control observations")
    weights = None
    if reweight:
        by_t = sample.groupby(TIME)[ENTRY].agg(["sum", "size"])
        rw = by_t["size"] / (by_t["size"] - by_t["sum"])
        sample = sample.assign(**{WEIGHT: rw.reindex(sample[TIME]).to_numpy()})
        weights = WEIGHT
    fit = feols(f"{LD} ~ {ENTRY} | {TIME}", sample, weights=weights, vcov={"CRV1": UNIT}, fixef_rm="none")
    if ENTRY not in fit.coef.index:
        raise ChipwarError(
            f"LP-DiD {what}: the treatment is collinear with the period effects (no period has "
            "both newly treated units and clean controls)"
        )
    # Scores by unit (Frisch-Waugh: the entry dummy demeaned within period), for the covariance across horizons.
    w = sample[WEIGHT].to_numpy() if reweight else np.ones(len(sample))
    codes = pd.factorize(sample[TIME])[0]
    x = sample[ENTRY].to_numpy()
    y = sample[LD].to_numpy()
    x_dm = x - (np.bincount(codes, w * x) / np.bincount(codes, w))[codes]
    y_dm = y - (np.bincount(codes, w * y) / np.bincount(codes, w))[codes]
    beta = float(fit.coef[ENTRY])
    scores = np.bincount(sample[UNIT].to_numpy(), w * x_dm * (y_dm - beta * x_dm)) / np.sum(w * x_dm**2)
    return beta, float(fit.se[ENTRY]), scores


def lpdid(
    data: object,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    pre_window: int = 3,
    post_window: int = 3,
    control: str = "notyet",
    pmd: int | str | None = None,
    reweight: bool = False,
    level: float = 0.95,
) -> EventStudyResult:
    """Local-projections DiD (Dube, Girardi, Jordà & Taylor 2023) for staggered, absorbing treatment.

    For each horizon h in [-pre_window, post_window] (h = -1 is the normalisation), the long difference
    y_{i,t+h} - y_{i,t-1} is regressed on the entry dummy (t = first treated period of i) with period fixed
    effects, on the newly treated and the clean controls: units not yet treated at t + h (at t for h < 0), or
    with ``control="never"`` never treated. Standard errors are clustered by unit (fixest's CRV1, as the
    authors' Stata / R code); the covariance across horizons (separate regressions on overlapping samples)
    comes from the units' scores.

    Parameters
    ----------
    data : DataFrame
        Panel with one row per unit and (integer) period.
    outcome, unit, time, cohort : str
        Columns; ``cohort`` is the first treated period (0 or NaN: never).
    pre_window, post_window : int
        Horizons before (at least 1) and after treatment.
    control : {"notyet", "never"}
        Clean controls.
    pmd : int or "max", optional
        Pre-mean differencing: the baseline is the mean of the k outcomes before t (or of all of them, "max")
        instead of y_{t-1}.
    reweight : bool
        Weights N_t / N^C_t per period, so each effect is the equally weighted ATT (the Callaway-Sant'Anna
        not-yet-treated event-study estimand) instead of the default variance-weighted one.
    level : float
        Confidence level.

    Returns
    -------
    EventStudyResult
        ``.table`` by ``event_time``; ``.att``/``.se`` the pooled post-treatment effect (the regression of the
        mean of y_{t+h}, h = 0..post_window, minus the baseline, on controls clean through t + post_window).

    Examples
    --------
    >>> import chipwar as cw
    >>> from chipwar.did._simulate import simulate_staggered
    >>> d = simulate_staggered(n_units=300, n_periods=10, seed=1)
    >>> res = cw.lpdid(d, outcome="y", unit="unit", time="time", cohort="cohort", pre_window=2, post_window=2)
    >>> res.table["event_time"].tolist()
    [-2.0, 0.0, 1.0, 2.0]
    """
    if control not in _CONTROLS:
        raise ChipwarError(f"control must be one of {_CONTROLS}, got {control!r}")
    if not (
        pmd is None or pmd == "max" or (isinstance(pmd, (int, np.integer)) and not isinstance(pmd, bool) and pmd > 0)
    ):
        raise ChipwarError(f"pmd must be None, 'max' or a positive number of periods, got {pmd!r}")
    panel = staggered_panel(data, outcome, unit, time, cohort)
    pre, post = event_window(pre_window, post_window, panel.periods, time)
    w = _wide(panel.frame, panel.periods)
    base = w.baseline(pmd)
    t = w.periods[None, :]
    horizons = [h for h in range(-pre, post + 1) if h != -1]
    est, se, scores = [], [], []
    for h in horizons:
        until = t + max(h, 0)
        b, s, sc = _fit(_sample(w, w.shifted(h) - base, until, control), reweight, f"horizon {h}")
        est.append(b)
        se.append(s)
        scores.append(sc)
    pooled = np.mean([w.shifted(h) for h in range(post + 1)], axis=0) - base
    att, att_se, _ = _fit(_sample(w, pooled, t + post, control), reweight, "pooled post-treatment effect")
    m = np.column_stack(scores)
    norm = np.sqrt(np.sum(m**2, axis=0))
    corr = (m.T @ m) / np.outer(norm, norm)
    vcov = corr * np.outer(se, se)
    return EventStudyResult(
        method="LP-DiD (Dube, Girardi, Jorda & Taylor 2023)" + (", reweighted" if reweight else ""),
        index_name="event_time",
        index=np.array(horizons, dtype=float),
        estimates=np.array(est),
        vcov=vcov,
        att=att,
        se=att_se,
        info={
            "units": int(w.y.shape[0]),
            "control group": {"notyet": "clean (not yet treated)", "never": "never treated"}[control],
            "baseline": "y(t-1)" if pmd is None else f"pre-mean ({pmd})",
            "standard errors": f"CRV1 clustered by {unit}",
        },
        level=level,
    )
