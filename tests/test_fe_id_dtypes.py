"""Fixed-effect ids of unsigned 64-bit integers (issue 21): ids >= 2^63 raised a raw OverflowError when their levels
were rebuilt as int64. They are factorised in their own type, so no two ids merge and the fit equals the fit on small
relabelled ids, both for ids packed near 2^64 (the dense integer path) and for ids straddling 2^63 (hashing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import chipwar as cw

TOP = np.uint64(2**64 - 1)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n, groups = 400, 12
    small = rng.integers(0, groups, n)
    x = rng.normal(size=n)
    return pd.DataFrame({"small": small, "other": rng.integers(0, 4, n), "x": x,
                         "y": 0.5 * x + rng.normal(size=groups)[small] + rng.normal(size=n),
                         "count": rng.poisson(np.exp(0.2 * x + 0.1 * small / groups))})


def _huge_ids(small: np.ndarray, spread: bool) -> np.ndarray:
    """Distinct uint64 ids for the small ones: 2^64 - 1 - k (dense), or alternating around 2^63 (a huge range)."""
    k = small.astype(np.uint64)
    if not spread:
        return TOP - k
    return np.where(small % 2 == 0, np.uint64(2**63) + k, np.uint64(2**63) - np.uint64(1) - k).astype(np.uint64)


@pytest.mark.parametrize("spread", [False, True], ids=["near-2^64", "straddling-2^63"])
def test_uint64_ids_give_the_fit_of_relabelled_ids(panel, spread):
    d = panel.assign(big=_huge_ids(panel["small"].to_numpy(), spread))
    assert d["big"].dtype == np.uint64 and d["big"].nunique() == d["small"].nunique()
    for fml_big, fml_small in [("y ~ x | big", "y ~ x | small"), ("y ~ x | big + other", "y ~ x | small + other")]:
        big = cw.feols(fml_big, d, vcov={"CRV1": "big"})
        small = cw.feols(fml_small, d, vcov={"CRV1": "small"})
        assert big.coef["x"] == pytest.approx(small.coef["x"], rel=1e-12)
        assert big.se["x"] == pytest.approx(small.se["x"], rel=1e-12)
    pois_big = cw.fepois("count ~ x | big", d)
    pois_small = cw.fepois("count ~ x | small", d)
    assert pois_big.coef["x"] == pytest.approx(pois_small.coef["x"], rel=1e-10)


def test_uint64_levels_keep_their_values(panel):
    ids = _huge_ids(panel["small"].to_numpy(), spread=False)
    d = panel.assign(big=ids)
    fit = cw.feols("y ~ x | big", d)
    fe = fit.fixef()["big"]
    assert sorted(int(v) for v in fe.index) == sorted(int(v) for v in np.unique(ids))
    small = cw.feols("y ~ x | small", panel).fixef()["small"]
    by_small = {int(TOP - np.uint64(k)): v for k, v in small.items()}
    for level, value in fe.items():
        assert value == pytest.approx(by_small[int(level)], rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(fit.predict(d), cw.feols("y ~ x | small", panel).predict(panel), rtol=1e-10)
