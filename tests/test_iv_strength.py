"""Joint weak-instrument F statistics of 2SLS (Cragg-Donald, Kleibergen-Paap rk Wald F): published ivreg2 values,
the single-endogenous Wald F, a textbook Cragg-Donald, an independent rk implementation and linearmodels."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from linearmodels.iv.common import kleibergen_paap_f

import chipwar as cw

# FixedEffectModels.jl's dataset/Ftest.csv (github.com/FixedEffects/FixedEffectModels.jl, issue #150): two
# endogenous regressors, each instrumented by its own instrument within one of two groups
FTEST = """id,X1,X2,Z1,Z2,Y
1,0.6267661430572213,0.0,0.3926958405512311,0.0,1.4718803238847464
1,1.070267961053303,0.0,0.7600111011483996,0.0,2.481134786882455
1,1.2396399964004945,0.0,0.9235331573676804,0.0,2.861441726429744
1,0.8155371355271047,0.0,0.49081257708561066,0.0,1.7024281847845923
1,0.8854302878311572,0.0,0.6179374617475177,0.0,1.8597800985811714
1,0.8342386118008872,0.0,0.5561290255886562,0.0,1.7829458232379427
1,0.8317220504050142,0.0,0.7106061100650756,0.0,2.3831801938402926
1,1.3522506740907407,0.0,0.9026730388431992,0.0,2.8986778463875766
1,0.819778315030829,0.0,0.3221053229032633,0.0,1.0421739233166982
1,0.5627702520283105,0.0,0.3139807630198339,0.0,1.1119466723964109
2,0.0,1.3186562181088624,0.0,0.9433788919067305,3.048831670464759
2,0.0,0.7195187341429145,0.0,0.6630986955705465,2.163036501124449
2,0.0,0.7881057878284323,0.0,0.29866302008663514,0.9345125617373173
2,0.0,1.1582166227830843,0.0,0.7664347069712338,2.377552233133558
2,0.0,0.5938495477185608,0.0,0.18249291268618184,0.779872038394012
2,0.0,1.3475504976516746,0.0,0.8774389972524512,2.865161062580209
2,0.0,0.48231098887345913,0.0,0.06668467014348822,0.48953083375998435
2,0.0,0.5545386445160801,0.0,0.25034519102852615,0.8816106844386571
2,0.0,0.717749384307103,0.0,0.5291881219177967,1.8198545521724045
2,0.0,0.4813039959324702,0.0,0.0002150924657149389,0.2748138425702526
"""


@pytest.fixture(scope="module")
def cigar(shared):
    return pd.read_csv(shared("reference", "panel", "Cigar.csv"))


@pytest.mark.parametrize(
    ("fml", "published", "fem_dof"),
    [
        ("Sales ~ 1 | Price ~ Pimin", 23160.06350, 0),
        ("Sales ~ 0 | State | Price ~ Pimin", 37662.82808, 0),
        ("Sales ~ CPI | Price ~ Pimin", 2093.46609, 0),
        ("Sales ~ 1 | Price ~ Pimin + CPI", 16418.21196, 1),
    ],
)
def test_robust_kleibergen_paap_published(cigar, fml, published, fem_dof):
    # FixedEffectModels.jl's test suite, robust variance, "exactly same with ivreg2" (xtivreg2 for the FE). ivreg2
    # scales by N - L, L counting every first-stage regressor (``iv1_ct``); FixedEffectModels.jl by N minus the
    # second-stage regressors, which is one more observation here with two excluded instruments for one regressor
    fit = cw.feols(fml, cigar, vcov="hetero")
    n, k_first = fit.nobs, fit.first_stage["Price"].n_params
    ours = fit.weak_iv_f()["kleibergen_paap"]
    assert ours * (n - k_first + fem_dof) / (n - k_first) == pytest.approx(published, abs=1e-4)


def test_two_endogenous_published():
    # FixedEffectModels.jl: F_kp = 14.5348449357 with fe(id) and a robust variance
    data = pd.read_csv(io.StringIO(FTEST))
    fit = cw.feols("Y ~ 0 | id | X1 + X2 ~ Z1 + Z2", data, vcov="hetero")
    weak = fit.weak_iv_f()
    assert weak["kleibergen_paap"] == pytest.approx(14.5348449357, abs=1e-9)
    assert weak["n_instruments"] == 2


@pytest.mark.parametrize("vcov", ["iid", "hetero", {"CRV1": "State"}, {"CRV1": "State + Year"}, {"CRV3": "State"}])
@pytest.mark.parametrize("fml", ["Sales ~ NDI | State | Price ~ Pimin + CPI", "Sales ~ NDI | Price ~ Pimin"])
def test_one_endogenous_equals_first_stage_wald_f(cigar, vcov, fml):
    fit = cw.feols(fml, cigar, vcov=vcov)
    weak, first = fit.weak_iv_f(), fit.first_stage_f().iloc[0]
    assert weak["kleibergen_paap"] == pytest.approx(first["wald_F"], rel=1e-10)
    assert weak["cragg_donald"] == pytest.approx(first["F"], rel=1e-10)


def _partialled(data: pd.DataFrame, endog: list[str], instr: list[str], exog: list[str], fe: str | None):
    """Endogenous regressors and excluded instruments with the exogenous regressors and the fixed-effect dummies
    (or a constant) partialled out by least squares, and the number of first-stage regressors."""
    base = np.ones((len(data), 1)) if fe is None else pd.get_dummies(data[fe], dtype=float).to_numpy()
    exo = np.column_stack([base, data[exog].to_numpy(dtype=float)])

    def resid(cols):
        a = data[cols].to_numpy(dtype=float)
        return a - exo @ np.linalg.lstsq(exo, a, rcond=None)[0]

    return resid(endog), resid(instr), exo, exo.shape[1] + len(instr)


def _sqrtm(a: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh(a)
    return (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T


def _rk_wald(x: np.ndarray, z: np.ndarray, clusters: np.ndarray | None) -> float:
    """Kleibergen & Paap (2006) rk statistic, Wald form, as in Stata's ranktest: canonical-correlation
    normalisation by Cholesky factors, the A_qq / B_qq bases of the null spaces, HC0 / CRV0 meat."""
    n, m = x.shape
    l = z.shape[1]
    qzz, qxx, qzx = z.T @ z / n, x.T @ x / n, z.T @ x / n
    r_zz, r_xx = np.linalg.cholesky(qzz).T, np.linalg.cholesky(qxx).T
    pihat = np.linalg.solve(qzz, qzx)
    theta = r_zz @ pihat @ np.linalg.inv(r_xx)
    u, _, vt = np.linalg.svd(theta)
    v = vt.T
    kk = m - 1
    u22, v22 = u[kk:, kk:], v[kk:, kk:]
    a_q = u[:, kk:] @ np.linalg.inv(u22) @ _sqrtm(u22 @ u22.T)
    b_q = _sqrtm(v22 @ v22.T) @ np.linalg.inv(v22.T) @ v[:, kk:].T
    resid = x - z @ pihat
    scores = np.column_stack([resid[:, [j]] * z for j in range(m)])
    if clusters is not None:
        scores = pd.DataFrame(scores).groupby(clusters).sum().to_numpy()
    shat = scores.T @ scores / n
    transform = np.kron(np.linalg.inv(r_xx).T, np.linalg.inv(r_zz).T)
    select = np.kron(b_q, a_q.T)
    lam = select @ theta.ravel(order="F")
    v_lam = select @ transform @ shat @ transform.T @ select.T
    return float(n * lam @ np.linalg.solve(v_lam, lam))


@pytest.fixture(scope="module")
def two_endogenous():
    rng = np.random.default_rng(7)
    n, n_states, n_years = 1200, 40, 6
    state, year = rng.integers(0, n_states, n), rng.integers(0, n_years, n)
    z = rng.normal(size=(n, 3)) + rng.normal(size=(n_states, 3))[state]
    scale = 1 + np.abs(z[:, 0])  # heteroskedastic, clustered first-stage errors
    v = rng.normal(size=(n, 2)) * scale[:, None] + rng.normal(size=(n_states, 2))[state]
    x1 = 0.3 * z[:, 0] + 0.2 * z[:, 1] + v[:, 0] + 0.1 * year
    x2 = 0.25 * z[:, 1] - 0.2 * z[:, 2] + 0.5 * v[:, 1] + 0.3 * v[:, 0]
    w = rng.normal(size=n)
    y = x1 - x2 + 0.5 * w + v[:, 0] + rng.normal(size=n)
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "z1": z[:, 0], "z2": z[:, 1], "z3": z[:, 2], "w": w,
                         "state": state, "year": year})


def test_iid_is_cragg_donald_from_the_concentration_matrix(two_endogenous):
    data = two_endogenous
    fit = cw.feols("y ~ w | year | x1 + x2 ~ z1 + z2 + z3", data, vcov="iid")
    weak = fit.weak_iv_f()
    x, z, _, n_first = _partialled(data, ["x1", "x2"], ["z1", "z2", "z3"], ["w"], "year")
    n, l = len(data), 3
    pi = np.linalg.lstsq(z, x, rcond=None)[0]
    sigma = (x - z @ pi).T @ (x - z @ pi) / (n - n_first)
    root = np.linalg.inv(_sqrtm(sigma))
    concentration = root @ pi.T @ z.T @ z @ pi @ root  # Stock & Yogo (2005)
    expected = np.linalg.eigvalsh(concentration).min() / l
    assert weak["cragg_donald"] == pytest.approx(expected, rel=1e-9)
    assert weak["kleibergen_paap"] == pytest.approx(expected, rel=1e-9)
    # the robust statistic keeps the same Cragg-Donald
    assert fit.with_vcov("hetero").weak_iv_f()["cragg_donald"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("vcov", ["hetero", {"CRV1": "state"}])
@pytest.mark.parametrize(("fml_fe", "fe"), [("", None), ("| year ", "year")])
def test_two_endogenous_against_rk_from_the_paper(two_endogenous, vcov, fml_fe, fe):
    data = two_endogenous
    fit = cw.feols(f"y ~ w {fml_fe}| x1 + x2 ~ z1 + z2 + z3", data, vcov=vcov)
    x, z, exo, n_first = _partialled(data, ["x1", "x2"], ["z1", "z2", "z3"], ["w"], fe)
    n, l = len(data), 3
    clustered = isinstance(vcov, dict)
    rk = _rk_wald(x, z, data["state"].to_numpy() if clustered else None)
    if clustered:  # ivreg2: rk / (N - 1) * (N - L) * (M - 1) / M / l, M clusters (year is not nested in state)
        m = data["state"].nunique()
        expected = rk / (n - 1) * (n - n_first) * (m - 1) / m / l
    else:  # ivreg2: rk / N * (N - L) / l
        expected = rk / n * (n - n_first) / l
    assert fit.weak_iv_f()["kleibergen_paap"] == pytest.approx(expected, rel=1e-9)
    # linearmodels' implementation of ivreg2's widstat
    config = {"clusters": data["state"].to_numpy()} if clustered else None
    ref = kleibergen_paap_f(data[["x1", "x2"]].to_numpy(), data[["z1", "z2", "z3"]].to_numpy(), exo,
                            "clustered" if clustered else "robust", config)
    assert fit.weak_iv_f()["kleibergen_paap"] == pytest.approx(ref, rel=1e-9)


@pytest.mark.parametrize("vcov", ["iid", "hetero", {"CRV1": "state"}])
def test_weighted_against_linearmodels(two_endogenous, vcov):
    data = two_endogenous.assign(pop=np.random.default_rng(9).uniform(0.2, 3.0, len(two_endogenous)))
    fit = cw.feols("y ~ w | year | x1 + x2 ~ z1 + z2 + z3", data, vcov=vcov, weights="pop")
    root = np.sqrt(data["pop"].to_numpy())[:, None]  # linearmodels takes the arrays times sqrt(weights)
    exo = np.column_stack([pd.get_dummies(data["year"], dtype=float).to_numpy(), data["w"]]) * root
    args = (data[["x1", "x2"]].to_numpy() * root, data[["z1", "z2", "z3"]].to_numpy() * root, exo)
    if vcov == "iid":
        ref = kleibergen_paap_f(*args, "unadjusted")
    else:
        clustered = isinstance(vcov, dict)
        ref = kleibergen_paap_f(*args, "clustered" if clustered else "robust",
                                {"clusters": data["state"].to_numpy()} if clustered else None)
    assert fit.weak_iv_f()["kleibergen_paap"] == pytest.approx(ref, rel=1e-9)


def test_weak_instruments_are_flagged_and_strong_ones_are_not(two_endogenous):
    # x2 loads on the instruments only through x1: Pi has rank one, so the model is not identified although each
    # first stage alone is strong; the joint statistic (not the per-equation F) sees it
    data = two_endogenous.copy()
    data["x2"] = data["x1"] + 0.3 * np.random.default_rng(4).normal(size=len(data))
    fit = cw.feols("y ~ w | x1 + x2 ~ z1 + z2 + z3", data, vcov="hetero")
    assert (fit.first_stage_f()["wald_F"] > 10).all()
    assert fit.weak_iv_f()["kleibergen_paap"] < 10
    strong = cw.feols("y ~ w | x1 + x2 ~ z1 + z2 + z3", two_endogenous, vcov="hetero")
    assert strong.weak_iv_f()["kleibergen_paap"] > 10


def test_collinear_endogenous_regressors_give_nan(two_endogenous):
    data = two_endogenous.assign(x3=2.0 * two_endogenous["x1"])
    with pytest.warns(cw.ChipwarWarning, match="fit_x3"):
        fit = cw.feols("y ~ w | x1 + x3 ~ z1 + z2 + z3", data, vcov="hetero")
    weak = fit.weak_iv_f()
    assert np.isnan(weak["kleibergen_paap"]) and np.isnan(weak["cragg_donald"])
    assert "Kleibergen-Paap" in fit.summary()


def test_summary_reports_the_joint_statistics(two_endogenous):
    fit = cw.feols("y ~ w | x1 + x2 ~ z1 + z2 + z3", two_endogenous, vcov={"CRV1": "state"})
    assert "Kleibergen-Paap rk Wald F" in fit.summary()
