"""The TWFE event study through ``feols`` with ``i()``, and why ``sun_abraham`` exists.

Example (the documented usage): relative period ``rel`` (any value for never-treated units, whose ``ever`` is 0),
dummies for every relative period but -1, interacted with the ever-treated indicator::

    es = cw.feols("y ~ i(rel, ever, ref=-1) | unit + time", data, vcov={"CRV1": "unit"})
    es.coef["rel::0:ever"]     # the effect in the first treated period

With effects that are the same in every cohort this recovers the dynamic path; when cohorts differ, each coefficient
mixes in other periods' effects (Sun & Abraham 2021), which the interaction-weighted estimator removes.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.formula.api as smf
from did_sim import staggered_panel

import chipwar as cw

FML = "y ~ i(rel, ever, ref=-1) | unit + time"


def with_event_time(d):
    ever = (d.cohort > 0).astype(float)
    return d.assign(ever=ever, rel=np.where(ever == 1, d.time - d.cohort, 0.0))


def test_twfe_event_study_recovers_homogeneous_dynamic_effects():
    d = with_event_time(staggered_panel(n_units=1200, slope={2013: 0.3, 2015: 0.3, 2017: 0.3}, seed=21))
    es = cw.feols(FML, d, vcov={"CRV1": "unit"})
    for e in range(-7, 7):
        if e == -1:
            continue
        name = f"rel::{e}:ever"
        truth = 0.3 * (e + 1) if e >= 0 else 0.0
        assert abs(es.coef[name] - truth) < 4 * es.se[name], name


def test_matches_statsmodels_dummies():
    d = with_event_time(staggered_panel(n_units=60, periods=range(2010, 2016), cohorts=(2012, 2014, 0), seed=22))
    es = cw.feols(FML, d)
    dummies = {}
    for e in sorted(d.rel[d.ever == 1].unique()):
        if e != -1:
            key = f"e{int(e)}".replace("-", "m")
            d[key] = ((d.rel == e) & (d.ever == 1)).astype(float)
            dummies[key] = f"rel::{int(e)}:ever"
    sm = smf.ols("y ~ " + " + ".join(dummies) + " + C(unit) + C(time)", d).fit()
    for key, name in dummies.items():
        assert es.coef[name] == pytest.approx(sm.params[key], rel=1e-7, abs=1e-10)


def test_heterogeneous_cohorts_bias_twfe_but_not_sun_abraham():
    d = with_event_time(staggered_panel(n_units=1500, slope={2013: 0.8, 2015: 0.3, 2017: -0.2}, seed=23))
    es = cw.feols(FML, d, vcov={"CRV1": "unit"})
    sa = cw.sun_abraham(d, outcome="y", unit="unit", time="time", cohort="cohort").table.set_index("event_time")
    rel = d.time - d.cohort
    truth = d[d.ever == 1].groupby(rel[d.ever == 1])["effect"].mean()
    sa_z = ((sa["estimate"] - truth.reindex(sa.index)) / sa["se"]).abs()
    twfe_z = np.array([abs(es.coef[f"rel::{int(e)}:ever"] - truth[e]) / es.se[f"rel::{int(e)}:ever"] for e in sa.index])
    assert (sa_z < 4).all()
    assert twfe_z.max() > 8  # contamination from other cohorts' effects
