"""The separation screen's fast pass (fixed effects fitted on the positive rows alone, the regressors' rank at a loose
demeaning tolerance) against its pass at the tight tolerance: the same decision on ppmlhdfe's separation files and
on simulated data with and without separation, the fast pass deciding the clear cases, and the tight pass taking
over where the fast one cannot bound its errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chipwar import _core
from chipwar.estimation.prepare import prepare
from chipwar.model.formula import parse_formula
from _support import PPML_SEPARATION_FILES, ppml_separation_case


def _screens(data: pd.DataFrame, fml: str) -> tuple[tuple[bool, bool], tuple[bool, bool]]:
    """(impossible, tight_pass) of the screen as fepois runs it, and of the tight pass alone."""
    d = prepare(parse_formula(fml), data, None, None, None, "none")[1]
    args = (d.x, d.y, d.fe_codes, d.n_groups)
    return _core.separation_screen(*args), _core.separation_screen(*args, fast=False)


def _poisson(n: int, seed: int) -> pd.DataFrame:
    """y ~ Poisson(exp(0.5 x1 - 0.3 x2 + a[id1] + b[id2] + c[id3])) with n/20, n/200 and 20 groups (bench_fepois)."""
    rng = np.random.default_rng(seed)
    sizes = (n // 20, n // 200, 20)
    ids = [rng.integers(0, g, n) for g in sizes]
    effects = sum(rng.normal(0, 0.5, g)[i] for g, i in zip(sizes, ids))
    x1, x2 = rng.normal(size=(2, n))
    y = rng.poisson(np.exp(0.5 * x1 - 0.3 * x2 + effects)).astype(float)
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "id1": ids[0], "id2": ids[1], "id3": ids[2]})


def _without_empty_groups(data: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    # the screen's premise (fepois drops all-zero groups first); one pass of each fixed effect is enough here
    for c in ids:
        data = data[data.groupby(c)["y"].transform("max") > 0]
    return data


@pytest.mark.parametrize("name", PPML_SEPARATION_FILES)
def test_same_decision_as_the_tight_pass_on_the_separation_files(name):
    data, fml, _, _ = ppml_separation_case(name)
    (fast, _), (tight, _) = _screens(data, fml)
    assert fast == tight
    if data["separated"].any():
        assert not fast


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fast_pass_clears_simulated_data_without_separation(seed):
    data = _without_empty_groups(_poisson(20_000, seed), ["id1", "id2", "id3"])
    fml = "y ~ x1 + x2 | id1 + id2 + id3"
    (fast, tight_pass), (tight, _) = _screens(data, fml)
    assert (data["y"] == 0).mean() > 0.2  # zeros to be screened
    assert fast and tight and not tight_pass


def test_fast_pass_rejects_fixed_effects_left_free_by_the_positives():
    # units 0-49 have positive outcomes in years 0-4 and zeros in years 5-9, units 50-99 positive outcomes in
    # years 5-9 only: the positives identify unit + year effects up to one constant per block, so the zeros are
    # separated (unit effects of the first block down, year effects of the second up; the rectifier finds all of
    # them); the fast pass sees the fixed-effect combination miss by order one and decides without the tight pass
    rng = np.random.default_rng(4)
    unit = np.repeat(np.arange(100), 10)
    year = np.tile(np.arange(10), 100)
    keep = (unit < 50) | (year >= 5)
    unit, year = unit[keep], year[keep]
    y = np.where((unit < 50) == (year < 5), rng.poisson(3.0, unit.size) + 1.0, 0.0)
    data = pd.DataFrame({"y": y, "x": rng.normal(size=unit.size), "unit": unit, "year": year})
    fml = "y ~ x | unit + year"
    (fast, tight_pass), (tight, _) = _screens(data, fml)
    assert not fast and not tight and not tight_pass
    d = prepare(parse_formula(fml), data, None, None, None, "none")[1]
    separated, _, converged = _core.relu_separation(d.x, d.y, d.fe_codes, d.n_groups)
    assert converged
    np.testing.assert_array_equal(separated, y == 0)


@pytest.mark.parametrize("gap, reproduced", [(1e-12, True), (3e-7, True), (1e-6, False), (1e-3, False)])
def test_borderline_rank_goes_to_the_tight_pass(gap, reproduced):
    # x2 equals x1 on the positive rows and differs from it on the zeros by `gap`: the regressors are collinear
    # where y > 0, so the fast pass cannot certify their rank and the tight pass decides. The gaps straddle the
    # threshold (the combination's miss on the zeros crosses kReproduced of its scale between 3e-7 and 1e-6):
    # below it the gap counts as demeaning noise (no separation), above it the positives leave x3 undetermined
    data = _without_empty_groups(_poisson(4_000, 5), ["id1", "id2", "id3"]).reset_index(drop=True)
    zero = data["y"].to_numpy() == 0
    data["x3"] = data["x1"] + np.where(zero, gap * np.random.default_rng(6).normal(size=len(data)), 0.0)
    (fast, tight_pass), (tight, _) = _screens(data, "y ~ x1 + x2 + x3 | id1 + id2 + id3")
    assert tight_pass and fast == tight == reproduced


def test_slowly_converging_fit_goes_to_the_tight_pass():
    # workers on a chain of firms (worker i at firms i, i + 1 and i + 2 with positive outcomes) plus one zero each
    # at a far firm: the positives identify every effect and the regressor, but Gauss-Seidel on a chain of 120
    # groups contracts too slowly for the fast pass's sweep budget, so the tight pass decides
    rng = np.random.default_rng(7)
    n_workers = 60
    w = np.arange(n_workers)
    worker = np.concatenate([w, w, w, w])
    firm = np.concatenate([w, w + 1, w + 2, (w + n_workers // 2) % (n_workers + 2)])
    y = np.concatenate([rng.poisson(2.0, 3 * n_workers) + 1.0, np.zeros(n_workers)])
    data = pd.DataFrame({"y": y, "x": rng.normal(size=y.size), "worker": worker, "firm": firm})
    (fast, tight_pass), (tight, _) = _screens(data, "y ~ x | worker + firm")
    assert tight_pass and fast == tight
    assert fast  # nothing can be separated
