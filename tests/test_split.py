"""split= / fsplit=: one fit per group of a column (fixest's split/fsplit), equal to separate fits on the subsets;
and executor= for multiple estimations gives the local results bit for bit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import chipwar as cw
from _support import count_demeaning

FORMULA = "y1 + y2 ~ x1 + csw(x2, x3) | firm + year"
MODELS = [(y, rhs) for y in ("y1", "y2") for rhs in ("x1 + x2", "x1 + x2 + x3")]  # fixest's order within a sample


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(21)
    n = 3000
    frame = pd.DataFrame({
        "firm": rng.integers(0, 60, n), "year": rng.integers(0, 12, n), "g": rng.choice(["c", "a", "b"], n),
    })
    for j in (1, 2, 3):
        frame[f"x{j}"] = rng.normal(size=n) + 0.05 * frame["firm"] % 3
    # a slope that differs by group, so the split fits differ from the pooled one
    slope = frame["g"].map({"a": 1.0, "b": 2.0, "c": -1.0})
    frame["y1"] = slope * frame["x1"] + 0.5 * frame["x2"] - frame["x3"] + 0.1 * frame["year"] + rng.normal(size=n)
    frame["y2"] = -frame["x1"] + slope * frame["x3"] + rng.normal(size=n)
    frame["count"] = rng.poisson(np.exp(0.3 * frame["x1"] + 0.2 * slope * frame["x2"]))
    return frame


def assert_same(fit, alone, rtol):
    assert list(fit.coef.index) == list(alone.coef.index)
    assert fit.nobs == alone.nobs
    np.testing.assert_allclose(fit.coef, alone.coef, rtol=rtol, atol=0)
    np.testing.assert_allclose(fit.vcov, alone.vcov, rtol=rtol, atol=0)


def assert_identical(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.sample == y.sample and x._lhs == y._lhs
        assert np.array_equal(x.coef.to_numpy(), y.coef.to_numpy())
        assert np.array_equal(x.vcov.to_numpy(), y.vcov.to_numpy())


def test_split_equals_separate_fits_on_each_group(data):
    fits = cw.feols(FORMULA, data, split="g", vcov={"CRV1": "firm"})
    assert len(fits) == 3 * len(MODELS)
    expected = [(level, y, rhs) for level in ("a", "b", "c") for y, rhs in MODELS]  # sample outermost, sorted
    for fit, (level, y, rhs) in zip(fits, expected):
        assert fit.sample == f"g = {level}"
        alone = cw.feols(f"{y} ~ {rhs} | firm + year", data[data["g"] == level], vcov={"CRV1": "firm"})
        assert_same(fit, alone, rtol=1e-12)
    slopes = [fits[4 * i].coef["x1"] for i in range(3)]
    assert slopes == pytest.approx([1.0, 2.0, -1.0], abs=0.15)  # each group's own slope, not the pooled one


def test_fsplit_fits_the_full_sample_first(data):
    fits = cw.feols("y1 ~ x1 + x2 | firm", data, fsplit="g", vcov="hetero")
    assert [f.sample for f in fits] == ["Full sample", "g = a", "g = b", "g = c"]
    full = cw.feols("y1 ~ x1 + x2 | firm", data, vcov="hetero")
    assert np.array_equal(fits[0].coef.to_numpy(), full.coef.to_numpy())
    assert np.array_equal(fits[0].vcov.to_numpy(), full.vcov.to_numpy())
    assert fits[0].nobs == len(data)


def test_split_shares_one_demeaning_per_sample(data, monkeypatch):
    calls = count_demeaning(monkeypatch)
    cw.feols(FORMULA, data, split="g")
    assert calls == [5, 5, 5]  # y1, y2, x1, x2, x3 demeaned once for the four models of each group


def test_fepois_split_with_an_offset_array(data):
    exposure = np.log(1.0 + np.arange(len(data)) % 5)
    fits = cw.fepois("count ~ x1 + x2 | firm", data, split="g", offset=exposure, vcov={"CRV1": "firm"})
    for fit, level in zip(fits, ("a", "b", "c")):
        rows = (data["g"] == level).to_numpy()
        alone = cw.fepois("count ~ x1 + x2 | firm", data[rows], offset=exposure[rows], vcov={"CRV1": "firm"})
        assert fit.sample == f"g = {level}"
        assert_same(fit, alone, rtol=1e-12)
        assert fit.loglik == pytest.approx(alone.loglik, rel=1e-12)
    with pytest.raises(cw.ChipwarError, match="one value per row"):
        cw.fepois("count ~ x1 | firm", data, split="g", offset=exposure[:-1])


def test_rows_missing_the_split_column_are_in_no_group(data):
    holes = data.assign(g=data["g"].where(np.arange(len(data)) % 10 != 0))
    fits = cw.feols("y1 ~ x1 | year", holes, fsplit="g")
    assert fits[0].nobs == len(data)
    assert sum(f.nobs for f in fits[1:]) == len(data) - (len(data) + 9) // 10


def test_a_split_column_with_one_group_still_gives_its_sample(data):
    holes = data.assign(g=data["g"].where(data["g"] == "b"))
    fits = cw.feols("y1 ~ x1 | year", holes, split="g")
    assert len(fits) == 1 and fits[0].sample == "g = b"
    assert fits[0].nobs == (data["g"] == "b").sum()


def test_split_errors_name_the_column_or_the_group(data):
    with pytest.raises(cw.ChipwarError, match="split column 'group' not found"):
        cw.feols("y1 ~ x1", data, split="group")
    with pytest.raises(cw.ChipwarError, match="fsplit column 'g' is missing in every row"):
        cw.feols("y1 ~ x1", data.assign(g=np.nan), fsplit="g")
    with pytest.raises(cw.ChipwarError, match="either split= or fsplit="):
        cw.feols("y1 ~ x1", data, split="g", fsplit="g")
    tiny = pd.concat([data, data.head(2).assign(g="d")], ignore_index=True)
    with pytest.raises(cw.ChipwarError, match=r"sample 'g = d': only 2 observation\(s\) for 3 coefficient"):
        cw.feols("y1 ~ x1 + x2", tiny, split="g")


def test_tables_and_plots_say_which_sample(data):
    fits = cw.feols("y1 ~ x1 | firm", data, fsplit="g")
    table = cw.etable(fits, type="df")
    assert list(table.loc["Sample:"]) == ["Full sample", "g = a", "g = b", "g = c"]
    assert "Sample:" not in cw.etable(cw.feols("y1 + y2 ~ x1 | firm", data), type="df").index
    tidy = fits.tidy()
    assert list(tidy.columns[:3]) == ["model", "sample", "lhs"]
    assert list(tidy["sample"]) == ["Full sample", "g = a", "g = b", "g = c"]
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    ax = cw.coefplot(fits)
    assert [t.get_text() for t in ax.get_legend().get_texts()][1] == "(2) y1, g = a"


@pytest.mark.parametrize("split", [None, "g"])
def test_multiple_estimation_on_an_executor_is_identical(data, split, capsys):
    local = cw.feols(FORMULA, data, split=split, cluster="firm")
    with ThreadPoolExecutor(2) as pool:
        remote = cw.feols(FORMULA, data, split=split, cluster="firm", executor=pool, progress=True)
        assert_identical(remote, local)
        pytest.importorskip("tqdm")
        assert ("models" if split is None else "samples") in capsys.readouterr().err  # the progress bar's label
        pois = cw.fepois("count ~ x1 + sw(x2, x3) | firm", data, fsplit=split, executor=pool)
    assert_identical(pois, cw.fepois("count ~ x1 + sw(x2, x3) | firm", data, fsplit=split))
    # the cluster codes come back with the fit (not the data)
    assert np.array_equal(remote[0]._fit.design.codes_of("firm")[0], local[0]._fit.design.codes_of("firm")[0])
    assert np.array_equal(remote[0].with_vcov({"CRV1": "year"}).vcov, local[0].with_vcov({"CRV1": "year"}).vcov)
