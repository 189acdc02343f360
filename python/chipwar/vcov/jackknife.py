"""Leave-one-cluster-out estimates for the CRV3 variance (:func:`chipwar.vcov.crv3.crv3_vcov`).

Each rule returns ``b_(-g) - b`` for every cluster g, one row per cluster. With every fixed effect nested in
the cluster, leaving a cluster out removes whole fixed-effect groups and leaves the demeaned data of the other
clusters as they are, so least squares and 2SLS need only per-cluster cross-products of the demeaned data (the
estimates without cluster g are those of the full sample minus that cluster's contribution; no refits).
A cluster without which a coefficient is not identified raises :class:`LeftOutSingular` (the variance would
otherwise be a solve of rounding noise, different in every row order).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import kernels
from .._errors import ChipwarError

LeaveOut = Callable[[np.ndarray, int], np.ndarray]


def cluster_cross_products(a: np.ndarray, b: np.ndarray, codes: np.ndarray, n_clusters: int) -> np.ndarray:
    """``A_g' B_g`` for every cluster g (G x p x q), from row outer products summed in C++."""
    n, p = a.shape
    q = b.shape[1]
    outer = (a[:, :, None] * b[:, None, :]).reshape(n, p * q)
    return kernels.group_sums(np.asfortranarray(outer), codes, n_clusters).reshape(n_clusters, p, q)


class LeftOutSingular(ChipwarError):
    """Without cluster ``cluster`` (its code) the columns ``columns`` of a leave-out design are not identified."""

    def __init__(self, cluster: int, columns: list[str]) -> None:
        self.cluster = cluster
        self.columns = columns
        super().__init__(
            f"CRV3: without cluster {cluster} {', '.join(columns)} cannot be estimated (collinear, or it varies in "
            "that cluster only); use CRV1"
        )

    def __reduce__(self):  # raised on an executor's worker process, it comes back pickled
        return type(self), (self.cluster, self.columns)


def unidentified_columns(scaled: np.ndarray, tol: float) -> list[int]:
    """The columns of a Gram matrix, scaled so that the full sample's diagonal is one, whose variance left after
    the earlier identified columns is at most ``tol``: the fit's own collinearity rule
    (``kernels.independent_columns``), measured against the full-sample variance instead of the column's own, which
    after leaving a cluster out may be nothing but rounding."""
    kept: list[int] = []
    bad: list[int] = []
    for j in range(scaled.shape[0]):
        s = scaled[np.ix_(kept, kept)]
        c = scaled[kept, j]
        resid = scaled[j, j] - (c @ np.linalg.solve(s, c) if kept else 0.0)
        (kept if resid > tol else bad).append(j)
    return bad


def solve_left_out(full: np.ndarray, left_out: np.ndarray, rhs: np.ndarray, names: list[str], tol: float) -> np.ndarray:
    """``left_out[g]^{-1} rhs[g]`` for every cluster g (G x p x p and G x p x m), where ``left_out[g]`` is the
    full-sample Gram matrix ``full`` without cluster g's part.

    The systems are equilibrated by the full sample's diagonal, so that a column which (nearly) vanishes without a
    cluster shows as a pivot near zero whatever the columns' units; a pivot at most ``tol`` raises
    :class:`LeftOutSingular` naming the first such cluster and its columns, rather than returning a solve of
    rounding noise (whose value changed with the row order).
    """
    scale = np.sqrt(np.diag(full))
    scale = np.where(scale > 0, scale, 1.0)
    scaled = left_out / scale[None, :, None] / scale[None, None, :]
    try:
        pivots = np.diagonal(np.linalg.cholesky(scaled), axis1=1, axis2=2) ** 2
        suspect = np.flatnonzero(~(pivots > tol).all(axis=1))
    except np.linalg.LinAlgError:  # some cluster's system is not positive definite: find it below
        suspect = np.arange(scaled.shape[0])
    for g in suspect:
        bad = unidentified_columns(scaled[g], tol)
        if bad:
            raise LeftOutSingular(int(g), [names[j] for j in bad])
    return np.linalg.solve(scaled, rhs / scale[None, :, None]) / scale[None, :, None]


def ols_leave_out(
    x: np.ndarray, scores: np.ndarray, weights: np.ndarray | None, names: list[str], collin_tol: float
) -> LeaveOut:
    """Least squares on demeaned regressors ``x`` (n x k, named ``names``) whose ``scores`` are ``x w e`` (n x k),
    or the scores of m equations with the same regressors side by side (n x m k, as the first stages of IV):
    ``b_(-g) - b = -(X'WX - X_g'W X_g)^{-1} X_g' W e_g`` per equation; a cluster without which a regressor is
    not identified (by the fit's ``collin_tol``) raises :class:`LeftOutSingular`."""

    def leave_out(codes: np.ndarray, n_clusters: int) -> np.ndarray:
        _n, k = x.shape
        m = scores.shape[1] // k
        xw = x if weights is None else x * weights[:, None]
        xtx_g = cluster_cross_products(xw, x, codes, n_clusters)
        score_g = kernels.group_sums(np.asfortranarray(scores), codes, n_clusters)  # G x m k
        rhs = score_g.reshape(n_clusters, m, k).transpose(0, 2, 1)  # G x k x m
        full = x.T @ xw
        delta = solve_left_out(full, full[None, :, :] - xtx_g, rhs, names, collin_tol)
        return -delta.transpose(0, 2, 1).reshape(n_clusters, m * k)

    return leave_out


def tsls_leave_out(
    z: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None,
    coef: np.ndarray,
    z_names: list[str],
    x_names: list[str],
    collin_tol: float,
) -> LeaveOut:
    """2SLS of demeaned ``y`` on demeaned regressors ``x`` (n x k: endogenous and exogenous, named ``x_names``)
    with the demeaned instruments ``z`` (n x l: exogenous regressors and excluded instruments, ``z_names``):
    ``b_(-g) = (A' C^{-1} A)^{-1} A' C^{-1} c`` with ``A = Z'WX``, ``C = Z'WZ`` and ``c = Z'Wy``, each minus
    cluster g's part; both solves are checked as in :func:`ols_leave_out`."""

    def leave_out(codes: np.ndarray, n_clusters: int) -> np.ndarray:
        zw = z if weights is None else z * weights[:, None]
        rest = np.column_stack([z, x, y])
        l, k = z.shape[1], x.shape[1]
        total = zw.T @ rest
        parts = total[None, :, :] - cluster_cross_products(zw, rest, codes, n_clusters)  # G x l x (l + k + 1)
        zz, zx, zy = parts[:, :, :l], parts[:, :, l : l + k], parts[:, :, l + k :]
        # A' C^{-1} [A | c] for every cluster, then the normal equations of the second stage
        full_zz, full_zx = total[:, :l], total[:, l : l + k]
        proj = np.einsum(
            "gla,glb->gab", zx, solve_left_out(full_zz, zz, np.concatenate([zx, zy], axis=2), z_names, collin_tol)
        )
        full_proj = full_zx.T @ np.linalg.solve(full_zz, full_zx)
        b = solve_left_out(full_proj, proj[:, :, :k], proj[:, :, k:], x_names, collin_tol)[:, :, 0]
        return b - coef[None, :]

    return leave_out
