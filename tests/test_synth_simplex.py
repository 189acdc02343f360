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
