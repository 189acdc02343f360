"""The demeaning kernel's sorted working order (a fixed effect with more than 2^14 groups) and its row chunks
(2^18 rows and more, so that one column's passes run on all threads): exact projection, same result on one and two
threads and whether a column is demeaned alone or beside others, and fepois through the same path."""

from __future__ import annotations

import numpy as np
import pytest

import chipwar as cw
from chipwar import _core

N_BIG = 20_000  # above the kernel's sorting threshold (2^14 groups)


def simulated(seed: int, n: int, groups: tuple[int, int, int], slope: float):
    """Codes of three fixed effects (N_BIG, then two small ones), three regressors related to them, weights."""
    rng = np.random.default_rng(seed)
    codes = np.asfortranarray(np.column_stack([rng.integers(0, g, n) for g in groups]).astype(np.int32))
    x = np.asfortranarray(rng.normal(size=(n, 3)) + np.sin(codes[:, [0]]) + slope * codes[:, [1]])
    return codes, x, rng.uniform(0.2, 3.0, n)


@pytest.fixture(scope="module")
def problem():
    return simulated(11, 50_000, (N_BIG, 30, 5), 0.1)


def projection_residual(x: np.ndarray, codes: np.ndarray, w: np.ndarray) -> np.ndarray:
    """x minus its weighted least-squares fit on all fixed-effect dummies, by Frisch-Waugh with direct solves
    (independent of the iterative kernel): the first fixed effect is swept out by its weighted group means, the
    others (dummies, first level dropped) by a small dense weighted regression on the swept data."""

    def sweep_first(m: np.ndarray) -> np.ndarray:
        g = codes[:, 0]
        size = np.bincount(g, weights=w)[g]
        return m - np.column_stack([np.bincount(g, weights=w * col)[g] for col in m.T]) / size[:, None]

    rx = sweep_first(x)
    if codes.shape[1] == 1:
        return rx
    dummies = np.column_stack([codes[:, q] == k for q in range(1, codes.shape[1]) for k in range(1, codes[:, q].max() + 1)])
    rb = sweep_first(dummies.astype(float))
    coef = np.linalg.solve(rb.T @ (w[:, None] * rb), rb.T @ (w[:, None] * rx))
    return rx - rb @ coef


@pytest.mark.parametrize("n_fe", [1, 2, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_sorted_demeaning_is_the_projection(problem, n_fe, weighted):
    codes, x, w = problem
    c = np.asfortranarray(codes[:, :n_fe])
    groups = [int(g) + 1 for g in c.max(axis=0)]
    assert groups[0] == N_BIG
    values, _, converged = _core.demean(x, c, groups, w if weighted else None, 1e-12, 10000)
    assert all(converged)
    exact = projection_residual(x, c, w if weighted else np.ones(len(w)))
    # converged to 1e-12 of the column scale (~1): the gap to the exact projection is of that order
    np.testing.assert_allclose(values, exact, rtol=0, atol=1e-9)


def test_sorted_demeaning_is_bit_identical_on_one_and_two_threads(problem):
    codes, x, w = problem
    before = cw.get_num_threads()
    try:
        out = []
        for t in (1, 2):
            cw.set_num_threads(t)
            out.append(_core.demean(x, codes, [N_BIG, 30, 5], w, 1e-8, 10000)[0])
    finally:
        cw.set_num_threads(before)
    assert np.array_equal(out[0], out[1])


@pytest.fixture(scope="module")
def chunked():
    # 400,000 rows: three row chunks; f1 above the sorting threshold (chunks then start at its group boundaries)
    return simulated(12, 400_000, (N_BIG, 300, 7), 0.01)


@pytest.mark.parametrize("sorted_order", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_chunked_demeaning_is_identical_on_any_thread_count_and_column_grouping(chunked, sorted_order, weighted):
    codes, x, w = chunked
    c = np.asfortranarray(codes if sorted_order else codes[:, 1:])  # without f1 every fixed effect is small
    groups = [int(g) + 1 for g in c.max(axis=0)]
    weights = w if weighted else None
    before = cw.get_num_threads()
    try:
        runs = {}
        for t in (1, 2):
            cw.set_num_threads(t)
            runs[t, "together"] = _core.demean(x, c, groups, weights, 1e-10, 10000)[0]
            # one column alone: on two threads its passes run over the row chunks in parallel
            runs[t, "alone"] = np.column_stack(
                [_core.demean(np.asfortranarray(x[:, [j]]), c, groups, weights, 1e-10, 10000)[0][:, 0] for j in range(3)]
            )
    finally:
        cw.set_num_threads(before)
    reference = runs[1, "together"]
    for key, values in runs.items():
        assert np.array_equal(values, reference), key


def test_chunked_demeaning_is_the_projection(chunked):
    codes, x, w = chunked
    c = np.asfortranarray(codes[:, :2])
    values, _, converged = _core.demean(x[:, :1].copy(order="F"), c, [N_BIG, 300], w, 1e-12, 10000)
    assert all(converged)
    np.testing.assert_allclose(values, projection_residual(x[:, :1], c, w), rtol=0, atol=1e-9)


def test_fepois_with_a_large_fixed_effect_recovers_the_truth():
    import pandas as pd

    rng = np.random.default_rng(3)
    n = 120_000
    df = pd.DataFrame({"f1": rng.integers(0, N_BIG, n), "f2": rng.integers(0, 30, n), "x": rng.normal(size=n)})
    eta = 0.5 * df.x + 0.3 * rng.normal(size=N_BIG)[df.f1] + rng.normal(size=30)[df.f2]
    df["y"] = rng.poisson(np.exp(eta))
    with pytest.warns(cw.ChipwarWarning) as record:
        fit = cw.fepois("y ~ x | f1 + f2", df)
    messages = " ".join(str(r.message) for r in record)
    assert "singleton" in messages and "separation" in messages  # small groups: some size one, some all zero
    # simulated truth 0.5; the standard error is about 0.004, so 5 SE
    assert abs(fit.coef["x"] - 0.5) < 5 * fit.se["x"]
    assert fit.se["x"] < 0.01
