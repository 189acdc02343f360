"""cw.pretrend_power (Roth 2022): against R pretrends' He & Wang example, diff-diff's implementation, closed forms in
one dimension, brute-force Monte Carlo, and the event studies of every chipwar estimator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import chipwar as cw
from chipwar.did._simulate import simulate_staggered
from chipwar.did.pretrends import power_at, read_event_study

# He & Wang (2017) Figure 2A as bundled with R pretrends (data/HeAndWangResults.rda; the README prints beta and
# sqrt(diag(sigma)) = 0.09437463, 0.07705139, 0.05512372, 0.06264775, 0.08981034, 0.08877826, 0.09893648).
HW_BETA = np.array([0.06670314818620682, -0.007701792288571596, -0.03076905384659767, 0.08403065800666809,
                    0.2424418181180954, 0.21987898647785187, 0.19109253585338593])
HW_SIGMA = np.array([
    [0.008906571194529533, 0.0044883135706186295, 0.0014587024925276637, 0.0012157688615843654,
     0.0020327644888311625, 0.0013225014554336667, 0.001961772795766592],
    [0.0044883135706186295, 0.005936916917562485, 0.002750079147517681, 0.001350585836917162,
     0.0014315459411591291, 0.0012067791540175676, 0.0013847157824784517],
    [0.0014587024925276637, 0.002750079147517681, 0.00303862476721406, 0.0009056166163645685,
     0.0006791298510506749, 0.0010167636210098863, 0.000709014420863241],
    [0.0012157688615843654, 0.001350585836917162, 0.0009056166163645685, 0.003924740944057703,
     0.0025961180217564106, 0.0017326149391010404, 0.0022345525212585926],
    [0.0020327644888311625, 0.0014315459411591291, 0.0006791298510506749, 0.0025961180217564106,
     0.008065897040069103, 0.005875375121831894, 0.0037414359394460917],
    [0.0013225014554336667, 0.0012067791540175676, 0.0010167636210098863, 0.0017326149391010404,
     0.005875375121831894, 0.007881578989326954, 0.0036507095210254192],
    [0.001961772795766592, 0.0013847157824784517, 0.000709014420863241, 0.0022345525212585926,
     0.0037414359394460917, 0.0036507095210254192, 0.00978842657059431],
])
HW_TIMES = [-4, -3, -2, 0, 1, 2, 3]
HW = (HW_BETA, HW_SIGMA, 3, 4)
Z95 = 1.959963984540054


def test_he_wang_matches_r_readme():
    np.testing.assert_allclose(np.sqrt(np.diag(HW_SIGMA)), [0.09437463, 0.07705139, 0.05512372, 0.06264775,
                                                             0.08981034, 0.08877826, 0.09893648], atol=5e-9)
    # R: slope_for_power(sigma, 0.5, tVec, -1) = 0.05205871 (uniroot, tolerance 1.2e-4), thresholds 1.96.
    slope50 = cw.pretrend_power(HW, times=HW_TIMES, critical_value=1.96).slope
    assert abs(slope50 - 0.05205871) < 1.2e-4
    res = cw.pretrend_power(HW, slope=0.05205871, times=HW_TIMES, critical_value=1.96)
    # R's Power and Bayes factor come from mvtnorm::pmvnorm at its default absolute error 1e-3.
    assert abs(res.power - 0.4999776) < 1e-3
    assert abs(res.bayes_factor - 0.56901) < 1e-3
    np.testing.assert_allclose(res.likelihood_ratio, 0.1057627, rtol=1e-6)  # closed form in R and here
    r_mean = [-0.09230764, -0.05555285, -0.02790950, 0.0, 0.06490184, 0.12084694, 0.16946498, 0.22453827]
    np.testing.assert_allclose(res.conditional_mean.to_numpy(), r_mean, atol=2e-5)
    np.testing.assert_allclose(res.trend.to_numpy(), 0.05205871 * (np.r_[-4:4] + 1), atol=1e-15)
    np.testing.assert_allclose(res.bias.to_numpy(), r_mean[4:], atol=2e-5)


def test_matches_diff_diff():
    from diff_diff.pretrends import PreTrendsPower, _compute_nis_acceptance_prob

    study = read_event_study(HW, times=HW_TIMES)
    weights, sig_pre = np.array([3.0, 2.0, 1.0]), HW_SIGMA[:3, :3]  # diff-diff's linear pattern |t - reference|
    np.random.seed(0)  # diff-diff's Genz calls draw from the global generator
    for slope in (0.0, 0.02, 0.05, 0.1):
        theirs = 1 - _compute_nis_acceptance_prob(slope, weights, sig_pre, Z95)
        assert abs(power_at(study, slope, Z95) - theirs) < 1e-5  # diff-diff's Genz error target is 1e-5
    for target in (0.5, 0.8):
        theirs = PreTrendsPower(alpha=0.05, power=target)._compute_mdv_nis(weights, sig_pre)
        ours = cw.pretrend_power(HW, power=target, times=HW_TIMES)
        np.testing.assert_allclose(ours.slope, theirs, rtol=1e-5)
        np.testing.assert_allclose(ours.power, target, atol=1e-9)


def test_one_pre_period_is_closed_form():
    from scipy.stats import norm, truncnorm

    sigma = np.array([[0.04, 0.012, 0.01], [0.012, 0.09, 0.02], [0.01, 0.02, 0.05]])
    res = cw.pretrend_power((np.array([0.1, 0.3, 0.2]), sigma, 1, 2), slope=0.15)
    sd, delta = 0.2, 0.15 * (-2 + 1)
    np.testing.assert_allclose(res.power, 1 - (norm.cdf(Z95 - delta / sd) - norm.cdf(-Z95 - delta / sd)), atol=1e-14)
    pre_mean = truncnorm.mean(-Z95 - delta / sd, Z95 - delta / sd, loc=delta, scale=sd)
    post = 0.15 * np.array([1.0, 2.0]) + sigma[1:, 0] / 0.04 * (pre_mean - delta)
    np.testing.assert_allclose(res.conditional_mean.to_numpy(), [pre_mean, 0.0, *post], atol=1e-12)
    np.testing.assert_allclose(res.likelihood_ratio, norm.pdf(0.1, delta, sd) / norm.pdf(0.1, 0, sd), rtol=1e-12)


def test_brute_force_monte_carlo():
    beta = np.array([0.05, -0.02, 0.1, 0.2, 0.25])
    a = np.array([[1.0, 0.4, 0.2, 0.1, 0.0], [0.4, 1.0, 0.3, 0.2, 0.1], [0.2, 0.3, 1.0, 0.5, 0.3],
                  [0.1, 0.2, 0.5, 1.2, 0.6], [0.0, 0.1, 0.3, 0.6, 1.5]])
    sigma = 0.01 * a
    res = cw.pretrend_power((beta, sigma, 3, 2), slope=0.04)
    times = np.array([-4, -3, -2, 0, 1], float)
    delta = 0.04 * (times + 1)
    draws = np.random.default_rng(20260).multivariate_normal(delta, sigma, size=2_000_000)
    passed = (np.abs(draws[:, :3]) <= Z95 * np.sqrt(np.diag(sigma))[:3]).all(axis=1)
    p = passed.mean()
    assert abs(res.power - (1 - p)) < 4 * np.sqrt(p * (1 - p) / passed.size)
    kept = draws[passed]
    mc_mean, mc_se = kept.mean(axis=0), kept.std(axis=0) / np.sqrt(kept.shape[0])
    ours = res.conditional_mean.drop(-1.0).to_numpy()
    assert (np.abs(ours - mc_mean) < 4 * mc_se).all(), (ours, mc_mean, mc_se)
    # the conditional bias differs from the unconditional one (delta_post) by more than the simulation error
    assert (np.abs(res.bias.to_numpy() - delta[3:]) > 10 * mc_se[3:]).all()


def test_sign_of_the_slope():
    pos = cw.pretrend_power(HW, slope=0.06, times=HW_TIMES)
    neg = cw.pretrend_power(HW, slope=-0.06, times=HW_TIMES)
    # The box is symmetric about 0: equal power; the expectations flip sign (up to the QMC error, about 1e-7).
    assert abs(pos.power - neg.power) < 1e-6
    np.testing.assert_allclose(neg.conditional_mean.to_numpy(), -pos.conditional_mean.to_numpy(), atol=1e-6)
    np.testing.assert_allclose(neg.bayes_factor, pos.bayes_factor, atol=1e-6)
    # the likelihood ratio is not symmetric: it depends on the observed coefficients
    assert abs(np.log(neg.likelihood_ratio) - np.log(pos.likelihood_ratio)) > 0.1
    assert pos.slope_for_power(0.8) > 0 and pos.power > 0.5


def test_reproducible_and_monotone():
    a = cw.pretrend_power(HW, slope=0.03, times=HW_TIMES)
    b = cw.pretrend_power(HW, slope=0.03, times=HW_TIMES)
    assert a.power == b.power and (a.bias == b.bias).all()
    powers = [cw.pretrend_power(HW, slope=s, times=HW_TIMES).power for s in (0.0, 0.02, 0.04, 0.08)]
    assert np.all(np.diff(powers) > 0)
    assert powers[0] == power_at(read_event_study(HW, HW_TIMES), 0.0, Z95)  # the size: about 0.12 with 3 leads
    assert 0.1 < powers[0] < 1 - 0.95**3


def test_event_studies_of_every_estimator():
    df = simulate_staggered(n_units=400, n_periods=8, cohorts=(4, 6), seed=3)
    kw = {"outcome": "y", "unit": "unit", "time": "time", "cohort": "cohort"}
    sa = cw.sun_abraham(df, **kw)
    beta, sigma, n_pre, _ = sa.honest_inputs()
    times = np.sort(sa.estimates.index.to_numpy(float))
    direct = cw.pretrend_power((beta, sigma, n_pre, len(beta) - n_pre), slope=0.1, times=times)
    res = cw.pretrend_power(sa, slope=0.1)
    np.testing.assert_allclose(res.power, direct.power, rtol=1e-12)  # the tuple path symmetrises sigma: 1 ulp
    pd.testing.assert_series_equal(res.bias, direct.bias, rtol=1e-10)
    assert (res.bias.index >= 0).all() and res.study.pre.sum() == n_pre

    es = cw.att_gt(df, **kw, base_period="universal").aggregate("dynamic")
    out = cw.pretrend_power(es, slope=0.1)
    e = es.table["event_time"].to_numpy(float)
    np.testing.assert_array_equal(out.study.times, e[e != -1])
    assert 0 < out.power < 1

    for fit in (cw.did2s(df, **kw, pretrends=True), cw.stacked_did(df, **kw, pre_window=2, post_window=2),
                cw.lpdid(df, **kw, pre_window=2, post_window=2)):
        got = cw.pretrend_power(fit, power=0.5)
        np.testing.assert_allclose(got.power, 0.5, atol=1e-9)
        assert got.slope > 0 and got.study.pre.sum() >= 1
    with pytest.raises(cw.ChipwarError, match="pre- and"):  # no leads at all
        cw.pretrend_power(cw.did_imputation(df, **kw), slope=0.1)
    with pytest.raises(cw.ChipwarError, match="separate regression.*no single reference period"):
        cw.pretrend_power(cw.did_imputation(df, **kw, pretrends=2), slope=0.1)

    d = df.assign(rel=np.where(df["cohort"] > 0, df["time"] - df["cohort"], -1.0),
                  ever=(df["cohort"] > 0).astype(float))
    d["rel"] = d["rel"].clip(-4, 3)
    fe = cw.feols("y ~ i(rel, ever, ref=-1) | unit + time", d, vcov={"CRV1": "unit"})
    got = cw.pretrend_power(fe, slope=0.1)
    names = [f"rel::{t}:ever" for t in (-4, -3, -2, 0, 1, 2, 3)]
    ref = cw.pretrend_power((fe.coef[names].to_numpy(), fe.vcov.loc[names, names].to_numpy(), 3, 4), slope=0.1,
                            times=[-4, -3, -2, 0, 1, 2, 3])
    np.testing.assert_allclose(got.power, ref.power, rtol=1e-12)
    np.testing.assert_allclose(got.bias.to_numpy(), ref.bias.to_numpy(), rtol=1e-12)


def test_result_views():
    import matplotlib

    matplotlib.use("Agg")
    res = cw.pretrend_power(HW, slope=0.05, times=HW_TIMES)
    t = res.tidy()
    assert list(t.columns) == ["term", "event_time", "estimate", "std_error", "statistic", "p_value", "conf_low",
                               "conf_high", "trend", "expected_after_pretest"]
    assert list(t["term"]) == [f"event_time::{k}" for k in range(-4, 4)]
    np.testing.assert_allclose(t["conf_high"].dropna() - t["estimate"].drop(3), Z95 * np.sqrt(np.diag(HW_SIGMA)))
    assert "power 0." in res.summary() and "Bayes factor" in res.summary()
    assert "<table" in res._repr_html_()
    ax = res.plot()
    assert len(ax.lines) >= 2
    matplotlib.pyplot.close("all")


def test_bad_input():
    with pytest.raises(cw.ChipwarError, match="no pre-period coefficient"):
        cw.pretrend_power(HW, slope=0.1, times=[0, 1, 2, 3, 4, 5, 6])
    with pytest.raises(cw.ChipwarError, match="at least one pre"):
        cw.pretrend_power((HW_BETA, HW_SIGMA, 0, 7), slope=0.1)
    singular = HW_SIGMA.copy()
    singular[0, :3] = singular[:3, 0] = singular[1, :3]
    singular[0, 0] = singular[1, 1]
    with pytest.raises(cw.ChipwarError, match="positive definite"):
        cw.pretrend_power((HW_BETA, singular, 3, 4), slope=0.1)
    with pytest.raises(cw.ChipwarError, match="singular"):
        cw.did.pretrends.read_event_study(_Fake(HW_BETA, singular))
    with pytest.raises(cw.ChipwarError, match="not both"):
        cw.pretrend_power(HW, slope=0.1, power=0.5)
    with pytest.raises(cw.ChipwarError, match="size"):
        cw.pretrend_power(HW, power=0.05)
    with pytest.raises(cw.ChipwarError, match="power must be between"):
        cw.pretrend_power(HW, power=1.5)
    with pytest.raises(cw.ChipwarError, match="level"):
        cw.pretrend_power(HW, slope=0.1, level=95)
    with pytest.raises(cw.ChipwarError, match="slope must be a finite"):
        cw.pretrend_power(HW, slope=np.nan)
    with pytest.raises(cw.ChipwarError, match="times has 3 entries"):
        cw.pretrend_power(HW, slope=0.1, times=[-3, -2, 0])
    with pytest.raises(cw.ChipwarError, match="distinct"):
        cw.pretrend_power(HW, slope=0.1, times=[-4, -3, -1, 0, 1, 2, 3])
    with pytest.raises(cw.ChipwarError, match="no i\\(event_time"):
        df = simulate_staggered(n_units=60, n_periods=5, cohorts=(3,), seed=1)
        cw.pretrend_power(cw.feols("y ~ treated | unit + time", df), slope=0.1)


class _Fake:
    """An event-study result whose pre-period covariance is singular (e.g. collinear leads)."""

    def __init__(self, beta: np.ndarray, sigma: np.ndarray) -> None:
        self.estimates = pd.Series(beta, index=pd.Index(HW_TIMES, name="event_time"))
        self._sigma = sigma

    def honest_inputs(self):
        return self.estimates.to_numpy(), self._sigma, 3, 4
