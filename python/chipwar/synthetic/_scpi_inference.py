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
            out[block.start + lag : block.stop] = matrix[block.start : block.stop - lag]
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


def local_geometry(
    constraint: WeightConstraint,
    w: np.ndarray,
    rho: float,
    rho_max: float,
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
        norm = float((w**2).sum())
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


def degrees_of_freedom(units: list[UnitFit]) -> float:
    """scpi's ``df_EST`` over all treated units' weights: J (ols), active weights (lasso), active weights - 1
    (simplex; the 1 once, as scpi_pkg subtracts it), the ridge's effective degrees of freedom sum d^2 / (d^2 +
    lambda) over the singular values of each unit's B (ridge, L1-L2; scpi_pkg uses the last unit's lambda); plus KM."""
    name = units[0].constraint.name
    weights = np.concatenate([u.coef[: u.data.n_donors] for u in units])
    if name == "ols":
        df = float(len(weights))
    elif name == "lasso":
        df = float((np.abs(weights) >= 1e-6).sum())
    elif name == "simplex":
        df = float((np.abs(weights) >= 1e-6).sum() - 1)
    else:
        lam = units[-1].constraint.lam
        d = np.concatenate([np.linalg.svd(u.data.b, compute_uv=False) for u in units])
        d = d[d > 0]
        df = float(np.sum(d**2 / (d**2 + lam)))
    return df + sum(u.data.n_extra for u in units)


@dataclass(frozen=True)
class UnitFit:
    """One treated unit's data and weights (several treated units are pooled in the variance and some bounds)."""

    data: ScpiData
    constraint: WeightConstraint
    coef: np.ndarray
    active: np.ndarray


def _residual_design(
    unit: UnitFit, u_order: int, u_lags: int
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray, np.ndarray]:
    """scpi's ``u_des_prep`` for one unit on its rows with a complete design: (design, flexible design, columns
    of the donor part, residuals, Z, kept rows). The donor part (active donors, in first differences for
    cointegrated data, a constant, lags) is interacted with feature dummies in the flexible design; C is not."""
    data = unit.data
    z = data.z
    res = data.a - z @ unit.coef
    b_like = data.b - _lag_within(data.b, data.feature_rows, 1) if data.cointegrated else data.b
    n = len(res)
    if u_order == 0:
        part_b, part_c = np.ones((n, 1)), np.empty((n, 0))
    else:
        part_b, part_c = b_like[:, unit.active], data.c
        if not data.constant:
            part_b = np.hstack([part_b, np.ones((n, 1))])
    for lag in range(1, u_lags + 1):
        part_b = np.hstack([part_b, _lag_within(b_like[:, unit.active], data.feature_rows, lag)])
    design = np.hstack([part_b, part_c])
    keep = ~np.isnan(design).any(axis=1)
    design = design[keep]
    n_b = part_b.shape[1]
    feature_of_row = np.concatenate([np.full(r.stop - r.start, k) for k, r in enumerate(data.feature_rows)])[keep]
    dummies = (feature_of_row[:, None] == np.arange(len(data.feature_rows))[None, :]).astype(float)
    flex = np.hstack([(design[:, :n_b, None] * dummies[:, None, :]).reshape(len(design), -1), design[:, n_b:]])
    return design, flex, n_b, res[keep], z[keep], keep


def pseudo_residuals(
    units: list[UnitFit],
    u_missp: bool,
    u_sigma: str,
    u_order: int,
    u_lags: int,
) -> list[PseudoResiduals]:
    """E[u|H] by least squares on the design H, then Sigma = Z' diag((u - E[u|H])^2 vc) Z / T^2 with HC weights vc
    (scpi_pkg's ``scpi``). Several treated units are pooled as scpi_pkg pools them: T, the degrees of freedom of
    HC1 and the choice of design (the mean alone when T - 10 does not exceed the columns of all units' designs)
    are shared; each unit keeps its own regression otherwise (its block of a block-diagonal design)."""
    pieces = [_residual_design(u, u_order, u_lags) for u in units]
    n_rows = sum(len(piece[3]) for piece in pieces)
    u_means = []
    if u_missp:
        columns = sum(piece[0].shape[1] for piece in pieces)
        flex_columns = sum(piece[1].shape[1] for piece in pieces)
        if n_rows - 10 <= columns:  # too few rows: one mean for all (scpi sets u_order = u_lags = 0)
            mean = np.concatenate([piece[3] for piece in pieces]).mean()
            u_means = [np.full(len(piece[3]), mean) for piece in pieces]
        else:
            for design, flex, _, res_k, _, _ in pieces:
                chosen = flex if n_rows - 10 > flex_columns else design
                with_intercept = np.hstack([np.ones((len(res_k), 1)), chosen])
                u_means.append(with_intercept @ _lstsq_fit(res_k, with_intercept))
    else:
        u_means = [np.zeros(len(piece[3])) for piece in pieces]
    df = degrees_of_freedom(units)
    if df >= n_rows:
        df = n_rows - 1
    out = []
    for (_, _, _, res_k, z_k, _), u_mean in zip(pieces, u_means):
        if u_sigma in ("HC0", "HC1"):
            vc = 1.0 if u_sigma == "HC0" else n_rows / (n_rows - df)
        else:
            leverage = np.diag(z_k @ np.linalg.pinv(z_k.T @ z_k) @ z_k.T)
            vc = 1 / (1 - leverage) if u_sigma == "HC2" else 1 / (1 - leverage) ** 2
        omega = (res_k - u_mean) ** 2 * vc
        out.append(
            PseudoResiduals(
                q=z_k.T @ z_k / n_rows, sigma=(z_k.T * omega) @ z_k / n_rows**2, n_rows=n_rows, degrees_of_freedom=df
            )
        )
    return out


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


def _raw_out_of_sample_design(unit: UnitFit, e_order: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """scpi's ``e_des_prep`` for the outcome among the features (its rows only), on the rows with a complete design."""
    data, coef, active = unit.data, unit.coef, unit.active
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
            post = data.p[:, : data.n_donors]
            p_diff = np.vstack([post[:1] - data.b[rows][-1:], np.diff(post, axis=0)])
            x1 = np.hstack([p_diff[:, active], data.p[:, data.n_donors :]])
        else:
            x0 = z[rows][:, columns]
            x1 = data.p[:, columns]
        if not data.constant:
            x0 = np.hstack([x0, np.ones((len(x0), 1))])
            x1 = np.hstack([x1, np.ones((t1, 1))])
    keep = ~np.isnan(x0).any(axis=1)
    return e_res[keep], x0[keep], x1


def out_of_sample_designs(units: list[UnitFit], e_order: int) -> list[OutOfSampleDesign]:
    """The out-of-sample error's regressions of all treated units. With few rows in total (T - 10 at most the
    columns of all designs) every unit's design is its constant (scpi sets e_order = 0); then scpi's
    detectConstant / avoidCollin: constant columns dropped and one constant put first, the constant alone when a
    design has as many columns as rows - 1."""
    raw = [_raw_out_of_sample_design(u, e_order) for u in units]
    constant_only = sum(len(e) for e, _, _ in raw) - 10 <= sum(x0.shape[1] for _, x0, _ in raw)
    designs = []
    for e_res, x0, x1 in raw:
        order = e_order
        if constant_only:
            x0, x1, order = np.ones((len(e_res), 1)), np.ones((len(x1), 1)), 0
        varying = ~(np.all(x0 == 1, axis=0) | np.all(x0 == 0, axis=0))
        x0 = np.hstack([np.ones((len(x0), 1)), x0[:, varying]])
        x1 = np.hstack([np.ones((len(x1), 1)), x1[:, varying]])
        if x0.shape[1] >= len(x0) - 1:
            x0, x1 = x0[:, :1], x1[:, :1]
        designs.append(OutOfSampleDesign(e_res=e_res, x0=x0, x1=x1, order=order))
    return designs


def out_of_sample_bounds(
    designs: list[OutOfSampleDesign],
    method: str,
    alpha: float,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Lower and upper bounds of each unit's post-period error at level alpha on each side (scpi's ``scpi_out`` on
    the units' block-diagonal design: the regressions are each unit's own; the quantiles of the location-scale
    method and of the design-free quantile method are taken over all units' residuals)."""
    if method == "qreg":
        if designs[0].order == 0:
            pooled = np.concatenate([d.e_res for d in designs])
            low, high = np.quantile(pooled, alpha), np.quantile(pooled, 1 - alpha)
            return [(np.full(len(d.x1), low), np.full(len(d.x1), high)) for d in designs]
        return [
            (d.x1 @ quantile_regression(d.e_res, d.x0, alpha), d.x1 @ quantile_regression(d.e_res, d.x0, 1 - alpha))
            for d in designs
        ]
    moments = []
    for d in designs:
        coef = _lstsq_fit(d.e_res, d.x0)
        e_mean, resid = d.x1 @ coef, d.e_res - d.x0 @ coef
        var_coef = _lstsq_fit(np.log(resid**2), d.x0)
        iqr = np.abs(d.x1 @ quantile_regression(resid, d.x0, 0.75) - d.x1 @ quantile_regression(resid, d.x0, 0.25))
        e_sig = np.minimum(np.sqrt(np.exp(d.x1 @ var_coef)), iqr / 1.34)
        moments.append((e_mean, e_sig, resid / np.sqrt(np.exp(d.x0 @ var_coef))))
    if method == "gaussian":
        eps = np.sqrt(-2 * np.log(alpha))
        return [(e_mean - eps * e_sig, e_mean + eps * e_sig) for e_mean, e_sig, _ in moments]
    standardised = np.concatenate([m[2] for m in moments])
    low, high = np.quantile(standardised, alpha), np.quantile(standardised, 1 - alpha)
    return [(e_mean + e_sig * low, e_mean + e_sig * high) for e_mean, e_sig, _ in moments]
