"""Conditional (ARP) and conditional-least-favourable confidence sets for the smoothness restriction Delta^SD(M),
optionally intersected with a sign or monotonicity restriction (R HonestDiD's computeConditionalCS_DeltaSD,
_DeltaSDB and _DeltaSDM).

Delta^SD(M) is one polyhedron: every second difference of delta (with delta_0 = 0 at the reference period) lies in
[-M, M]. A positive (negative) bias adds delta_post >= 0 (<= 0); an increasing (decreasing) trend adds first
differences >= 0 (<= 0) over all periods. Each is a set of rows of ``A delta <= d``, so the ARP test of
:class:`chipwar.did._arp.ConditionalTest` applies as it does to relative magnitudes.
"""

from __future__ import annotations

import numpy as np

from .._errors import ChipwarError
from ._arp import ConditionalTest, _accepted_range, _linprog

BIAS = (None, "positive", "negative")
MONOTONICITY = (None, "increasing", "decreasing")


def _differences(num_pre: int, num_post: int, order: int) -> np.ndarray:
    """Rows of the first or second differences of (delta_pre, delta_0 = 0, delta_post), the delta_0 column dropped."""
    n = num_pre + num_post
    stencil = [-1.0, 1.0] if order == 1 else [1.0, -2.0, 1.0]
    rows = np.zeros((n + 1 - order, n + 1))
    for r in range(n + 1 - order):
        rows[r, r : r + order + 1] = stencil
    return np.delete(rows, num_pre, axis=1)


def sd_polyhedron(
    num_pre: int, num_post: int, m: float, bias: str | None = None, monotonicity: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(A, d) of Delta^SD(m), intersected with the sign or monotonicity restriction if given (HonestDiD's rows)."""
    second = _differences(num_pre, num_post, 2)
    blocks, bounds = [second, -second], [np.full(2 * len(second), float(m))]
    if bias is not None:
        post = np.hstack([np.zeros((num_post, num_pre)), np.eye(num_post)])
        blocks.append(-post if bias == "positive" else post)
        bounds.append(np.zeros(num_post))
    if monotonicity is not None:
        first = _differences(num_pre, num_post, 1)
        blocks.append(-first if monotonicity == "increasing" else first)
        bounds.append(np.zeros(len(first)))
    return np.vstack(blocks), np.concatenate(bounds)


def _largest_bias(a: np.ndarray, d: np.ndarray, num_pre: int, l_vec: np.ndarray) -> float:
    """max |l' delta_post| over {A delta <= d, delta_pre = 0}: the identified set's half-width when beta = 0."""
    n = a.shape[1]
    eq = np.hstack([np.eye(num_pre), np.zeros((num_pre, n - num_pre))])
    c = np.r_[np.zeros(num_pre), l_vec]
    worst = 0.0
    for sign in (1.0, -1.0):
        res = _linprog()(
            c=-sign * c, A_ub=a, b_ub=d, A_eq=eq, b_eq=np.zeros(num_pre), bounds=[(None, None)] * n, method="highs"
        )
        if res.status != 0:
            raise ChipwarError("the smoothness restriction's identified set could not be computed (linear program)")
        worst = max(worst, -float(res.fun))
    return worst


def sd_confidence_set(
    beta: np.ndarray,
    sigma: np.ndarray,
    num_pre: int,
    l_vec: np.ndarray,
    m: float,
    alpha: float,
    hybrid: str = "lf",
    seed: int = 0,
    bias: str | None = None,
    monotonicity: str | None = None,
    grid_points: int = 41,
    width: float = 20.0,
) -> tuple[float, float]:
    """Confidence set for l' tau_post under Delta^SD(m) (and the sign / monotonicity restriction): (lower, upper).

    ``hybrid`` is "arp" (the conditional test) or "lf" (conditional least-favourable hybrid, kappa = alpha / 10).
    As HonestDiD, moments that involve pre-treatment coefficients only are dropped when there are several
    post-treatment periods (they do not bound the effect). The search covers theta-hat and the identified set of
    beta = 0, widened by ``width`` standard errors of theta-hat (HonestDiD: that set +/- 20 SE); its boundaries are
    bisected, and an end at the edge of the range is reported as -inf / inf.
    """
    if hybrid not in ("lf", "arp"):
        raise ChipwarError(f"hybrid must be 'lf' or 'arp', got {hybrid!r}")
    num_post = len(l_vec)
    a, d = sd_polyhedron(num_pre, num_post, m, bias, monotonicity)
    rows = np.arange(a.shape[0])
    if num_post > 1:
        rows = np.flatnonzero((a[:, num_pre:] != 0).any(axis=1))
    test = ConditionalTest(beta, sigma, num_pre, l_vec, a, d, rows, alpha, hybrid, seed)
    sd_theta = float(np.sqrt(l_vec @ sigma[num_pre:, num_pre:] @ l_vec))
    theta = float(l_vec @ beta[num_pre:])
    sd_only = sd_polyhedron(num_pre, num_post, m)
    reach = _largest_bias(*sd_only, num_pre, l_vec) + width * sd_theta
    lo, hi = _accepted_range(test, min(theta, 0.0) - reach, max(theta, 0.0) + reach, grid_points)
    return float(lo), float(hi)
