"""cw.stacked_did (Wing, Freedman & Hollingsworth 2024) and cw.lpdid (Dube, Girardi, Jorda & Taylor 2023).

Stacked DiD: the stack and its corrective weights written out by hand, fitted with statsmodels WLS; diff-diff's
StackedDiD (a port of the authors' R code); a simulated panel whose trimmed aggregate ATT is known. LP-DiD: each
horizon's regression written out with statsmodels; diff-diff's LPDiD; the reweighted LP-DiD equals Callaway &
Sant'Anna's not-yet-treated event study (a result of the paper); simulated effects. Neither package's published
examples can be rerun here (the ACA / minimum-wage data are not available offline).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import chipwar as cw
from chipwar.did._simulate import simulate_staggered

KW = {"outcome": "y", "unit": "unit", "time": "time", "cohort": "cohort"}


@pytest.fixture(scope="module")
def panel():
    return simulate_staggered(n_units=300, n_periods=10, seed=1)


def _hand_stack(d, pre, post):
    """The stack exactly as the WFH tutorial builds it, with weights from unit counts per sub-experiment."""
    pieces = []
    for a in sorted(d.loc[d["cohort"] > 0, "cohort"].unique()):
        if a - pre < d["time"].min() or a + post > d["time"].max():
            continue
        keep = ((d["cohort"] == a) | (d["cohort"] == 0) | (d["cohort"] > a + post)) & d["time"].between(a - pre,
                                                                                                          a + post)
        pieces.append(d[keep].assign(sub=a, e=d["time"] - a, D=(d["cohort"] == a).astype(float)))
    s = pd.concat(pieces, ignore_index=True)
    units = s.drop_duplicates(["sub", "unit"])
    n_d = units.groupby("sub")["D"].sum()
    n_c = units.groupby("sub")["D"].size() - n_d
    q = (n_d / n_d.sum()) / (n_c / n_c.sum())
    s["w"] = np.where(s["D"] == 1, 1.0, q.reindex(s["sub"]).to_numpy())
    return s


def test_stacked_regression_written_out_with_statsmodels(panel):
    with pytest.warns(cw.ChipwarWarning, match=r"left out 1 cohort\(s\) of 'cohort' \(\[8.0\]\)"):
        res = cw.stacked_did(panel, **KW, pre_window=2, post_window=3)
    s = _hand_stack(panel, 2, 3)
    stack = res.info["stack"]
    # the corrective weights are the paper's (N^D_a / N^D) / (N^C_a / N^C)
    np.testing.assert_allclose(np.sort(stack["_cw_q"].to_numpy()), np.sort(s["w"].to_numpy()), rtol=1e-12)
    events = [e for e in range(-2, 4) if e != -1]
    x = pd.DataFrame({"const": 1.0, "D": s["D"]})
    for e in events:
        x[f"e{e}"] = (s["e"] == e).astype(float)
    for e in events:
        x[f"De{e}"] = x[f"e{e}"] * s["D"]
    fit = sm.WLS(s["y"], x, weights=s["w"]).fit(cov_type="cluster", cov_kwds={"groups": s["unit"]})
    np.testing.assert_allclose(res.table["estimate"], fit.params[[f"De{e}" for e in events]], atol=1e-10)
    # CR1 with G/(G-1) (n-1)/(n-K), K the same count as fixest's (treat is not nested in the unit clusters)
    np.testing.assert_allclose(res.table["se"], fit.bse[[f"De{e}" for e in events]], rtol=1e-8)
    post = np.array(events) >= 0
    assert res.att == pytest.approx(res.table["estimate"][post].mean(), abs=1e-12)


@pytest.mark.parametrize("control", ["notyet", "never"])
def test_stacked_matches_diff_diff(panel, control):
    dd = pytest.importorskip("diff_diff")
    res = cw.stacked_did(panel, **KW, pre_window=3, post_window=2, control=control)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd.StackedDiD(kappa_pre=3, kappa_post=2,
                            control_group={"notyet": "not_yet_treated", "never": "never_treated"}[control]).fit(
            panel, outcome="y", unit="unit", time="time", first_treat="cohort")
    eff = ref.event_study_effects
    t = res.table.set_index("event_time")
    for e in t.index:
        assert t.loc[e, "estimate"] == pytest.approx(eff[int(e)]["effect"], abs=1e-10)
        if control == "notyet":  # with never-treated controls fixest (and chipwar) drop treat, nested in unit, from K
            assert t.loc[e, "se"] == pytest.approx(eff[int(e)]["se"], rel=1e-8)
    assert res.att == pytest.approx(ref.overall_att, abs=1e-10)


def test_stacked_recovers_the_trimmed_aggregate_att():
    """Effects grow with exposure at cohort-specific slopes; delta_e is the treated-share weighted average of
    the kept sub-experiments' effects at e."""
    d = simulate_staggered(n_units=4000, n_periods=12, cohorts=(4, 6, 8), slopes=(1.0, 2.0, 3.0), seed=5)
    res = cw.stacked_did(d, **KW, pre_window=3, post_window=4)  # every window fits: 4 - 3 = 1, 8 + 4 = 12
    kept = res.info["cohorts"]
    n = d.drop_duplicates("unit").groupby("cohort").size()
    share = n[kept] / n[kept].sum()
    slope = pd.Series({4.0: 1.0, 6.0: 2.0, 8.0: 3.0})[kept]
    t = res.table
    truth = np.where(t["event_time"] >= 0, (share * slope).sum() * (t["event_time"] + 1), 0.0)
    assert np.all(np.abs(t["estimate"] - truth) < 4 * t["se"])


def _hand_horizon(d, h):
    """LP-DiD's horizon-h sample by hand: y_{t+h} - y_{t-1} of the newly treated and units untreated through
    max(t, t+h)."""
    wide = d.pivot(index="unit", columns="time", values="y")
    g = d.drop_duplicates("unit").set_index("unit")["cohort"]
    rows = []
    for t in wide.columns:
        if t - 1 not in wide.columns or t + h not in wide.columns:
            continue
        entry = g == t
        clean = (g == 0) | (g > t + max(h, 0))
        keep = entry | clean
        rows.append(pd.DataFrame({"unit": g.index[keep], "t": t, "entry": entry[keep].astype(float),
                                  "ld": (wide[t + h] - wide[t - 1])[keep].to_numpy()}))
    return pd.concat(rows, ignore_index=True)


@pytest.mark.parametrize("h", [-3, 0, 2])
def test_lpdid_horizon_regression_written_out_with_statsmodels(panel, h):
    res = cw.lpdid(panel, **KW, pre_window=3, post_window=2)
    s = _hand_horizon(panel, h)
    x = pd.get_dummies(s["t"], prefix="t", dtype=float)
    x["entry"] = s["entry"]
    fit = sm.OLS(s["ld"], x).fit(cov_type="cluster", cov_kwds={"groups": s["unit"]})
    row = res.table.set_index("event_time").loc[float(h)]
    assert row["estimate"] == pytest.approx(fit.params["entry"], abs=1e-10)
    assert row["se"] == pytest.approx(fit.bse["entry"], rel=1e-8)


@pytest.mark.parametrize("pmd", [None, "max", 2])
def test_lpdid_matches_diff_diff(panel, pmd):
    dd = pytest.importorskip("diff_diff")
    res = cw.lpdid(panel, **KW, pre_window=2, post_window=2, pmd=pmd)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd.LPDiD(pre_window=2, post_window=2, pmd=pmd, cluster="unit").fit(
            panel, outcome="y", unit="unit", time="time", treatment="treated")
    es = ref.event_study.set_index("horizon").loc[[-2, 0, 1, 2]]
    np.testing.assert_allclose(res.table["estimate"], es["coefficient"], atol=1e-10)
    np.testing.assert_allclose(res.table["se"], es["se"], rtol=1e-8)
    pooled = ref.pooled.set_index("window").loc["post"]
    assert res.att == pytest.approx(pooled["coefficient"], abs=1e-10)
    assert res.se == pytest.approx(pooled["se"], rel=1e-8)


def test_reweighted_lpdid_is_the_callaway_santanna_not_yet_treated_event_study(panel):
    res = cw.lpdid(panel, **KW, pre_window=2, post_window=3, reweight=True)
    cs = cw.att_gt(panel, **KW, control="notyet", base_period="universal").aggregate("dynamic")
    ref = cs.table.set_index("event_time").loc[[-2.0, 0.0, 1.0, 2.0, 3.0], "att"]
    np.testing.assert_allclose(res.table["estimate"], ref, atol=1e-10)


def test_lpdid_recovers_homogeneous_effects():
    d = simulate_staggered(n_units=3000, n_periods=10, slopes=(1.0, 1.0, 1.0), seed=8)
    res = cw.lpdid(d, **KW, pre_window=3, post_window=3)
    t = res.table
    truth = np.where(t["event_time"] >= 0, t["event_time"] + 1, 0.0)
    assert np.all(np.abs(t["estimate"] - truth) < 4 * t["se"])
    assert abs(res.att - 2.5) < 4 * res.se  # pooled over h = 0..3: mean of 1, 2, 3, 4
    v = res.vcov.to_numpy()
    assert np.all(np.linalg.eigvalsh(v) > 0) and np.allclose(np.sqrt(np.diag(v)), t["se"])


def test_results_are_tidy_and_plot(panel):
    import matplotlib

    matplotlib.use("Agg")
    for res in (cw.stacked_did(panel, **KW, pre_window=2, post_window=2), cw.lpdid(panel, **KW, pre_window=2,
                                                                                   post_window=2)):
        tidy = res.tidy()
        assert tidy.columns.tolist() == ["term", "estimate", "std_error", "statistic", "p_value", "conf_low",
                                         "conf_high"]
        assert tidy["term"].tolist() == ["ATT", "event_time::-2", "event_time::0", "event_time::1", "event_time::2"]
        assert res.plot() is not None
        beta, sigma, n_pre, n_post = res.honest_inputs()
        assert (n_pre, n_post) == (1, 3) and sigma.shape == (4, 4)


def test_bad_input(panel):
    for f in (cw.stacked_did, cw.lpdid):
        with pytest.raises(cw.ChipwarError, match="pre_window must be at least 1"):
            f(panel, **KW, pre_window=0)
        with pytest.raises(cw.ChipwarError, match="post_window must be a non-negative integer"):
            f(panel, **KW, post_window=1.5)
        with pytest.raises(cw.ChipwarError, match="control must be one of"):
            f(panel, **KW, control="all")
        with pytest.raises(cw.ChipwarError, match="time column 'time' must hold integer periods"):
            f(panel.assign(time=panel["time"] + 0.5, cohort=np.where(panel["cohort"] > 0, panel["cohort"] + 0.5, 0)),
              **KW)
    with pytest.raises(cw.ChipwarError, match="no cohort of 'cohort' has its whole event window"):
        cw.stacked_did(panel, **KW, pre_window=8, post_window=8)
    with pytest.raises(cw.ChipwarError, match="pmd must be None, 'max' or a positive"):
        cw.lpdid(panel, **KW, pmd=0)
    with pytest.raises(cw.ChipwarError, match="'nope'"):
        cw.lpdid(panel, **{**KW, "outcome": "nope"})
