"""Bad input to feols raises ChipwarError naming the column (or a documented warning), never a crash."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import chipwar as cw
from chipwar.model.formula import parse_formula


@pytest.fixture
def df():
    rng = np.random.default_rng(0)
    n = 60
    return pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "x": rng.normal(size=n),
            "g": np.repeat(np.arange(12), 5),
            "t": np.tile(np.arange(5), 12),
            "name": np.repeat([f"u{i}" for i in range(12)], 5),
        }
    )


def test_missing_column(df):
    with pytest.raises(cw.ChipwarError, match="'nope' not found"):
        cw.feols("y ~ x + nope", df)
    with pytest.raises(cw.ChipwarError, match="'G'.*did you mean 'g'"):
        cw.feols("y ~ x | G", df)


def test_non_numeric_regressor_names_column_and_fix(df):
    with pytest.raises(cw.ChipwarError, match=r"regressor 'name' is not numeric.*C\(name\)"):
        cw.feols("y ~ x + name", df)


def test_all_nan_column(df):
    with pytest.raises(cw.ChipwarError, match="regressor 'x' is missing"):
        cw.feols("y ~ x", df.assign(x=np.nan))
    with pytest.raises(cw.ChipwarError, match="outcome 'y' is missing"):
        cw.feols("y ~ x", df.assign(y=np.nan))


def test_regressor_absorbed_by_fixed_effects(df):
    data = df.assign(z=df.g * 2.0)
    with pytest.warns(cw.ChipwarWarning, match=r"z \(absorbed by the fixed effects\)"):
        fit = cw.feols("y ~ x + z | g", data)
    assert list(fit.coef.index) == ["x"]
    assert fit.dropped_terms == ["z (absorbed by the fixed effects)"]
    with pytest.warns(cw.ChipwarWarning), pytest.raises(cw.ChipwarError, match="every regressor was removed"):
        cw.feols("y ~ z | g", data)


def test_collinear_regressor_is_dropped(df):
    with pytest.warns(cw.ChipwarWarning, match=r"x2 \(collinear\)"):
        fit = cw.feols("y ~ x + x2", df.assign(x2=df.x * 3 + 1))
    assert list(fit.coef.index) == ["(Intercept)", "x"]


def test_single_observation(df):
    with pytest.raises(cw.ChipwarError, match="degrees of freedom"):
        cw.feols("y ~ x", df.head(1))


def test_duplicate_column_names(df):
    dup = pd.concat([df[["y", "x"]], df[["x"]]], axis=1)
    with pytest.raises(cw.ChipwarError, match=r"duplicate column names \['x'\]"):
        cw.feols("y ~ x", dup)


def test_infinite_values(df):
    with pytest.raises(cw.ChipwarError, match="regressor 'x' contains infinite values"):
        cw.feols("y ~ x", df.assign(x=df.x.where(df.index != 3, np.inf)))
    with pytest.raises(cw.ChipwarError, match="outcome 'y' contains infinite values"):
        cw.feols("y ~ x", df.assign(y=df.y.where(df.index != 3, -np.inf)))


def test_bad_weights_and_vcov(df):
    with pytest.raises(cw.ChipwarError, match="weights column 'x' has negative values"):
        cw.feols("y ~ t", df, weights="x")
    with pytest.raises(cw.ChipwarError, match="vcov='hc7' is not known"):
        cw.feols("y ~ x", df, vcov="hc7")
    with pytest.raises(cw.ChipwarError, match="'cl' not found"):
        cw.feols("y ~ x", df, vcov={"CRV1": "cl"})
    with pytest.raises(cw.ChipwarError, match="at least two clusters"):
        cw.feols("y ~ x", df.assign(one=1), vcov={"CRV1": "one"})


@pytest.mark.parametrize(
    "text, message",
    [
        ("y x", "must be a string like"),
        ("y ~ x + (z", "unbalanced parentheses"),
        ("y ~ x + foo(z)", "unsupported term 'foo\\(z\\)'"),
        ("y ~ x +", "empty term"),
        ("y ~ x | g | d ~ 0 | more", "at most three parts"),
        ("y ~ 1 | d1 + d2 ~ z", "2 endogenous regressor\\(s\\) but only 1 instrument"),
        ("y ~ i(t, ref=2018, bin=3)", "does not take the argument 'bin'"),
    ],
)
def test_formula_errors(text, message):
    with pytest.raises(cw.ChipwarError, match=message):
        parse_formula(text)


def test_formula_parts():
    f = parse_formula("y ~ x1 + log(x2) + x1:x3 + C(cat) + i(year, d, ref=2018) | fe1 + a^b | endo ~ z1 + z2")
    assert f.lhs == ("y",)
    assert [t.text for t in f.rhs] == ["x1", "log(x2)", "x1:x3", "C(cat)", "i(year, d, ref=2018)"]
    assert f.fixef == (("fe1",), ("a", "b"))
    assert [t.text for t in f.endog] == ["endo"] and [t.text for t in f.instruments] == ["z1", "z2"]
    assert not f.intercept
    assert parse_formula("y ~ 0 + x").intercept is False
    assert parse_formula("y ~ x").intercept is True
    assert set(f.columns()) == {"y", "x1", "x2", "x3", "cat", "year", "d", "fe1", "a", "b", "endo", "z1", "z2"}


def test_unknown_i_reference(df):
    with pytest.raises(cw.ChipwarError, match=r"ref value\(s\) \['1999'\] are not values of column 't'"):
        cw.feols("y ~ i(t, x, ref=1999) | g", df)


def test_cpp_errors_arrive_as_chipwar_error():
    from chipwar import _core

    codes = np.asfortranarray(np.array([[0], [5]], dtype=np.int32))
    with pytest.raises(cw.ChipwarError, match="outside 0..1"):
        _core.demean(np.asfortranarray(np.ones((2, 1))), codes, [2])
    with pytest.raises(cw.ChipwarError, match="at least 1"):
        _core.set_num_threads(0)
