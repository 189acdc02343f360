"""Andrews, Roth & Pakes (2023) conditional tests of moment inequalities with nuisance parameters, inverted into
confidence sets for Rambachan & Roth's relative-magnitudes restriction (as R HonestDiD's DeltaRM functions do).

For a polyhedral restriction A delta <= d and a hypothesised theta = l' tau_post, the moments are
``y = A betahat - d - a1 theta - X nu <= 0`` for some nuisance nu (the other directions of tau_post). The statistic
is ``eta = min_nu max_j (y - X nu)_j / sd_j`` (a linear program); conditioning on the optimal dual vertex makes its
distribution a truncated normal, whose quantile is the critical value. The "lf" hybrid first rejects when eta exceeds
a least-favourable critical value at level kappa = alpha / 10 (simulated), then runs the conditional test at level
(alpha - kappa) / (1 - kappa): R's default for relative magnitudes ("C-LF").

Delta^RM(Mbar) is the union over the period s and sign of the largest pre-treatment change of polyhedra; the
confidence set is the union of the sets for each (R reports its smallest and largest accepted values, and so do we).
"""

from __future__ import annotations

import numpy as np

from .._errors import ChipwarError

_TOL_EQUALITY = 1e-6  # HonestDiD's tolerance for "c is the optimum of the dual program"
_TOL_C = 1e-6


def _linprog():
    from scipy.optimize import linprog

    return linprog


def rm_polyhedron(num_pre: int, num_post: int, mbar: float, s: int, positive: bool) -> np.ndarray:
    """A of Delta^RM_{s,+/-}(Mbar) = {delta: A delta <= 0}: every first difference of delta (pre: at most the
    change at s, post: at most Mbar times it), with the change delta_s - delta_{s-1} the largest pre change
    (s in -(num_pre-1)..0; delta_0 = 0 is dropped)."""
    n = num_pre + num_post
    diffs = np.zeros((n, n + 1))
    diffs[np.arange(n), np.arange(n)] = -1.0
    diffs[np.arange(n), np.arange(n) + 1] = 1.0
    bound = np.zeros(n + 1)
    bound[num_pre + s - 1], bound[num_pre + s] = -1.0, 1.0
    if not positive:
        bound = -bound
    ub = np.vstack([np.tile(bound, (num_pre, 1)), np.tile(mbar * bound, (num_post, 1))])
    a = np.vstack([diffs - ub, -diffs - ub])
    a = a[(a**2).sum(axis=1) > 1e-10]
    return np.delete(a, num_pre, axis=1)


def _gamma(l_vec: np.ndarray) -> np.ndarray:
    """An invertible matrix with l' as first row, completed by unit vectors (the pivots of rref([l, I]))."""
    rows = [l_vec]
    for j in range(len(l_vec)):
        e = np.eye(len(l_vec))[j]
        if np.linalg.matrix_rank(np.vstack(rows + [e])) > len(rows):
            rows.append(e)
    return np.vstack(rows)


def _eta(y: np.ndarray, x: np.ndarray, sd: np.ndarray) -> tuple[float, np.ndarray]:
    """min eta s.t. y - x nu <= eta sd, and the dual vertex lambda (>= 0, lambda'sd = 1, x'lambda = 0)."""
    k = x.shape[1]
    res = _linprog()(
        c=np.r_[1.0, np.zeros(k)],
        A_ub=-np.column_stack([sd, x]),
        b_ub=-y,
        bounds=[(None, None)] * (k + 1),
        method="highs-ds",
    )
    if res.status != 0:
        return np.nan, np.full(len(y), np.nan)
    return float(res.fun), -res.ineqlin.marginals


def _dual_optimum(f: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """max f'lambda over the dual polytope {lambda >= 0, w'lambda = e_1}."""
    rhs = np.zeros(w.shape[1])
    rhs[0] = 1.0
    res = _linprog()(c=-f, A_eq=w.T, b_eq=rhs, bounds=[(0, None)] * len(f), method="highs-ds")
    return (-float(res.fun), res.x) if res.status == 0 else (np.nan, np.full(len(f), np.nan))


def _truncation(eta: float, y: np.ndarray, gamma: np.ndarray, sigma: np.ndarray, w: np.ndarray) -> tuple:
    """ARP's (vlo, vup): the range of gamma'y (other directions held fixed) over which gamma stays optimal.

    Found as HonestDiD does: a fixed-point shortcut (the optimum is affine in c along a vertex) and bisection.
    """
    var = float(gamma @ sigma @ gamma)
    b = sigma @ gamma / var
    s_t = y - b * float(gamma @ y)
    sd_b = np.sqrt(var)

    def solves(c: float) -> tuple[bool, np.ndarray]:
        value, lam = _dual_optimum(s_t + b * c, w)
        return bool(abs(c - value) <= _TOL_EQUALITY), lam

    if not solves(eta)[0]:
        return eta, np.inf
    bounds = []
    for start, outward in ((max(100.0, eta + 20 * sd_b), 1), (min(-100.0, eta - 20 * sd_b), -1)):
        ok, lam = solves(start)
        if ok:
            bounds.append(outward * np.inf)
            continue
        mid, found = start, False
        for _ in range(9):
            denom = 1.0 - float(lam @ b)
            num = float(lam @ s_t)
            mid = (0.0 if abs(num) < np.finfo(float).eps ** 0.75 else num) / denom
            ok, lam = solves(mid)
            if ok:
                found = True
                break
        if not found:  # bisect between eta (a solution) and the last non-solution
            inside, outside = eta, mid
            while abs(outside - inside) > _TOL_C:
                mid = (inside + outside) / 2
                inside, outside = (mid, outside) if solves(mid)[0] else (inside, mid)
            mid = (inside + outside) / 2
        bounds.append(mid)
    return bounds[1], bounds[0]


def _truncnorm_quantile(p: float, lo: float, hi: float) -> float:
    from scipy.stats import truncnorm

    return float(truncnorm.ppf(p, lo, hi))


_MAX_SUBSETS = 20_000  # enumerate the dual polytope's vertices when there are at most this many candidate bases


def dual_vertices(w: np.ndarray) -> np.ndarray | None:
    """All vertices of {lambda >= 0, w' lambda = e_1} (one per row), or None when enumeration would be too costly.

    eta = max over these vertices of lambda' y, which makes the statistic, its dual vertex, the truncation bounds
    and the least-favourable simulation closed-form and vectorised instead of one linear program each.
    """
    from itertools import combinations
    from math import comb

    m, r = w.shape
    if np.linalg.matrix_rank(w) < r or comb(m, r) > _MAX_SUBSETS:
        return None
    rhs = np.zeros(r)
    rhs[0] = 1.0
    found = []
    for subset in combinations(range(m), r):
        block = w[list(subset)].T
        if abs(np.linalg.det(block)) < 1e-12:
            continue
        lam_s = np.linalg.solve(block, rhs)
        if (lam_s >= -1e-12).all():
            lam = np.zeros(m)
            lam[list(subset)] = np.clip(lam_s, 0.0, None)
            found.append(lam)
    if not found:
        return None
    return np.unique(np.round(np.array(found), 12), axis=0)


def _truncation_vertices(y: np.ndarray, gamma: np.ndarray, sigma: np.ndarray, vertices: np.ndarray) -> tuple:
    """Closed-form (vlo, vup): gamma stays the optimal vertex while c (1 - lambda'b) >= lambda's for all vertices."""
    b = sigma @ gamma / float(gamma @ sigma @ gamma)
    s_t = y - b * float(gamma @ y)
    slope = 1.0 - vertices @ b
    level = vertices @ s_t
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = level / slope
    lower = ratio[slope > 1e-12]
    upper = ratio[slope < -1e-12]
    return (lower.max() if lower.size else -np.inf), (upper.min() if upper.size else np.inf)


class ConditionalTest:
    """The ARP test of one polyhedron {A delta <= d}, for any theta; caches what does not depend on theta."""

    def __init__(
        self,
        beta: np.ndarray,
        sigma: np.ndarray,
        num_pre: int,
        l_vec: np.ndarray,
        a: np.ndarray,
        d: np.ndarray,
        rows: np.ndarray,
        alpha: float,
        hybrid: str,
        seed: int,
    ) -> None:
        post = a[:, num_pre:] @ np.linalg.inv(_gamma(l_vec))
        self.a1 = post[rows, 0]
        self.x = post[rows, 1:]
        self.y = (a @ beta - d)[rows]
        self.sigma = (a @ sigma @ a.T)[np.ix_(rows, rows)]
        self.sd = np.sqrt(np.diag(self.sigma))
        self.w = np.column_stack([self.sd, self.x])
        self.vertices = dual_vertices(self.w)
        self.alpha = alpha
        self.lf_cv = np.inf
        self.size = alpha
        if hybrid == "lf":
            kappa = alpha / 10
            self.size = (alpha - kappa) / (1 - kappa)
            self.lf_cv = self._least_favourable_cv(kappa, seed)

    def _least_favourable_cv(self, kappa: float, seed: int, sims: int = 1000) -> float:
        draws = np.random.default_rng(seed).multivariate_normal(np.zeros(len(self.y)), self.sigma, size=sims)
        if self.vertices is not None:
            etas = (draws @ self.vertices.T).max(axis=1)
        else:
            etas = np.array([_eta(xi, self.x, self.sd)[0] for xi in draws])
        return float(np.nanquantile(etas, 1 - kappa))

    def rejects(self, theta: float) -> bool:
        y = self.y - self.a1 * theta
        if self.vertices is not None:
            values = self.vertices @ y
            best = int(np.argmax(values))
            eta, lam = float(values[best]), self.vertices[best]
        else:
            eta, lam = _eta(y, self.x, self.sd)
        if not np.isfinite(eta):
            return False  # as HonestDiD: an unsolved program does not reject
        if eta > self.lf_cv:
            return True
        sd_b = float(np.sqrt(max(lam @ self.sigma @ lam, 0.0)))
        if sd_b < 1e-10:
            return eta > 0
        if self.vertices is not None:
            vlo, vup = _truncation_vertices(y, lam, self.sigma, self.vertices)
        else:
            vlo, vup = _truncation(eta, y, lam, self.sigma, self.w)
        stat, zlo, zup = eta / sd_b, vlo / sd_b, min(vup, self.lf_cv) / sd_b
        if not zlo <= stat <= zup:
            return False
        return stat > max(0.0, _truncnorm_quantile(1 - self.size, zlo, zup))


def _accepted_range(test: ConditionalTest, lo: float, hi: float, points: int) -> tuple[float, float]:
    """Smallest and largest accepted theta: a grid over [lo, hi], then bisection at the outermost boundaries."""
    grid = np.linspace(lo, hi, points)
    accept = np.array([not test.rejects(t) for t in grid])
    if not accept.any():
        return np.nan, np.nan
    ends = []
    for idx, step in ((np.flatnonzero(accept)[0], -1), (np.flatnonzero(accept)[-1], 1)):
        if idx + step < 0 or idx + step >= points:
            ends.append(-np.inf if step < 0 else np.inf)  # open at the end of the search range
            continue
        inside, outside = grid[idx], grid[idx + step]
        while abs(outside - inside) > 1e-7 * max(1.0, abs(inside)):
            mid = (inside + outside) / 2
            if test.rejects(mid):
                outside = mid
            else:
                inside = mid
        ends.append((inside + outside) / 2)
    return ends[0], ends[1]


def rm_confidence_set(
    beta: np.ndarray,
    sigma: np.ndarray,
    num_pre: int,
    l_vec: np.ndarray,
    mbar: float,
    alpha: float,
    hybrid: str = "lf",
    seed: int = 0,
    grid_points: int = 41,
    width: float = 20.0,
) -> tuple[float, float]:
    """Confidence set for l' tau_post under Delta^RM(mbar): (lower, upper) of the union over (s, sign).

    The search covers theta-hat +/- ``width`` standard errors (R HonestDiD: 0 +/- 20 SE) on a grid of
    ``grid_points``, refined by bisection at the outermost accepted points; an end at the edge of the range is
    reported as -inf / inf.
    """
    if hybrid not in ("lf", "arp"):
        raise ChipwarError(f"hybrid must be 'lf' or 'arp', got {hybrid!r}")
    num_post = len(l_vec)
    post_sigma = sigma[num_pre:, num_pre:]
    sd_theta = float(np.sqrt(l_vec @ post_sigma @ l_vec))
    centre = float(l_vec @ beta[num_pre:])
    lows, highs = [], []
    for s in range(-(num_pre - 1), 1):
        for positive in (True, False):
            a = rm_polyhedron(num_pre, num_post, mbar, s, positive)
            rows = np.arange(a.shape[0])
            if num_post > 1:  # HonestDiD's postPeriodMomentsOnly: drop moments on pre-periods alone
                rows = np.flatnonzero((a[:, num_pre:] != 0).any(axis=1))
            test = ConditionalTest(beta, sigma, num_pre, l_vec, a, np.zeros(a.shape[0]), rows, alpha, hybrid, seed)
            lo, hi = _accepted_range(test, centre - width * sd_theta, centre + width * sd_theta, grid_points)
            if not np.isnan(lo):
                lows.append(lo)
                highs.append(hi)
    if not lows:
        return np.nan, np.nan
    return float(min(lows)), float(max(highs))
