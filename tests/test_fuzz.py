"""Property-based fuzzing of the estimators (issue 21) on odd but plausible frames.

Every test draws a frame with hypothesis -- missing values, constant columns, duplicated rows, few units or
clusters, extreme but finite scales, integer / float / string / categorical ids -- and asserts three properties:

1. the estimator raises nothing but ``ChipwarError`` and warns nothing but ``ChipwarWarning`` (no raw numpy or
   pandas warning reaches the caller);
2. a non-finite estimate or standard error never comes back silently (only with a ``ChipwarWarning``);
3. where the estimator does not depend on row order, the same frame with its rows permuted gives the same
   estimates and standard errors (to 1e-10 relative).

The examples are derandomised (the ``chipwar-ci`` profile of ``tests/conftest.py``), so CI runs the same cases every
time; ``--hypothesis-profile=chipwar-sanitize`` runs a quarter of them (``scripts/sanitize.sh``).
The strategies reach the defect classes listed in issue 21 (comments name the items), which are fixed.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import chipwar as cw

# relative agreement of a refit on permuted rows; the floor scales with the largest number of the same kind
RTOL = 1e-10
# a standard error below sqrt(eps) * 10 times the outcome's spread is zero up to rounding (did's threshold)
ZERO_SE = np.sqrt(np.finfo(float).eps) * 10


def examples(n: int) -> int:
    """``n`` examples under the ``chipwar-ci`` profile (max_examples 100), scaled with the loaded profile."""
    return max(2, n * settings().max_examples // 100)


# ---------------------------------------------------------------- the three properties


@dataclass
class Outcome:
    """What one call returned: the numbers to check (name -> array), or None after a ChipwarError; ``exact`` when
    the model fits the outcome exactly (its standard errors are rounding noise, which no row order fixes)."""

    numbers: dict[str, np.ndarray] | None
    warned: bool
    exact: bool = False
    repaired: bool = False  # a multiway variance with its negative eigenvalues zeroed (see coefficients)


Extract = Callable[[object], dict[str, object]]


def call(fit: Callable[[], object], extract: Extract) -> Outcome:
    """Run ``fit``; a ChipwarError is an accepted answer, any other exception fails the example (property 1)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fit()
        except cw.ChipwarError:
            return Outcome(None, True)
        numbers = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in extract(result).items()}
    foreign = [f"{w.category.__name__}: {w.message}" for w in caught if not issubclass(w.category, cw.ChipwarWarning)]
    assert not foreign, f"warnings that are not chipwar's reach the caller: {foreign}"
    warned = bool(caught)
    exact = numbers.pop("exact_fit", np.zeros(1)).all()
    repaired = numbers.pop("repaired_vcov", np.zeros(1)).all()
    return Outcome(numbers, warned, bool(exact), bool(repaired))


def assert_finite_or_warned(out: Outcome) -> None:
    """Property 2: non-finite numbers only with a ChipwarWarning."""
    if out.numbers is None or out.warned:
        return
    for name, values in out.numbers.items():
        assert np.isfinite(values).all(), f"{name} = {values} is not finite and no ChipwarWarning was issued"


def assert_same(first: Outcome, second: Outcome, se_floor: float) -> None:
    """Property 3: the refit on permuted rows agrees (same errors, same numbers to RTOL).

    Standard errors (names ending in "se") also agree below a floor: a variance that is zero in exact arithmetic
    (clusters whose scores cancel) comes out as rounding noise of order eps * scale**2, its square root as
    sqrt(eps) * scale. The scale is the outcome's spread (``se_floor``), or for regressions each coefficient's
    heteroskedasticity-robust SE (``se_scale``), which is in the coefficient's units.
    """
    assert (first.numbers is None) == (second.numbers is None), "only one row order raised ChipwarError"
    if first.numbers is None or first.exact or second.exact:
        return
    scale = first.numbers.pop("se_scale", None)
    second.numbers.pop("se_scale", None)
    assert first.numbers.keys() == second.numbers.keys()
    for name, a in first.numbers.items():
        b = second.numbers[name]
        assert a.shape == b.shape, f"{name}: shapes {a.shape} and {b.shape} differ between row orders"
        assert (np.isfinite(a) == np.isfinite(b)).all(), f"{name}: {a} and {b} differ between row orders"
        if name.endswith("se") and (first.repaired or second.repaired):
            continue
        finite = np.isfinite(a)
        tol = np.full(a.shape, RTOL * max(np.abs(a[finite]).max(initial=0.0), np.abs(b[finite]).max(initial=0.0)))
        if name.endswith("se"):
            tol = np.maximum(tol, se_floor if scale is None else ZERO_SE * np.nan_to_num(scale))
        bad = finite & ~(np.abs(a - b) <= tol)
        assert not bad.any(), f"{name} depends on row order: {a[bad]} and {b[bad]} (tolerance {tol[bad]})"


def check(fit: Callable[[pd.DataFrame], object], extract: Callable[[object], dict[str, object]], frame: pd.DataFrame,
          order: np.ndarray, outcome: str = "y") -> None:
    """The three properties for ``fit`` on ``frame`` and on its rows in ``order``.

    A constant outcome is checked for the first two only: its slopes are zero up to rounding, and rounding noise
    (relative to nothing) is not a dependence on row order.
    """
    first = call(lambda: fit(frame), extract)
    assert_finite_or_warned(first)
    if frame[outcome].nunique() > 1:
        second = call(lambda: fit(frame.iloc[order].reset_index(drop=True)), extract)
        assert_finite_or_warned(second)
        assert_same(first, second, se_floor=ZERO_SE * float(np.nanstd(frame[outcome])))


# ---------------------------------------------------------------- frames

ID_KINDS = ("int", "sparse_int", "float", "str", "category")


def id_labels(kind: str, n: int) -> pd.Series:
    """``n`` distinct labels of ``kind``: strings like "10" and "2" sort differently as text and as numbers."""
    if kind == "int":
        return pd.Series(np.arange(n, dtype=np.int64))
    if kind == "sparse_int":
        return pd.Series(-(10**12) + 7919 * np.arange(n, dtype=np.int64))
    if kind == "float":
        return pd.Series(np.arange(n) + 0.5)
    labels = [str(2 + 8 * i) for i in range(n)]
    if kind == "str":
        return pd.Series(labels, dtype=object)
    # a categorical with an unused level and its levels in neither numeric nor text order
    return pd.Series(pd.Categorical(labels, categories=["unused", *reversed(labels)]))


def ids_for(kind: str, codes: np.ndarray) -> pd.Series:
    """The labels of ``kind`` for integer codes (one label per distinct code)."""
    labels = id_labels(kind, int(codes.max()) + 1)
    out = labels.iloc[codes].reset_index(drop=True)
    return out


scales = st.sampled_from([1e-12, 1e-6, 1.0, 1e6, 1e12])


def rare(draw) -> bool:
    """True in about one example in six (hypothesis favours the bounds of a range, so not ``integers(0, 5) == 0``)."""
    return draw(st.integers(0, 5)) == 3


@st.composite
def regression_frames(draw, poisson: bool = False) -> pd.DataFrame:
    """A cross section or panel for feols / fepois: y, x1, x2, an instrument z, two fixed effects g and h, a cluster
    column cl and weights w, with missing values, constant or collinear regressors and duplicated rows drawn in."""
    n = draw(st.integers(4, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_g = draw(st.integers(1, max(1, n // 2)))
    g = rng.integers(0, n_g, n)
    h = rng.integers(0, draw(st.integers(1, 4)), n)
    cl = rng.integers(0, draw(st.integers(1, 5)), n)
    x1 = rng.normal(size=n) * draw(scales)
    x2 = rng.normal(size=n)
    z = x2 + rng.normal(size=n)
    shape = draw(st.sampled_from(["plain", "constant_x2", "collinear_x2", "integer_x2"]))
    if shape == "constant_x2":
        x2 = np.full(n, 3.0)
    elif shape == "collinear_x2":
        x2 = 2.0 * x1 - 1.0
    elif shape == "integer_x2":
        x2 = rng.integers(0, 3, n).astype(np.int64)
    index = 0.3 * x1 / max(np.abs(x1).max(), 1e-300) + 0.2 * x2 / max(np.abs(x2).max(), 1e-300) + 0.1 * g
    if poisson:
        y = rng.poisson(np.exp(index)) * draw(st.sampled_from([1e-6, 1.0, 1e6]))
        if draw(st.booleans()):
            y = np.where(g == 0, 0.0, y)  # an all-zero fixed-effect group: separation
    else:
        scale = draw(scales)
        # a large location over a small spread rounds to a constant (covered by the constant case below)
        y = (index + rng.normal(size=n)) * scale + draw(st.sampled_from([0.0, 1e3] if scale >= 1 else [0.0]))
    if draw(st.booleans()):
        y = np.full(n, float(y[0]))
    # t numbers the rows of each g (a panel for Newey-West; duplicated rows repeat periods, an error there)
    t = 2000 + pd.Series(g).groupby(g).cumcount().to_numpy()
    frame = pd.DataFrame({"y": y, "x1": x1, "x2": x2, "z": z, "w": rng.uniform(0.1, 3.0, n), "t": t})
    frame["g"] = ids_for(draw(st.sampled_from(ID_KINDS)), g)
    frame["h"] = ids_for(draw(st.sampled_from(ID_KINDS)), h)
    frame["cl"] = ids_for(draw(st.sampled_from(ID_KINDS)), cl)
    for column in draw(st.lists(st.sampled_from(["y", "x1", "x2", "w", "g"]), max_size=3)):
        frame.loc[int(rng.integers(0, n)), column] = np.nan if column != "g" else None
    duplicated = draw(st.integers(0, 3))
    if duplicated:
        frame = pd.concat([frame, frame.iloc[:duplicated]], ignore_index=True)
    return frame


def permutations_of(frame_strategy):
    """A frame and a permutation of its rows."""
    return frame_strategy.flatmap(lambda f: st.tuples(st.just(f), st.permutations(range(len(f))).map(np.array)))


# ---------------------------------------------------------------- regressions


def coefficients(fit) -> dict[str, object]:
    """Coefficients and SEs; flags an exact fit, and a multiway variance repaired as fixest does (negative
    eigenvalues zeroed): with near-degenerate eigenvalues the repaired matrix depends on how rounding -- hence the
    row order -- splits their eigenvectors, so its SEs are compared only when nothing was repaired."""
    fitted = np.asarray(fit.fitted, dtype=float)
    exact = np.abs(fit.resid).max() <= 1e-9 * np.abs(fitted).max() if fitted.size else True
    vcov = fit.vcov.to_numpy()
    repaired = " & " in str(fit.vcov_type) and vcov.size > 0 and np.isfinite(vcov).all() and (
        np.linalg.eigvalsh(vcov).min() <= 1e-12 * np.abs(vcov).max())
    hetero = fit.with_vcov("hetero").se if fitted.size > len(fit.coef) else fit.se
    return {"coef": fit.coef, "se": fit.se, "se_scale": hetero, "exact_fit": exact, "repaired_vcov": repaired}


OLS_FORMULAS = ["y ~ x1 + x2", "y ~ x1 | g", "y ~ x1 + x2 | g + h", "y ~ x1 + C(h) | g", "y ~ x1:x2 + x2 | g^h"]
# CRV3 on few clusters meets nearly singular leave-one-cluster-out designs (issue 21 item 2, fixed)
OLS_VCOVS = ["iid", "hetero", {"CRV1": "cl"}, {"CRV1": "g"}, {"CRV1": "cl + h"}, {"CRV3": "g"},
             {"NW": 1, "time": "t", "panel": "g"}, {"DK": 1, "time": "t"}]


@settings(max_examples=examples(240))
@given(permutations_of(regression_frames()), st.sampled_from(OLS_FORMULAS), st.sampled_from(OLS_VCOVS),
       st.sampled_from([None, "w"]))
def test_feols(case, fml, vcov, weights):
    frame, order = case
    check(lambda d: cw.feols(fml, d, vcov=vcov, weights=weights), coefficients, frame, order)


@settings(max_examples=examples(120))
@given(permutations_of(regression_frames(poisson=True)), st.sampled_from(["y ~ x1 + x2", "y ~ x1 | g", "y ~ x1 + x2 | g + h"]),
       st.sampled_from(["iid", "hetero", {"CRV1": "cl"}, {"CRV3": "g"}]))
def test_fepois(case, fml, vcov):
    frame, order = case
    check(lambda d: cw.fepois(fml, d, vcov=vcov), coefficients, frame, order)


@settings(max_examples=examples(120))
@given(permutations_of(regression_frames()), st.sampled_from(["y ~ 1 | x1 ~ z", "y ~ x2 | g | x1 ~ z", "y ~ x2 | x1 ~ z + w"]),
       st.sampled_from(["iid", "hetero", {"CRV1": "cl"}, {"CRV3": "g"}]))
def test_iv(case, fml, vcov):
    frame, order = case
    check(lambda d: cw.feols(fml, d, vcov=vcov), coefficients, frame, order)


# ---------------------------------------------------------------- staggered adoption


@st.composite
def staggered_panels(draw) -> pd.DataFrame:
    """A long panel (unit, time, cohort, y, cluster cl, unit weight w) with an effect of 1 from the cohort on."""
    n_units = draw(st.integers(2, 9))
    n_periods = draw(st.integers(2, 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    periods = 2000 + np.arange(n_periods)
    # never treated (0 or NaN), treated in the panel, from its first period on, or after its last period (whose
    # event times all lie before -1, sun_abraham's default ref: issue 21 item 1, fixed)
    choices = [0.0, np.nan, *periods[1:].astype(float), float(periods[0]), float(periods[-1] + 3)]
    cohorts = np.array(draw(st.lists(st.sampled_from(choices), min_size=n_units, max_size=n_units)))
    unit = np.repeat(np.arange(n_units), n_periods)
    time = np.tile(periods, n_units)
    cohort = cohorts[unit]
    treated = np.nan_to_num(cohort, nan=0.0)
    treated = (treated > 0) & (time >= treated)
    scale = draw(scales)
    y = (rng.normal(size=n_units)[unit] + 0.3 * (time - 2000) + treated + 0.5 * rng.normal(size=len(unit))) * scale
    if draw(st.booleans()):  # .table of a constant outcome raised boost's ValueError (issue 21 item 8, fixed)
        y = np.full(len(unit), 2.5 * scale)
    n_clusters = draw(st.integers(1, 4))  # a single cluster: issue 21 item 6 (fixed)
    frame = pd.DataFrame({
        "unit": ids_for(draw(st.sampled_from(ID_KINDS)), unit),
        "time": time.astype(draw(st.sampled_from([np.int64, np.int32, np.float64]))),
        "cohort": cohort,
        "y": y,
        "cl": (unit % n_clusters).astype(np.int64),
        "w": rng.uniform(0.5, 2.0, n_units)[unit],
    })
    for row in draw(st.lists(st.integers(0, len(frame) - 1), max_size=2)):
        frame.loc[row, "y"] = np.nan
    dropped = draw(st.lists(st.integers(0, len(frame) - 1), max_size=2, unique=True))
    frame = frame.drop(index=dropped).reset_index(drop=True)
    if rare(draw):  # a duplicated unit-period row: an error, never a silent answer
        frame = pd.concat([frame, frame.iloc[:1]], ignore_index=True)
    return frame


def event_study_numbers(res) -> dict[str, object]:
    return {"att": res.att, "se": res.se, "estimate": res.table["estimate"], "table_se": res.table["se"]}


def att_gt_numbers(res) -> dict[str, object]:
    simple = res.aggregate("simple")
    return {"att": res.table["att"], "se": res.table["se"], "simple": simple.att, "simple_se": simple.se}


@settings(max_examples=examples(160))
@given(permutations_of(staggered_panels()), st.sampled_from(["never", "notyet"]), st.sampled_from(["dr", "ipw", "reg"]),
       st.sampled_from([None, "cl"]), st.sampled_from([None, "w"]), st.booleans())
def test_att_gt(case, control, method, cluster, weights, unbalanced_ok):
    frame, order = case
    check(lambda d: cw.att_gt(d, outcome="y", unit="unit", time="time", cohort="cohort", control=control,
                              method=method, cluster=cluster, weights=weights, allow_unbalanced_panel=unbalanced_ok),
          att_gt_numbers, frame, order)




@settings(max_examples=examples(120))
@given(permutations_of(staggered_panels()), st.sampled_from([None, "cl"]), st.sampled_from([None, "w"]))
def test_sun_abraham(case, cluster, weights):
    frame, order = case
    check(lambda d: cw.sun_abraham(d, outcome="y", unit="unit", time="time", cohort="cohort", cluster=cluster,
                                   weights=weights), event_study_numbers, frame, order)


@settings(max_examples=examples(120))
@given(permutations_of(staggered_panels()), st.sampled_from([None, "cl"]), st.sampled_from([None, "w"]),
       st.booleans())
def test_did_imputation(case, cluster, weights, two_stage):
    frame, order = case
    estimator = cw.did2s if two_stage else cw.did_imputation
    check(lambda d: estimator(d, outcome="y", unit="unit", time="time", cohort="cohort", cluster=cluster,
                              weights=weights), event_study_numbers, frame, order)


# ---------------------------------------------------------------- synthetic control


@st.composite
def adoption_panels(draw) -> tuple[pd.DataFrame, object, object]:
    """A balanced panel with a common adoption period: (frame, first treated unit's label, adoption period).
    ``treated`` is 1 for the treated units from the adoption period on."""
    n_units = draw(st.integers(3, 9))
    n_periods = draw(st.integers(3, 8))
    n_treated = draw(st.integers(1, n_units - 2))  # two donors at least (fewer: one ChipwarError, drawn rarely)
    if rare(draw):
        n_treated = n_units - 1
    adoption = 1 if rare(draw) else draw(st.integers(2, n_periods - 1))  # sdid needs two pre-periods
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    unit = np.repeat(np.arange(n_units), n_periods)
    period = np.tile(np.arange(n_periods), n_units)
    treated = ((unit < n_treated) & (period >= adoption)).astype(np.int64)
    scale = draw(scales)
    y = (rng.normal(size=n_units)[unit] + rng.normal(size=n_periods)[period] + 2.0 * treated
         + 0.3 * rng.normal(size=len(unit))) * scale
    if rare(draw):
        y = np.full(len(unit), 4.0 * scale)
    time_dtype = draw(st.sampled_from([np.int64, np.float64]))
    labels = ids_for(draw(st.sampled_from(ID_KINDS)), unit)
    frame = pd.DataFrame({"unit": labels, "time": (1990 + period).astype(time_dtype), "y": y, "treated": treated})
    if rare(draw):
        frame.loc[int(rng.integers(0, len(frame))), "y"] = np.nan
    if rare(draw):
        frame = pd.concat([frame, frame.iloc[-1:]], ignore_index=True)
    return frame, labels.iloc[0], time_dtype(1990 + adoption)


def sdid_numbers(est) -> dict[str, object]:
    return {"estimate": est.estimate, "se": est.se}


@settings(max_examples=examples(100))
@given(adoption_panels().flatmap(lambda c: st.tuples(st.just(c), st.permutations(range(len(c[0]))).map(np.array))),
       st.sampled_from(["sdid", "sc", "did"]), st.sampled_from(["placebo", "bootstrap", "jackknife"]))
def test_sdid(case, estimator, se):
    (frame, _, _), order = case
    check(lambda d: cw.sdid(d, outcome="y", unit="unit", time="time", treated="treated", estimator=estimator,
                            se=se, reps=20, seed=5), sdid_numbers, frame, order)


def synth_numbers(sc) -> dict[str, object]:
    return {"att": sc.att, "pre_rmspe": sc.pre_rmspe, "weights": sc.weights.sort_index(), "gap": sc.path["gap"]}


@settings(max_examples=examples(80))
@given(adoption_panels().flatmap(lambda c: st.tuples(st.just(c), st.permutations(range(len(c[0]))).map(np.array))))
def test_synth(case):
    (frame, treated_unit, adoption), order = case
    check(lambda d: cw.synth(d, outcome="y", unit="unit", time="time", treated_unit=treated_unit,
                             treatment_time=adoption), synth_numbers, frame, order)
