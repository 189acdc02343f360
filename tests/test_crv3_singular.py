"""CRV3 when leaving a cluster out leaves a coefficient unidentified (issue 21): ``y ~ x + C(cat) | g`` with two
clusters of 8 and 22 rows, where the 22-row cluster has only two of the three categories. Without the small cluster
the category dummies are collinear with its fixed effect up to rounding, and the old solve returned a number made of
that rounding (an error, 5.3, 1.3, 24.4 or 6.9e15 depending on the row order). Now every row order raises the same
error naming the cluster and the coefficient; well-posed designs give the same CRV3 in every row order, equal to a
brute-force leave-one-cluster-out refit.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

import chipwar as cw
from chipwar.vcov.jackknife import LeftOutSingular

PERMUTATIONS = 40


def two_clusters(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.r_[np.zeros(8), np.ones(22)].astype(int)
    cat = np.r_[["a"] * 5 + ["b"] * 2 + ["c"], rng.choice(["a", "b"], 22)]
    x = rng.normal(size=30)
    z = x + rng.normal(size=30)
    y = x + rng.normal(size=30)
    count = rng.poisson(np.exp(0.3 * x))
    return pd.DataFrame({"y": y, "x": x, "z": z, "count": count, "cat": cat, "g": g})


def well_posed(seed: int = 3) -> pd.DataFrame:
    """Six clusters, each with its own fixed-effect groups and every category."""
    rng = np.random.default_rng(seed)
    n_clusters, per = 6, 20
    g = np.repeat(np.arange(n_clusters), per)
    fe = g * 2 + rng.integers(0, 2, g.size)
    cat = np.tile(np.array(["a", "b", "c", "d"]), g.size // 4)
    x = rng.normal(size=g.size) + 0.3 * fe
    y = 0.5 * x + (cat == "b") - 0.5 * (cat == "c") + rng.normal(size=fe.max() + 1)[fe] + rng.normal(size=g.size)
    return pd.DataFrame({"y": y, "x": x, "cat": cat, "g": g, "fe": fe, "w": rng.uniform(0.5, 2.0, g.size)})


def permuted(d: pd.DataFrame, seed: int) -> pd.DataFrame:
    return d.iloc[np.random.default_rng(seed).permutation(len(d))]


@pytest.mark.parametrize(
    ("fit", "term"),
    [
        (lambda d: cw.feols("y ~ x + C(cat) | g", d, vcov={"CRV3": "g"}), "C(cat)::b"),
        (lambda d: cw.feols("y ~ C(cat) | g | x ~ z", d, vcov={"CRV3": "g"}), "C(cat)::b"),
        (lambda d: cw.feols("y ~ x + C(cat) | g", d).with_vcov({"CRV3": "g"}), "C(cat)::b"),
        (lambda d: cw.fepois("count ~ x + C(cat) | g", d, vcov={"CRV3": "g"}), "C(cat)::b"),
    ],
    ids=["feols", "iv", "with_vcov", "fepois"],
)
def test_unidentified_leave_out_raises_the_same_error_in_every_row_order(fit, term):
    d = two_clusters()
    messages = set()
    for seed in range(PERMUTATIONS):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", cw.ChipwarWarning)  # the full fit drops C(cat)::c (collinear with g)
            with pytest.raises(cw.ChipwarError) as err:
                fit(permuted(d, seed))
        messages.add(str(err.value))
    assert len(messages) == 1
    (message,) = messages
    assert "without cluster '0' of 'g'" in message
    assert term in message and "CRV1" in message


def test_leave_out_error_survives_pickling():
    err = pickle.loads(pickle.dumps(LeftOutSingular(3, ["x", "C(cat)::b"])))
    assert (err.cluster, err.columns) == (3, ["x", "C(cat)::b"])


def _brute_force_crv3(d: pd.DataFrame, weights: str | None) -> np.ndarray:
    """Leave-one-cluster-out refits of the dummy-variable regression with numpy's lstsq (fixed effects as
    dummies), scaled as pyfixest: G / (G - 1) * (n - 1) / (n - K) with K the coefficients plus one."""
    def coef(sub: pd.DataFrame) -> np.ndarray:
        x = np.column_stack([sub["x"], sub["cat"] == "b", sub["cat"] == "c", sub["cat"] == "d",
                             pd.get_dummies(sub["fe"], dtype=float)]).astype(float)
        sw = np.ones(len(sub)) if weights is None else np.sqrt(sub[weights].to_numpy())
        b, *_ = np.linalg.lstsq(x * sw[:, None], sub["y"].to_numpy() * sw, rcond=None)
        return b[:4]

    full = coef(d)
    deltas = np.array([coef(d[d["g"] != g]) - full for g in sorted(d["g"].unique())])
    n_clusters, n, k = len(deltas), len(d), 4 + 1
    return n_clusters / (n_clusters - 1) * (n - 1) / (n - k) * deltas.T @ deltas


@pytest.mark.parametrize("weights", [None, "w"])
def test_well_posed_crv3_is_row_order_invariant_and_equals_brute_force(weights):
    d = well_posed()
    fml = "y ~ x + i(cat, ref='a') | fe"
    reference = cw.feols(fml, d, weights=weights, vcov={"CRV3": "g"})
    expected = _brute_force_crv3(d, weights)
    np.testing.assert_allclose(reference.vcov.to_numpy(), expected, rtol=1e-9, atol=1e-14)
    for seed in range(PERMUTATIONS):
        again = cw.feols(fml, permuted(d, seed), weights=weights, vcov={"CRV3": "g"})
        np.testing.assert_allclose(again.vcov.to_numpy(), reference.vcov.to_numpy(), rtol=1e-10, atol=1e-15)
