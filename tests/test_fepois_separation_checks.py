"""fepois's separation checks: the full-rank screen that lets the rectifier be skipped (against numpy ranks of the
dummy design), and the ``separation=`` choices (fixest-like "fe" only, rectifier only, none, bad values)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import chipwar as cw
from chipwar import _core
from chipwar.estimation.prepare import prepare
from chipwar.estimation.separation import drop_separated
from chipwar.model.formula import parse_formula
from _support import PPML_SEPARATION_FILES, ppml_separation_case

def _design(data: pd.DataFrame, fml: str, fixef_rm: str = "none"):
    return prepare(parse_formula(fml), data, None, None, None, fixef_rm)[1]


def _full_design(data: pd.DataFrame, ids: list[str], xs: list[str]) -> np.ndarray:
    dummies = [pd.get_dummies(data[c].astype(str), dtype=float).to_numpy() for c in ids]
    return np.column_stack([np.ones(len(data)), data[xs].to_numpy(float), *dummies])


@pytest.mark.parametrize("name", PPML_SEPARATION_FILES)
def test_screen_is_the_rank_condition_on_the_positive_rows(name):
    # independent computation: the screen says "impossible" exactly when [1, X, dummies] restricted to y > 0 has
    # the rank of the whole design; never when the file has separated rows
    data, fml, ids, xs = ppml_separation_case(name)
    design = _design(data, fml)
    screen = _core.separation_impossible(design.x, design.y, design.fe_codes, design.n_groups)
    full = _full_design(data, ids, xs)
    positive = data["y"].to_numpy() > 0
    rank = np.linalg.matrix_rank
    assert screen == (rank(full[positive]) == rank(full))
    if data["separated"].any():
        assert not screen


def _poisson_panel(n_units: int = 300, n_years: int = 8, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n_units), n_years)
    year = np.tile(np.arange(n_years), n_units)
    x = rng.normal(size=unit.size)
    y = rng.poisson(np.exp(0.3 * x + rng.normal(0, 0.5, n_units)[unit] + 1.5))
    return pd.DataFrame({"y": y, "x": x, "unit": unit, "year": year})


def test_screen_skips_the_rectifier_without_changing_anything():
    data = _poisson_panel()
    data.loc[data["unit"] == 0, "y"] = 0  # one all-zero unit: the fixed-effect check drops it first
    design = _design(data, "y ~ x | unit + year", "singleton")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cw.ChipwarWarning)
        kept, report = drop_separated(design)
    assert report.n_separated == 8 and report.relu_skipped == 1 and report.relu_iterations == 0
    # the rectifier itself agrees that nothing is left to drop
    separated, _, converged = _core.relu_separation(kept.x, kept.y, kept.fe_codes, kept.n_groups)
    assert converged and not separated.any()


def test_screen_defers_to_the_rectifier_when_the_positives_leave_a_direction_free():
    # 01.csv is separated by its regressors: the screen cannot rule that out, the rectifier runs and finds the rows
    data, fml, _, _ = ppml_separation_case("01.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cw.ChipwarWarning)
        kept, report = drop_separated(_design(data, fml))
    assert report.relu_iterations > 0
    np.testing.assert_array_equal(
        np.setdiff1d(np.arange(len(data)), kept.obs_index), np.flatnonzero(data["separated"].to_numpy() == 1)
    )


def test_fe_only_check_is_fixests_default():
    # 01.csv: separated by the regressors (the fixed-effect check finds nothing); "fe" keeps those rows, as
    # fixest and pyfixest do by default, and the rectifier ("ir" or True) drops them
    data, fml, _, _ = ppml_separation_case("01.csv")
    truth = int(data["separated"].sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fe_only = cw.fepois(fml, data, fixef_rm="none", separation="fe")
        relu = cw.fepois(fml, data, fixef_rm="none", separation="ir")
        both = cw.fepois(fml, data, fixef_rm="none", separation=["fe", "ir"])
        none = cw.fepois(fml, data, fixef_rm="none", separation=False)
    assert fe_only.n_separated == 0 and none.n_separated == 0
    assert relu.n_separated == truth == both.n_separated
    pd.testing.assert_series_equal(relu.coef, both.coef)


def test_fe_check_alone_drops_all_zero_groups():
    data = _poisson_panel()
    data.loc[data["unit"] == 5, "y"] = 0
    with pytest.warns(cw.ChipwarWarning, match="8 observation"):
        fit = cw.fepois("y ~ x | unit + year", data, separation="fe")
    assert fit.n_separated == 8
    reference = cw.fepois("y ~ x | unit + year", data[data["unit"] != 5], separation=False)
    assert fit.coef["x"] == pytest.approx(reference.coef["x"], rel=1e-10)


@pytest.mark.parametrize("bad", ["relu", ["fe", "simplex"], 3])
def test_bad_separation_value(bad):
    with pytest.raises(cw.ChipwarError, match="separation="):
        cw.fepois("y ~ x | unit", _poisson_panel(), separation=bad)
