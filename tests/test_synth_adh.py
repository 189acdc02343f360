"""cw.synth (ADH with predictors): published weights, placebo inference, conformal intervals, plots, bad input."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import matplotlib
import numpy as np
import pandas as pd
import pytest

import chipwar as cw
from chipwar import ChipwarError

from ._synth_sim import factor_panel

matplotlib.use("Agg")
YEARS = range(1980, 1989)
SMOKING_PREDICTORS = [
    ("lnincome", YEARS, "mean"), ("retprice", YEARS, "mean"), ("age15to24", YEARS, "mean"),
    ("beer", range(1984, 1989), "mean"), ("cigsale", [1975], "mean"), ("cigsale", [1980], "mean"),
    ("cigsale", [1988], "mean"),
]
BASQUE = "Basque Country (Pais Vasco)"


@pytest.fixture(scope="module")
def smoking() -> pd.DataFrame:
    from .conftest import shared_path

    return pd.read_csv(shared_path("reference", "synth", "smoking.csv"))


@pytest.fixture(scope="module")
def prop99_fit(smoking: pd.DataFrame):
    return cw.synth(smoking, outcome="cigsale", unit="state", time="year", treated_unit="California",
                    treatment_time=1989, predictors=SMOKING_PREDICTORS, optimize_window=range(1970, 1989))


def _basque_kwargs() -> dict:
    odd = [1961, 1963, 1965, 1967, 1969]
    schooling = ["school.illit", "school.prim", "school.med", "school.high", "school.post.high", "invest"]
    sectors = ["sec.agriculture", "sec.energy", "sec.industry", "sec.construction", "sec.services.venta",
               "sec.services.nonventa"]
    predictors = [(c, range(1964, 1970), "mean") for c in schooling] + [("gdpcap", range(1960, 1970), "mean")]
    predictors += [(c, odd, "mean") for c in sectors] + [("popdens", [1969], "mean")]
    return dict(outcome="gdpcap", unit="regionname", time="year", treated_unit=BASQUE, treatment_time=1975,
                predictors=predictors, optimize_window=range(1960, 1970))


@pytest.fixture(scope="module")
def basque_fit():
    from .conftest import shared_path

    data = pd.read_csv(shared_path("reference", "synth", "basque.csv"))
    data = data[data.regionname != "Spain (Espana)"]
    return cw.synth(data, **_basque_kwargs()), data


def test_smoking_weights_match_adh_2010(prop99_fit) -> None:
    published = {"Utah": 0.334, "Nevada": 0.234, "Montana": 0.199, "Colorado": 0.164, "Connecticut": 0.069}
    for state, w in published.items():
        assert prop99_fit.weights[state] == pytest.approx(w, abs=0.02), state
    assert prop99_fit.weights.drop(list(published)).sum() < 0.02
    assert prop99_fit.weights.sum() == pytest.approx(1) and prop99_fit.weights.min() >= 0
    assert prop99_fit.v.sum() == pytest.approx(1)
    # Effect: about -19 packs on average over 1989-2000 and about -26 by 2000 (ADH 2010).
    assert prop99_fit.att == pytest.approx(-19, abs=1.0)
    assert prop99_fit.path.set_index("time").loc[2000, "gap"] == pytest.approx(-26, abs=1.5)
    # Our V does at least as well as the published weights on the stated criterion (pre-1989 MSPE).
    y = prop99_fit._spec.wide
    pub = pd.Series(published)
    pub_mspe = float(((y.loc["California", 1970:1988] - y.loc[pub.index, 1970:1988].T @ pub) ** 2).mean())
    assert prop99_fit.mspe <= pub_mspe


def test_fixed_v_reproduces_the_optimised_weights(smoking: pd.DataFrame, prop99_fit) -> None:
    fixed = cw.synth(smoking, outcome="cigsale", unit="state", time="year", treated_unit="California",
                     treatment_time=1989, predictors=SMOKING_PREDICTORS, optimize_window=range(1970, 1989),
                     v=prop99_fit.v.to_numpy())
    np.testing.assert_allclose(fixed.weights, prop99_fit.weights, atol=1e-8)
    # Independent check of the inner problem: SLSQP on the same V-weighted standardised predictors.
    from scipy.optimize import minimize

    x0, x1, _, _ = prop99_fit._spec.problem("California", list(prop99_fit.weights.index))
    sv = np.sqrt(prop99_fit.v.to_numpy())
    a, b = sv[:, None] * x0, sv * x1
    n = a.shape[1]
    res = minimize(lambda w: np.sum((a @ w - b) ** 2), np.full(n, 1 / n), bounds=[(0, None)] * n,
                   constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}], method="SLSQP",
                   options={"ftol": 1e-15, "maxiter": 2000})
    assert np.sum((a @ fixed.weights.to_numpy() - b) ** 2) <= res.fun + 1e-10


def test_basque_weights_do_at_least_as_well_as_published(basque_fit) -> None:
    """Abadie & Gardeazabal report Cataluna 0.85, Madrid 0.15; our V search finds a V with half the pre-period MSPE
    (weights Cataluna ~0.63, Baleares ~0.22, Madrid ~0.15): a better optimum of the same criterion, so we assert the
    criterion and the shared support rather than the published local optimum (reproduced with v_search='synth' below)."""
    fit, data = basque_fit
    y = data.pivot(index="regionname", columns="year", values="gdpcap")
    pub = pd.Series({"Cataluna": 0.850816306, "Madrid (Comunidad De)": 0.149183694})
    pub_mspe = float(((y.loc[BASQUE, 1960:1969] - y.loc[pub.index, 1960:1969].T @ pub) ** 2).mean())
    assert fit.mspe < pub_mspe
    assert fit.weights["Madrid (Comunidad De)"] == pytest.approx(0.15, abs=0.025)
    assert fit.weights["Cataluna"] > 0.5


def _assert_published_basque(fit) -> None:
    assert fit.weights["Cataluna"] == pytest.approx(0.85, abs=0.025)
    assert fit.weights["Madrid (Comunidad De)"] == pytest.approx(0.15, abs=0.025)
    assert fit.weights.drop(["Cataluna", "Madrid (Comunidad De)"]).sum() < 0.01


def test_basque_weights_match_r_synth_as_specified(basque_fit) -> None:
    """REFERENCE.md's specification (Spain excluded, as R Synth's basque example: controls 2:16 and 18): R's Synth
    prints Cataluna 0.85, Madrid 0.15. Its BFGS leg (optimx runs Nelder-Mead and BFGS) finds them; Nelder-Mead alone
    stops at Cataluna 1.0 from the regression start."""
    _, data = basque_fit
    fit = cw.synth(data, v_search="synth", **_basque_kwargs())
    _assert_published_basque(fit)
    assert fit.mspe == pytest.approx(0.0088645, rel=1e-4)  # R Synth (ipop weights): 0.0088646
    assert basque_fit[0].mspe < fit.mspe  # the global search finds a lower MSPE


def test_basque_weights_match_published_with_spain_in_the_pool() -> None:
    """pysyncon's set-up (Spain among the donors) gives the same published weights."""
    from .conftest import shared_path

    data = pd.read_csv(shared_path("reference", "synth", "basque.csv"))
    kw = _basque_kwargs()
    fit = cw.synth(data, v_search="synth", **kw)
    _assert_published_basque(fit)
    assert cw.synth(data, **kw).mspe < fit.mspe


def test_smoking_weights_with_synths_search(smoking: pd.DataFrame) -> None:
    fit = cw.synth(smoking, outcome="cigsale", unit="state", time="year", treated_unit="California",
                   treatment_time=1989, predictors=SMOKING_PREDICTORS, optimize_window=range(1970, 1989),
                   v_search="synth")
    published = {"Utah": 0.334, "Nevada": 0.234, "Montana": 0.199, "Colorado": 0.164, "Connecticut": 0.069}
    for state, w in published.items():
        assert fit.weights[state] == pytest.approx(w, abs=0.02), state
    assert fit.weights.drop(list(published)).sum() < 0.02
    with pytest.raises(ChipwarError, match="v_search"):
        cw.synth(smoking, outcome="cigsale", unit="state", time="year", treated_unit="California",
                 treatment_time=1989, v_search="nelder")


def test_synths_search_where_ipop_fails_in_every_run(smoking: pd.DataFrame) -> None:
    """Missouri as the treated unit (its space placebo): ipop's system turns computationally singular in all four of
    Synth's runs, where R's Synth stops with an error; chipwar runs the same search on exact inner problems."""
    kw = dict(outcome="cigsale", unit="state", time="year", treated_unit="Missouri", treatment_time=1989,
              predictors=SMOKING_PREDICTORS, optimize_window=range(1970, 1989),
              donors=[s for s in smoking.state.unique() if s not in ("California", "Missouri")])
    fit = cw.synth(smoking, v_search="synth", **kw)
    assert fit.weights.min() >= 0 and fit.weights.sum() == pytest.approx(1)
    # Both methods start from equal weights and only keep improvements, so the search ends no worse than there.
    assert fit.mspe <= cw.synth(smoking, v=np.ones(7), **kw).mspe
    np.testing.assert_allclose(cw.synth(smoking, v=fit.v.to_numpy(), **kw).weights, fit.weights, atol=1e-8)


def test_space_placebo_ranks_california_first(prop99_fit) -> None:
    with ThreadPoolExecutor(2) as pool:
        placebo = prop99_fit.placebo("space", executor=pool)
    assert placebo.rank == 1 and placebo.p_value == pytest.approx(1 / 39)
    assert len(placebo.ratios) == 39 and placebo.gaps.shape == (31, 39)
    assert placebo.ratios.idxmax() == "California"
    assert isinstance(placebo.plot(), matplotlib.axes.Axes)
    assert {"placebo", "ratio", "pre_mspe", "is_actual"} <= set(placebo.tidy().columns)


def test_time_placebo_and_leave_one_out(prop99_fit) -> None:
    placebo = prop99_fit.placebo("time")
    assert 1989 in placebo.ratios.index and placebo.ratios.index.min() == 1976  # first date after a predictor period (cigsale 1975)
    assert 0 < placebo.p_value <= 1
    loo = prop99_fit.leave_one_out()
    assert set(loo.columns) == set(prop99_fit.weights[prop99_fit.weights > 0].index)
    assert loo.shape[0] == 31
    # Dropping a donor with positive weight leaves the effect negative and large (ADH 2010's robustness figure).
    post = loo.loc[1989:]
    treated = prop99_fit.path.set_index("time").loc[1989:, "treated"]
    assert ((treated.to_numpy()[:, None] - post.to_numpy()).mean(axis=0) < -10).all()


def test_conformal_intervals(prop99_fit) -> None:
    ci = prop99_fit.conformal(level=0.9)
    assert list(ci.columns) == ["time", "gap", "lower", "upper", "step"]
    assert len(ci) == 12
    assert ((ci.lower <= ci.gap + ci.step) & (ci.gap - ci.step <= ci.upper)).all()
    assert (ci.upper.iloc[-3:] < 0).all()  # the late effects exclude zero
    with pytest.raises(ChipwarError, match="level"):
        prop99_fit.conformal(level=0.99)


def test_conformal_pvalue_by_brute_force() -> None:
    """Kernel check: p(theta) equals the rank of the tested residual after refitting with the null imposed."""
    from chipwar import _core

    rng = np.random.default_rng(0)
    y0 = rng.normal(size=(12, 6))
    y1 = y0 @ np.array([0.4, 0.3, 0.3, 0, 0, 0]) + 0.1 * rng.normal(size=12)
    grid = np.array([-1.0, 0.0, 0.5])
    p = _core.conformal_pvalues(y0, y1, grid)
    for theta, got in zip(grid, p):
        target = y1.copy()
        target[-1] -= theta
        w = _core.simplex_least_squares(y0, target)[0]
        u = np.abs(target - y0 @ w)
        assert got == pytest.approx(np.mean(u >= u[-1] * (1 - 1e-12)))


def test_simulated_known_effect_and_calibration() -> None:
    data = factor_panel(n_units=20, n_periods=30, n_pre=20, effect=4.0, noise=0.3, seed=5)
    fit = cw.synth(data, outcome="y", unit="unit", time="time", treated_unit="u019", treatment_time=2020)
    assert fit.att == pytest.approx(4.0, abs=4 * fit.pre_rmspe)
    placebo = fit.placebo("space")
    assert placebo.rank <= 2
    strict = fit.placebo("space", exclude_mspe_multiple=1.0)  # ADH: drop placebos fitting worse than the treated
    assert set(strict.ratios.index) == set(placebo.pre_mspe.index[placebo.pre_mspe <= placebo.pre_mspe["u019"]])
    null = factor_panel(n_units=20, n_periods=30, n_pre=20, effect=0.0, noise=0.3, seed=6)
    fit0 = cw.synth(null, outcome="y", unit="unit", time="time", treated_unit="u019", treatment_time=2020)
    assert abs(fit0.att) < 4 * fit0.pre_rmspe


def test_result_interface_and_plots(prop99_fit) -> None:
    assert list(prop99_fit.path.columns) == ["time", "treated", "synthetic", "gap"]
    bal = prop99_fit.balance()
    assert bal.loc["cigsale 1975", "treated"] == pytest.approx(127.1, abs=0.01)
    assert "Utah" in repr(prop99_fit) and "<table" in prop99_fit._repr_html_()
    for kind in ("path", "gap", "weights"):
        assert isinstance(prop99_fit.plot(kind=kind), matplotlib.axes.Axes)


def test_bad_input(smoking: pd.DataFrame) -> None:
    kw = dict(outcome="cigsale", unit="state", time="year", treatment_time=1989)
    with pytest.raises(ChipwarError, match="Narnia"):
        cw.synth(smoking, treated_unit="Narnia", **kw)
    with pytest.raises(ChipwarError, match="outside"):
        cw.synth(smoking, treated_unit="California", **{**kw, "treatment_time": 2050})
    with pytest.raises(ChipwarError, match="at least 2"):
        cw.synth(smoking, treated_unit="California", donors=["Utah"], **kw)
    holes = smoking.drop(index=smoking.index[(smoking.state == "California") & (smoking.year == 1980)])
    with pytest.raises(ChipwarError, match="California"):
        cw.synth(holes, treated_unit="California", **kw)
    flat = smoking.assign(const=1.0)
    with pytest.raises(ChipwarError, match="same value"):
        cw.synth(flat, treated_unit="California", predictors=[("const", YEARS, "mean"), ("cigsale", [1975])], **kw)
    with pytest.raises(ChipwarError, match="lnincome"):
        cw.synth(smoking, treated_unit="California", predictors=[("lnincome", [1970], "mean")], **kw)
    with pytest.raises(ChipwarError, match="v must"):
        cw.synth(smoking, treated_unit="California", predictors=SMOKING_PREDICTORS, v=[1, 2], **kw)
