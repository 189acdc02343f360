"""Leave-one-cluster-out estimates for the CRV3 variance (:func:`chipwar.vcov.crv3.crv3_vcov`).

Each rule returns ``b_(-g) - b`` for every cluster g, one row per cluster. With every fixed effect nested in
the cluster, leaving a cluster out removes whole fixed-effect groups and leaves the demeaned data of the other
clusters as they are, so least squares and 2SLS need only per-cluster cross-products of the demeaned data (the
estimates without cluster g are those of the full sample minus that cluster's contribution; no refits).
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


def _solve_each(lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(lhs, rhs)
    except np.linalg.LinAlgError:
        raise ChipwarError(
            "CRV3: leaving out a cluster makes the regressors or instruments collinear (a column varies in one "
            "cluster only); use CRV1"
        ) from None


def ols_leave_out(x: np.ndarray, scores: np.ndarray, weights: np.ndarray | None) -> LeaveOut:
    """Least squares on demeaned regressors ``x`` (n x k) whose ``scores`` are ``x w e`` (n x k), or the scores of
    m equations with the same regressors side by side (n x m k, as the first stages of IV): ``b_(-g) - b =
    -(X'WX - X_g'W X_g)^{-1} X_g' W e_g`` per equation."""

    def leave_out(codes: np.ndarray, n_clusters: int) -> np.ndarray:
        n, k = x.shape
        m = scores.shape[1] // k
        xw = x if weights is None else x * weights[:, None]
        xtx_g = cluster_cross_products(xw, x, codes, n_clusters)
        score_g = kernels.group_sums(np.asfortranarray(scores), codes, n_clusters)  # G x m k
        rhs = score_g.reshape(n_clusters, m, k).transpose(0, 2, 1)  # G x k x m
        delta = _solve_each((x.T @ xw)[None, :, :] - xtx_g, rhs)
        return -delta.transpose(0, 2, 1).reshape(n_clusters, m * k)

    return leave_out


def tsls_leave_out(z: np.ndarray, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None, coef: np.ndarray) -> LeaveOut:
    """2SLS of demeaned ``y`` on demeaned regressors ``x`` (n x k: endogenous and exogenous) with the demeaned
    instruments ``z`` (n x l: exogenous regressors and excluded instruments):
    ``b_(-g) = (A' C^{-1} A)^{-1} A' C^{-1} c`` with ``A = Z'WX``, ``C = Z'WZ`` and ``c = Z'Wy``, each minus
    cluster g's part."""

    def leave_out(codes: np.ndarray, n_clusters: int) -> np.ndarray:
        zw = z if weights is None else z * weights[:, None]
        rest = np.column_stack([z, x, y])
        l, k = z.shape[1], x.shape[1]
        total = zw.T @ rest
        parts = total[None, :, :] - cluster_cross_products(zw, rest, codes, n_clusters)  # G x l x (l + k + 1)
        zz, zx, zy = parts[:, :, :l], parts[:, :, l:l + k], parts[:, :, l + k:]
        # A' C^{-1} [A | c] for every cluster, then the normal equations of the second stage
        proj = np.einsum("gla,glb->gab", zx, _solve_each(zz, np.concatenate([zx, zy], axis=2)))
        b = _solve_each(proj[:, :, :k], proj[:, :, k:])[:, :, 0]
        return b - coef[None, :]

    return leave_out
