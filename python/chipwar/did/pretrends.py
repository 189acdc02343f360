"""Roth (2022) power of the pre-trend test and the bias of event-study estimates conditional on passing it.

The event-study coefficients are beta_hat ~ N(tau + delta, Sigma), with delta a violation of parallel trends
(delta = 0 in the reference period). The pre-test is R ``pretrends``' "no pre-period coefficient individually
significant": it passes when |beta_hat_t| <= z * se_t for every pre-period t. Against a hypothesised linear
violation delta_t = slope * (t - reference):

* power = 1 - P(pass), a rectangle probability of the multivariate normal N(delta_pre, Sigma_pre);
* the expected coefficients conditional on passing: for the pre-periods the mean of the truncated normal, for the
  post-periods delta_post + Sigma_post,pre Sigma_pre^-1 (E[beta_pre | pass] - delta_pre) (the regression of the post
  on the pre coefficients). It does not depend on tau, so E[beta_post | pass] - tau_post is the bias of the post
  estimates among studies that pass the pre-test, ``.bias``;
* the Bayes factor P(pass | delta) / P(pass | 0) and the likelihood ratio of the observed pre-period coefficients
  under delta against parallel trends, as R ``pretrends`` reports them.

Because the acceptance box is symmetric about zero and the normal law is symmetric, slope and -slope give the same
power and opposite expected coefficients (and bias).

Numerics. Rectangle probabilities use Genz's randomised quasi-Monte Carlo (``scipy.stats.multivariate_normal.cdf``)
with a fixed generator (so each result is reproducible), error target 1e-8 and at most 100,000 points per
dimension: on the He & Wang example (3 pre-periods) the spread across seeds is 1.3e-7, so power and Bayes factor are
good to about 1e-6; one pre-period is exact (the normal cdf). The truncated mean is deterministic given those
probabilities: the Tallis (1961) / Manjunath & Wilhelm (2012) formula E[X] = Sigma F / P for X ~ N(0, Sigma)
truncated to [a, b], where F_k is the density of X_k at a_k minus at b_k, each times the probability of the other
coordinates' box given X_k (one dimension lower). It divides by P = P(pass), so its error is about 1e-7 / P (at
power 0.99, about 1e-5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import kernels
from .._errors import ChipwarError
from .._results import Result
from .honest import event_study_inputs

_CDF_ABSEPS = 1e-8  # absolute error target of each rectangle probability (Genz QMC)


# -- the event study ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventStudy:
    """Coefficients by event time with their covariance; ``times < reference`` are the pre-periods."""

    beta: np.ndarray
    sigma: np.ndarray
    times: np.ndarray
    reference: float

    @property
    def pre(self) -> np.ndarray:
        return self.times < self.reference

    @property
    def post(self) -> np.ndarray:
        return self.times > self.reference


def read_event_study(event_study: Any, times: Any = None, reference: float | None = None) -> EventStudy:
    """The coefficients, covariance and event times of any chipwar event study, read through ``honest_did``'s seam.

    ``(betahat, sigma, num_pre, num_post)`` and ``att_gt(...).aggregate("dynamic")`` go through
    :func:`chipwar.did.honest.event_study_inputs`; the regression estimators' results through their
    ``honest_inputs()``; a ``feols`` fit with an ``i(event_time, ..., ref=r)`` term through its i() coefficients.
    """
    if hasattr(event_study, "honest_inputs"):  # sun_abraham, did2s, stacked_did, lpdid, ETWFE
        _refuse_separate_leads(event_study)
        beta, sigma, _, _ = event_study.honest_inputs()
        found = np.sort(event_study.estimates.index.to_numpy(dtype=float))
        ref = -1.0
    elif hasattr(event_study, "coef") and hasattr(event_study, "_fit"):  # feols with i()
        beta, sigma, found, ref = _i_coefficients(event_study)
    else:
        beta, sigma, num_pre, num_post = event_study_inputs(event_study)
        if isinstance(event_study, tuple):  # honest_did's convention: -num_pre-1 .. -2, then 0 .. num_post-1
            found = np.r_[np.arange(-num_pre - 1, -1), np.arange(num_post)].astype(float)
        else:
            e = event_study.table["event_time"].to_numpy(dtype=float)
            found = e[e != -1]
        ref = -1.0
    if times is not None:
        found = np.asarray(times, dtype=float).reshape(-1)
        if found.shape != beta.shape:
            raise ChipwarError(f"times has {found.size} entries but the event study has {beta.size} coefficients")
    if reference is not None:
        ref = float(reference)
    if not np.isfinite(found).all() or len(np.unique(found)) != found.size or ref in found:
        raise ChipwarError(f"event times must be distinct, finite and exclude the reference period {ref:g}")
    study = EventStudy(beta=np.asarray(beta, float), sigma=np.asarray(sigma, float), times=found, reference=ref)
    if not study.pre.any():
        raise ChipwarError(
            f"the event study has no pre-period coefficient (event time < {ref:g}): there is no pre-test whose power "
            "to compute; estimate leads (e.g. sun_abraham, did2s(pretrends=True), att_gt(base_period='universal'))"
        )
    sig_pre = study.sigma[np.ix_(study.pre, study.pre)]
    if np.linalg.eigvalsh(sig_pre).min() <= 1e-12 * max(np.abs(sig_pre).max(), 1e-300):
        raise ChipwarError(
            "the covariance of the pre-period coefficients is singular: some pre-period coefficients are exact linear "
            "combinations of others (or have zero variance); drop them before computing pre-test power"
        )
    return study


def _refuse_separate_leads(result: Any) -> None:
    """did_imputation(pretrends=k) keeps its leads apart from the effects; say why they cannot be used here."""
    info = getattr(result, "info", {})
    if (
        isinstance(info, dict)
        and isinstance(info.get("pretrends"), pd.DataFrame)
        and (result.estimates.index.to_numpy(dtype=float) >= 0).all()
    ):
        raise ChipwarError(
            f"{result.method}: its pre-trend coefficients (pretrends=k) come from a separate regression on the "
            "untreated observations, relative to all periods before -k (no single reference period) and without a "
            "covariance with the effects, so neither the linear trend nor the bias after the pre-test is defined; "
            "estimate the event study with leads instead (did2s(pretrends=True), sun_abraham, att_gt)"
        )


def _i_coefficients(fit: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    from ..model.formula import IEvent

    events = [a for t in fit._fit.design.formula.rhs for a in t.atoms if isinstance(a, IEvent)]
    if not events:
        raise ChipwarError("pretrend_power needs an event study: this feols fit has no i(event_time, ..., ref=) term")
    ev = events[0]
    if len(ev.ref) != 1:
        raise ChipwarError(f"i({ev.var}, ...) must have exactly one reference period (ref=), got {list(ev.ref)}")
    prefix, suffix = f"{ev.var}::", f":{ev.by}" if ev.by else ""
    terms = [t for t in fit.coef.index if t.startswith(prefix) and t.endswith(suffix)]
    try:
        levels = np.array([float(t[len(prefix) : len(t) - len(suffix)]) for t in terms])
        ref = float(ev.ref[0])
    except ValueError:
        raise ChipwarError(f"i({ev.var}, ...): the event times must be numbers to define a linear trend") from None
    order = np.argsort(levels)
    names = [terms[i] for i in order]
    return (fit.coef[names].to_numpy(dtype=float), fit.vcov.loc[names, names].to_numpy(dtype=float), levels[order], ref)


# -- probabilities ----------------------------------------------------------------------------------------------


def box_probability(lower: np.ndarray, upper: np.ndarray, sigma: np.ndarray, seed: int = 0) -> float:
    """P(lower <= X <= upper) for X ~ N(0, sigma): exact in one dimension, seeded Genz QMC (error about 1e-7) above."""
    if lower.size == 1:
        sd = float(np.sqrt(sigma[0, 0]))
        return float(kernels.normal_cdf(upper[0] / sd) - kernels.normal_cdf(lower[0] / sd))
    from scipy.stats import multivariate_normal

    options = {
        "mean": np.zeros(lower.size),
        "cov": sigma,
        "lower_limit": lower,
        "maxpts": 100_000 * lower.size,
        "abseps": _CDF_ABSEPS,
        "releps": 0.0,
    }
    try:
        p = multivariate_normal.cdf(upper, **options, rng=np.random.default_rng(seed))
    except TypeError:  # scipy < 1.15 names the generator random_state
        p = multivariate_normal.cdf(upper, **options, random_state=np.random.default_rng(seed))
    return float(np.clip(p, 0.0, 1.0))


def truncated_mean(lower: np.ndarray, upper: np.ndarray, sigma: np.ndarray, seed: int = 0) -> tuple[np.ndarray, float]:
    """(E[X | lower <= X <= upper], P(lower <= X <= upper)) for X ~ N(0, sigma), by the Tallis formula."""
    k = lower.size
    prob = box_probability(lower, upper, sigma, seed)
    if prob <= 0.0:
        raise ChipwarError(
            "the pre-test is (numerically) never passed under this trend: the conditional mean is "
            "undefined; use a smaller slope"
        )
    sd = np.sqrt(np.diag(sigma))
    f = np.zeros(k)
    for j in range(k):
        others = np.arange(k) != j
        cond_cov = sigma[np.ix_(others, others)] - np.outer(sigma[others, j], sigma[j, others]) / sigma[j, j]
        for x, sign in ((lower[j], 1.0), (upper[j], -1.0)):
            dens = np.exp(-0.5 * (x / sd[j]) ** 2) / (sd[j] * np.sqrt(2 * np.pi))
            rest = 1.0
            if k > 1:
                shift = sigma[others, j] * x / sigma[j, j]
                rest = box_probability(lower[others] - shift, upper[others] - shift, cond_cov, seed)
            f[j] += sign * dens * rest
    return sigma @ f / prob, prob


# -- the result ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class PretrendPowerResult(Result):
    """Power of the pre-test against delta_t = slope * (t - reference), and the event study conditional on passing.

    Attributes
    ----------
    slope, power : float
        The hypothesised slope and the probability that some pre-period coefficient is significant under it.
    bias : Series
        E[beta_hat_t | pass] - tau_t for each post-period t (index: event time): the bias of the estimates in
        studies that pass the pre-test when the trend is the hypothesised one.
    bayes_factor, likelihood_ratio : float
        P(pass | trend) / P(pass | parallel trends), and the density of the observed pre-period coefficients under
        the trend over that under parallel trends (R ``pretrends``' "Bayes Factor" and "Likelihood Ratio").
    trend, conditional_mean : Series
        delta_t and E[beta_hat_t | pass] (tau = 0) at every event time, the reference period included (0).
    """

    study: EventStudy
    slope: float
    level: float
    critical_value: float
    power: float
    bayes_factor: float
    likelihood_ratio: float
    trend: pd.Series
    conditional_mean: pd.Series
    seed: int = field(default=0)

    @property
    def bias(self) -> pd.Series:
        return self.conditional_mean[self.conditional_mean.index > self.study.reference].rename("bias")

    def slope_for_power(self, power: float) -> float:
        """The (positive) slope against which the pre-test has this power; -slope has the same power."""
        return slope_for_power(self.study, power, self.critical_value, self.seed)

    def tidy(self) -> pd.DataFrame:
        """One row per event time (pretrends' ``df_eventplot``): ``term, event_time, estimate, std_error, statistic,
        p_value, conf_low, conf_high`` of the coefficient (``level``), ``trend`` (delta_t) and
        ``expected_after_pretest`` (E[beta_hat_t | pass] under the trend, tau = 0). The reference period is a row
        with estimate, trend and expectation 0, standard error 0 and no test (NaN)."""
        s = self.study
        se = np.sqrt(np.diag(s.sigma))
        z = float(kernels.normal_quantile(0.5 + self.level / 2))
        stat = s.beta / se
        p = 2.0 * (1.0 - np.asarray(kernels.normal_cdf(np.abs(stat)), dtype=float))
        rows = pd.DataFrame(
            {
                "event_time": s.times,
                "estimate": s.beta,
                "std_error": se,
                "statistic": stat,
                "p_value": p,
                "conf_low": s.beta - z * se,
                "conf_high": s.beta + z * se,
            }
        )
        ref = pd.DataFrame({"event_time": [s.reference], "estimate": [0.0], "std_error": [0.0]})
        out = pd.concat([rows, ref], ignore_index=True).sort_values("event_time", ignore_index=True)
        out["trend"] = self.trend.reindex(out["event_time"]).to_numpy()
        out["expected_after_pretest"] = self.conditional_mean.reindex(out["event_time"]).to_numpy()
        out.insert(0, "term", [f"event_time::{_label(t)}" for t in out["event_time"]])
        return out

    def summary(self) -> str:
        s = self.study
        sign = "+" if s.reference < 0 else "-"
        lines = [
            f"Pre-trend power (Roth 2022): trend delta_t = {self.slope:.6g} * (t {sign} {_label(abs(s.reference))})",
            f"pre-test: no pre-period coefficient significant at |t| > {self.critical_value:.4g}",
            f"power {self.power:.4f}   Bayes factor {self.bayes_factor:.4g}   likelihood ratio {self.likelihood_ratio:.4g}",
            "bias of the post-period estimates conditional on passing:",
        ]
        lines.insert(2, f"  ({int(s.pre.sum())} pre-periods)")
        lines += [f"  event_time {_label(t):>6}: {b:.6g}" for t, b in self.bias.items()]
        return "\n".join(lines)

    def plot(self, ax: Any = None) -> Any:
        """pretrends' event plot: the coefficients with ``level`` intervals, the hypothesised trend (line) and the
        expected coefficients conditional on passing the pre-test (diamonds); returns the matplotlib Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        t = self.tidy()
        ax.errorbar(
            t["event_time"],
            t["estimate"],
            yerr=[t["estimate"] - t["conf_low"].fillna(0.0), t["conf_high"].fillna(0.0) - t["estimate"]],
            fmt="o",
            capsize=3,
            color="C0",
            label="estimate",
        )
        ax.plot(t["event_time"], t["trend"], color="C3", ls="--", label="hypothesised trend")
        ax.plot(t["event_time"], t["expected_after_pretest"], "D", color="C1", label="expected after pre-test")
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.set_xlabel("event time")
        ax.set_ylabel("coefficient")
        ax.set_title(f"slope {self.slope:.3g}: power {self.power:.2f}")
        ax.legend()
        return ax


def _label(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# -- computations -------------------------------------------------------------------------------------------------


def _box(study: EventStudy, slope: float, critical_value: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The acceptance box centred at the trend's pre-period mean: X = beta_pre - delta_pre must lie in [lo, hi]."""
    sig_pre = study.sigma[np.ix_(study.pre, study.pre)]
    half = critical_value * np.sqrt(np.diag(sig_pre))
    delta_pre = slope * (study.times[study.pre] - study.reference)
    return -half - delta_pre, half - delta_pre, sig_pre


def power_at(study: EventStudy, slope: float, critical_value: float, seed: int = 0) -> float:
    """Probability that some pre-period coefficient is significant when delta_t = slope * (t - reference)."""
    lo, hi, sig_pre = _box(study, slope, critical_value)
    return 1.0 - box_probability(lo, hi, sig_pre, seed)


def slope_for_power(study: EventStudy, power: float, critical_value: float, seed: int = 0) -> float:
    """The slope s >= 0 with power_at(s) = power, by Brent's method (power rises with |s|, Anderson's theorem)."""
    if not 0 < power < 1:
        raise ChipwarError(f"power must be between 0 and 1, got {power!r}")
    from scipy import optimize

    size = power_at(study, 0.0, critical_value, seed)
    if power <= size:
        raise ChipwarError(
            f"power={power} is at most the pre-test's size {size:.4f} (its rejection rate under parallel "
            "trends): every slope has at least that power; ask for a larger power"
        )
    rel = np.abs(study.times[study.pre] - study.reference)
    hi = float(np.sqrt(np.diag(study.sigma)[study.pre]).max() / rel.max())
    while power_at(study, hi, critical_value, seed) < power:
        hi *= 2.0
    return float(
        optimize.brentq(
            lambda s: power_at(study, s, critical_value, seed) - power, 0.0, hi, xtol=1e-12 * hi, rtol=1e-12
        )
    )


def pretrend_power(
    event_study: Any,
    slope: float | None = None,
    power: float | None = None,
    level: float = 0.95,
    *,
    times: Any = None,
    reference: float | None = None,
    critical_value: float | None = None,
    seed: int = 0,
) -> PretrendPowerResult:
    """Power of the pre-trend test against a linear violation of parallel trends, and the bias after passing it.

    Roth (2022) and R ``pretrends``: the pre-test passes when no pre-period coefficient is individually significant
    at ``level``; the violation is delta_t = slope * (t - reference).

    Parameters
    ----------
    event_study : result or tuple
        An event study with leads: ``sun_abraham``, ``did2s(pretrends=True)``, ``stacked_did``, ``lpdid`` results
        (through their ``honest_inputs()``, reference period -1; not ``did_imputation``, whose leads are a separate
        regression without a single reference period or a covariance with the effects), ``att_gt(..., base_period="universal").aggregate("dynamic")``,
        a ``feols`` fit with ``i(event_time, treated, ref=r)`` (reference r), or ``(betahat, sigma, num_pre,
        num_post)`` as for ``honest_did`` (event times -num_pre-1 .. -2 and 0 .. num_post-1).
    slope : float, optional
        The hypothesised slope. If omitted, the slope against which the pre-test has power ``power``.
    power : float, optional
        With ``slope`` omitted: the target power (default 0.5, as pretrends' example). Not with ``slope``.
    level : float
        Confidence level of the individual pre-period tests (0.95: |t| > 1.96 rejects).
    times : sequence of float, optional
        Event times of the coefficients, overriding those read from ``event_study`` (R's ``tVec``).
    reference : float, optional
        The omitted reference period (default -1, or the i() term's ``ref``).
    critical_value : float, optional
        The t threshold of the pre-test, overriding ``level`` (R pretrends hard-codes 1.96).
    seed : int
        Seed of the quasi-Monte Carlo rectangle probabilities (each reproducible; error about 1e-7).

    Returns
    -------
    PretrendPowerResult
        ``.power``, ``.bias``, ``.bayes_factor``, ``.likelihood_ratio``, ``.slope_for_power(p)``, ``.tidy()``,
        ``.plot()``.

    Examples
    --------
    >>> import numpy as np, chipwar as cw
    >>> sigma = np.diag([0.01, 0.01, 0.01, 0.02])
    >>> res = cw.pretrend_power((np.zeros(4), sigma, 2, 2), power=0.8)
    >>> round(res.power, 6)
    0.8
    >>> float(res.bias.iloc[0]) > 0  # a rising trend, passing the pre-test, still biases the estimates up
    True
    """
    if not 0 < level < 1:
        raise ChipwarError(f"level must be between 0 and 1, got {level!r}")
    if slope is not None and power is not None:
        raise ChipwarError("give slope= (the power against it is computed) or power= (the slope is found), not both")
    study = read_event_study(event_study, times, reference)
    if critical_value is None:
        critical_value = float(kernels.normal_quantile(0.5 + level / 2))
    elif not (np.isfinite(critical_value) and critical_value > 0):
        raise ChipwarError(f"critical_value must be a positive number, got {critical_value!r}")
    if slope is None:
        slope = slope_for_power(study, 0.5 if power is None else power, critical_value, seed)
    elif not np.isfinite(slope):
        raise ChipwarError(f"slope must be a finite number, got {slope!r}")
    slope = float(slope)

    lo, hi, sig_pre = _box(study, slope, critical_value)
    shift, passing = truncated_mean(lo, hi, sig_pre, seed)
    pass_null = box_probability(*_box(study, 0.0, critical_value), seed)
    delta = slope * (study.times - study.reference)
    cond = delta.copy()
    cond[study.pre] += shift
    cond[study.post] += study.sigma[np.ix_(study.post, study.pre)] @ np.linalg.solve(sig_pre, shift)
    b_pre, d_pre = study.beta[study.pre], delta[study.pre]
    log_lr = -0.5 * (
        (b_pre - d_pre) @ np.linalg.solve(sig_pre, b_pre - d_pre) - b_pre @ np.linalg.solve(sig_pre, b_pre)
    )
    index = pd.Index(np.r_[study.times, study.reference], name="event_time")
    order = np.argsort(index.to_numpy())
    return PretrendPowerResult(
        study=study,
        slope=slope,
        level=level,
        critical_value=float(critical_value),
        power=1.0 - passing,
        bayes_factor=passing / pass_null,
        likelihood_ratio=float(np.exp(log_lr)),
        trend=pd.Series(np.r_[delta, 0.0], index=index, name="trend").iloc[order],
        conditional_mean=pd.Series(np.r_[cond, 0.0], index=index, name="expected_after_pretest").iloc[order],
        seed=seed,
    )
