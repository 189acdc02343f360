"""The pieces of the R Synth emulation (v_search="synth"): R optim's Nelder-Mead and BFGS, kernlab's ipop."""

from __future__ import annotations

import numpy as np
import pytest

from chipwar import _core


def _rosenbrock(x: np.ndarray) -> float:
    return float(100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2)


def test_nelder_mead_matches_rs_optim_example() -> None:
    """R's ?optim example: optim(c(-1.2, 1), fr) stops at (1.000260, 1.000506), value 8.825241e-08, 195 evaluations."""
    r = _core.optim_nelder_mead(_rosenbrock, np.array([-1.2, 1.0]))
    np.testing.assert_allclose(r["x"], [1.000260, 1.000506], atol=5e-7)
    assert r["value"] == pytest.approx(8.825241e-08, rel=1e-6)
    assert r["fn_count"] == 195 and r["converged"]
    capped = _core.optim_nelder_mead(_rosenbrock, np.array([-1.2, 1.0]), max_fn=50)
    assert not capped["converged"] and capped["value"] > r["value"]


def test_bfgs_matches_rs_optim_example() -> None:
    """optim(c(-1.2, 1), fr, NULL, method = "BFGS"): (0.9998044, 0.9996084), value 3.827383e-08, counts 118 and 38."""
    r = _core.optim_bfgs(_rosenbrock, np.array([-1.2, 1.0]))
    np.testing.assert_allclose(r["x"], [0.9998044, 0.9996084], atol=5e-8)
    assert r["value"] == pytest.approx(3.827383e-08, rel=1e-6)
    assert (r["fn_count"], r["gr_count"]) == (118, 38) and r["converged"]
    # A quadratic: the exact minimiser to finite-difference accuracy.
    q = _core.optim_bfgs(lambda x: float(((x - np.array([3.0, -1.0, 0.5])) ** 2).sum()), np.zeros(3))
    np.testing.assert_allclose(q["x"], [3.0, -1.0, 0.5], atol=1e-6)


def test_ipop_matches_kernlab_and_is_inexact() -> None:
    """kernlab 0.9-32's ipop with Synth's settings (margin 5e-4, sigf 5, bound 10, maxiter 1000) on this problem
    returns the primal below; the exact QP puts the last weight at zero."""
    h = np.array([[2, 0.5, 0.3, 0.1], [0.5, 1.5, 0.2, 0.4], [0.3, 0.2, 1.0, 0.6], [0.1, 0.4, 0.6, 2.5]])
    c = np.array([-1.0, -0.8, -0.2, 0.3])
    w = _core.synth_ipop(h, c)
    kernlab = [4.3316719922280877e-01, 4.6039427629073987e-01, 1.0643760310644423e-01, 9.2137910030179633e-07]
    np.testing.assert_allclose(w, kernlab, rtol=1e-10, atol=1e-15)
    # Independent check: the exact simplex QP (as least squares with A'A = H, A'b = -c) agrees to ipop's precision.
    a = np.linalg.cholesky(h).T
    b = np.linalg.solve(a.T, -c)
    exact = _core.simplex_least_squares(a, b)[0]
    assert exact[3] == 0 and w[3] > 0
    obj = lambda x: c @ x + 0.5 * x @ h @ x  # noqa: E731
    assert obj(w) == pytest.approx(obj(exact), rel=1e-5)
    np.testing.assert_allclose(w, exact, atol=1e-5)
