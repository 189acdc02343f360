"""scpi's optimisation problems in C++ (_core.scpi_qp, _core.scpi_insample_bounds) against an independent solver
(scipy's SLSQP at tight tolerance) on small random problems, and their KKT conditions."""

from __future__ import annotations

import numpy as np
import pytest
from chipwar import ChipwarError, _core
from scipy.optimize import minimize

KINDS = ("simplex", "lasso", "ridge", "L1-L2", "ols")


def _problem(seed: int, n_obs: int = 12, n_weights: int = 6, n_free: int = 1):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n_obs, n_weights + n_free))
    a = z[:, :n_weights] @ rng.dirichlet(np.ones(n_weights)) + 0.3 * rng.normal(size=n_obs)
    return z.T @ z, -z.T @ a, z, a


def _set(kind: str, n_weights: int, rng: np.random.Generator) -> tuple[float, float, np.ndarray]:
    if kind == "simplex":
        return 1.0, np.inf, np.zeros(n_weights)
    if kind == "lasso":
        return 0.6, np.inf, np.zeros(n_weights)
    if kind == "ridge":
        return 0.4, np.inf, np.zeros(n_weights)
    if kind == "L1-L2":
        return 1.0, 0.5, np.zeros(n_weights)
    return 0.0, np.inf, np.zeros(n_weights)


def _scipy_constraints(kind: str, j: int, q: float, q2: float, lower: np.ndarray, center: np.ndarray | None = None):
    """The set as SLSQP constraints on x (optionally on x = center + delta)."""
    shift = np.zeros_like(center) if center is None else center
    cons = []
    if kind in ("simplex", "L1-L2"):
        cons.append({"type": "eq", "fun": lambda d: np.sum((shift + d)[:j]) - q})
        cons.append({"type": "ineq", "fun": lambda d: (shift + d)[:j] - lower})
    if kind == "L1-L2":
        cons.append({"type": "ineq", "fun": lambda d: q2 ** 2 - np.sum((shift + d)[:j] ** 2)})
    if kind == "ridge":
        cons.append({"type": "ineq", "fun": lambda d: q ** 2 - np.sum((shift + d)[:j] ** 2)})
    return cons


def _lasso_scipy(h: np.ndarray, f: np.ndarray, j: int, q: float) -> np.ndarray:
    """The lasso through the split w = u - v (u, v >= 0, sum(u + v) <= q), smooth for SLSQP."""
    n = len(f)

    def unpack(y):
        return np.concatenate([y[:j] - y[j:2 * j], y[2 * j:]])

    fun = lambda y: 0.5 * unpack(y) @ h @ unpack(y) + f @ unpack(y)
    jac = lambda y: np.concatenate([(h @ unpack(y) + f)[:j], -(h @ unpack(y) + f)[:j], (h @ unpack(y) + f)[j:]])
    cons = [{"type": "ineq", "fun": lambda y: q - np.sum(y[:2 * j])}, {"type": "ineq", "fun": lambda y: y[:2 * j]}]
    best = minimize(fun, np.zeros(n + j), jac=jac, constraints=cons, method="SLSQP", options={"ftol": 1e-15, "maxiter": 2000})
    return unpack(best.x)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(6))
def test_weights_match_scipy_and_satisfy_kkt(kind: str, seed: int) -> None:
    h, f, _, _ = _problem(seed)
    j = 6
    q, q2, lower = _set(kind, j, np.random.default_rng(seed))
    x, nu, converged, _ = _core.scpi_qp(h, f, kind, j, q, q2, lower)
    assert converged
    assert _core.scpi_qp_kkt_violation(h, f, kind, j, q, q2, lower, x, nu) < 1e-9
    if kind == "lasso":
        ref = _lasso_scipy(h, f, j, q)
    else:
        ref = minimize(lambda v: 0.5 * v @ h @ v + f @ v, np.r_[np.full(j, 1 / j), 0.0], jac=lambda v: h @ v + f,
                       constraints=_scipy_constraints(kind, j, q, q2, lower), method="SLSQP",
                       options={"ftol": 1e-15, "maxiter": 2000}).x
    objective = lambda v: 0.5 * v @ h @ v + f @ v
    assert objective(x) <= objective(ref) + 1e-9 * (1 + abs(objective(ref)))  # never worse than scipy
    np.testing.assert_allclose(x, ref, atol=2e-5)
    # feasibility to rounding
    w = x[:j]
    if kind in ("simplex", "L1-L2"):
        assert abs(w.sum() - q) < 1e-12 and w.min() >= -1e-15
    if kind == "lasso":
        assert np.abs(w).sum() <= q + 1e-12
    if kind == "ridge":
        assert np.linalg.norm(w) <= q * (1 + 1e-12)
    if kind == "L1-L2":
        assert np.linalg.norm(w) <= q2 * (1 + 1e-12)


def test_active_l2_constraint_has_positive_multiplier() -> None:
    h, f, _, _ = _problem(3)
    x, nu, _, _ = _core.scpi_qp(h, f, "ridge", 6, 0.05, np.inf, np.zeros(6))
    assert nu > 0 and np.linalg.norm(x[:6]) == pytest.approx(0.05, rel=1e-12)


def test_duplicate_donors_are_solved_to_kkt_precision() -> None:
    """A duplicated donor makes the weights non-unique: the pair's total is still exact, the answer repeatable."""
    rng = np.random.default_rng(0)
    b = rng.normal(size=(15, 3))
    z = np.hstack([b, b[:, [0]]])  # donor 3 duplicates donor 0
    a = b @ np.array([0.5, 0.3, 0.2])
    h, f = z.T @ z, -z.T @ a
    x, _, converged, _ = _core.scpi_qp(h, f, "simplex", 4, 1.0, np.inf, np.zeros(4))
    assert converged and x[0] + x[3] == pytest.approx(0.5, abs=1e-9) and x[1:3] == pytest.approx([0.3, 0.2], abs=1e-9)
    assert _core.scpi_qp_kkt_violation(h, f, "simplex", 4, 1.0, np.inf, np.zeros(4), x, 0.0) < 1e-9
    np.testing.assert_array_equal(x, _core.scpi_qp(h, f, "simplex", 4, 1.0, np.inf, np.zeros(4))[0])


def _slsqp_bound(kind, sign, p, g, qmat, beta, j, q, q2, lower) -> float:
    """min sign * (-p'delta) subject to scpi's ellipsoid and beta + delta in the set, by SLSQP from a few starts
    (the lasso through w = u - v, u, v >= 0, sum(u + v) <= q, which keeps the problem smooth)."""
    n = len(beta)
    ellipsoid = lambda dl: -(dl @ qmat @ dl - 2 * g @ dl)
    if kind == "lasso":
        def delta(y):
            return np.concatenate([y[:j] - y[j:2 * j] - beta[:j], y[2 * j:]])
        cons = [{"type": "ineq", "fun": lambda y: ellipsoid(delta(y))},
                {"type": "ineq", "fun": lambda y: q - y[:2 * j].sum()}, {"type": "ineq", "fun": lambda y: y[:2 * j]}]
        base = np.concatenate([np.maximum(beta[:j], 0), np.maximum(-beta[:j], 0), np.zeros(n - j)])
        fun = lambda y: sign * (-p @ delta(y))
    else:
        delta = lambda y: y
        cons = [{"type": "ineq", "fun": ellipsoid}] + _scipy_constraints(kind, j, q, q2, lower, center=beta)
        base = np.zeros(n)  # delta = 0 is feasible
        fun = lambda y: sign * (-p @ y)
    best = np.inf
    for start in range(4):
        y0 = base + 1e-4 * start * np.random.default_rng(start).normal(size=len(base))
        sol = minimize(fun, y0, constraints=cons, method="SLSQP", options={"ftol": 1e-15, "maxiter": 3000})
        # status 8 ("positive directional derivative in the line search"): stuck at the optimum's precision; the
        # point counts when it is feasible
        feasible = min(np.min(c["fun"](sol.x)) if c["type"] == "ineq" else -np.max(np.abs(c["fun"](sol.x)))
                       for c in cons) > -1e-9
        if (sol.success or sol.status == 8) and feasible:
            best = min(best, sol.fun)
    return best


@pytest.mark.parametrize("kind", KINDS)
def test_insample_bounds_match_scipy(kind: str) -> None:
    """min and max of p'(beta - x) subject to (x - beta)'Q(x - beta) - 2 g'(x - beta) <= 0 and x in the set,
    solved by SLSQP from several starts (the best kept)."""
    h, f, z, _ = _problem(11, n_obs=20)
    j, n = 6, h.shape[0]
    q, q2, lower = _set(kind, j, np.random.default_rng(1))
    beta = _core.scpi_qp(h, f, kind, j, q, q2, lower)[0]
    # scpi relaxes the set around beta; here: lower bounds at beta's small weights, radius slightly above beta's norm
    if kind in ("simplex", "L1-L2"):
        lower = np.where(beta[:j] < 0.05, beta[:j], 0.0)
    if kind == "lasso":
        q = np.abs(beta[:j]).sum() + 0.05
    if kind == "ridge":
        q = np.linalg.norm(beta[:j]) + 0.05
    if kind == "L1-L2":
        q2 = np.linalg.norm(beta[:j]) + 0.05
    qmat = z.T @ z / len(z)
    rng = np.random.default_rng(5)
    draws = 0.05 * rng.normal(size=(n, 3))
    p_rows = rng.normal(size=(2, n))
    low, high, failures = _core.scpi_insample_bounds(qmat, beta, draws, p_rows, kind, j, q, q2, lower)
    assert failures == 0
    for d in range(draws.shape[1]):
        g = draws[:, d]
        for t in range(p_rows.shape[0]):
            p = p_rows[t]
            for sign, ours in ((1, low[d, t]), (-1, high[d, t])):
                reference = sign * _slsqp_bound(kind, sign, p, g, qmat, beta, j, q, q2, lower)
                assert ours == pytest.approx(reference, abs=2e-6 * (1 + abs(reference))), (kind, d, t, sign)


def test_bad_sets_raise() -> None:
    h, f, _, _ = _problem(0)
    with pytest.raises(ChipwarError, match="unknown weight constraint"):
        _core.scpi_qp(h, f, "elastic", 6, 1.0, np.inf, np.zeros(6))
    with pytest.raises(ChipwarError, match="sum to more than Q"):
        _core.scpi_qp(h, f, "simplex", 6, 1.0, np.inf, np.full(6, 0.5))
    with pytest.raises(ChipwarError, match="L2 constraint"):
        _core.scpi_qp(h, f, "L1-L2", 6, 1.0, 0.1, np.zeros(6))  # below the uniform weights' norm 1/sqrt(6)
    with pytest.raises(ChipwarError, match="NaN"):
        _core.scpi_qp(h * np.nan, f, "simplex", 6, 1.0, np.inf, np.zeros(6))
