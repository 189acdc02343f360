"""scpi's weight constraints and their default tuning (scpi_pkg's ``w_constr_prep`` / ``shrinkage_EST``), and the
constrained least-squares fit, solved in C++ (``kernels.scpi_qp``)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .. import kernels
from .._errors import ChipwarError
from ._scpi_data import ScpiData

W_CONSTRAINTS = ("simplex", "lasso", "ridge", "L1-L2", "ols")


@dataclass(frozen=True)
class WeightConstraint:
    """One of scpi's sets for the donor weights w.

    simplex: w >= 0, sum(w) = q; lasso: ||w||_1 <= q; ridge: ||w||_2 <= q; L1-L2: w >= 0, sum(w) = q and
    ||w||_2 <= q2; ols: unconstrained. ``lam`` is the ridge penalty behind the default q (ridge) or q2 (L1-L2).
    ``lower`` (simplex, L1-L2) replaces the bound 0 (scpi's local geometry uses it).
    """

    name: str
    q: float = np.nan
    q2: float = np.inf
    lam: float = np.nan
    lower: np.ndarray | None = None

    def solve(self, h: np.ndarray, f: np.ndarray, n_weights: int) -> np.ndarray:
        """argmin 1/2 x'Hx + f'x with the first ``n_weights`` entries in this set."""
        x, _, converged, _ = kernels.scpi_qp(h, f, self.name, n_weights, *self._core_args(n_weights))
        if not converged:
            raise ChipwarError(f"scpi: the {self.name} weight problem did not converge (badly scaled data? rescale)")
        return np.asarray(x)

    def _core_args(self, n_weights: int) -> tuple[float, float, np.ndarray]:
        q = 0.0 if self.name == "ols" else float(self.q)
        lower = np.zeros(n_weights) if self.lower is None else np.asarray(self.lower, dtype=float)
        return q, float(self.q2), lower


def _wls(a: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, float]:
    """OLS coefficients (minimum norm) and residual variance SSR / (n - rank), statsmodels' WLS scale with V = I."""
    coef, _, rank, _ = np.linalg.lstsq(z, a, rcond=None)
    resid = a - z @ coef
    return coef, float(resid @ resid / (len(a) - rank))


def _ridge_q(a: np.ndarray, z: np.ndarray, n_donors: int, n_extra: int) -> tuple[float, float]:
    """scpi's rule of thumb: lambda = sigma^2 (J + KM) / ||b_ols||^2, Q = ||b_ols|| / (1 + lambda); with few rows
    (n <= columns + 10) the regression keeps only the columns a lasso fit selects (at most max(n - 10, 2))."""
    coef, sigma2 = _wls(a, z)
    l2 = float(coef @ coef)
    lam = sigma2 * (n_donors + n_extra) / l2
    q = np.sqrt(l2) / (1 + lam)
    if len(z) <= z.shape[1] + 10:
        lasso = WeightConstraint("lasso", q=1.0).solve(z.T @ z, -z.T @ a, n_donors)
        active = np.abs(lasso) > 1e-8
        keep = max(len(a) - 10, 2)
        if active.sum() >= keep:
            order = np.argsort(-np.abs(lasso), kind="stable")
            active = np.zeros(len(lasso), dtype=bool)
            active[order[:keep]] = True
        coef, sigma2 = _wls(a, z[:, active])
        l2 = float(coef @ coef)
        lam = sigma2 * (int(active.sum()) + n_extra) / l2
        q = np.sqrt(l2) / (1 + lam)
    return float(q), float(lam)


def resolve_constraint(w_constr: str, data: ScpiData, q: float | None, q2: float | None) -> WeightConstraint:
    """The constraint with scpi's defaults: Q = 1 for simplex and lasso; for ridge (Q) and L1-L2 (Q2) the smallest
    of the feature-by-feature rules of thumb over features with at least 5 pre-periods, but at least 0.5."""
    if w_constr not in W_CONSTRAINTS:
        raise ChipwarError(f"w_constr must be one of {W_CONSTRAINTS}, got {w_constr!r}")
    for name, value in (("Q", q), ("Q2", q2)):
        if value is not None and not (np.isfinite(value) and value > 0):
            raise ChipwarError(f"{name} must be a positive number, got {value!r}")
    if w_constr == "ols":
        return WeightConstraint("ols")
    if w_constr in ("simplex", "lasso"):
        return WeightConstraint(w_constr, q=1.0 if q is None else float(q))
    z = data.z
    rules = [
        _ridge_q(data.a[rows], z[rows], data.n_donors, data.n_extra)
        for rows in data.feature_rows
        if rows.stop - rows.start >= 5
    ]
    if not rules:
        rules = [_ridge_q(data.a, z, data.n_donors, data.n_extra)]
    default_q = max(min(r[0] for r in rules), 0.5)
    lam = rules[-1][1]  # scpi keeps the penalty of the last feature examined
    if w_constr == "ridge":
        return WeightConstraint("ridge", q=default_q if q is None else float(q), lam=lam)
    return WeightConstraint(
        "L1-L2", q=1.0 if q is None else float(q), q2=default_q if q2 is None else float(q2), lam=lam
    )


def fit_weights(data: ScpiData, constraint: WeightConstraint) -> np.ndarray:
    """b = argmin ||A - Z b||^2 (V = I, scpi's default) with the donor weights in the constraint set."""
    z = data.z
    return constraint.solve(z.T @ z, -z.T @ data.a, data.n_donors)


def with_geometry(constraint: WeightConstraint, q: float, q2: float, lower: np.ndarray | None) -> WeightConstraint:
    """The same kind of set with scpi's local-geometry radius and lower bounds."""
    return replace(constraint, q=q, q2=q2, lower=lower)
