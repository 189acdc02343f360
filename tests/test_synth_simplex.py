"""The simplex least-squares QP (KKT to 1e-10, duplicates, collinearity) and synthdid's Frank-Wolfe weights."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from chipwar import _core


def _slsqp(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    n = a.shape[1]
    res = minimize(lambda w: np.sum((a @ w - b) ** 2), np.full(n, 1 / n), jac=lambda w: 2 * a.T @ (a @ w - b),
                   bounds=[(0, None)] * n, constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}],
                   method="SLSQP", options={"ftol": 1e-14, "maxiter": 1000})
    return res.x


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("shape", [(20, 8), (5, 30), (40, 40)])
def test_kkt_holds_to_1e10_and_objective_matches_scipy(seed: int, shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=shape)
    b = rng.normal(size=shape[0]) * 2  # mostly outside the convex hull: several active constraints
    w, converged, _ = _core.simplex_least_squares(a, b)
    assert converged
    assert w.min() >= 0 and abs(w.sum() - 1) < 1e-14
    assert _core.simplex_kkt_violation(a, b, w) < 1e-10
    ours, theirs = np.sum((a @ w - b) ** 2), np.sum((a @ _slsqp(a, b) - b) ** 2)
    assert ours <= theirs + 1e-9 * max(1.0, theirs)


def test_duplicate_donors_share_weight_equally_and_deterministically() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(size=(15, 6))
    b = a[:, :3] @ np.array([0.5, 0.3, 0.2])
    dup = np.column_stack([a, a[:, 0]])  # donor 0 twice
    w1 = _core.simplex_least_squares(dup, b)[0]
    w2 = _core.simplex_least_squares(dup, b)[0]
    np.testing.assert_array_equal(w1, w2)
    assert w1[0] == pytest.approx(w1[6], abs=1e-9)
    assert w1[0] + w1[6] == pytest.approx(0.5, abs=1e-7)
    assert _core.simplex_kkt_violation(dup, b, w1) < 1e-10


def test_collinear_donors_and_exact_fit() -> None:
    rng = np.random.default_rng(4)
    base = rng.normal(size=(10, 3))
    a = np.column_stack([base, base @ np.array([0.2, 0.3, 0.5]), base[:, 0] * 0.5 + base[:, 1] * 0.5])
    b = base @ np.array([0.1, 0.6, 0.3])  # inside the hull: zero residual attainable in several ways
    w = _core.simplex_least_squares(a, b)[0]
    assert np.sum((a @ w - b) ** 2) < 1e-20 * np.sum(b**2) + 1e-20
    assert _core.simplex_kkt_violation(a, b, w) < 1e-10


def test_bad_input_raises() -> None:
    from chipwar import ChipwarError

    with pytest.raises(ChipwarError, match="NaN"):
        _core.simplex_least_squares(np.array([[1.0, np.nan]]), np.array([1.0]))
    with pytest.raises(ChipwarError, match="rows"):
        _core.simplex_least_squares(np.ones((3, 2)), np.ones(2))


def test_frank_wolfe_reaches_the_regularised_optimum() -> None:
    rng = np.random.default_rng(5)
    y = rng.normal(size=(25, 9))
    zeta = 0.3
    w, iterations, converged = _core.fw_simplex_weights(y, zeta, True, np.empty(0), 1e-5, 100000)
    assert converged and iterations < 100000
    yc = y - y.mean(axis=0)
    a, b = yc[:, :-1], yc[:, -1]

    def objective(x: np.ndarray) -> float:
        return zeta**2 * np.sum(x**2) + np.sum((a @ x - b) ** 2) / len(b)

    # Independent optimum of the same strictly convex objective: SLSQP on the stacked least-squares form.
    stacked_a = np.vstack([a / np.sqrt(len(b)), zeta * np.eye(a.shape[1])])
    stacked_b = np.concatenate([b / np.sqrt(len(b)), np.zeros(a.shape[1])])
    reference = _core.simplex_least_squares(stacked_a, stacked_b)[0]
    np.testing.assert_allclose(reference, _slsqp(stacked_a, stacked_b), atol=1e-5)
    # Frank-Wolfe converges sublinearly: stopping once a step gains < 1e-10 leaves it a few 1e-5 above the optimum.
    assert objective(reference) <= objective(w) <= objective(reference) * (1 + 1e-4)
    np.testing.assert_allclose(w, reference, atol=1e-2)


def _synthdid_fw(y: np.ndarray, zeta: float, intercept: bool, start: np.ndarray, min_decrease: float,
                 max_iter: int) -> tuple[np.ndarray, int]:
    """synthdid's sc.weight.fw and fw.step (R, synthdid/R/solver.R), transcribed line by line: the half gradient and
    the residual recomputed from A and x at every step, x <- x + step d_x."""
    if intercept:
        y = y - y.mean(axis=0)
    rows, k = y.shape[0], y.shape[1] - 1
    a, b = y[:, :k], y[:, k]
    eta = rows * zeta**2
    x = start.copy()
    vals: list[float] = []
    t = 0
    while t < max_iter and (t < 2 or vals[t - 2] - vals[t - 1] > min_decrease**2):
        t += 1
        ax = a @ x
        half_grad = (ax - b) @ a + eta * x
        i = int(np.argmin(half_grad))  # which.min: the first of ties
        d_x = -x.copy()
        d_x[i] = 1 - x[i]
        if np.any(d_x != 0):
            d_err = a[:, i] - ax
            step = -(half_grad @ d_x) / (np.sum(d_err**2) + eta * np.sum(d_x**2))
            x = x + min(1.0, max(0.0, step)) * d_x
        vals.append(zeta**2 * np.sum(x**2) + np.sum((a @ x - b) ** 2) / rows)
    return x, t


@pytest.mark.parametrize("shape, zeta, intercept", [((19, 38), 0.8, True), ((37, 20), 0.3, False), ((12, 5), 1.5, True),
                                                     ((3, 3), 0.5, True), ((40, 9), 1e-3, False)])
def test_frank_wolfe_iterates_match_synthdids_loop(shape: tuple[int, int], zeta: float, intercept: bool) -> None:
    """The C++ loop updates the half gradient and residual incrementally (with scaled vectors); after as many
    iterations as synthdid's plain loop, with the same stopping rule, the weights agree to 1e-10."""
    rng = np.random.default_rng(shape[0] * 100 + shape[1])
    y = np.cumsum(rng.normal(size=shape), axis=0) + rng.normal(size=shape[1])
    start = rng.dirichlet(np.ones(shape[1] - 1))
    for min_decrease, max_iter in ((1e-4, 10000), (0.0, 2000)):
        w, iterations, _ = _core.fw_simplex_weights(y, zeta, intercept, start, min_decrease, max_iter)
        expected, expected_iterations = _synthdid_fw(y, zeta, intercept, start, min_decrease, max_iter)
        assert iterations == expected_iterations
        np.testing.assert_allclose(w, expected, rtol=0, atol=1e-10)
        assert w.sum() == pytest.approx(1, abs=1e-12) and w.min() >= 0


def test_frank_wolfe_full_step_restarts_at_the_vertex() -> None:
    """A target beyond one candidate makes the first line search clamp at 1: x becomes that vertex exactly (the
    scaled form folds its scales back then) and synthdid's loop stops there."""
    rng = np.random.default_rng(1)
    a = rng.normal(size=(10, 4))
    y = np.column_stack([a, a[:, 2] + 0.5 * (a[:, 2] - a.mean(axis=1))])
    w, iterations, converged = _core.fw_simplex_weights(y, 1e-6, False, np.empty(0), 1e-5, 100)
    expected, expected_iterations = _synthdid_fw(y, 1e-6, False, np.full(4, 0.25), 1e-5, 100)
    np.testing.assert_array_equal(w, [0.0, 0.0, 1.0, 0.0])
    assert iterations == expected_iterations and converged
    np.testing.assert_allclose(w, expected, atol=1e-12)
