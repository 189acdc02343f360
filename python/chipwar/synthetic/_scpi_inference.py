"""scpi's prediction intervals for one treated unit (Cattaneo, Feng & Titiunik 2021; Cattaneo, Feng, Palomba &
Titiunik 2025), following scpi_pkg's ``scpi``: in-sample uncertainty (the weights') by simulation from the estimated
distribution of the pseudo-residual score, solved as scpi's constrained problems in C++; out-of-sample uncertainty
(the post-period error) by its conditional subgaussian, location-scale or quantile-regression bounds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import ChipwarError
from ._scpi_data import ScpiData
from ._scpi_weights import WeightConstraint, with_geometry

E_METHODS = ("gaussian", "ls", "qreg")
U_SIGMAS = ("HC0", "HC1", "HC2", "HC3")


def _lstsq_fit(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(x, y, rcond=None)[0]


def quantile_regression(y: np.ndarray, x: np.ndarray, tau: float) -> np.ndarray:
    """Koenker-Bassett quantile regression solved exactly as a linear program (HiGHS):
    min tau 1'u+ + (1 - tau) 1'u-  subject to  X b + u+ - u- = y."""
    from scipy.optimize import linprog

    n, k = x.shape
    cost = np.concatenate([np.zeros(k), np.full(n, tau), np.full(n, 1 - tau)])
    equality = np.hstack([x, np.eye(n), -np.eye(n)])
    bounds = [(None, None)] * k + [(0, None)] * (2 * n)
    solution = linprog(cost, A_eq=equality, b_eq=y, bounds=bounds, method="highs")
    if solution.status != 0:
        raise ChipwarError(f"scpi: the quantile regression of the out-of-sample error failed ({solution.message})")
    return np.asarray(solution.x[:k])


def _lag_within(matrix: np.ndarray, rows: list[slice], lag: int) -> np.ndarray:
    """Shift rows by ``lag`` within each feature's block (NaN where no earlier row exists)."""
    out = np.full(matrix.shape, np.nan)
    for block in rows:
        size = block.stop - block.start
        if lag < size:
            out[block.start + lag:block.stop] = matrix[block.start:block.stop - lag]
    return out


def choose_rho(res: np.ndarray, b: np.ndarray, w: np.ndarray, n_extra: int, rho: float | str, rho_max: float) -> float:
    """scpi's regularisation rho (``regularize_w`` / ``regularize_check_lb``): C sqrt(log(d) d0 log(T0)) / sqrt(T0)
    with C = sigma_u / min sd(B) ("type-1") or sigma_u max sd(B) / min var(B) ("type-2"), at most rho_max; a value
    below 0.001 is replaced by the larger of both types (capped at 0.2), and by rho_max if that is below 0.05."""
    if not isinstance(rho, str):
        return float(rho)
    d0 = int((np.abs(w) >= 1e-6).sum()) + n_extra

    def rule(kind: str, cap: float) -> float:
        sigma_u = np.sqrt(np.mean((res - res.mean()) ** 2))
        sd = b.std(axis=0, ddof=1)
        if kind == "type-1":
            scale = sigma_u / sd.min()
        else:
            scale = sigma_u * sd.max() / b.var(axis=0, ddof=1).min()
        t0, d = len(res), b.shape[1] + n_extra
        return min(scale * np.sqrt(np.log(d) * d0 * np.log(t0)) / np.sqrt(t0), cap)

    value = rule(rho, rho_max)
    if value < 0.001:
        value = max(rule("type-1", 0.2), rule("type-2", 0.2))
        if value < 0.05:
            value = rho_max
    return float(value)


def local_geometry(constraint: WeightConstraint, w: np.ndarray, rho: float, rho_max: float,
                   ) -> tuple[np.ndarray, WeightConstraint]:
    """Active donors and the constraint set of the simulated problems (scpi's ``local_geom`` / ``localgeom2step``):
    weights below rho keep their value as lower bound (simplex, L1-L2); a nearly binding norm constraint is relaxed
    by rho (lasso: L1 norm; ridge / L1-L2: the squared L2 norm against Q, with the threshold min(2 ||w|| rho,
    rho_max), as scpi_pkg compares them)."""
    name = constraint.name
    if name in ("simplex", "L1-L2"):
        active = w > rho
    elif name == "lasso":
        active = np.abs(w) > rho
    else:
        active = np.ones(len(w), dtype=bool)
    if not active.any():
        active[int(np.argmax(w))] = True  # scpi keeps at least the largest weight
    lower = np.where(w < rho, w, 0.0) if name in ("simplex", "L1-L2") else None
    q, q2 = constraint.q, constraint.q2
    if name == "lasso":
        norm = float(np.abs(w).sum())
        if norm - q > -rho:
            q = norm + rho
    elif name in ("ridge", "L1-L2"):
        radius = q if name == "ridge" else q2
        norm = float((w ** 2).sum())
        if norm - radius > -min(2 * np.sqrt(norm) * rho, rho_max):
            radius = norm + rho
        q, q2 = (radius, q2) if name == "ridge" else (q, radius)
    return active, with_geometry(constraint, q, q2, lower)


@dataclass(frozen=True)
class PseudoResiduals:
    """What the simulation needs: Q = Z'Z / T and the score's variance Sigma, on the rows with a complete design."""

    q: np.ndarray
    sigma: np.ndarray
    n_rows: int
    degrees_of_freedom: float


def degrees_of_freedom(constraint: WeightConstraint, w: np.ndarray, b: np.ndarray, n_extra: int) -> float:
    """scpi's ``df_EST``: J (ols), active weights (lasso) or active weights - 1 (simplex), the ridge's effective
    degrees of freedom sum d^2 / (d^2 + lambda) over the singular values of B (ridge, L1-L2); plus KM."""
    if constraint.name == "ols":
        df = float(len(w))
    elif constraint.name == "lasso":
        df = float((np.abs(w) >= 1e-6).sum())
    elif constraint.name == "simplex":
        df = float((np.abs(w) >= 1e-6).sum() - 1)
    else:
        d = np.linalg.svd(b, compute_uv=False)
        d = d[d > 0]
        df = float(np.sum(d ** 2 / (d ** 2 + constraint.lam)))
    return df + n_extra


def pseudo_residuals(data: ScpiData, constraint: WeightConstraint, coef: np.ndarray, active: np.ndarray,
                     u_missp: bool, u_sigma: str, u_order: int, u_lags: int) -> PseudoResiduals:
    """E[u|H] by least squares on the design H (scpi's ``u_des_prep``: active donors, in first differences for
    cointegrated data, their lags, a constant), then Sigma = Z' diag((u - E[u|H])^2 vc) Z / T^2 with HC weights vc."""
    z = data.z
    res = data.a - z @ coef
    b_like = data.b - _lag_within(data.b, data.feature_rows, 1) if data.cointegrated else data.b
    # the donor part of H (interacted with feature dummies in the flexible model) and the C part (not interacted)
    n = len(res)
    if u_order == 0:
        part_b, part_c = np.ones((n, 1)), np.empty((n, 0))
    else:
        part_b, part_c = b_like[:, active], data.c
        if not data.constant:
            part_b = np.hstack([part_b, np.ones((n, 1))])
    for lag in range(1, u_lags + 1):
        part_b = np.hstack([part_b, _lag_within(b_like[:, active], data.feature_rows, lag)])
    design = np.hstack([part_b, part_c])
    keep = ~np.isnan(design).any(axis=1)
    design, res_k, z_k = design[keep], res[keep], z[keep]
    n_rows = len(res_k)
    if u_missp:
        n_b = part_b.shape[1]
        feature_of_row = np.concatenate([np.full(r.stop - r.start, k) for k, r in enumerate(data.feature_rows)])[keep]
        dummies = (feature_of_row[:, None] == np.arange(len(data.feature_rows))[None, :]).astype(float)
        flex = np.hstack([(design[:, :n_b, None] * dummies[:, None, :]).reshape(n_rows, -1), design[:, n_b:]])
        if n_rows - 10 <= design.shape[1]:
            design = np.ones((n_rows, 1))  # too few rows: the mean only (scpi sets u_order = u_lags = 0)
        elif n_rows - 10 > flex.shape[1]:
            design = flex  # feature-specific coefficients
        with_intercept = np.hstack([np.ones((n_rows, 1)), design])
        u_mean = with_intercept @ _lstsq_fit(res_k, with_intercept)
    else:
        u_mean = np.zeros(n_rows)
    df = degrees_of_freedom(constraint, coef[:data.n_donors], data.b, data.n_extra)
    if df >= n_rows:
        df = n_rows - 1
    if u_sigma in ("HC0", "HC1"):
        vc = 1.0 if u_sigma == "HC0" else n_rows / (n_rows - df)
    else:
        leverage = np.diag(z_k @ np.linalg.pinv(z_k.T @ z_k) @ z_k.T)
        vc = 1 / (1 - leverage) if u_sigma == "HC2" else 1 / (1 - leverage) ** 2
    omega = (res_k - u_mean) ** 2 * vc
    sigma = (z_k.T * omega) @ z_k / n_rows ** 2
    return PseudoResiduals(q=z_k.T @ z_k / n_rows, sigma=sigma, n_rows=n_rows, degrees_of_freedom=df)


def sigma_root(sigma: np.ndarray) -> np.ndarray:
    """Symmetric square root of the PSD Sigma (negative rounding eigenvalues set to 0)."""
    values, vectors = np.linalg.eigh((sigma + sigma.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


@dataclass(frozen=True)
class OutOfSampleDesign:
    """The out-of-sample error's regression: pre-period residuals of the outcome on x0, predicted at x1."""

    e_res: np.ndarray
    x0: np.ndarray
    x1: np.ndarray
    order: int  # 0 when the design is the constant alone


def out_of_sample_design(data: ScpiData, coef: np.ndarray, active: np.ndarray, e_order: int) -> OutOfSampleDesign:
    """scpi's ``e_des_prep`` for the outcome among the features (rows of the outcome only)."""
    if not data.outcome_in_features:
        raise ChipwarError("scpi: the outcome must be one of the features for the out-of-sample bounds")
    rows = data.outcome_rows
    z = data.z
    e_res = (data.a - z @ coef)[rows]
    t1 = data.p.shape[0]
    columns = np.concatenate([active, np.ones(data.n_extra, dtype=bool)])
    if e_order == 0:
        x0, x1 = np.ones((len(e_res), 1)), np.ones((t1, 1))
    else:
        if data.cointegrated:
            b_diff = data.b - _lag_within(data.b, data.feature_rows, 1)
            x0 = np.hstack([b_diff, data.c])[rows][:, columns]
            post = data.p[:, :data.n_donors]
            p_diff = np.vstack([post[:1] - data.b[rows][-1:], np.diff(post, axis=0)])
            x1 = np.hstack([p_diff[:, active], data.p[:, data.n_donors:]])
        else:
            x0 = z[rows][:, columns]
            x1 = data.p[:, columns]
        if not data.constant:
            x0 = np.hstack([x0, np.ones((len(x0), 1))])
            x1 = np.hstack([x1, np.ones((t1, 1))])
    keep = ~np.isnan(x0).any(axis=1)
    e_res, x0 = e_res[keep], x0[keep]
    order = e_order
    if len(e_res) - 10 <= x0.shape[1]:
        x0, x1, order = np.ones((len(e_res), 1)), np.ones((t1, 1)), 0
    # scpi's detectConstant / avoidCollin: drop constant columns, put one constant first; too many columns: constant
    varying = ~(np.all(x0 == 1, axis=0) | np.all(x0 == 0, axis=0))
    x0 = np.hstack([np.ones((len(x0), 1)), x0[:, varying]])
    x1 = np.hstack([np.ones((t1, 1)), x1[:, varying]])
    if x0.shape[1] >= len(x0) - 1:
        x0, x1 = x0[:, :1], x1[:, :1]
    return OutOfSampleDesign(e_res=e_res, x0=x0, x1=x1, order=order)


def out_of_sample_bounds(design: OutOfSampleDesign, method: str, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of the post-period error at level alpha on each side (scpi's ``scpi_out``)."""
    y, x0, x1 = design.e_res, design.x0, design.x1
    if method == "qreg":
        if design.order == 0:
            return np.full(len(x1), np.quantile(y, alpha)), np.full(len(x1), np.quantile(y, 1 - alpha))
        return x1 @ quantile_regression(y, x0, alpha), x1 @ quantile_regression(y, x0, 1 - alpha)
    coef = _lstsq_fit(y, x0)
    e_mean, y_fit = x1 @ coef, x0 @ coef
    resid = y - y_fit
    var_coef = _lstsq_fit(np.log(resid ** 2), x0)
    log_var_post, log_var_pre = x1 @ var_coef, x0 @ var_coef
    iqr = np.abs(x1 @ quantile_regression(resid, x0, 0.75) - x1 @ quantile_regression(resid, x0, 0.25))
    e_sig = np.minimum(np.sqrt(np.exp(log_var_post)), iqr / 1.34)
    if method == "gaussian":
        eps = np.sqrt(-2 * np.log(alpha)) * e_sig
        return e_mean - eps, e_mean + eps
    standardised = resid / np.sqrt(np.exp(log_var_pre))
    return e_mean + e_sig * np.quantile(standardised, alpha), e_mean + e_sig * np.quantile(standardised, 1 - alpha)
