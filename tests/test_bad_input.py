"""A catalogue of bad input over every public estimator and reader: each case must raise ChipwarError (not a numpy,
pandas or boost exception, and not a silent NaN / inf / zero standard error), naming the user's column or option
and saying how to fix it. The per-estimator files (test_feols_bad_input.py, test_did_attgt_input.py, ...) keep
their own cases; this one covers the classes of issue 21: time columns, clusters, numeric options, the scale of
outcomes, constant outcomes, empty options and damaged files.
"""

from __future__ import annotations

import gzip
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from _baci_text import BACI
from _patentsview_tables import TABLES, write_tables
from did_sim import staggered_panel

import chipwar as cw
from chipwar import _core


@dataclass(frozen=True)
class Case:
    """``call(data)`` must raise ChipwarError whose message contains every phrase of ``says`` (regular expressions:
    the user's column or option, and the fix)."""

    id: str
    call: Callable
    says: tuple[str, ...]


def did_panel() -> pd.DataFrame:
    p = staggered_panel(n_units=40, periods=range(2010, 2018), cohorts=(2013, 2015, 0), seed=1)
    rng = np.random.default_rng(0)
    return p.assign(x=rng.normal(size=len(p)), one="a", region=p.unit % 4)


def sc_panel() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    units = [f"u{i}" for i in range(8)]
    p = pd.DataFrame([(u, t) for u in units for t in range(1990, 2006)], columns=["state", "year"])
    p["y"] = rng.normal(size=len(p)) + 0.1 * (p.year - 1990) + np.repeat(rng.normal(size=8), 16)
    p["d"] = ((p.state == "u0") & (p.year >= 2000)).astype(float)
    return p


def hac_panel() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    p = pd.DataFrame({"firm": np.repeat(np.arange(30), 20), "t": np.tile(np.arange(1, 21), 30)})
    p["x"] = rng.normal(size=len(p))
    p["y"] = p.x + rng.normal(size=len(p))
    return p.assign(ts=p.t.astype(str))


def mixed_time(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Every other period written as text: a column of Python objects mixing str and int."""
    out = frame.astype({column: object})
    rows = out.index % 2 == 0
    out.loc[rows, column] = out.loc[rows, column].map(lambda v: str(int(v)))
    return out


DID = {"outcome": "y", "unit": "unit", "time": "time", "cohort": "cohort"}
SC = {"outcome": "y", "unit": "state", "time": "year"}
REGRESSION_DID = {"sun_abraham": cw.sun_abraham, "did_imputation": cw.did_imputation, "did2s": cw.did2s,
                  "etwfe": cw.etwfe}
STAGGERED = {**REGRESSION_DID, "att_gt": cw.att_gt}
BIG = 1e200
RESCALE = r"rescale it"
TWO_CLUSTERS = r"cluster column 'one' has 1 cluster.*at least two clusters: cluster by a finer column"
NAN_CLUSTER = r"cluster column 'region' has missing values in 1 row.*fill them or drop those rows"


def _with_nan(frame: pd.DataFrame, column: str, row: int = 3) -> pd.DataFrame:
    out = frame.copy()
    out[column] = out[column].astype(float)
    out.loc[row, column] = np.nan
    return out


def _did_cases() -> list[Case]:
    cases = []
    for name, estimator in STAGGERED.items():
        cases += [
            Case(f"{name}-one-cluster", lambda d, f=estimator: f(d, **DID, cluster="one"), (TWO_CLUSTERS,)),
            Case(f"{name}-nan-cluster", lambda d, f=estimator: f(_with_nan(d, "region"), **DID, cluster="region"),
                 (NAN_CLUSTER,)),
            Case(f"{name}-outcome-1e200", lambda d, f=estimator: f(d.assign(y=d.y * BIG), **DID),
                 (r"outcome 'y' has values up to \d\.\d+e\+200", RESCALE)),
            Case(f"{name}-outcome-1e308", lambda d, f=estimator: f(d.assign(y=d.y.where(d.index != 5, 1e308)), **DID),
                 (r"outcome 'y' has values up to 1e\+308", RESCALE)),
            Case(f"{name}-text-time", lambda d, f=estimator: f(d.assign(time=d.time.astype(int).astype(str)), **DID),
                 (r"time column 'time' is not numeric", r"'10' would sort before '2'", r"pd\.to_numeric")),
            Case(f"{name}-mixed-time", lambda d, f=estimator: f(mixed_time(d, "time"), **DID),
                 (r"time column 'time' mixes text and numbers", r"pd\.to_numeric")),
        ]
    for name, estimator in REGRESSION_DID.items():
        # fixest refuses a constant dependent variable; the effects' .table used to raise boost's ValueError
        cases.append(Case(f"{name}-constant-outcome", lambda d, f=estimator: f(d.assign(y=1.0), **DID).table,
                          (r"outcome 'y' is constant", r"check that the right column is passed")))
    cases += [
        Case("etwfe-poisson-negative-outcome", lambda d: cw.etwfe(d, **DID, family="poisson"),
             (r"outcome 'y' has negative values", r"family='gaussian'")),
        Case("att_gt-anticipation-too-large", lambda d: cw.att_gt(d, **DID, anticipation=10),
             (r"anticipation=10 leaves no cohort of 'cohort' with an untreated period", r"lower anticipation")),
        Case("att_gt-text-outcome", lambda d: cw.att_gt(d.assign(y="a"), **DID),
             (r"outcome 'y' is not numeric", r"pd\.to_numeric")),
        Case("bacon-outcome-1e200", lambda d: cw.bacon(d.assign(y=d.y * BIG), "y", "unit", "time", "treated"),
             (r"outcome 'y' has values up to", RESCALE)),
        Case("bacon-text-time", lambda d: cw.bacon(d.assign(time=d.time.astype(int).astype(str)), "y", "unit", "time",
                                                   "treated"), (r"time column 'time' is not numeric",)),
        Case("honest_did-empty-grid",
             lambda d: cw.honest_did(cw.att_gt(d, **DID, base_period="universal").aggregate("dynamic"), grid=[]),
             (r"grid is empty", r"grid=\[0, 0\.5, 1\]")),
        Case("honest_did-text-grid",
             lambda d: cw.honest_did(cw.att_gt(d, **DID, base_period="universal").aggregate("dynamic"), grid=["a"]),
             (r"grid must be a sequence of numbers",)),
    ]
    return cases


def _sc_cases() -> list[Case]:
    cases = []
    for name, estimator in {"synth": cw.synth, "augsynth": cw.augsynth}.items():
        cases += [
            Case(f"{name}-text-treatment-time", lambda d, f=estimator: f(d, **SC, treated_unit="u0",
                                                                          treatment_time="2000"),
                 (r"treatment_time='2000' is not a number, but 'year' holds numbers", r"treatment_time=2000")),
            Case(f"{name}-fractional-treatment-time", lambda d, f=estimator: f(d, **SC, treated_unit="u0",
                                                                                treatment_time=1999.5),
                 (r"treatment_time=1999\.5 is not a whole number", r"treatment_time=1999 or 2000")),
            Case(f"{name}-mixed-time", lambda d, f=estimator: f(mixed_time(d, "year"), **SC, treated_unit="u0",
                                                                 treatment_time=2000),
                 (r"time column 'year' mixes text and numbers", r"pd\.to_numeric")),
            Case(f"{name}-text-time", lambda d, f=estimator: f(d.assign(year=d.year.astype(str)), **SC,
                                                                treated_unit="u0", treatment_time="2000"),
                 (r"time column 'year' is not numeric", r"'10' would sort before '2'")),
            Case(f"{name}-outcome-1e200", lambda d, f=estimator: f(d.assign(y=d.y * BIG), **SC, treated_unit="u0",
                                                                    treatment_time=2000),
                 (r"outcome 'y' has values up to", RESCALE)),
        ]
    cases += [
        Case("synth-empty-window", lambda d: cw.synth(d, **SC, treated_unit="u0", treatment_time=2000,
                                                      optimize_window=[]),
             (r"optimize_window is empty", r"range\(1990, 2000\)")),
        Case("synth-infinite-v", lambda d: cw.synth(d, **SC, treated_unit="u0", treatment_time=2000,
                                                    predictors=[("y", [1995], "mean"), ("y", [1996], "mean")],
                                                    v=[np.inf, 1.0]),
             (r"v must have 2 finite, non-negative entries",)),
        Case("synth-text-v", lambda d: cw.synth(d, **SC, treated_unit="u0", treatment_time=2000,
                                                predictors=[("y", [1995], "mean"), ("y", [1996], "mean")],
                                                v=["a", "b"]),
             (r"v must have 2 finite, non-negative entries",)),
        Case("augsynth-infinite-ridge", lambda d: cw.augsynth(d, **SC, treated_unit="u0", treatment_time=2000,
                                                              ridge=np.inf),
             (r"ridge must be positive and finite",)),
        Case("augsynth-nan-ridge", lambda d: cw.augsynth(d, **SC, treated_unit="u0", treatment_time=2000,
                                                         ridge=np.nan),
             (r"ridge must be positive and finite",)),
        Case("augsynth-constant-outcome", lambda d: cw.augsynth(d.assign(y=1.0), **SC, treated_unit="u0",
                                                                treatment_time=2000),
             (r"outcome 'y' is constant",)),
        Case("augsynth-boolean-outcome", lambda d: cw.augsynth(d.assign(y=d.d > 0), **SC, treated_unit="u0",
                                                               treatment_time=2000),
             (r"every donor has the same pre-period values of 'y'", r"add or choose other donors")),
        Case("augsynth-one-donor", lambda d: cw.augsynth(d, **SC, treated_unit="u0", treatment_time=2000,
                                                         donors=["u1"]),
             (r"only 1 donor unit\(s\) in column 'state'", r"add untreated units")),
        Case("sdid-nan-treated", lambda d: cw.sdid(_with_nan(d, "d"), **SC, treated="d"),
             (r"treatment column 'd' has missing values in 1 row", r"fill them or drop those units")),
        Case("sdid-mixed-time", lambda d: cw.sdid(mixed_time(d, "year"), **SC, treated="d"),
             (r"time column 'year' mixes text and numbers",)),
        Case("sdid-outcome-1e308", lambda d: cw.sdid(d.assign(y=d.y.where(d.index != 5, 1e308)), **SC, treated="d"),
             (r"outcome 'y' has values up to 1e\+308", RESCALE)),
        Case("sdid-duplicate-rows", lambda d: cw.sdid(pd.concat([d, d.head(1)]), **SC, treated="d"),
             (r"duplicate \(state, year\) rows", r"keep one row per unit and period")),
    ]
    return cases


def _regression_cases() -> list[Case]:
    # fepois on a non-negative outcome, so that each case fails for its own reason
    fits = {"feols": cw.feols, "fepois": lambda fml, d, **kw: cw.fepois(fml, d.assign(y=d.y.abs()), **kw)}
    cases = []
    for name, fit in fits.items():
        cases += [
            Case(f"{name}-negative-fixef_tol", lambda d, f=fit: f("y ~ x | unit", d, fixef_tol=-1),
                 (r"fixef_tol must be a number between 0 and 1", r"1e-8")),
            Case(f"{name}-nan-collin_tol", lambda d, f=fit: f("y ~ x | unit", d, collin_tol=np.nan),
                 (r"collin_tol must be a number between 0 and 1",)),
            Case(f"{name}-zero-fixef_maxiter", lambda d, f=fit: f("y ~ x | unit", d, fixef_maxiter=0),
                 (r"fixef_maxiter must be a positive integer",)),
            Case(f"{name}-one-cluster", lambda d, f=fit: f("y ~ x", d, vcov={"CRV1": "one"}), (TWO_CLUSTERS,)),
            Case(f"{name}-outcome-1e308", lambda d, f=fit: f("y ~ x", d.assign(y=d.y.abs().where(d.index != 5, 1e308))),
                 (r"outcome 'y' has values up to 1e\+308", RESCALE)),
            Case(f"{name}-text-outcome-no-C-hint", lambda d, f=fit: f("one ~ x", d),
                 (r"outcome 'one' is not numeric", r"pd\.to_numeric\(data\['one'\]\)$")),
        ]
    cases += [
        Case("fepois-tol-one", lambda d: cw.fepois("y ~ x", d.assign(y=d.y.abs()), tol=1.0),
             (r"tol must be a number between 0 and 1",)),
        Case("fepois-maxiter-float", lambda d: cw.fepois("y ~ x", d.assign(y=d.y.abs()), maxiter=2.5),
             (r"maxiter must be a positive integer",)),
        Case("feols-crv3-one-cluster", lambda d: cw.feols("y ~ x", d, vcov={"CRV3": "one"}), (TWO_CLUSTERS,)),
        Case("feols-multiway-one-cluster", lambda d: cw.feols("y ~ x", d, vcov={"CRV1": "unit + one"}),
             (TWO_CLUSTERS,)),
        Case("feols-multiway-outcome-1e200", lambda d: cw.feols("y ~ x", d.assign(y=d.y * BIG),
                                                                vcov={"CRV1": "unit + time"}),
             (r"outcome 'y' has values up to", RESCALE)),
        Case("feols-iv-outcome-1e200", lambda d: cw.feols("y ~ 1 | unit | x ~ region", d.assign(y=d.y * BIG)),
             (r"outcome 'y' has values up to", RESCALE)),
        Case("feols-newey-west-text-time", lambda d: cw.feols("y ~ x", hac_panel(),
                                                              vcov={"NW": 2, "time": "ts", "panel": "firm"}),
             (r"time column 'ts' is not numeric", r"'10' would sort before '2'", r"pd\.to_numeric")),
        Case("feols-driscoll-kraay-text-time", lambda d: cw.feols("y ~ x", hac_panel(), vcov={"DK": 2, "time": "ts"}),
             (r"time column 'ts' is not numeric",)),
        Case("feols-newey-west-mixed-time", lambda d: cw.feols("y ~ x", mixed_time(hac_panel(), "t"),
                                                               vcov={"NW": 1, "time": "t", "panel": "firm"}),
             (r"time column 't' mixes text and numbers",)),
        Case("feols-text-weights-no-C-hint", lambda d: cw.feols("y ~ x", d, weights="one"),
             (r"weights 'one' is not numeric", r"pd\.to_numeric\(data\['one'\]\)$")),
    ]
    return cases


def _common_cases() -> list[Case]:
    """The classes every panel estimator shares (missing and duplicate columns, infinite outcomes, duplicate
    unit-period rows, missing units), for the estimators whose own test files do not already cover them."""
    estimators = {
        "sun_abraham": (cw.sun_abraham, DID, "unit"), "did2s": (cw.did2s, DID, "unit"),
        "etwfe": (cw.etwfe, DID, "unit"),
        "bacon": (cw.bacon, {"outcome": "y", "unit": "unit", "time": "time", "treated": "treated"}, "unit"),
        "synth": (cw.synth, {**SC, "treated_unit": "u0", "treatment_time": 2000}, "state"),
        "sdid": (cw.sdid, {**SC, "treated": "d"}, "state"),
        "augsynth": (cw.augsynth, {**SC, "treated_unit": "u0", "treatment_time": 2000}, "state"),
    }
    cases = []
    for name, (f, keywords, unit) in estimators.items():
        cases += [
            Case(f"{name}-missing-column", lambda d, f=f, k=keywords: f(d, **{**k, "outcome": "nope"}),
                 (r"'nope' not found in the data", r"available columns")),
            Case(f"{name}-duplicate-column", lambda d, f=f, k=keywords: f(pd.concat([d, d[["y"]]], axis=1), **k),
                 (r"duplicate column names \['y'\]", r"rename them")),
            Case(f"{name}-infinite-outcome", lambda d, f=f, k=keywords: f(d.assign(y=d.y.where(d.index != 4, np.inf)),
                                                                          **k),
                 (r"outcome 'y' contains infinite values", r"replace them")),
            Case(f"{name}-duplicate-rows", lambda d, f=f, k=keywords: f(pd.concat([d, d.head(1)], ignore_index=True),
                                                                        **k),
                 (rf"{unit}", r"one row per unit and period")),
        ]
        if name != "bacon":  # bacon reports the gap the dropped row leaves (a balanced panel is needed)
            cases.append(Case(f"{name}-missing-unit",
                              lambda d, f=f, k=keywords, u=unit: f(d.assign(**{u: d[u].where(d.index != 4, None)}), **k),
                              (rf"column '{unit}' has missing values",)))
    cases.append(Case("sun_abraham-single-cohort-no-controls",
                      lambda d: cw.sun_abraham(d[d.cohort == 2013], **DID),
                      (r"cohort column 'cohort' has a single cohort and no never-treated units",)))
    return cases


CASES = _did_cases() + _sc_cases() + _regression_cases() + _common_cases()


def _data_for(case: Case) -> pd.DataFrame:
    return sc_panel() if case.id.split("-")[0] in ("synth", "augsynth", "sdid") else did_panel()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_raises_chipwar_error_naming_column_and_fix(case):
    data = _data_for(case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cw.ChipwarWarning)  # rows dropped on the way are not the point here
        with pytest.raises(cw.ChipwarError) as raised:
            case.call(data)
    message = str(raised.value)
    assert "_cw_" not in message, message  # never a working column name
    for phrase in case.says:
        assert re.search(phrase, message), f"{phrase!r} not in {message!r}"


# ---- the time validator gives the same answers where the column's order is right

def test_dates_order_newey_west_and_driscoll_kraay_as_the_integer_periods():
    data = hac_panel()
    dates = data.assign(td=pd.to_datetime(data.t.astype(str).str.zfill(2) + "-01-2000", format="%d-%m-%Y"))
    for vcov in ({"NW": 2, "panel": "firm"}, {"DK": 2}):
        by_int = cw.feols("y ~ x", data, vcov={**vcov, "time": "t"}).se["x"]
        by_date = cw.feols("y ~ x", dates, vcov={**vcov, "time": "td"}).se["x"]
        assert by_date == pytest.approx(by_int, rel=1e-12)
        # and the lexicographic order, which the text column had, gives a different number (the defect)
        lexicographic = data.assign(tl=pd.factorize(data.ts, sort=True)[0])
        assert cw.feols("y ~ x", lexicographic, vcov={**vcov, "time": "tl"}).se["x"] != pytest.approx(by_int, rel=1e-3)


def test_non_ascii_column_names_need_no_backticks():
    data = did_panel()
    ascii_fit = cw.feols("y ~ x | unit", data)
    fit = cw.feols("y ~ größe | région", data.rename(columns={"x": "größe"}).assign(région=data.unit))
    assert list(fit.coef.index) == ["größe"]
    assert fit.coef["größe"] == pytest.approx(ascii_fit.coef["x"], rel=1e-12)
    assert fit.se["größe"] == pytest.approx(ascii_fit.se["x"], rel=1e-12)


def test_cluster_at_the_unit_level_still_works_with_two_clusters():
    data = did_panel()
    two = data.assign(half=(data.unit < 20).astype(int))
    for estimator in STAGGERED.values():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", cw.ChipwarWarning)
            result = estimator(two, **DID, cluster="half")
        se = result.aggregate("simple").se if hasattr(result, "aggregate") else result.se
        assert np.isfinite(se) and se > 0


def test_outcomes_below_the_scale_limit_scale_exactly():
    """1e90 is accepted (below the limit) and its estimates are the unscaled ones times 1e90: the limit refuses
    only what overflows."""
    data = did_panel()
    fit = cw.feols("y ~ x | unit", data)
    scaled = cw.feols("y ~ x | unit", data.assign(y=data.y * 1e90))
    assert scaled.coef["x"] == pytest.approx(fit.coef["x"] * 1e90, rel=1e-10)
    assert scaled.se["x"] == pytest.approx(fit.se["x"] * 1e90, rel=1e-10)
    sa, sa_scaled = (cw.sun_abraham(d, **DID) for d in (data, data.assign(y=data.y * 1e90)))
    assert sa_scaled.att == pytest.approx(sa.att * 1e90, rel=1e-9)
    assert sa_scaled.se == pytest.approx(sa.se * 1e90, rel=1e-9)


# ---- the distributions of the C++ core take NaN (an undefined statistic) without raising

def test_distribution_functions_return_nan_for_nan():
    assert np.isnan(_core.normal_cdf(np.nan))
    assert np.isnan(_core.chi2_sf(np.nan, 3.0))
    assert np.isnan(_core.f_sf(np.nan, 2.0, 10.0))
    assert np.isnan(_core.t_pvalue(np.nan, 10.0))
    assert _core.normal_cdf(0.0) == pytest.approx(0.5, abs=1e-15)
    assert _core.chi2_sf(0.0, 3.0) == 1.0


# ---- readers: damaged compressed files, short rows, values out of range

COMTRADE_HEADER = ("refYear,period,reporterISO,reporterDesc,partnerISO,partnerDesc,flowCode,flowDesc,cmdCode,freqCode,"
                   "classificationCode,primaryValue,fobvalue,cifvalue,netWgt,qty")
COMTRADE_ROW = '"2020","2020","CHN","China","W00","World","X","Export","8542","A","H5","100.5","100.5",,"1",,\r\n'
FABS = ("Company,Plant name,Plant location,Plant cost (US$ bn),Started production,Wafer size (mm),"
        "Process technology node (nm),Production capacity (wafers/month),Technology / products\n"
        + 'TSMC,Fab 18,"Tainan, Taiwan",17,2020,300,"5, 3","120,000",Foundry\n' * 400)
NCSES = "table_id,row_id,time_period,value\n" + "".join(f"1,r{i},World,{i}\n" for i in range(3000))


@pytest.mark.parametrize("reader", [cw.io.read_baci, cw.io.read_comtrade, cw.io.read_fabs, cw.io.read_ncses],
                         ids=["read_baci", "read_comtrade", "read_fabs", "read_ncses"])
def test_readers_name_a_missing_file(tmp_path, reader):
    with pytest.raises(cw.ChipwarError, match=r"nothere\.csv: no such .* file; check the path"):
        reader(tmp_path / "nothere.csv")


def _truncated_gz(path, text: str, encoding: str = "utf-8") -> None:
    data = gzip.compress(text.encode(encoding))
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    "reader, name, text",
    [
        (cw.io.read_baci, "BACI_HS17_Y2021.csv.gz", BACI + "2021,156,842,854231,1.5,2.5\n" * 2000),
        (cw.io.read_comtrade, "comtrade.csv.gz", COMTRADE_HEADER + "\r\n" + COMTRADE_ROW * 2000),
        (cw.io.read_fabs, "fabs.csv.gz", FABS),
        (cw.io.read_ncses, "data.csv.gz", NCSES),
    ],
    ids=["read_baci", "read_comtrade", "read_fabs", "read_ncses"],
)
def test_truncated_gzip_names_the_file_and_the_fix(tmp_path, reader, name, text):
    path = tmp_path / name
    _truncated_gz(path, text, "latin-1" if "comtrade" in name else "utf-8")
    with pytest.raises(cw.ChipwarError, match=rf"{name.replace('.', r'[.]')}: the compressed file is truncated or "
                                              r"corrupt.*download it again"):
        reader(path)


def test_baci_value_beyond_float64_is_not_quoted_as_inf(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BACI + "2021,156,842,854231,1e400,1\n")
    with pytest.raises(cw.ChipwarError, match=r"bad\.csv, line 6, column 'v': the value is infinite or beyond the "
                                              r"range of float64") as raised:
        cw.io.read_baci(path)
    assert "'inf'" not in str(raised.value)


@pytest.mark.parametrize("column, row", [("v", "2021,156,842,854231,-3.5,1"), ("q", "2021,156,842,854231,3.5,-1")])
def test_baci_negative_trade_is_refused_naming_file_line_and_column(tmp_path, column, row):
    path = tmp_path / "bad.csv"
    path.write_text(BACI + row + "\n")
    with pytest.raises(cw.ChipwarError, match=rf"bad\.csv, line 6, column '{column}': -\d\.?\d* is negative.*>= 0"):
        cw.io.read_baci(path)


@pytest.mark.parametrize("zipped", [False, True], ids=["tsv", "zip"])
def test_patentsview_row_with_fewer_fields_names_file_and_line(tmp_path, zipped):
    tables = dict(TABLES)
    header, rows = TABLES["g_cpc_current"]
    tables["g_cpc_current"] = (header, [*rows[:2], ["P2", "1", "H"], *rows[2:]])  # 3 of 7 fields, on line 4
    directory = write_tables(tmp_path, zipped=zipped, tables=tables)
    with pytest.raises(cw.ChipwarError, match=r"g_cpc_current\.tsv(\.zip)?, line 4: malformed row \(fewer fields "
                                              r"than the header\); every line .* must have the 7 fields"):
        cw.io.read_patentsview(directory)


def test_short_row_check_ignores_separators_inside_quotes_and_blank_last_fields(tmp_path):
    """A quoted field holding the separator, and empty trailing fields (present but blank), are whole rows."""
    path = tmp_path / "BACI_ok.csv"
    path.write_text('t,i,j,k,v,q\n2021,156,842,"854231",1.5,\n2021,156,842,854231,"2.5",3\n')
    table = cw.io.read_baci(path)
    assert table["value_usd"].tolist() == [1500.0, 2500.0]
    assert np.isnan(table["quantity"].iloc[0])


def test_categorical_periods_order_as_numbers():
    data = sc_panel()
    plain = cw.augsynth(data, **SC, treated_unit="u0", treatment_time=2000, ridge=1.0)
    categorical = cw.augsynth(data.assign(year=data.year.astype("category")), **SC, treated_unit="u0",
                              treatment_time=2000, ridge=1.0)
    assert categorical.att == pytest.approx(plain.att, rel=1e-12)
