"""The result of the regression-based DiD estimators: an overall ATT and effects by event time (or cohort, or period),
with a covariance matrix for joint inference (e.g. ``honest_did``) and an event-study plot."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import kernels
from .._errors import ChipwarError
from .._results import Result, WaldTest, significance_stars


def linear_combination(weights: np.ndarray, coef: np.ndarray, vcov: np.ndarray) -> tuple[float, float]:
    """Estimate and delta-method standard error of ``weights @ coef`` (weights held fixed)."""
    w = np.asarray(weights, dtype=float)
    return float(w @ coef), float(np.sqrt(max(w @ vcov @ w, 0.0)))


def normal_bands(estimate: np.ndarray, se: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not 0 < level < 1:
        raise ChipwarError(f"level must be between 0 and 1, got {level}")
    z = float(kernels.normal_quantile(0.5 + level / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2.0 * (1.0 - np.asarray(kernels.normal_cdf(np.abs(estimate / se)), dtype=float))
    return estimate - z * se, estimate + z * se, p


class EventStudyResult(Result):
    """Effects by event time (or by ``index_name``) with an overall ATT.

    Attributes
    ----------
    att, se : float
        The overall average treatment effect on the treated and its standard error.
    table : DataFrame
        One row per effect: ``<index_name>, estimate, se, conf_low, conf_high, p_value`` (normal reference, ``level``).
    estimates : Series
        The effects indexed by ``index_name``; ``vcov`` is their covariance matrix (a DataFrame).
    info : dict
        What the estimator reports besides the effects (observations, units, control group, weights, tests).
    """

    def __init__(
        self,
        method: str,
        index_name: str,
        index: np.ndarray,
        estimates: np.ndarray,
        vcov: np.ndarray,
        att: float,
        se: float,
        info: dict | None = None,
        level: float = 0.95,
    ) -> None:
        self.method = method
        self.index_name = index_name
        self.estimates = pd.Series(np.asarray(estimates, dtype=float), index=pd.Index(index, name=index_name))
        self.vcov = pd.DataFrame(vcov, index=self.estimates.index, columns=self.estimates.index)
        self.att = float(att)
        self.se = float(se)
        self.info = dict(info or {})
        self.level = level

    @property
    def estimate(self) -> float:
        """The overall ATT (``att``), by the name every single-number result uses."""
        return self.att

    @property
    def table(self) -> pd.DataFrame:
        est = self.estimates.to_numpy()
        se = np.sqrt(np.clip(np.diag(self.vcov.to_numpy()), 0, None))
        low, high, p = normal_bands(est, se, self.level)
        return pd.DataFrame(
            {
                self.index_name: self.estimates.index.to_numpy(),
                "estimate": est,
                "se": se,
                "conf_low": low,
                "conf_high": high,
                "p_value": p,
            }
        )

    def tidy(self) -> pd.DataFrame:
        """``term, estimate, std_error, statistic, p_value, conf_low, conf_high``: the ATT, then one row per effect."""
        t = self.table
        est = np.concatenate([[self.att], t["estimate"]])
        se = np.concatenate([[self.se], t["se"]])
        low, high, p = normal_bands(est, se, self.level)
        terms = ["ATT"] + [f"{self.index_name}::{_label(v)}" for v in t[self.index_name]]
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = est / se
        return pd.DataFrame(
            {
                "term": terms,
                "estimate": est,
                "std_error": se,
                "statistic": stat,
                "p_value": p,
                "conf_low": low,
                "conf_high": high,
            }
        )

    def summary(self) -> str:
        t = self.tidy()
        head = [self.method]
        head += [f"{k}: {v}" for k, v in self.info.items() if isinstance(v, str | int | float)]
        rows = [f"{'':<18} {'Estimate':>12} {'Std. Error':>12} {'z value':>9} {'Pr(>|z|)':>10}"]
        for r in t.itertuples():
            rows.append(
                f"{r.term:<18} {r.estimate:>12.6g} {r.std_error:>12.6g} {r.statistic:>9.4g} {r.p_value:>10.4g} "
                f"{significance_stars(r.p_value)}"
            )
        return "\n".join(head + ["-" * len(rows[0])] + rows)

    def honest_inputs(self) -> tuple[np.ndarray, np.ndarray, int, int]:
        """``(betahat, sigma, num_pre, num_post)`` for ``cw.honest_did``: the event-time effects in order (periods
        before treatment first, the reference period excluded) and their covariance.

        Meaningful when the pre-treatment effects are relative to the period before treatment, as in
        ``sun_abraham`` (its default reference); raises if the result has no pre- or no post-treatment effects.
        """
        if self.index_name != "event_time":
            raise ChipwarError(f"honest_inputs needs effects by event time, not by {self.index_name}")
        e = self.estimates.index.to_numpy(dtype=float)
        order = np.argsort(e)
        num_pre, num_post = int((e < 0).sum()), int((e >= 0).sum())
        if num_pre == 0 or num_post == 0:
            raise ChipwarError(
                f"{self.method} has {num_pre} pre- and {num_post} post-treatment effects; the sensitivity analysis "
                "needs both (e.g. sun_abraham, or did2s(pretrends=True))"
            )
        return self.estimates.to_numpy()[order], self.vcov.to_numpy()[np.ix_(order, order)], num_pre, num_post

    def pretest(self) -> WaldTest:
        """The pre-trend test (``statistic``, ``p_value``) if the estimator ran one (e.g.
        ``did_imputation(pretrends=k)``)."""
        if "pretest" not in self.info:
            raise ChipwarError(f"{self.method} ran no pre-trend test; ask for one when estimating (pretrends=k)")
        return WaldTest(*self.info["pretest"])

    def plot(self, ax=None, ref_line: bool = True):
        """Estimates with pointwise ``level`` confidence bands against the index; returns the matplotlib Axes.

        Pre-trend coefficients estimated separately (``info["pretrends"]``) are drawn as hollow points.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        t = self.table
        x = t[self.index_name].to_numpy(dtype=float)
        ax.errorbar(
            x,
            t["estimate"],
            yerr=[t["estimate"] - t["conf_low"], t["conf_high"] - t["estimate"]],
            fmt="o",
            capsize=3,
            color="C0",
        )
        pre = self.info.get("pretrends")
        if isinstance(pre, pd.DataFrame):
            z = float(kernels.normal_quantile(0.5 + self.level / 2))
            ax.errorbar(
                pre["event_time"], pre["estimate"], yerr=z * pre["se"], fmt="o", mfc="white", capsize=3, color="C1"
            )
        ax.axhline(0.0, color="grey", lw=0.8)
        if ref_line and self.index_name == "event_time":
            ax.axvline(-0.5, color="grey", lw=0.8, ls="--")
        ax.set_xlabel(self.index_name.replace("_", " "))
        ax.set_ylabel("effect")
        ax.set_title(f"{self.method}: ATT {self.att:.4g} ({self.se:.3g})")
        return ax


def _label(value: object) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)
