"""cw.scpi: scpi_pkg's Germany-reunification example (weights, tuning, and the prediction intervals given scpi_pkg's
own simulation draws), coverage of the intervals on simulated factor panels, reproducibility and bad input.

The Germany numbers are scpi_pkg 4.0.0's output on its shipped example (``scpi_germany.csv``; the script that
produced them is ``scripts/scpi_reference.py``): scest's weights for every constraint, and scpi's intervals with
its illustration settings (``sims=200``, ``numpy.random.seed(8894)``, u_alpha = e_alpha = 0.05)."""

from __future__ import annotations

import importlib
import warnings
from concurrent.futures import ThreadPoolExecutor

import chipwar as cw
import numpy as np
import pandas as pd
import pytest
from chipwar import ChipwarError

scpi_module = importlib.import_module("chipwar.synthetic.scpi")  # the module (the package attribute is the function)

from ._synth_sim import factor_panel

DONORS = ["Australia", "Austria", "Belgium", "Denmark", "France", "Greece", "Italy", "Japan", "Netherlands",
          "New Zealand", "Norway", "Portugal", "Spain", "Switzerland", "UK", "USA"]

# scest's coefficients (donors in DONORS order, then the constant) and its default Q / lambda
SCEST = {
    ("simplex", False): ([0.0, 0.2911174, 0.0, 0.0, 0.0303024, 0.0, 0.1913675, 0.0, 0.1330289, 0.0, 1e-07, 0.0, 0.0,
                          0.0813599, 0.0, 0.272824], None),
    ("lasso", False): ([0.0, 0.3872347, 0.0, 0.0, 0.0, 0.0, 0.0997087, 0.0, 0.0998391, -0.0108646, 0.0, 0.0, 0.0,
                        0.1025806, 0.0, 0.2997723], None),
    ("ridge", False): ([-0.1682806, 0.1602479, 0.2089242, 0.0362671, 0.1657151, -0.0266138, 0.2169846, -0.0884194,
                        0.2889125, -0.1341175, 0.0072982, -0.067484, -0.2368558, 0.1281399, 0.0910449, 0.2798844],
                       (0.6687621215654449, 0.09607606353466916)),
    ("L1-L2", False): ([0.0, 0.2911174, 0.0, 0.0, 0.0303024, 0.0, 0.1913674, 0.0, 0.1330289, 0.0, 1e-07, 0.0, 0.0,
                        0.0813599, 0.0, 0.272824], (0.6687621215654449, 0.09607606353466916)),
    ("ols", False): ([-0.1763318, 0.1513697, 0.2727121, 0.0441214, 0.127171, -0.0435957, 0.2329194, -0.0709137,
                      0.3310201, -0.1176782, -0.0232721, -0.0602715, -0.3103372, 0.1024603, 0.0895634, 0.2953077], None),
    ("simplex", True): ([0.0, 0.4412798, 0.0, 0.0, 0.0, 0.0, 0.1770457, 0.0138201, 0.058451, 0.0, 0.0, 0.0, 0.0,
                         0.0358296, 0.0, 0.2735738, 0.1579948], None),
    ("ridge", True): ([-0.1459647, 0.2949242, 0.2627171, 0.0269156, -0.1292184, 0.0330542, 0.2877737, 0.1708358,
                       0.2333666, -0.0280423, 0.0456619, 0.0468913, -0.3044951, -0.0677578, -0.1438332, 0.3399904,
                       0.545445], (0.9055396046467975, 0.04663596342981347)),
    ("ols", True): ([-0.1459646, 0.2948912, 0.2626863, 0.0269056, -0.1291372, 0.0330618, 0.2877397, 0.1708069,
                     0.2333587, -0.0280695, 0.0456931, 0.0468752, -0.304457, -0.067727, -0.1437976, 0.3399602,
                     0.5454122], None),
}

# scpi's intervals for the synthetic West Germany, 1991-2003: (lower, upper) by method
SCPI_SIMPLEX_COINTEGRATED = {
    "insample": ([20.65958, 21.42065, 21.85627, 22.78282, 23.59125, 24.21366, 24.90852, 26.14027, 26.84175, 27.31961,
                  27.89294, 29.22215, 30.03706],
                 [21.68527, 22.36832, 22.86914, 23.89409, 24.88989, 25.95594, 26.93831, 28.06375, 29.37207, 31.1391,
                  32.13727, 33.01438, 33.96717]),
    "gaussian": ([19.92809, 21.29668, 21.72211, 22.57436, 22.97815, 23.88317, 24.74916, 25.69075, 26.70195, 26.73176,
                  26.54804, 29.25606, 30.0414],
                 [22.21275, 22.36839, 22.91101, 23.9388, 25.28169, 25.94057, 27.0751, 28.37083, 29.23511, 31.53418,
                  32.98221, 33.2036, 33.98979]),
    "ls": ([20.02672, 21.30639, 21.7359, 22.5942, 23.05687, 23.90786, 24.77236, 25.75002, 26.70217, 26.80876, 26.71959,
            29.26822, 30.04283],
           [22.22424, 22.36952, 22.91261, 23.94111, 25.29086, 25.94345, 27.07781, 28.37774, 29.23514, 31.54315, 33.00221,
            33.20501, 33.98995]),
    "qreg": ([20.36145, 21.37309, 21.83532, 22.69434, 23.38041, 24.08769, 24.86464, 25.99053, 26.82147, 27.05393,
              27.43198, 29.11668, 30.14737],
             [21.81675, 22.51304, 22.91924, 23.99946, 24.93653, 26.10031, 27.02687, 28.0988, 29.60282, 31.33325, 32.1683,
              33.22216, 34.21839]),
}
SCPI_L1L2_COINTEGRATED_INSAMPLE = (
    [20.59941, 21.37003, 21.80725, 22.73147, 23.53308, 24.1275, 24.78102, 26.03837, 26.72058, 27.06966, 27.61621,
     28.99262, 29.8415],
    [21.75831, 22.4405, 22.93375, 23.96605, 24.97231, 26.05679, 27.03837, 28.17625, 29.54532, 31.30527, 32.31129,
     33.17558, 34.17208])
SCPI_SIMPLEX_CONSTANT = {
    "insample": ([20.69702, 21.47272, 21.89085, 22.89033, 23.71923, 24.37289, 24.94382, 26.22684, 26.99834, 27.51693,
                  27.98251, 29.27455, 30.13494],
                 [21.85029, 22.68982, 23.04909, 24.10321, 25.09564, 26.39486, 26.97672, 28.05224, 29.52725, 31.32752,
                  31.99314, 32.82567, 33.85613]),
    "gaussian": ([20.53134, 21.29938, 21.68221, 22.664, 23.47624, 24.12924, 24.64235, 25.87487, 26.6734, 27.24672,
                  27.64227, 28.96123, 29.91008],
                 [22.08562, 22.87247, 23.25492, 24.29528, 25.35436, 26.58658, 27.17955, 28.34161, 29.6358, 31.34894,
                  32.16079, 32.93583, 33.7002]),
}


@pytest.fixture(scope="module")
def germany(shared) -> pd.DataFrame:
    data = pd.read_csv(shared("reference", "synth", "scpi_germany.csv"))
    data["treated"] = ((data.country == "West Germany") & (data.year >= 1991)).astype(float)
    return data[data.year <= 2003]


def _scpi_pkg_draws(seed: object, shape: tuple[int, int]) -> np.ndarray:
    """scpi_pkg's draws after numpy.random.seed(8894): numpy.random.normal(size=rows * sims).reshape(rows, sims)."""
    return np.random.RandomState(8894).normal(size=shape[0] * shape[1]).reshape(shape)


@pytest.mark.parametrize("name, constant", list(SCEST))
def test_germany_weights_match_scpi_pkg(germany: pd.DataFrame, name: str, constant: bool) -> None:
    expected, tuning = SCEST[(name, constant)]
    fit = cw.scpi(germany, "gdp", "country", "year", "treated", w_constr=name, constant=constant, sims=10, seed=0,
                  e_method="gaussian")
    assert list(fit.weights.index) == DONORS
    # ECOS's ridge solution (a second-order cone) stops 4e-5 / 8e-5 short of the optimum on these data (Z'Z has
    # condition 2e6; its objective is 2e-9 above ours): 1e-4 there, 1e-6 (the rounding of the listed values) else
    np.testing.assert_allclose(fit.coefficients.to_numpy(), expected, atol=1e-4 if name == "ridge" else 1e-6)
    if tuning is not None:
        q = fit.constraint.q if name == "ridge" else fit.constraint.q2
        assert q == pytest.approx(tuning[0], rel=1e-9) and fit.constraint.lam == pytest.approx(tuning[1], rel=1e-9)
    # ours is the exact optimum: its fit is never worse than the (approximate, ECOS / OSQP) reference
    y, fitted = fit.synthetic["treated"].iloc[:31], fit.synthetic["synthetic"].iloc[:31]
    donors = germany.pivot(index="year", columns="country", values="gdp").loc[1960:1990, DONORS].to_numpy()
    reference_fit = donors @ np.array(expected[:16]) + (expected[16] if constant else 0.0)
    assert np.sum((y - fitted) ** 2) <= np.sum((y.to_numpy() - reference_fit) ** 2) + 1e-9


def _illustration(germany: pd.DataFrame, monkeypatch, **kw: object):
    monkeypatch.setattr(scpi_module, "_standard_normals", _scpi_pkg_draws)
    return cw.scpi(germany, "gdp", "country", "year", "treated", u_alpha=0.05, e_alpha=0.05, sims=200, **kw)


def test_germany_intervals_match_scpi_pkg(germany: pd.DataFrame, monkeypatch) -> None:
    """scpi_pkg's illustration (simplex, cointegrated_data=True): in-sample and all three out-of-sample intervals.
    scpi_pkg's ECOS problems are set up in float32, so its bounds carry errors of about 1e-5 relative."""
    fit = _illustration(germany, monkeypatch, cointegrated_data=True)
    assert fit.rho == pytest.approx(0.07164019247054902, rel=1e-8)
    for method, (lower, upper) in SCPI_SIMPLEX_COINTEGRATED.items():
        np.testing.assert_allclose(fit.intervals[method]["lower"], lower, atol=1e-3, err_msg=method)
        np.testing.assert_allclose(fit.intervals[method]["upper"], upper, atol=1e-3, err_msg=method)


def test_germany_l1l2_and_constant_intervals_match_scpi_pkg(germany: pd.DataFrame, monkeypatch) -> None:
    l1l2 = _illustration(germany, monkeypatch, cointegrated_data=True, w_constr="L1-L2", e_method="gaussian")
    np.testing.assert_allclose(l1l2.intervals["insample"]["lower"], SCPI_L1L2_COINTEGRATED_INSAMPLE[0], atol=1e-3)
    np.testing.assert_allclose(l1l2.intervals["insample"]["upper"], SCPI_L1L2_COINTEGRATED_INSAMPLE[1], atol=1e-3)
    constant = _illustration(germany, monkeypatch, constant=True, e_method="gaussian")
    assert constant.rho == pytest.approx(0.07265189232793197, rel=1e-8)
    for method, (lower, upper) in SCPI_SIMPLEX_CONSTANT.items():
        np.testing.assert_allclose(constant.intervals[method]["lower"], lower, atol=1e-3, err_msg=method)
        np.testing.assert_allclose(constant.intervals[method]["upper"], upper, atol=1e-3, err_msg=method)


def _counterfactual_panel(seed: int, n_units: int = 14, n_periods: int = 36, n_pre: int = 30):
    """One treated unit (the last) in the factor model with effect 0: its post-period outcome is Y(0)."""
    return factor_panel(n_units=n_units, n_periods=n_periods, n_pre=n_pre, n_treated=1, effect=0.0, noise=0.3,
                        seed=seed)


@pytest.mark.parametrize("w_constr, panels", [("simplex", 30), ("ridge", 20)])
def test_coverage_on_simulated_factor_panels(w_constr: str, panels: int) -> None:
    """The 90% intervals (u_alpha = e_alpha = 0.05, subgaussian out-of-sample bounds) cover the untreated outcome
    in at least 90% of post-periods, up to binomial error (measured: simplex 93.9%, ridge 94.4% over 30 panels;
    lasso 100%, L1-L2 95.6%, ols 100%)."""
    hits, total = 0, 0
    for seed in range(panels):
        fit = cw.scpi(_counterfactual_panel(seed), "y", "unit", "time", "treated", w_constr=w_constr, level=0.9,
                      sims=60, seed=seed, e_method="gaussian")
        band, truth = fit.intervals["gaussian"], fit.effects["treated"]
        hits += int(((truth >= band["lower"]) & (truth <= band["upper"])).sum())
        total += len(truth)
    assert hits / total >= 0.9 - 2.5 * np.sqrt(0.9 * 0.1 / total), hits / total  # one-sided binomial check


def test_intervals_detect_a_known_effect() -> None:
    """Not vacuous: with an effect of 3 (ten noise SDs) the effect's interval excludes 0 in most post-periods
    (measured: 98%)."""
    excluded, total = 0, 0
    for seed in range(10):
        data = factor_panel(n_units=14, n_periods=36, n_pre=30, n_treated=1, effect=3.0, noise=0.3, seed=seed)
        tidy = cw.scpi(data, "y", "unit", "time", "treated", level=0.9, sims=60, seed=seed, e_method="gaussian").tidy()
        effects = tidy.iloc[1:]  # (the interval need not contain the estimate: it is centred on the predicted error)
        excluded += int((effects.conf_low > 0).sum())
        total += len(effects)
    assert excluded / total >= 0.85


def test_reproducible_and_executor_independent() -> None:
    data = _counterfactual_panel(3)
    a = cw.scpi(data, "y", "unit", "time", "treated", sims=30, seed=4, e_method="gaussian")
    cw.set_num_threads(1)
    try:
        b = cw.scpi(data, "y", "unit", "time", "treated", sims=30, seed=4, e_method="gaussian")
    finally:
        cw.set_num_threads(2)
    with ThreadPoolExecutor(2) as pool:
        c = cw.scpi(data, "y", "unit", "time", "treated", sims=30, seed=4, e_method="gaussian", executor=pool)
    for other in (b, c):
        np.testing.assert_array_equal(a.insample_draws[0], other.insample_draws[0])
        pd.testing.assert_frame_equal(a.intervals["gaussian"], other.intervals["gaussian"])
    d = cw.scpi(data, "y", "unit", "time", "treated", sims=30, seed=5, e_method="gaussian")
    assert not np.array_equal(a.insample_draws[0], d.insample_draws[0])
    shuffled = cw.scpi(data.sample(frac=1.0, random_state=1), "y", "unit", "time", "treated", sims=30, seed=4,
                       e_method="gaussian")
    pd.testing.assert_frame_equal(a.intervals["gaussian"], shuffled.intervals["gaussian"])


def test_result_interface() -> None:
    data = _counterfactual_panel(1)
    fit = cw.scpi(data, "y", "unit", "time", "treated", sims=20, seed=0)
    tidy = fit.tidy()
    assert list(tidy.columns) == ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
    assert tidy.term.iloc[0] == "ATT" and len(tidy) == 1 + len(fit.effects)
    assert fit.estimate == pytest.approx(fit.effects["effect"].mean())
    row = tidy.iloc[1]
    assert row.conf_low <= row.estimate <= row.conf_high or not np.isfinite(row.conf_low)
    assert set(fit.intervals) == {"insample", "gaussian", "ls", "qreg"}
    qreg = fit.tidy(method="qreg")
    assert not np.allclose(qreg.conf_low.iloc[1:], tidy.conf_low.iloc[1:])
    inner, outer = fit.intervals["insample"], fit.intervals["gaussian"]
    assert "scpi" in repr(fit) and "<table" in fit._repr_html_()
    assert (inner["upper"] - inner["lower"] > 0).all() and np.isfinite(outer.to_numpy()).all()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assert fit.plot() is not None and fit.plot_weights() is not None
    plt.close("all")  # the suite's later tests count open figures (matplotlib warns past 20)


def test_bad_input() -> None:
    data = _counterfactual_panel(2)
    with pytest.raises(ChipwarError, match="w_constr"):
        cw.scpi(data, "y", "unit", "time", "treated", w_constr="elastic")
    with pytest.raises(ChipwarError, match="level"):
        cw.scpi(data, "y", "unit", "time", "treated", level=90)
    lonely = data[data.unit.isin(["u000", "u013"])]
    with pytest.raises(ChipwarError, match="at least 2"):
        cw.scpi(lonely, "y", "unit", "time", "treated")
    early = data.copy()
    early.loc[early.unit == "u013", "treated"] = 1
    with pytest.raises(ChipwarError, match="scpi needs at least two pre-periods"):
        cw.scpi(early, "y", "unit", "time", "treated")
    holes = data.drop(index=data.index[(data.unit == "u004") & (data.time == 2003)])
    with pytest.raises(ChipwarError, match="u004"):
        cw.scpi(holes, "y", "unit", "time", "treated")
    with pytest.raises(ChipwarError, match="u_order"):
        cw.scpi(data, "y", "unit", "time", "treated", u_order=2)
    with pytest.raises(ChipwarError, match="Q must be a positive"):
        cw.scpi(data, "y", "unit", "time", "treated", w_constr="ridge", Q=-1.0)
    with pytest.raises(ChipwarError, match="not numeric"):
        cw.scpi(data.assign(y=data.y.astype(str)), "y", "unit", "time", "treated")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cw.scpi(data, "y", "unit", "time", "treated", sims=10, seed=0, e_method="qreg")  # no stray warnings


def test_germany_two_features(germany: pd.DataFrame, monkeypatch) -> None:
    """features=["gdp", "trade"] (stacked, the feature-specific pseudo-residual model): scpi_pkg's weights, rho and
    lower in-sample bounds; its upper bounds are not comparable, since 1-2% of its upper problems fail in ECOS (NaN,
    dropped from its quantiles) and others stop up to 0.03 short where the set degenerates to a point. There our
    bounds are checked against SLSQP on the same problems instead."""
    from chipwar.synthetic import _scpi_data, _scpi_inference, _scpi_weights

    from .test_synth_scpi_qp import _slsqp_bound

    fit = _illustration(germany, monkeypatch, features=["gdp", "trade"], e_method="gaussian")
    expected = [0.0, 0.1330993, 0.1863088, 0.0749311, 0.1030094, 0.0730558, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0087583,
                0.0, 0.0, 0.4208372]
    np.testing.assert_allclose(fit.weights.to_numpy(), expected, atol=5e-6)
    assert fit.rho == 0.2  # rho_max binds
    lower = [20.56365, 21.37987, 21.88366, 22.9556, 23.81648, 24.75275, 25.81128, 26.80689, 27.95647, 29.5524,
             30.48823, 31.51489, 32.53924]
    np.testing.assert_allclose(fit.intervals["insample"]["lower"], lower, atol=1e-3)
    (data,) = _scpi_data.scpi_data(germany, "gdp", "country", "year", "treated", ["gdp", "trade"], False, False)
    constraint = _scpi_weights.resolve_constraint("simplex", data, None, None)
    coef = fit.coefficients.to_numpy()
    active, geometry = _scpi_inference.local_geometry(constraint, coef, fit.rho, 0.2)
    unit = _scpi_inference.UnitFit(data, constraint, coef, active)
    (moments,) = _scpi_inference.pseudo_residuals([unit], True, "HC1", 1, 0)
    draws = _scpi_inference.sigma_root(moments.sigma) @ _scpi_pkg_draws(None, (len(coef), 200))
    q1, q2, lower_bounds = geometry._core_args(len(coef))
    low, high = fit.insample_draws
    for d, t in [(105, 9), (164, 7), (0, 0), (50, 12)]:  # the first two: the set meets the ellipsoid only at b
        g, p = draws[:, d], data.p[t]
        ref_low = _slsqp_bound("simplex", 1, p, g, moments.q, coef, len(coef), q1, q2, lower_bounds)
        ref_high = -_slsqp_bound("simplex", -1, p, g, moments.q, coef, len(coef), q1, q2, lower_bounds)
        assert low[d, t] == pytest.approx(ref_low, abs=1e-6) and high[d, t] == pytest.approx(ref_high, abs=1e-6)


# scpi_pkg's scdataMulti example (its R tests' data): West Germany treated from 1991, Italy from 1992, simplex,
# cointegrated_data=True, unit-time effects; coefficients (Italy's 15 donors, then West Germany's) and the in-sample
# and subgaussian intervals (Italy 1992-2003, then West Germany 1991-2003)
MULTI_B = [0.044274, 0.020081, 0.368315, 0.0, 0.170418, 0.0, 0.14267, 0.0, 0.0, 0.169686, 0.069271, 0.0, 0.0, 0.0,
           0.015284, 0.0, 0.378223, 0.0, 0.0, 0.08123, 0.0, 0.0, 0.125083, 0.0, 0.012705, 0.028785, 0.0, 0.071068,
           0.0, 0.302906]
MULTI_INSAMPLE = (
    [19.4215, 19.7167, 20.6794, 21.5877, 22.2599, 23.1298, 23.7234, 24.3846, 26.304, 27.4474, 28.3927, 28.8122, 20.6558,
     21.4993, 21.8975, 22.8911, 23.7262, 24.5428, 25.3202, 26.5583, 27.4505, 28.4228, 29.0793, 30.3511, 31.2991],
    [19.8796, 20.2197, 21.3533, 22.4553, 23.4736, 24.5942, 25.1714, 26.5222, 29.8373, 31.2838, 31.8893, 32.126, 21.5868,
     22.4011, 22.8556, 23.9176, 24.8764, 26.0599, 27.0838, 28.2778, 29.8925, 31.7117, 32.797, 33.5919, 34.4618])
MULTI_GAUSSIAN = (
    [19.3439, 19.6173, 20.5418, 21.5235, 22.0773, 23.0834, 23.2814, 24.2138, 25.9725, 26.9617, 28.0955, 28.6707, 20.5182,
     21.4201, 21.6428, 22.6485, 23.5209, 24.2512, 25.0355, 26.3515, 27.1947, 28.096, 28.3194, 30.1863, 31.0888],
    [19.9396, 20.122, 21.4518, 22.4761, 23.2935, 24.5999, 26.0108, 26.3705, 29.5075, 32.039, 32.5378, 32.2387, 21.7925,
     22.4721, 23.0339, 24.1236, 25.0947, 26.3155, 27.3308, 28.4761, 30.0813, 32.0699, 33.627, 33.7775, 34.5787])


def test_germany_two_treated_units_staggered_match_scpi_pkg(shared, monkeypatch) -> None:
    """Two treated units adopting in different years, pooled as scpi_pkg pools them (T, HC1's degrees of freedom).
    The subgaussian bounds differ from scpi_pkg's by up to 5e-3: its out-of-sample scale uses statsmodels'
    iteratively reweighted quantile regression on the units' block-diagonal design (ours: the exact LP)."""
    data = pd.read_csv(shared("reference", "synth", "scpi_germany.csv"))
    data["treated"] = (((data.country == "West Germany") & (data.year >= 1991))
                       | ((data.country == "Italy") & (data.year >= 1992))).astype(float)
    fit = _illustration(data[data.year <= 2003], monkeypatch, cointegrated_data=True, e_method="gaussian")
    assert list(fit.units) == ["Italy", "West Germany"]
    assert all(len(r.weights) == 15 for r in fit.units.values())  # the other treated unit is no donor
    np.testing.assert_allclose(np.concatenate([r.weights for r in fit.units.values()]), MULTI_B, atol=2e-5)
    for method, (lower, upper), atol in (("insample", MULTI_INSAMPLE, 2e-3), ("gaussian", MULTI_GAUSSIAN, 1e-2)):
        low = np.concatenate([r.intervals[method]["lower"] for r in fit.units.values()])
        high = np.concatenate([r.intervals[method]["upper"] for r in fit.units.values()])
        np.testing.assert_allclose(low, lower, atol=atol, err_msg=method)
        np.testing.assert_allclose(high, upper, atol=atol, err_msg=method)
    tidy = fit.tidy()
    assert tidy.term.iloc[0] == "ATT" and tidy.term.iloc[1] == "effect::Italy::1992" and len(tidy) == 1 + 25
    assert fit.estimate == pytest.approx(np.concatenate([r.effects["effect"] for r in fit.units.values()]).mean())
    assert "2 treated units" in repr(fit)


def test_staggered_simulated_coverage() -> None:
    """Three treated units adopting at different dates in the factor model (effect 0): pooled 90% intervals cover
    the untreated outcomes in at least 90% of treated unit-periods, up to binomial error."""
    hits, total = 0, 0
    for seed in range(12):
        data = factor_panel(n_units=16, n_periods=36, n_pre=30, n_treated=3, effect=0.0, noise=0.3, seed=500 + seed)
        last = sorted(data.unit.unique())[-3:]
        for k, u in enumerate(last):  # adoption at periods 28, 30, 32
            data.loc[data.unit == u, "treated"] = (data.loc[data.unit == u, "time"] >= 2028 + 2 * k).astype(float)
        fit = cw.scpi(data, "y", "unit", "time", "treated", level=0.9, sims=40, seed=seed, e_method="gaussian")
        for result in fit.units.values():
            band, truth = result.intervals["gaussian"], result.effects["treated"]
            hits += int(((truth >= band["lower"]) & (truth <= band["upper"])).sum())
            total += len(truth)
    assert hits / total >= 0.9 - 2.5 * np.sqrt(0.9 * 0.1 / total), hits / total
