"""etable, coefplot and iplot: the produced tables and plotted numbers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import chipwar as cw  # noqa: E402


@pytest.fixture(scope="module")
def fits(shared):
    data = pd.read_csv(shared("reference", "panel", "Cigar.csv"))
    a = cw.feols("Sales ~ Price | State", data, vcov={"CRV1": "State"})
    b = cw.feols("Sales ~ Price + NDI | State + Year", data)
    c = cw.fepois("Sales ~ log(Price) | State", data.assign(Sales=data["Sales"].round()))
    return a, b, c


def test_etable_frame_holds_the_numbers(fits):
    a, b, c = fits
    t = cw.etable([a, b, c], type="df")
    assert list(t.columns) == ["(1)", "(2)", "(3)"]
    assert t.loc["Price", "(1)"] == f"{a.coef['Price']:.4g}***"
    assert t.loc["Price (s.e.)", "(1)"] == f"({a.se['Price']:.4g})"
    assert t.loc["Price", "(3)"] == ""
    assert t.loc["log(Price)", "(3)"] == f"{c.coef['log(Price)']:.4g}***"
    assert t.loc["Fixed effect: Year"].tolist() == ["", "Yes", ""]
    assert t.loc["S.E. type"].tolist() == ["Clustered (State)", "IID", "IID"]
    assert t.loc["Observations"].tolist() == ["1,380"] * 3
    assert t.loc["R2", "(2)"] == f"{b.r2:.4g}" and t.loc["R2", "(3)"] == ""
    assert t.loc["Pseudo R2", "(3)"] == f"{c.pseudo_r2:.4g}"


def test_etable_text_formats(fits):
    a, _, c = fits
    md = cw.etable([a, c])
    lines = md.splitlines()
    assert lines[0] == "| | (1) | (2) |" and lines[1] == "|---|---|---|"
    assert f"| Price | {a.coef['Price']:.4g}*** |  |" in lines
    assert f"|  | ({a.se['Price']:.4g}) |  |" in lines  # the SE row has no label
    tex = cw.etable(a, type="tex")
    assert tex.startswith("\\begin{tabular}{lc}") and "Price & " in tex and tex.endswith("\\end{tabular}")
    html = cw.etable([a, c], type="html")
    assert html.count("<tr>") == len(cw.etable([a, c], type="df")) + 1
    with pytest.raises(cw.ChipwarError, match="type must be one of"):
        cw.etable(a, type="xlsx")


def test_coefplot_draws_estimates_and_intervals(fits):
    a, b, _ = fits
    ax = cw.coefplot([a, b])
    lines = [child for child in ax.containers]
    assert len(lines) == 2
    y = lines[0].lines[0].get_ydata()
    np.testing.assert_allclose(y, a.coef.to_numpy())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Price", "NDI"]


def test_iplot_event_study():
    rng = np.random.default_rng(0)
    unit = np.repeat(np.arange(60), 8)
    year = np.tile(np.arange(2010, 2018), 60)
    treated = (unit < 30).astype(float)
    effect = np.where(year >= 2014, 1.0, 0.0) * treated
    data = pd.DataFrame({"y": effect + rng.normal(0, 0.1, unit.size) + unit * 0.01, "unit": unit, "year": year,
                         "treated": treated})
    fit = cw.feols("y ~ i(year, treated, ref=2013) | unit + year", data)
    ax = cw.iplot(fit)
    x = ax.containers[0].lines[0].get_xdata()
    y = ax.containers[0].lines[0].get_ydata()
    np.testing.assert_array_equal(x, np.arange(2010, 2018))
    assert y[3] == 0.0  # the reference year
    np.testing.assert_allclose(y[4:], 1.0, atol=0.1)  # the true effect after treatment
    np.testing.assert_allclose(y[:3], 0.0, atol=0.1)
    with pytest.raises(cw.ChipwarError, match="no i\\(\\) term"):
        cw.iplot(cw.feols("y ~ treated | year", data))
