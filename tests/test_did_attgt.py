"""att_gt, its aggregations and pre-test: R did's published numbers, independent computations, simulations."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import chipwar as cw
from chipwar import _core
from chipwar.did._simulate import simulate_staggered

SCENARIOS = {
    "mpdta_nev_dr": {},
    "mpdta_nyt_dr": {"control": "notyet"},
    "mpdta_nev_reg_cov": {"method": "reg", "covariates": ["lpop"]},
    "mpdta_nev_ipw": {"method": "ipw"},
}
MPDTA = {"outcome": "lemp", "unit": "countyreal", "time": "year", "cohort": "first.treat"}


@pytest.fixture
def mpdta(shared):
    return pd.read_csv(shared("reference", "did", "mpdta.csv"))


def _ref(shared, name):
    return pd.read_csv(shared("reference", "did", name))


# -- R did's numbers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_att_gt_reproduces_every_reference_row(shared, mpdta, scenario):
    ref = _ref(shared, "ref_attgt.csv").query("scenario == @scenario")
    res = cw.att_gt(mpdta, **MPDTA, **SCENARIOS[scenario])
    got = res.table.merge(ref, left_on=["cohort", "time"], right_on=["group", "t"], suffixes=("", "_ref"))
    assert len(got) == len(ref) == len(res.table)
    np.testing.assert_allclose(got["att"], got["att_ref"], rtol=1e-6, atol=0)
    np.testing.assert_allclose(got["se"], got["se_ref"], rtol=1e-6, atol=0)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_aggregations_reproduce_every_reference_row(shared, mpdta, scenario):
    ref = _ref(shared, "ref_aggte.csv").query("scenario == @scenario")
    res = cw.att_gt(mpdta, **MPDTA, **SCENARIOS[scenario])
    for kind, rows in ref.groupby("type"):
        agg = res.aggregate(kind)
        np.testing.assert_allclose(agg.att, rows["overall_att"].iloc[0], rtol=1e-6)
        np.testing.assert_allclose(agg.se, rows["overall_se"].iloc[0], rtol=1e-6)
        if kind == "simple":
            assert agg.table.empty
            continue
        key = agg.table.columns[0]
        np.testing.assert_array_equal(agg.table[key].to_numpy(), rows["egt"].to_numpy(dtype=float))
        np.testing.assert_allclose(agg.table["att"], rows["att_egt"], rtol=1e-6)
        np.testing.assert_allclose(agg.table["se"], rows["se_egt"], rtol=1e-6)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_pretest_reproduces_reference(shared, mpdta, scenario):
    ref = _ref(shared, "ref_pretest.csv").query("scenario == @scenario").iloc[0]
    stat, p = cw.att_gt(mpdta, **MPDTA, **SCENARIOS[scenario]).pretest()
    np.testing.assert_allclose(stat, ref["W"], rtol=1e-6)
    assert abs(p - ref["Wpval"]) <= 5e-6  # did rounds the p-value to 5 decimals


def test_readme_rounded_values(mpdta):
    res = cw.att_gt(mpdta, **MPDTA)
    readme = [-0.0105, -0.0704, -0.1373, -0.1008, 0.0065, -0.0028, -0.0046, -0.0412, 0.0305, -0.0027, -0.0311, -0.0261]
    np.testing.assert_allclose(res.table["att"], readme, atol=5e-5)
    assert round(res.aggregate("simple").att, 4) == -0.0400
    # did README: dynamic effects balanced over 1 period of exposure, overall -0.0288.
    assert round(res.aggregate("dynamic", balance_e=1).att, 4) == -0.0288


# -- independent computations ---------------------------------------------------------------------------------


def _brute_force_unconditional(df, control, base_period, anticipation=0):
    """ATT(g, t) and SE as plain differences of mean outcome changes, from the definitions in the paper."""
    wide = df.pivot(index="unit", columns="time", values="y")
    g = df.groupby("unit")["cohort"].first().reindex(wide.index).to_numpy()
    periods = wide.columns.to_numpy()
    out = []
    for cohort in np.unique(g[g > 0]):
        last_pre = periods[periods + anticipation < cohort].max()
        for i, t in enumerate(periods):
            if base_period == "varying" and i == 0:
                continue
            base = last_pre if (t >= cohort or base_period == "universal") else periods[i - 1]
            if base == t:
                continue
            dy = wide[t].to_numpy() - wide[base].to_numpy()
            treat = g == cohort
            ctrl = (g == 0) if control == "never" else ((g == 0) | ((g > max(t, base) + anticipation) & ~treat))
            se = np.sqrt(dy[treat].var() / treat.sum() + dy[ctrl].var() / ctrl.sum())
            out.append((cohort, t, dy[treat].mean() - dy[ctrl].mean(), se))
    return pd.DataFrame(out, columns=["cohort", "time", "att_bf", "se_bf"])


@pytest.mark.parametrize("control", ["never", "notyet"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
@pytest.mark.parametrize("anticipation", [0, 1])
def test_unconditional_cells_equal_differences_of_means(control, base_period, anticipation):
    df = simulate_staggered(n_units=300, n_periods=7, cohorts=(3, 5, 6), seed=3)
    bf = _brute_force_unconditional(df, control, base_period, anticipation)
    for method in ("dr", "ipw", "reg"):
        res = cw.att_gt(df, outcome="y", unit="unit", time="time", cohort="cohort", control=control,
                        method=method, base_period=base_period, anticipation=anticipation)
        got = res.table.merge(bf, on=["cohort", "time"], how="left")
        nonzero = got["time"] != got["base_time"]
        assert nonzero.sum() == len(bf)
        np.testing.assert_allclose(got.loc[nonzero, "att"], got.loc[nonzero, "att_bf"], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(got.loc[nonzero, "se"], got.loc[nonzero, "se_bf"], rtol=1e-10)
        # the universal base period's own cell is 0 with a missing SE, as in did
        assert (got.loc[~nonzero, "att"] == 0).all() and got.loc[~nonzero, "se"].isna().all()


def test_covariate_estimators_match_statsmodels():
    """One cell with a covariate: OR, IPW and DR point estimates from statsmodels' OLS and logit fits."""
    df = simulate_staggered(n_units=400, n_periods=4, cohorts=(3,), covariate_trend=0.5, seed=5)
    wide = df.pivot(index="unit", columns="time", values="y")
    unit = df.groupby("unit")[["cohort", "x"]].first().reindex(wide.index)
    dy = (wide[3] - wide[2]).to_numpy()
    d = (unit["cohort"] == 3).to_numpy().astype(float)
    x = sm.add_constant(unit["x"].to_numpy())
    ols = sm.OLS(dy[d == 0], x[d == 0]).fit()
    fitted = x @ ols.params
    ps = sm.Logit(d, x).fit(disp=0, tol=1e-12).predict(x)
    odds = ps * (1 - d) / (1 - ps)
    expected = {
        "reg": dy[d == 1].mean() - fitted[d == 1].mean(),
        "ipw": dy[d == 1].mean() - np.sum(odds * dy) / odds.sum(),
        "dr": (dy - fitted)[d == 1].mean() - np.sum(odds * (dy - fitted)) / odds.sum(),
    }
    for method, value in expected.items():
        res = cw.att_gt(df, outcome="y", unit="unit", time="time", cohort="cohort", method=method, covariates=["x"])
        cell = res.table.query("cohort == 3 and time == 3").iloc[0]
        np.testing.assert_allclose(cell["att"], value, rtol=1e-8)


def test_logit_matches_statsmodels():
    rng = np.random.default_rng(1)
    x = sm.add_constant(rng.normal(size=(500, 2)))
    d = (rng.uniform(size=500) < 1 / (1 + np.exp(-(x @ [0.2, 1.0, -0.5])))).astype(float)
    w = rng.uniform(0.5, 2, size=500)
    coef, fitted, converged, _ = _core.logit(x, d, w)
    ref = sm.GLM(d, x, family=sm.families.Binomial(), freq_weights=w).fit(tol=1e-14)
    assert converged
    np.testing.assert_allclose(coef, ref.params, rtol=1e-9)
    np.testing.assert_allclose(fitted, ref.fittedvalues, rtol=1e-9)


# -- simulated truth ------------------------------------------------------------------------------------------


def test_recovers_heterogeneous_growing_effects():
    df = simulate_staggered(n_units=2000, n_periods=8, cohorts=(3, 5, 7), seed=11)
    res = cw.att_gt(df, outcome="y", unit="unit", time="time", cohort="cohort")
    truth = df.groupby(["cohort", "time"])["effect"].mean().rename("truth").reset_index()
    got = res.table.merge(truth, on=["cohort", "time"])
    z = (got["att"] - got["truth"]) / got["se"]
    assert np.abs(z).max() < 4.5  # 21 cells; a 4.5-sigma miss has probability < 2e-4
    dyn = res.aggregate("dynamic")
    # truth by event time: cohort-size-weighted average of slope * (e + 1); cohorts are equal-sized here
    slopes = {3: 1.0, 5: 2.0, 7: 3.0}
    for e, att, se in zip(dyn.table["event_time"], dyn.table["att"], dyn.table["se"]):
        cs = [c for c in slopes if c + e <= 8 and c + e >= 1]
        true_e = np.mean([slopes[c] * (e + 1) for c in cs]) if e >= 0 else 0.0
        assert abs(att - true_e) < 4.5 * se


def test_dr_with_covariate_recovers_truth_where_unconditional_fails():
    df = simulate_staggered(n_units=3000, n_periods=6, cohorts=(4,), never_share=0.5, covariate_trend=1.0, noise=0.5, seed=2)
    truth = 1.0  # ATT(4, 4) = slope * 1
    kw = {"outcome": "y", "unit": "unit", "time": "time", "cohort": "cohort"}
    cond = cw.att_gt(df, **kw, method="dr", covariates=["x"]).table.query("cohort == 4 and time == 4").iloc[0]
    uncond = cw.att_gt(df, **kw).table.query("cohort == 4 and time == 4").iloc[0]
    assert abs(cond["att"] - truth) < 4 * cond["se"]
    assert abs(uncond["att"] - truth) > 10 * uncond["se"]


# -- bootstrap --------------------------------------------------------------------------------------------------


def test_bootstrap_se_within_monte_carlo_error_of_analytic(mpdta):
    # Rademacher multipliers make the bootstrap variance of each estimate equal to the analytic one exactly in
    # expectation; the sample sd of B draws has relative sd sqrt((kurtosis - 1) / (4B)) <= sqrt(2 / (4B)) (sums of
    # Rademacher terms have kurtosis <= 3). Allow 4 of those.
    reps = 4999
    analytic = cw.att_gt(mpdta, **MPDTA)
    boot = cw.att_gt(mpdta, **MPDTA, bootstrap=reps, seed=7)
    np.testing.assert_array_equal(boot.table["att"], analytic.table["att"])
    np.testing.assert_allclose(np.sqrt(np.diag(boot.vcov)), analytic.table["se"], rtol=4 * np.sqrt(2 / (4 * reps)))
    # did's reported bootstrap SE is the interquartile range / 1.349; for normal draws its relative sd is
    # 1.166 / sqrt(B). It is only unbiased when the bootstrap distribution is normal: for the 20-unit 2004 cohort
    # it converges to ~1.05 x the analytic SE (checked with 10^5 draws), so compare the cohorts of >= 40 units.
    tol = 4 * 1.166 / np.sqrt(reps)
    large = analytic.table["n_treated"] >= 40
    np.testing.assert_allclose(boot.table["se"][large], analytic.table["se"][large], rtol=tol)
    agg_a, agg_b = analytic.aggregate("dynamic"), boot.aggregate("dynamic")
    short = agg_a.table["event_time"].between(-2, 1)  # event times to which the large cohorts contribute most
    np.testing.assert_allclose(agg_b.table["se"][short], agg_a.table["se"][short], rtol=tol)
    # uniform band is wider than pointwise but not absurdly so (12 cells: Bonferroni bound ~2.87)
    assert 1.96 < boot.crit < 3.2
    assert (agg_b.table["band_high"] >= agg_b.table["conf_high"]).all()


def test_bootstrap_reproducible_across_seeds_threads_and_executors(mpdta):
    base = cw.att_gt(mpdta, **MPDTA, bootstrap=300, seed=42)
    again = cw.att_gt(mpdta, **MPDTA, bootstrap=300, seed=42)
    np.testing.assert_array_equal(base.boot.draws, again.boot.draws)
    threads = cw.get_num_threads()
    try:
        cw.set_num_threads(1)
        single = cw.att_gt(mpdta, **MPDTA, bootstrap=300, seed=42)
    finally:
        cw.set_num_threads(threads)
    np.testing.assert_array_equal(base.boot.draws, single.boot.draws)
    np.testing.assert_array_equal(base.inf, single.inf)
    with ThreadPoolExecutor(2) as ex:
        farmed = cw.att_gt(mpdta, **MPDTA, bootstrap=300, seed=42, executor=ex)
    np.testing.assert_array_equal(base.boot.draws, farmed.boot.draws)
    other = cw.att_gt(mpdta, **MPDTA, bootstrap=300, seed=43)
    assert not np.array_equal(base.boot.draws, other.boot.draws)
    assert cw.att_gt(mpdta, **MPDTA, bootstrap=10).seed is not None


def test_mammen_multipliers_have_unit_variance():
    rng = np.random.default_rng(0)
    inf = rng.normal(size=(2000, 1))
    draws = _core.multiplier_bootstrap(inf, 4000, 3, "mammen")
    # sd of sqrt(n) * mean(v * inf) given inf is sqrt(mean(inf^2)); relative MC error of a variance ~ sqrt(2/B)
    np.testing.assert_allclose(draws.var(), np.mean(inf**2), rtol=4 * np.sqrt(2 / 4000))
    np.testing.assert_allclose(draws.mean(), 0, atol=4 * np.sqrt(np.mean(inf**2) / 4000))


def _splitmix_multipliers(n: int, replicates: int, seed: int, kind: str, first: int) -> np.ndarray:
    """The kernel's multipliers, from its definition: replicate b draws from SplitMix64 seeded with
    next(seed ^ (0xD1B54A32D192ED03 * (b + 1))); Rademacher takes one bit per observation (64 per draw), Mammen one
    uniform (the top 53 bits) per observation. SplitMix64's k-th output depends only on state + k * golden."""
    golden = np.uint64(0x9E3779B97F4A7C15)

    def mix(z):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))

    rows = []
    with np.errstate(over="ignore"):
        for b in range(first, first + replicates):
            state = mix((np.uint64(seed) ^ (np.uint64(0xD1B54A32D192ED03) * np.uint64(b + 1))) + golden)
            draws = int(np.ceil(n / 64)) if kind == "rademacher" else n
            out = mix(state + golden * np.arange(1, draws + 1, dtype=np.uint64))
            if kind == "rademacher":
                bits = (out[:, None] >> np.arange(64, dtype=np.uint64)[None, :]) & np.uint64(1)
                rows.append(np.where(bits.ravel()[:n] == 1, 1.0, -1.0))
            else:
                u = (out >> np.uint64(11)).astype(np.float64) * 2.0**-53
                s5 = np.sqrt(5.0)
                rows.append(np.where(u < (s5 + 1) / (2 * s5), (1 - s5) / 2, (1 + s5) / 2))
    return np.array(rows)


@pytest.mark.parametrize("kind", ["rademacher", "mammen"])
def test_multiplier_streams_are_the_documented_ones(kind):
    """Over several slices of the kernel's observation blocks (4096), with a ragged end: the draws are exactly
    v' inf / sqrt(n) with each replicate's own stream, however the kernel splits the work."""
    n = 3 * 4096 + 37
    inf = np.asfortranarray(np.random.default_rng(1).normal(size=(n, 3)))
    draws = _core.multiplier_bootstrap(inf, 40, 5, kind, 7)
    v = _splitmix_multipliers(n, 40, 5, kind, 7)
    np.testing.assert_allclose(draws, v @ inf / np.sqrt(n), rtol=1e-12, atol=1e-12)


def test_cluster_at_unit_level_changes_nothing_and_clusters_widen(mpdta):
    mpdta = mpdta.assign(county_copy=mpdta["countyreal"], state=mpdta["countyreal"] // 1000)
    base = cw.att_gt(mpdta, **MPDTA)
    same = cw.att_gt(mpdta, **MPDTA, cluster="county_copy")
    np.testing.assert_allclose(same.table["se"], base.table["se"], rtol=1e-12)
    by_state = cw.att_gt(mpdta, **MPDTA, cluster="state")
    assert np.isfinite(by_state.table["se"]).all()
    assert not np.allclose(by_state.table["se"], base.table["se"])


def test_event_window_options(mpdta):
    res = cw.att_gt(mpdta, **MPDTA)
    full = res.aggregate("dynamic").table.set_index("event_time")
    window = res.aggregate("dynamic", min_e=-2, max_e=2)
    np.testing.assert_array_equal(window.table["event_time"], [-2, -1, 0, 1, 2])
    np.testing.assert_allclose(window.table.set_index("event_time")["att"], full.loc[-2:2, "att"], rtol=1e-14)
    np.testing.assert_allclose(window.table.set_index("event_time")["se"], full.loc[-2:2, "se"], rtol=1e-14)
    np.testing.assert_allclose(window.att, full.loc[0:2, "att"].mean(), rtol=1e-14)
    # simple with max_e = 1: post cells with exposure <= 1, weighted by cohort size
    t = res.table.assign(e=res.table["time"] - res.table["cohort"])
    keep = t[(t["e"] >= 0) & (t["e"] <= 1)]
    size = mpdta.groupby("first.treat")["countyreal"].nunique()
    w = keep["cohort"].map(size)
    np.testing.assert_allclose(res.aggregate("simple", max_e=1).att, np.sum(w * keep["att"]) / w.sum(), rtol=1e-12)


def test_pretest_refuses_a_numerically_singular_covariance(mpdta):
    """A near-singular covariance must not produce a (possibly negative) statistic from an ill-posed solve."""
    import copy

    res = cw.att_gt(mpdta, outcome="lemp", unit="countyreal", time="year", cohort="first.treat")
    stat, _ = res.pretest()
    assert stat > 0
    broken = copy.copy(res)
    pre = np.flatnonzero(res.cohorts > res.times)
    v = res.vcov.copy()
    # make the second pre-period cell an exact copy of the first, up to rounding noise
    v[pre[1], :] = v[pre[0], :] * (1 + 1e-14)
    v[:, pre[1]] = v[:, pre[0]] * (1 + 1e-14)
    v[pre[1], pre[1]] = v[pre[0], pre[0]]
    broken.vcov = v
    with pytest.raises(cw.ChipwarError, match="singular"):
        broken.pretest()
