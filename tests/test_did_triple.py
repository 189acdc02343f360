"""Triple differences through the regression interface: exports of (country, product, year) where the export
control hits China x controlled technology x post. The design's pair, country-year and product-year fixed effects
absorb every two-way confounder, so only the triple interaction identifies the effect.

Example (the documented usage)::

    fit = cw.feols("y ~ china:controlled:post | country^product + country^year + product^year", data,
                   vcov={"CRV1": "country^product"})
    fit.coef["china:controlled:post"]
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import chipwar as cw

FML = "y ~ china:controlled:post | country^product + country^year + product^year"


def export_panel(n_countries=6, n_products=20, years=range(2015, 2025), effect=-0.4, noise=0.3, seed=0):
    """Log exports with country-year, product-year and pair shocks, China's controlled products hit from 2019."""
    rng = np.random.default_rng(seed)
    c, p, t = np.meshgrid(np.arange(n_countries), np.arange(n_products), np.array(years), indexing="ij")
    c, p, t = c.ravel(), p.ravel(), t.ravel()
    ty = t - min(years)
    china = (c == 0).astype(float)
    controlled = (p < n_products // 2).astype(float)
    post = (t >= 2019).astype(float)
    pair = rng.normal(size=(n_countries, n_products))[c, p]
    country_year = rng.normal(size=(n_countries, len(years)))[c, ty]
    product_year = rng.normal(size=(n_products, len(years)))[p, ty]
    # China's exports grow faster, controlled products shrink everywhere after 2019: two-way confounders only
    y = pair + country_year + product_year + 0.1 * china * ty - 0.3 * controlled * post
    y = y + effect * china * controlled * post + rng.normal(scale=noise, size=c.size)
    return pd.DataFrame({"country": c, "product": p, "year": t, "china": china, "controlled": controlled,
                         "post": post, "y": y})


def test_triple_difference_recovers_the_known_effect():
    d = export_panel(n_products=100, seed=1)
    fit = cw.feols(FML, d, vcov={"CRV1": "country^product"})
    b, se = fit.coef["china:controlled:post"], fit.se["china:controlled:post"]
    assert abs(b - (-0.4)) < 4 * se and se < 0.08
    # a double difference on China's products alone is confounded by the control's global effect on products
    dd = cw.feols("y ~ controlled:post | product + year", d[d.china == 1], vcov={"CRV1": "product"})
    assert abs(dd.coef["controlled:post"] - (-0.4)) > 0.2


def test_equals_triple_difference_of_cell_means():
    d = export_panel(n_countries=4, n_products=6, seed=2)
    fit = cw.feols(FML, d)
    m = d.groupby(["china", "controlled", "post"])["y"].mean()

    def dd(china):
        return (m[china, 1, 1] - m[china, 1, 0]) - (m[china, 0, 1] - m[china, 0, 0])

    assert fit.coef["china:controlled:post"] == pytest.approx(dd(1) - dd(0), rel=1e-8)


def test_matches_statsmodels_with_dummies():
    d = export_panel(n_countries=3, n_products=4, years=range(2016, 2022), seed=3)
    d["ccp"] = d.china * d.controlled * d.post
    d["pair"] = d.country.astype(str) + "_" + d["product"].astype(str)
    d["cy"] = d.country.astype(str) + "_" + d.year.astype(str)
    d["py"] = d["product"].astype(str) + "_" + d.year.astype(str)
    with warnings.catch_warnings():  # statsmodels notes the (expected) collinearity of the three dummy sets
        warnings.simplefilter("ignore")
        sm = smf.ols("y ~ ccp + C(pair) + C(cy) + C(py)", d).fit()
    fit = cw.feols(FML, d)
    assert fit.coef["china:controlled:post"] == pytest.approx(sm.params["ccp"], rel=1e-8)
    # iid SEs differ only in the residual degrees of freedom: statsmodels uses the design's rank, fixest (and
    # chipwar) count all groups of the first fixed effect and groups - 1 of each further one
    n, rank = len(d), np.linalg.matrix_rank(sm.model.exog)
    k_fixest = 1 + d.pair.nunique() + d.cy.nunique() - 1 + d.py.nunique() - 1
    assert fit.se["china:controlled:post"] ** 2 * (n - k_fixest) == pytest.approx(sm.bse["ccp"] ** 2 * (n - rank), rel=1e-7)
