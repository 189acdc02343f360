"""dtype="float32": the [y | x] buffer is stored in float32 (half the memory) while all arithmetic stays float64."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import chipwar as cw
from chipwar.model.design import build_design
from chipwar.model.formula import parse_formula

U = 2.0**-24  # unit roundoff of float32: storing a value changes it by at most U relative
FML = "y ~ x1 + x2 | f1 + f2"


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    n = 40_000
    df = pd.DataFrame({"f1": rng.integers(0, 20_000, n), "f2": rng.integers(0, 40, n)})  # f1 above the sort threshold
    df["x1"] = rng.normal(size=n) + 0.3 * np.sin(df.f1)
    df["x2"] = rng.normal(size=n) ** 2
    df["y"] = 1.5 * df.x1 - 0.4 * df.x2 + rng.normal(size=20_000)[df.f1] + rng.normal(size=n)
    df["count"] = rng.poisson(np.exp(0.3 * df.x1 - 0.2 * df.x2))
    return df


def rounded(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return df.assign(**{c: df[c].astype(np.float32).astype(np.float64) for c in columns})


def test_design_buffer_halves(data):
    f64 = build_design(parse_formula(FML), data, fixef_rm="none")
    f32 = build_design(parse_formula(FML), data, fixef_rm="none", dtype="float32")
    assert f32.yx.dtype == np.float32 and f32.x.dtype == np.float32
    assert f32.yx.nbytes * 2 == f64.yx.nbytes


def test_float32_storage_is_float64_arithmetic_on_rounded_values(data):
    # the only difference float32 storage makes is the rounding of the stored values
    f32 = cw.feols(FML, data, vcov={"CRV1": "f1"}, fixef_rm="none", dtype="float32")
    ref = cw.feols(FML, rounded(data, ["y", "x1", "x2"]), vcov={"CRV1": "f1"}, fixef_rm="none")
    np.testing.assert_allclose(f32.coef, ref.coef, rtol=1e-12)
    np.testing.assert_allclose(f32.se, ref.se, rtol=1e-12)


def test_float32_matches_float64_within_the_rounding_bound(data):
    f64 = cw.feols(FML, data, fixef_rm="none")
    f32 = cw.feols(FML, data, fixef_rm="none", dtype="float32")
    # Storing y and X perturbs them by dy, dX with |dy| <= U|y|, |dX| <= U|X| entrywise. Demeaning and the residual
    # maker are orthogonal projections (norm 1), so with demeaned regressors Xt (smallest singular value s_min,
    # largest s_max) the coefficient change is, to first order, |db| <= E / s_min with E = U (|y| + |X|_F |b|).
    # se_j^2 = s^2 [(Xt'Xt)^-1]_jj: s^2 moves by at most 2 E / |e| relative, the diagonal by at most
    # 2 U |X|_F s_max / s_min^2 * (s_max / s_min)^2; the standard error by half their sum.
    d = build_design(parse_formula(FML), data, fixef_rm="none")
    xt = f64._core.extra["x_demeaned"]
    sv = np.linalg.svd(xt, compute_uv=False)
    b = f64.coef.to_numpy()
    e_norm = np.linalg.norm(f64._core.resid)
    big_e = U * (np.linalg.norm(d.y) + np.linalg.norm(d.x) * np.linalg.norm(b))
    coef_bound = big_e / sv[-1]
    se_bound = big_e / e_norm + U * np.linalg.norm(d.x) * sv[0] ** 3 / sv[-1] ** 4
    assert np.abs(f32.coef.to_numpy() - b).max() <= 2 * coef_bound  # factor 2: second-order terms
    assert np.abs(f32.se.to_numpy() / f64.se.to_numpy() - 1).max() <= 2 * se_bound
    assert coef_bound < 1e-5  # the bound is informative: about 1e-7 relative on these data
    assert not np.array_equal(f32.coef.to_numpy(), b)  # float32 storage really took place


@pytest.mark.parametrize(("frame", "fml"), [("data", "count ~ x1 + x2 | f2"), ("counts", "count ~ x1 + x2 | f1 + f2")])
def test_fepois_float32_storage(request, frame, fml):
    # "counts" puts the rows in the demeaning's sorted working order (f1 has 20,000 groups)
    df = request.getfixturevalue(frame)
    f32 = cw.fepois(fml, df, dtype="float32")
    ref = cw.fepois(fml, rounded(df, ["x1", "x2"]))
    np.testing.assert_allclose(f32.coef, ref.coef, rtol=1e-10)
    np.testing.assert_allclose(f32.se, ref.se, rtol=1e-10)
    assert f32.coef["x1"] == pytest.approx(0.3, abs=0.03)  # simulated truth


@pytest.mark.parametrize("fit", [cw.feols, cw.fepois])
@pytest.mark.parametrize("bad", ["float16", "double", np.float32, None])
def test_bad_dtype_raises(data, fit, bad):
    with pytest.raises(cw.ChipwarError, match="dtype must be 'float64' or 'float32'"):
        fit("count ~ x1 | f2", data, dtype=bad)



@pytest.fixture(scope="module")
def counts():
    # 20,000 groups of f1 (above the sort threshold, so rows go into the demeaning's sorted working order), five
    # rows each, outcomes mostly positive: no singletons, no separation
    rng = np.random.default_rng(8)
    n = 100_000
    df = pd.DataFrame({"f1": np.arange(n) % 20_000, "f2": rng.integers(0, 40, n)})
    df["x1"] = rng.normal(size=n) + 0.3 * np.sin(df.f1)
    df["x2"] = rng.normal(size=n) ** 2
    df["count"] = rng.poisson(np.exp(2.0 + 0.3 * df.x1 - 0.2 * df.x2 + rng.normal(0, 0.3, 20_000)[df.f1]))
    return df


def test_fepois_float32_kernel_reads_float32_exactly(counts):
    # The float32 overload of the IRLS kernel converts each stored value to float64 exactly and then does the
    # same arithmetic as the float64 kernel on the converted values: identical bits.
    from chipwar import _core

    d = build_design(parse_formula("count ~ x1 + x2 | f1 + f2"), counts, dtype="float32")
    assert d.x.dtype == np.float32 and d.y.dtype == np.float32
    f32 = _core.fit_poisson(d.x, d.y, d.fe_codes, d.n_groups)
    f64 = _core.fit_poisson(np.asfortranarray(d.x, dtype=np.float64), d.y.astype(np.float64), d.fe_codes, d.n_groups)
    for key in ("coef", "bread", "eta", "mu", "x_demeaned"):
        assert np.array_equal(f32[key], f64[key]), key
    assert f32["converged"] and f32["iterations"] == f64["iterations"]

