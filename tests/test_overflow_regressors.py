"""Regressors so large that their squares overflow (issue 21): x * 1e200 was dropped as "absorbed by the fixed
effects" or "collinear", or gave all-NaN coefficients without a warning. Such a column is refused, naming it and the
power of ten to divide it by; below the limit a scaled regressor gives exactly the rescaled fit (coefficient and
standard error times the scale).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import chipwar as cw


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 200
    d = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n), "fe": rng.integers(0, 5, n)})
    d["w"] = d["z"] + rng.normal(size=n)
    d["y"] = 1 + 0.5 * d["x"] + 0.3 * d["z"] + rng.normal(size=n)
    d["count"] = rng.poisson(np.exp(0.3 * d["x"] + 0.2 * d["z"]))
    return d


FITS = [
    ("feols", "y ~ x + z"),
    ("feols", "y ~ x + z | fe"),
    ("fepois", "count ~ x + z"),
    ("fepois", "count ~ x + z | fe"),
]


@pytest.mark.parametrize(("estimator", "fml"), FITS)
def test_overflowing_regressor_is_refused_naming_it_and_the_rescaling(data, estimator, fml):
    big = data.assign(x=data["x"] * 1e200)
    with pytest.raises(cw.ChipwarError, match=r"regressor 'x' has values up to 2.4e\+200.*divide it by 1e200"):
        getattr(cw, estimator)(fml, big)
    one_value = data.assign(x=data["x"].where(data.index != 7, 1e308))
    with pytest.raises(cw.ChipwarError, match=r"regressor 'x' has values up to 1e\+308.*divide it by 1e308"):
        getattr(cw, estimator)(fml, one_value)


def test_huge_weights_are_blamed_on_the_weights(data):
    message = r"the weights \(summing to 2e\+304\) .* regressor '\(Intercept\)' .*divide the weights by a constant"
    with pytest.raises(cw.ChipwarError, match=message):
        cw.feols("y ~ x + z", data.assign(w=1e302), weights="w")


def test_overflowing_endogenous_regressor_or_instrument_is_refused(data):
    with pytest.raises(cw.ChipwarError, match=r"endogenous regressor 'x' has values up to .*e\+200"):
        cw.feols("y ~ z | fe | x ~ w", data.assign(x=data["x"] * 1e200))
    with pytest.raises(cw.ChipwarError, match=r"instrument 'w' has values up to .*e\+200"):
        cw.feols("y ~ z | fe | x ~ w", data.assign(w=data["w"] * 1e200))


@pytest.mark.parametrize(("estimator", "fml"), FITS)
@pytest.mark.parametrize("scale", [1e-100, 1e100, 1e140])
def test_large_but_representable_regressor_equals_the_rescaled_fit(data, estimator, fml, scale):
    fit = getattr(cw, estimator)
    base = fit(fml, data, vcov="hetero")
    scaled = fit(fml, data.assign(x=data["x"] * scale), vcov="hetero")
    assert list(scaled.coef.index) == list(base.coef.index)
    assert scaled.coef["x"] * scale == pytest.approx(base.coef["x"], rel=1e-10)
    assert scaled.se["x"] * scale == pytest.approx(base.se["x"], rel=1e-10)
    assert scaled.coef["z"] == pytest.approx(base.coef["z"], rel=1e-10)


@pytest.mark.parametrize(("estimator", "fml"), FITS)
def test_following_the_advice_recovers_the_fit(data, estimator, fml):
    fit = getattr(cw, estimator)
    big = data.assign(x=data["x"] * 1e200)
    with pytest.raises(cw.ChipwarError) as err:
        fit(fml, big)
    power = int(str(err.value).split("divide it by 1e")[1].split(",")[0])
    rescaled = fit(fml, big.assign(x=big["x"] / 10.0**power))
    base = fit(fml, data)
    np.testing.assert_allclose(rescaled.coef.to_numpy(), base.coef.to_numpy(), rtol=1e-10)
