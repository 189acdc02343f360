"""Rambachan & Roth (2023) sensitivity of event-study conclusions to violations of parallel trends.

The event-study coefficients are beta = tau + delta, where delta is the bias from differential trends (delta = 0 in
the reference period, event time -1). Instead of assuming delta_post = 0, a restriction set for delta is imposed and
a confidence set for theta = l' tau_post is reported for each value of its parameter:

* smoothness, Delta^SD(M): the second differences of delta (with delta_0 = 0) are at most M in absolute value, so
  post-treatment trends may deviate from a linear extrapolation of the pre-trend by M per period. Confidence
  intervals are by default the optimal fixed-length intervals (FLCI) of Armstrong & Kolesar, R HonestDiD's default
  for Delta^SD: near-optimal when Delta^SD holds alone, and one convex program per M. The ARP conditional test and
  its least-favourable hybrid (``inference="conditional"`` / ``"C-LF"``, :mod:`chipwar.did._arp_sd`) also use a
  sign (``bias``) or monotonicity restriction, which the FLCI ignores.
* relative magnitudes, Delta^RM(Mbar): every post-treatment change |delta_{t+1} - delta_t| is at most Mbar times the
  largest pre-treatment change. See :mod:`chipwar.did._arp` for the test it is inverted from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import kernels
from .._errors import ChipwarError
from .._options import interval_alpha
from . import _inference

_METHODS = ("smoothness", "relative_magnitudes")
_INFERENCE = {"flci": "flci", "conditional": "arp", "c-lf": "lf"}  # HonestDiD's names -> our hybrid flags


def _scipy() -> Any:
    try:
        from scipy import optimize
    except ImportError:  # pragma: no cover - scipy is installed wherever tests run
        raise ChipwarError("honest_did needs scipy (pip install scipy)") from None
    return optimize


# -- inputs ------------------------------------------------------------------------------------------------------


def event_study_inputs(event_study: Any) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(betahat, sigma, num_pre, num_post) from a dynamic aggregation of att_gt, or from such a tuple.

    A dynamic aggregation must come from ``att_gt(..., base_period="universal")``: only then are the
    pre-treatment coefficients deviations from the reference period -1 (which is dropped), as the
    sensitivity analysis assumes.
    """
    if isinstance(event_study, tuple):
        if len(event_study) != 4:
            raise ChipwarError("event_study must be (betahat, sigma, num_pre, num_post) or a dynamic aggregation")
        beta, sigma, num_pre, num_post = event_study
        return _check_inputs(np.asarray(beta, float), np.asarray(sigma, float), num_pre, num_post)
    if getattr(event_study, "type", None) != "dynamic":
        raise ChipwarError(
            "event_study must be res.aggregate('dynamic') of an att_gt result, or (betahat, sigma, num_pre, num_post)"
        )
    if event_study.info.get("base_period") != "universal":
        raise ChipwarError(
            "honest_did needs event-study coefficients relative to period -1: run att_gt(..., "
            "base_period='universal') before aggregate('dynamic')"
        )
    e = event_study.table["event_time"].to_numpy()
    keep = e != -1
    inf = event_study.inf[:, keep]
    sigma = _inference.analytic_vcov(inf, event_study.clustering)
    return _check_inputs(event_study.table["att"].to_numpy()[keep], sigma, int((e < -1).sum()), int((e >= 0).sum()))


def _check_inputs(beta: np.ndarray, sigma: np.ndarray, num_pre: Any, num_post: Any) -> tuple:
    if not (isinstance(num_pre, (int, np.integer)) and isinstance(num_post, (int, np.integer))):
        raise ChipwarError("num_pre and num_post must be integers")
    if num_pre < 1 or num_post < 1:
        raise ChipwarError(f"need at least one pre- and one post-treatment coefficient, got {num_pre} and {num_post}")
    k = num_pre + num_post
    if beta.shape != (k,) or sigma.shape != (k, k):
        raise ChipwarError(f"betahat must have num_pre + num_post = {k} entries and sigma be {k} x {k}")
    if not (np.isfinite(beta).all() and np.isfinite(sigma).all()):
        raise ChipwarError("betahat and sigma must be finite")
    if not np.allclose(sigma, sigma.T) or np.linalg.eigvalsh((sigma + sigma.T) / 2).min() <= 0:
        raise ChipwarError("sigma must be a symmetric positive definite covariance matrix")
    return beta, (sigma + sigma.T) / 2, int(num_pre), int(num_post)


def trend_basis(num_pre: int, num_post: int) -> np.ndarray:
    """Matrix B with delta = B @ (slope, second differences): column 0 is the linear trend (delta_t = t), column j
    the effect of a unit second difference centred at event time -num_pre + j (delta_0 = 0 throughout)."""
    times = np.r_[np.arange(-num_pre, 0), np.arange(1, num_post + 1)]
    centres = np.arange(-num_pre + 1, num_post)
    cols = [times.astype(float)]
    for c in centres:
        # A unit kink at c: zero on the side of c that contains 0, growing linearly away from c beyond it.
        cols.append(np.where(times > c, times - c, 0.0) if c >= 0 else np.where(times < c, c - times, 0.0))
    return np.column_stack(cols)


def folded_normal_quantile(t: float, level: float) -> float:
    """The ``level`` quantile of |N(t, 1)| (R HonestDiD simulates it with 10^6 draws; this is exact)."""
    t = abs(t)  # |N(t, 1)| and |N(-t, 1)| have the same law
    if t > 30:  # the lower tail is below 1e-190: P(|N(t,1)| <= c) = Phi(c - t) to double precision
        return t + float(kernels.normal_quantile(level))
    optimize = _scipy()
    target = lambda c: kernels.normal_cdf(c - t) - kernels.normal_cdf(-c - t) - level  # noqa: E731
    return float(optimize.brentq(target, 0.0, t + 10.0, xtol=1e-14))


# -- smoothness: fixed-length confidence intervals ------------------------------------------------------------------


def flci(beta: np.ndarray, sigma: np.ndarray, num_pre: int, l_vec: np.ndarray, m: float, alpha: float) -> tuple:
    """Optimal fixed-length CI for l' tau_post under Delta^SD(m): (lower, upper, half_length, weights v).

    The estimator is v' betahat with v_post = l (so it is unbiased for tau_post) and pre-period weights chosen to
    remove linear trends (otherwise its bias is unbounded) and minimise the half-length
    cv_alpha(max bias / sd) * sd, where the worst-case bias over Delta^SD(m) is m times the l1 norm of the
    estimator's loadings on the second differences.
    """
    optimize = _scipy()
    num_post = len(l_vec)
    basis = trend_basis(num_pre, num_post)
    trend, kinks = basis[:, 0], basis[:, 1:]
    pre_trend = trend[:num_pre]
    # Pre weights w0 cancel the trend carried by l; the null space of pre_trend spans all other such weights.
    w0 = pre_trend * (-(trend[num_pre:] @ l_vec)) / (pre_trend @ pre_trend)
    null = np.linalg.svd(pre_trend[None, :])[2][1:].T

    def weights(z: np.ndarray) -> np.ndarray:
        return np.r_[w0 + null @ z, l_vec]

    # The half-length g(b, s) = s * cv_alpha(b / s) is the perspective of a convex function, so it is convex and
    # increasing in the worst-case bias b and the sd s, each convex in the pre weights: the problem is convex. It
    # is solved smoothly in (z, u, s) with u >= |kink loadings| and s >= sd(z) by SLSQP with exact gradients.
    sig_pre = sigma[:num_pre, :num_pre]
    v0 = weights(np.zeros(null.shape[1]))
    k_load = kinks.T[:, :num_pre] @ null
    k_const = kinks.T @ v0
    n_z, n_k = null.shape[1], kinks.shape[1]
    cross = null.T @ (sigma[:num_pre] @ v0)
    quad = null.T @ sig_pre @ null
    z_gls = -np.linalg.solve(quad, cross)  # minimum-variance trend-removing weights: optimal when m = 0

    def variance(z: np.ndarray) -> float:
        return float(v0 @ sigma @ v0 + 2 * cross @ z + z @ quad @ z)

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        u, sd = x[n_z : n_z + n_k], x[-1]
        t = m * u.sum() / sd
        c = folded_normal_quantile(t, 1 - alpha)
        dens_minus, dens_plus = np.exp(-0.5 * (c - t) ** 2), np.exp(-0.5 * (c + t) ** 2)
        dc_dt = (dens_minus - dens_plus) / (dens_minus + dens_plus)
        grad = np.zeros_like(x)
        grad[n_z : n_z + n_k] = m * dc_dt
        grad[-1] = c - t * dc_dt
        return c * sd, grad

    constraints = [
        {
            "type": "ineq",
            "fun": lambda x: x[n_z : n_z + n_k] - (k_const + k_load @ x[:n_z]),
            "jac": lambda x: np.hstack([-k_load, np.eye(n_k), np.zeros((n_k, 1))]),
        },
        {
            "type": "ineq",
            "fun": lambda x: x[n_z : n_z + n_k] + (k_const + k_load @ x[:n_z]),
            "jac": lambda x: np.hstack([k_load, np.eye(n_k), np.zeros((n_k, 1))]),
        },
        {
            "type": "ineq",
            "fun": lambda x: np.array([x[-1] ** 2 - variance(x[:n_z])]),
            "jac": lambda x: np.r_[-2 * (cross + quad @ x[:n_z]), np.zeros(n_k), 2 * x[-1]][None, :],
        },
    ]
    best = None
    for z0 in (z_gls, np.zeros(n_z)):
        x0 = np.r_[z0, np.abs(k_const + k_load @ z0) + 1e-12, np.sqrt(variance(z0)) * (1 + 1e-9)]
        fit = optimize.minimize(
            objective,
            x0,
            jac=True,
            method="SLSQP",
            constraints=constraints,
            bounds=[(None, None)] * (n_z + n_k) + [(1e-12, None)],
            options={"ftol": 1e-14, "maxiter": 1000},
        )
        if best is None or fit.fun < best.fun:
            best = fit
    z = best.x[:n_z]
    # Report the half-length of the weights found (not the relaxed variables).
    sd_z = np.sqrt(variance(z))
    half = folded_normal_quantile(m * float(np.abs(k_const + k_load @ z).sum()) / sd_z, 1 - alpha) * sd_z
    v = weights(z)
    centre = float(v @ beta)
    return centre - half, centre + half, float(half), v


# -- public ---------------------------------------------------------------------------------------------------------


def honest_did(
    event_study: Any = None,
    method: str = "relative_magnitudes",
    grid: Sequence[float] | None = None,
    betahat: Sequence[float] | None = None,
    sigma: Any = None,
    num_pre: int | None = None,
    num_post: int | None = None,
    l_vec: Sequence[float] | None = None,
    alpha: float | None = None,
    hybrid: str | None = None,
    seed: int = 0,
    breakdown: bool = True,
    inference: str | None = None,
    bias: str | None = None,
    monotonicity: str | None = None,
    level: float | None = None,
) -> pd.DataFrame:
    """Robust confidence sets of Rambachan & Roth (2023) over a grid of M, and the breakdown value.

    Parameters
    ----------
    event_study : AggregatedResult or tuple, optional
        ``att_gt(..., base_period="universal").aggregate("dynamic")``, or ``(betahat, sigma, num_pre, num_post)``.
        Alternatively pass ``betahat``, ``sigma``, ``num_pre``, ``num_post`` as keywords: the first ``num_pre``
        coefficients are pre-treatment (event times -num_pre-1 .. -2, ordered; -1 is the omitted reference), the
        next ``num_post`` post-treatment (0 .. num_post-1).
    method : {"relative_magnitudes", "smoothness"}
        Restriction on the violations of parallel trends (see the module docstring).
    grid : sequence of float, optional
        Values of Mbar (relative magnitudes; default 0, 0.5, 1, 1.5, 2) or M (smoothness; default 10 values from 0
        to the larger of the pre-period coefficients' standard errors).
    l_vec : sequence of float, optional
        Weights of the target theta = l' tau_post (default: the first post-treatment effect).
    alpha : float, optional
        Deprecated alias of ``1 - level`` (warns).
    hybrid : {"lf", "arp"}, optional
        The conditional-least-favourable hybrid test ("lf", R's default "C-LF" for relative magnitudes) or the
        pure conditional test of Andrews, Roth & Pakes ("arp"): the same as ``inference="C-LF"`` / ``"conditional"``.
    seed : int
        Seed of the least-favourable critical value's 1000 simulations ("lf" only).
    breakdown : bool
        Also compute the breakdown value (a bisection over M: about 20 more confidence sets).
    inference : {"FLCI", "conditional", "C-LF"}, optional
        How the confidence set is built (HonestDiD's ``method`` names, any case). Smoothness: "FLCI" (default),
        "conditional" (ARP test) or "C-LF" (ARP test after a least-favourable first stage at level alpha / 10).
        Relative magnitudes: "C-LF" (default) or "conditional". HonestDiD's default for smoothness with a sign or
        monotonicity restriction, "C-F" (an FLCI first stage), is not implemented: pass "C-LF" or "conditional".
    bias : {"positive", "negative"}, optional
        Smoothness with "conditional" / "C-LF" only: the post-treatment violations delta_post are >= 0 (<= 0).
    monotonicity : {"increasing", "decreasing"}, optional
        Smoothness with "conditional" / "C-LF" only: delta is monotone over all event times.
    level : float
        Confidence level of the sets (default 0.95).

    Returns
    -------
    DataFrame
        Columns ``M``, ``lower``, ``upper`` (one row per grid value). ``.attrs`` holds ``original`` (the usual
        confidence interval, parallel trends imposed), ``breakdown`` (the largest M at which the set still
        excludes 0, found by bisection; NaN if even M = 0 includes 0), ``method``, ``level`` and ``alpha`` (1 - level).

    Notes
    -----
    Smoothness FLCIs agree with R's to about 1e-4 on the Benzarti-Carloni example, the difference being R's
    simulated folded-normal quantile and grid search. The conditional and C-LF sets (smoothness) and the
    relative-magnitudes sets invert ARP tests (:mod:`chipwar.did._arp`, :mod:`chipwar.did._arp_sd`) and report the
    smallest and largest accepted theta, with boundaries found by bisection rather than on R's 1000-point grid (so
    R's bounds lie within one of its grid steps inside ours).
    """
    if method not in _METHODS:
        raise ChipwarError(f"method must be one of {_METHODS}, got {method!r}")
    flag = _inference_flag(method, inference, hybrid, bias, monotonicity)
    alpha = interval_alpha(level, alpha)
    if event_study is None:
        if betahat is None or sigma is None or num_pre is None or num_post is None:
            raise ChipwarError("pass an event study, or betahat, sigma, num_pre and num_post")
        event_study = (betahat, sigma, num_pre, num_post)
    beta, sig, n_pre, n_post = event_study_inputs(event_study)
    lv = np.zeros(n_post) if l_vec is None else np.asarray(l_vec, float)
    if l_vec is None:
        lv[0] = 1.0
    if lv.shape != (n_post,):
        raise ChipwarError(f"l_vec must have num_post = {n_post} entries")
    if grid is None:
        top = float(np.sqrt(np.diag(sig)[:n_pre]).max())
        grid = np.linspace(0, top, 10) if method == "smoothness" else [0.0, 0.5, 1.0, 1.5, 2.0]
    try:
        grid = np.asarray(list(grid), float).reshape(-1)
    except (TypeError, ValueError) as err:
        raise ChipwarError(f"grid must be a sequence of numbers M >= 0, got {grid!r}") from err
    if grid.size == 0:
        raise ChipwarError(
            "grid is empty; give the values of M to report, e.g. grid=[0, 0.5, 1], or None for the default"
        )
    if (grid < 0).any() or not np.isfinite(grid).all():
        raise ChipwarError("grid values of M must be finite and non-negative")

    if flag == "flci":
        bounds = lambda m: flci(beta, sig, n_pre, lv, m, alpha)[:2]  # noqa: E731
    elif method == "smoothness":
        from ._arp_sd import sd_confidence_set

        bounds = lambda m: sd_confidence_set(  # noqa: E731
            beta, sig, n_pre, lv, m, alpha, hybrid=flag, seed=seed, bias=bias, monotonicity=monotonicity
        )
    else:
        from ._arp import rm_confidence_set

        bounds = lambda m: rm_confidence_set(beta, sig, n_pre, lv, m, alpha, hybrid=flag, seed=seed)  # noqa: E731
    rows = [(m, *bounds(m)) for m in grid]
    out = pd.DataFrame(rows, columns=["M", "lower", "upper"])
    theta = float(lv @ beta[n_pre:])
    half = float(kernels.normal_quantile(1 - alpha / 2)) * float(np.sqrt(lv @ sig[n_pre:, n_pre:] @ lv))
    out.attrs.update(
        method=method,
        inference={"flci": "FLCI", "arp": "conditional", "lf": "C-LF"}[flag],
        level=1.0 - alpha,
        alpha=alpha,
        original=(theta - half, theta + half),
        breakdown=_breakdown(bounds, grid) if breakdown else np.nan,
    )
    return out


def _inference_flag(
    method: str, inference: str | None, hybrid: str | None, bias: str | None, monotonicity: str | None
) -> str:
    """The confidence-set construction: "flci", or the ARP hybrid flag "arp" / "lf"."""
    from ._arp_sd import BIAS, MONOTONICITY

    if hybrid not in (None, "lf", "arp"):
        raise ChipwarError(f"hybrid must be 'lf' or 'arp', got {hybrid!r}")
    if inference is not None and str(inference).lower() not in _INFERENCE:
        raise ChipwarError(f"inference must be 'FLCI', 'conditional' or 'C-LF', got {inference!r}")
    if bias not in BIAS:
        raise ChipwarError(f"bias must be None, 'positive' or 'negative', got {bias!r}")
    if monotonicity not in MONOTONICITY:
        raise ChipwarError(f"monotonicity must be None, 'increasing' or 'decreasing', got {monotonicity!r}")
    if bias is not None and monotonicity is not None:
        raise ChipwarError("give a sign restriction (bias=) or a monotonicity restriction (monotonicity=), not both")
    flag = _INFERENCE[str(inference).lower()] if inference is not None else None
    if hybrid is not None and flag is not None and flag != hybrid:
        raise ChipwarError(f"hybrid={hybrid!r} contradicts inference={inference!r}: pass one of them")
    flag = flag or hybrid
    if method == "relative_magnitudes":
        if flag == "flci":
            raise ChipwarError("the FLCI applies to smoothness only: use inference='C-LF' or 'conditional'")
        if bias is not None or monotonicity is not None:
            raise ChipwarError("bias= and monotonicity= apply to method='smoothness' only")
        return flag or "lf"
    flag = flag or "flci"
    if flag == "flci" and (bias is not None or monotonicity is not None):
        raise ChipwarError(
            "the FLCI ignores sign and monotonicity restrictions: pass inference='C-LF' or 'conditional' with bias= "
            "or monotonicity="
        )
    return flag


def _breakdown(bounds: Any, grid: np.ndarray) -> float:
    """Largest M at which the confidence set excludes 0, by doubling then bisection (sets widen with M)."""
    excludes = lambda m: (lambda lo_hi: lo_hi[0] > 0 or lo_hi[1] < 0)(bounds(m))  # noqa: E731
    if not excludes(0.0):
        return np.nan
    hi = max(float(grid.max()), 1e-8)
    while excludes(hi):
        hi *= 2
        if hi > 1e6:
            return np.inf
    lo = 0.0
    while hi - lo > 1e-4 * hi:  # relative precision 1e-4 of the breakdown value
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if excludes(mid) else (lo, mid)
    return lo
