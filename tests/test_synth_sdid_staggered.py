"""cw.sdid with staggered adoption: one cohort is the block estimator to the bit, the aggregate equals per-cohort
sdid fits combined by hand, Stata sdid's published quota example, brute-force jackknife, simulated known effects
and coverage, and bad input."""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor

import chipwar as cw
import numpy as np
import pandas as pd
import pytest
from chipwar import ChipwarError, ConvergenceWarning
from chipwar.synthetic._panel import adoption_design, long_panel, wide_outcome
from chipwar.synthetic.sdid import sdid
from chipwar.synthetic.sdid_staggered import StaggeredSdidResult, staggered_sdid

from ._synth_sim import factor_panel, staggered_factor_panel

COLS = ("y", "unit", "time", "treated")


def _quiet(*args: object, **kw: object):
    """sdid on simulated panels, where whether Frank-Wolfe hits synthdid's max_iter (and warns) varies by draw."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return sdid(*args, **kw)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return staggered_factor_panel(n_controls=25, n_periods=22, cohorts={10: (2, 1.0), 14: (3, 4.0), 18: (2, 2.0)},
                                  seed=5)


@pytest.mark.parametrize("estimator", ["sdid", "sc", "did"])
@pytest.mark.parametrize("se", ["placebo", "bootstrap", "jackknife"])
def test_one_cohort_is_the_block_estimator_bit_for_bit(estimator: str, se: str) -> None:
    data = factor_panel(n_units=24, n_periods=18, n_pre=12, n_treated=3, effect=2.0, seed=4)
    block = _quiet(data, *COLS, estimator=estimator, se=se, reps=15, seed=3)
    frame = long_panel(data, "y", "unit", "time", extra=["treated"])
    wide = wide_outcome(frame, "y", "unit", "time")
    controls, _, starts = adoption_design(frame, wide, "unit", "time", "treated", "sdid")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        staggered = staggered_sdid(wide, controls, starts, estimator=estimator, se=se, reps=15, seed=3,
                                   covariate_coef=None, executor=None, progress=False, outcome="y")
    assert staggered.estimate == block.estimate
    assert staggered.cohorts["estimate"].iloc[0] == block.estimate
    np.testing.assert_array_equal(staggered.replicates, block.replicates)
    assert staggered.se == block.se
    np.testing.assert_array_equal(staggered.unit_weights.iloc[:, 0].to_numpy(), block.unit_weights.to_numpy())
    np.testing.assert_array_equal(staggered.time_weights.iloc[:12, 0].to_numpy(), block.time_weights.to_numpy())


def test_aggregate_equals_per_cohort_sdid_combined_by_hand(panel: pd.DataFrame) -> None:
    fit = _quiet(panel, *COLS, se="placebo", reps=10, seed=0)
    assert isinstance(fit, StaggeredSdidResult)
    adoption = panel[panel.treated == 1].groupby("unit").time.min()
    never = sorted(set(panel.unit) - set(adoption.index))
    taus, weights = {}, {}
    for start in sorted(adoption.unique()):
        cohort_units = list(adoption[adoption == start].index)
        alone = _quiet(panel[panel.unit.isin(never + cohort_units)], *COLS, se="placebo", reps=2, seed=0)
        taus[start] = alone.estimate
        weights[start] = len(cohort_units) * (panel.time.max() - start + 1)  # treated unit-periods
        assert fit.cohorts.loc[start, "estimate"] == alone.estimate
        np.testing.assert_array_equal(fit.unit_weights[start].to_numpy(), alone.unit_weights.to_numpy())
        np.testing.assert_array_equal(fit.time_weights[start].dropna().to_numpy(), alone.time_weights.to_numpy())
    by_hand = sum(taus[s] * weights[s] for s in taus) / sum(weights.values())
    assert fit.estimate == pytest.approx(by_hand, rel=1e-14)
    assert fit.cohorts["weight"].to_dict() == pytest.approx({s: w / sum(weights.values()) for s, w in weights.items()})
    assert list(fit.cohorts["n_treated"]) == [2, 3, 2] and list(fit.cohorts["n_pre"]) == [10, 14, 18]


def test_quota_example_matches_stata_sdid(shared) -> None:
    """Stata sdid's help-file example (Bhalotra et al.'s quota panel, 110 never-treated countries, 9 adopters in 7
    cohorts): ATT 8.034102, cohort estimates as the Ssynthdid port prints them (R, reproducing Stata's 8.034102)."""
    quota = pd.read_csv(shared("reference", "synth", "quota_example.csv"))
    fit = _quiet(quota, "womparl", "country", "year", "quota", se="placebo", reps=2, seed=0)
    assert fit.estimate == pytest.approx(8.034102, abs=5e-7)
    published = {2000: 8.39, 2002: 6.97, 2003: 13.95, 2005: -3.45, 2010: 2.75, 2012: 21.8, 2013: -0.820}
    for start, tau in published.items():
        assert fit.cohorts.loc[start, "estimate"] == pytest.approx(tau, abs=0.051 if start == 2012 else 0.0051), start
    units_periods = fit.cohorts["n_treated"] * fit.cohorts["n_post"]
    assert units_periods.to_list() == [16, 28, 26, 11, 6, 4, 3]
    assert len(fit.unit_weights) == 110


def test_jackknife_by_brute_force(panel: pd.DataFrame) -> None:
    """Leave each unit out with every cohort's fitted weights fixed (omega renormalised), recompute the cohort
    estimates and their treated unit-period shares (Stata sdid's Algorithm 3 for staggered adoption)."""
    fit = _quiet(panel, *COLS, se="jackknife")
    y = panel.pivot(index="unit", columns="time", values="y")
    adoption = fit.adoption
    t_end = y.columns.max()

    def aggregate(left_out: str) -> tuple[float, list[float]]:
        taus, weights = [], []
        for start in fit.cohorts.index:
            omega = fit.unit_weights[start].drop(left_out, errors="ignore")
            omega = omega / omega.sum()
            lam = fit.time_weights[start].dropna()
            treated = [u for u in adoption.index[adoption == start] if u != left_out]
            gap = y.loc[treated].mean() - y.loc[omega.index].T @ omega
            taus.append(gap.loc[start:].mean() - gap.loc[lam.index] @ lam)
            weights.append(len(treated) * (t_end - start + 1))
        return float(np.dot(taus, weights) / np.sum(weights)), taus

    leave = [aggregate(u) for u in y.index]
    att = np.array([a for a, _ in leave])
    n = len(att)
    assert fit.reps == n
    np.testing.assert_allclose(np.sort(fit.replicates), np.sort(att), rtol=1e-11, atol=1e-11)
    assert fit.se == pytest.approx(np.sqrt((n - 1) / n * (n - 1) * np.var(att, ddof=1)), rel=1e-10)
    cohort_taus = np.array([t for _, t in leave])
    for c, start in enumerate(fit.cohorts.index):
        expected = np.sqrt((n - 1) / n * (n - 1) * np.var(cohort_taus[:, c], ddof=1))
        assert fit.cohorts.loc[start, "std_error"] == pytest.approx(expected, rel=1e-10)


def test_known_cohort_effects() -> None:
    """Cohorts with effects 1, 4 and 2: each cohort estimate and the unit-period-weighted aggregate recover them."""
    truth = {10: (3, 1.0), 14: (3, 4.0), 18: (3, 2.0)}
    data = staggered_factor_panel(n_controls=40, n_periods=24, cohorts=truth, noise=0.3, seed=21)
    for se in ("placebo", "bootstrap", "jackknife"):
        fit = _quiet(data, *COLS, se=se, reps=40, seed=2)
        target = data.loc[data.treated == 1, "effect"].mean()  # the ATT over treated unit-periods
        assert abs(fit.estimate - target) < 3 * fit.se + 0.05, se
        assert fit.se < 0.6, se
    for c, (start, (_, tau)) in enumerate(sorted(truth.items())):
        assert abs(fit.cohorts["estimate"].iloc[c] - tau) < 0.5, start


def test_zero_effect_coverage_over_simulated_panels() -> None:
    """No effect: the 90% placebo interval of the aggregate covers zero in most of 20 staggered panels."""
    covered = 0
    for seed in range(20):
        data = staggered_factor_panel(n_controls=22, n_periods=18, cohorts={10: (1, 0.0), 13: (2, 0.0)},
                                      seed=300 + seed)
        fit = _quiet(data, *COLS, se="placebo", reps=30, seed=seed, level=0.9)
        low, high = fit.tidy().loc[0, ["conf_low", "conf_high"]]
        covered += low <= 0 <= high
    assert covered >= 14  # P(Binomial(20, 0.9) < 14) < 0.003


def test_replicates_reproducible_and_executor_independent(panel: pd.DataFrame) -> None:
    a = _quiet(panel, *COLS, se="bootstrap", reps=12, seed=7)
    cw.set_num_threads(1)
    try:
        b = _quiet(panel, *COLS, se="bootstrap", reps=12, seed=7)
    finally:
        cw.set_num_threads(2)
    with ThreadPoolExecutor(2) as pool:
        c = _quiet(panel, *COLS, se="bootstrap", reps=12, seed=7, executor=pool)
    np.testing.assert_array_equal(a.replicates, b.replicates)
    np.testing.assert_array_equal(a.replicates, c.replicates)
    np.testing.assert_array_equal(a.cohort_replicates, c.cohort_replicates)
    d = _quiet(panel, *COLS, se="bootstrap", reps=12, seed=8)
    assert not np.array_equal(a.replicates, d.replicates)
    shuffled = _quiet(panel.sample(frac=1.0, random_state=0), *COLS, se="bootstrap", reps=12, seed=7)
    np.testing.assert_array_equal(a.replicates, shuffled.replicates)  # row order does not matter


def test_result_interface(panel: pd.DataFrame) -> None:
    fit = _quiet(panel, *COLS, se="placebo", reps=10, seed=0, level=0.9)
    tidy = fit.tidy()
    assert list(tidy.columns) == ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
    assert tidy.term.tolist() == ["ATT", "cohort::2010", "cohort::2014", "cohort::2018"]
    z90 = 1.6448536269514722
    assert tidy.conf_high.iloc[0] - tidy.conf_low.iloc[0] == pytest.approx(2 * z90 * fit.se)
    wide95 = fit.tidy(level=0.95)
    assert wide95.conf_high.iloc[0] - wide95.conf_low.iloc[0] == pytest.approx(2 * 1.959963984540054 * fit.se)
    assert fit.estimate == tidy.estimate.iloc[0]
    assert fit.cohorts["weight"].sum() == pytest.approx(1.0)
    one = fit.cohort(2014)
    assert one.estimate == fit.cohorts.loc[2014, "estimate"] and one.se == fit.cohorts.loc[2014, "std_error"]
    assert "staggered adoption" in repr(fit) and "<table" in fit._repr_html_()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assert fit.plot() is not None and fit.plot(cohort=2018) is not None and fit.plot_weights(2010) is not None
    plt.close("all")  # the suite's later tests count open figures (matplotlib warns past 20)
    with pytest.raises(ChipwarError, match="no adoption cohort"):
        fit.cohort(2011)


def test_bad_input(panel: pd.DataFrame) -> None:
    unbalanced = panel.drop(index=panel.index[(panel.unit == "u003") & (panel.time == 2005)])
    with pytest.raises(ChipwarError, match=r"unbalanced.*u003"):
        sdid(unbalanced, *COLS)
    lonely = staggered_factor_panel(n_controls=20, n_periods=20, cohorts={10: (1, 0.0), 14: (2, 0.0)}, seed=1)
    with pytest.raises(ChipwarError, match="two treated units in every adoption cohort.*2010"):
        sdid(lonely, *COLS, se="jackknife")
    few = staggered_factor_panel(n_controls=3, n_periods=20, cohorts={10: (2, 0.0), 14: (2, 0.0)}, seed=1)
    with pytest.raises(ChipwarError, match="more control than treated"):
        sdid(few, *COLS, se="placebo")
    switching = panel.copy()
    switching.loc[(switching.unit == switching.unit.iloc[-1]) & (switching.time == 2021), "treated"] = 0
    with pytest.raises(ChipwarError, match="switches off"):
        sdid(switching, *COLS)
    early = panel.copy()
    early.loc[(early.unit == early.unit.iloc[-1]) & (early.time >= 2001), "treated"] = 1
    with pytest.raises(ChipwarError, match="at least two pre-periods"):
        sdid(early, *COLS)
    with pytest.raises(ChipwarError, match="level"):
        sdid(panel, *COLS, level=95)
