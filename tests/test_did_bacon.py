"""Goodman-Bacon decomposition: exact identity with an independently computed TWFE, and the simulated story."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import chipwar as cw
from chipwar.did._simulate import simulate_staggered

matplotlib.use("Agg")
KW = {"outcome": "y", "unit": "unit", "time": "time", "treated": "d"}


def _random_panel(seed, n_units=40, n_periods=7, always=True, never=True):
    rng = np.random.default_rng(seed)
    choices = list(range(2, n_periods + 1)) + ([1] if always else []) + ([0] if never else [])
    cohort = rng.choice(choices, size=n_units)
    unit = np.repeat(np.arange(n_units), n_periods)
    time = np.tile(np.arange(1, n_periods + 1), n_units)
    c = cohort[unit]
    d = ((c > 0) & (time >= c)).astype(float)
    y = rng.normal(size=n_units)[unit] + rng.normal(size=n_periods)[time - 1] + rng.normal(size=unit.size) + d * (
        1 + 0.3 * (time - c)
    )
    return pd.DataFrame({"unit": unit, "time": time, "y": y, "d": d})


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(("always", "never"), [(True, True), (False, True), (True, False), (False, False)])
def test_weights_sum_to_one_and_reproduce_statsmodels_twfe(seed, always, never):
    df = _random_panel(seed, always=always, never=never)
    res = cw.bacon(df, **KW)
    ols = smf.ols("y ~ d + C(unit) + C(time)", data=df).fit()
    np.testing.assert_allclose(res.twfe, ols.params["d"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.table["weight"].sum(), 1.0, rtol=0, atol=1e-10)
    np.testing.assert_allclose((res.table["weight"] * res.table["estimate"]).sum(), ols.params["d"], atol=1e-10)
    assert (res.table["weight"] > 0).all()
    assert res.table["type"].isin(
        ["earlier vs later treated", "later vs earlier treated", "treated vs never treated", "later vs always treated"]
    ).all()
    assert (res.table["type"] == "treated vs never treated").any() == never


def test_two_by_two_estimate_is_a_difference_of_means():
    df = _random_panel(0, n_units=30, n_periods=6)
    res = cw.bacon(df, **KW)
    first = df[df["d"] == 1].groupby("unit")["time"].min().reindex(df["unit"].unique()).fillna(np.inf)
    df = df.assign(g=df["unit"].map(first))
    row = res.table.query("type == 'treated vs never treated'").iloc[0]
    k, post = df["g"] == row["treated"], df["time"] >= row["treated"]
    never = df["g"] == np.inf
    m = lambda mask: df.loc[mask, "y"].mean()  # noqa: E731
    expected = (m(k & post) - m(k & ~post)) - (m(never & post) - m(never & ~post))
    np.testing.assert_allclose(row["estimate"], expected, rtol=1e-12)


def test_forbidden_comparisons_carry_weight_and_bias_twfe():
    """Growing heterogeneous effects: TWFE is far from the ATT, Callaway-Sant'Anna is not, and Bacon shows that the
    later-vs-earlier comparisons (already-treated controls) carry a large weight with badly biased estimates."""
    df = simulate_staggered(n_units=1500, n_periods=10, cohorts=(3, 6), never_share=0.1, slopes=(1.0, 1.0), seed=4)
    dec = cw.bacon(df, outcome="y", unit="unit", time="time", treated="treated")
    truth = df.loc[df["treated"] == 1, "effect"].mean()
    cs = cw.att_gt(df, outcome="y", unit="unit", time="time", cohort="cohort").aggregate("simple")
    assert abs(cs.att - truth) < 4 * cs.se
    assert abs(dec.twfe - truth) > 0.25 * truth  # TWFE misses the ATT on treated by more than a quarter
    forbidden = dec.by_type().set_index("type").loc["later vs earlier treated"]
    assert forbidden["weight"] > 0.2
    # the already-treated controls keep growing, so these comparisons are biased downwards, below any true effect
    assert forbidden["estimate"] < df.loc[df["treated"] == 1, "effect"].min()


def test_bad_input():
    df = _random_panel(1)
    with pytest.raises(cw.ChipwarError, match="treatment column 'd' switches back to 0"):
        cw.bacon(df.assign(d=np.where((df["time"] == 7) & (df["d"] == 1), 0.0, df["d"])), **KW)
    with pytest.raises(cw.ChipwarError, match="must be 0/1"):
        cw.bacon(df.assign(d=df["d"] * 2), **KW)
    with pytest.raises(cw.ChipwarError, match="balanced panel"):
        cw.bacon(df.iloc[1:], **KW)
    with pytest.raises(cw.ChipwarError, match="no variation"):
        cw.bacon(df.assign(d=(df["time"] >= 4).astype(float)), **KW)
    with pytest.raises(cw.ChipwarError, match="duplicate"):
        cw.bacon(pd.concat([df, df.iloc[:2]]), **KW)


def test_result_api():
    res = cw.bacon(_random_panel(2), **KW)
    assert "Goodman-Bacon" in repr(res) and "<table" in res._repr_html_()
    assert list(res.tidy().columns) == ["type", "treated", "control", "weight", "estimate"]
    np.testing.assert_allclose(res.by_type()["weight"].sum(), 1.0)
    assert res.plot().get_xlabel() == "weight"
