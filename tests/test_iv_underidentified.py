"""Under-identified IV (issue 21): a constant instrument, or one equal to an included regressor or absorbed by the
fixed effects, was dropped from the first stage with a "collinear"/"absorbed" warning and the second stage then
dropped an exogenous regressor instead of the endogenous one, returning 2.67 for a true 0.5. Such models raise,
naming the instruments and the endogenous regressors; so do instruments that pass the count (order condition) but
move two endogenous regressors alike (rank condition). Collinear endogenous regressors themselves are dropped as in
OLS (tests/test_iv_strength.py).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import chipwar as cw


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 300
    d = pd.DataFrame({"w": rng.normal(size=n), "z": rng.normal(size=n), "z2": rng.normal(size=n),
                      "fe": rng.integers(0, 5, n)})
    v = rng.normal(size=n)
    d["x"] = d["z"] + 0.5 * d["w"] + v
    d["y"] = 0.5 * d["x"] + d["w"] + v + rng.normal(size=n)
    d["const"] = 1.0
    d["same_as_w"] = d["w"]
    d["fe_value"] = d["fe"] * 1.5
    return d


def _fit(fml: str, d: pd.DataFrame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cw.ChipwarWarning)  # the first stage reports the instrument it removed
        return cw.feols(fml, d)


@pytest.mark.parametrize(
    ("fml", "instrument", "reason"),
    [
        ("y ~ w | x ~ const", "const", "collinear with the included regressors"),
        ("y ~ w | fe | x ~ const", "const", "absorbed by the fixed effects"),
        ("y ~ w | x ~ same_as_w", "same_as_w", "collinear with the included regressors"),
        ("y ~ w | fe | x ~ same_as_w", "same_as_w", "collinear with the included regressors"),
        ("y ~ w | fe | x ~ fe_value", "fe_value", "absorbed by the fixed effects"),
    ],
)
def test_unusable_instrument_is_refused_as_under_identified(data, fml, instrument, reason):
    with pytest.raises(cw.ChipwarError, match="under-identified") as err:
        _fit(fml, data)
    message = str(err.value)
    assert f"'{instrument}' is {reason}" in message
    assert "('x')" in message and "add instruments" in message


def test_one_usable_instrument_for_two_endogenous_is_refused(data):
    d = data.assign(x2=data["x"] + data["z2"])
    with pytest.raises(cw.ChipwarError, match=r"2 endogenous regressor\(s\) \('x', 'x2'\) but only 1 usable"):
        _fit("y ~ w | x + x2 ~ z + same_as_w", d)


def test_instruments_moving_two_endogenous_alike_fail_the_rank_condition(data):
    # x2 = x + e with e orthogonal to every instrument and regressor: both first stages have the same fitted values
    rng = np.random.default_rng(5)
    z = np.column_stack([np.ones(len(data)), data[["w", "z", "z2"]].to_numpy()])
    noise = rng.normal(size=len(data))
    e = noise - z @ np.linalg.lstsq(z, noise, rcond=None)[0]
    d = data.assign(x2=data["x"] + e)
    with pytest.raises(cw.ChipwarError, match=r"under-identified.*'z', 'z2'.*'x', 'x2'.*'fit_x2'.*collinear"):
        _fit("y ~ w | x + x2 ~ z + z2", d)


def test_identified_model_is_unaffected(data):
    fit = cw.feols("y ~ w | x ~ z", data)
    assert fit.coef["fit_x"] == pytest.approx(0.5, abs=0.15)
