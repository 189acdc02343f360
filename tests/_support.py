"""Helpers shared by the tests: the reference data beside the project (../shared/data), a demeaning counter."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """Path of a file under ../shared/data, or skip the test saying which file is missing."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        where = "it is not in ../shared/data yet" if SHARED_DATA.is_dir() else "../shared/data is not beside this checkout"
        pytest.skip(f"reference data {path} is absent ({where})")
    return path


def count_demeaning(monkeypatch) -> list[int]:
    """Record the number of columns of every call of the demeaning kernel (the list fills as the test runs)."""
    from chipwar import _core

    calls: list[int] = []
    real = _core.demean

    def counted(columns, *args):
        calls.append(columns.shape[1])
        return real(columns, *args)

    monkeypatch.setattr(_core, "demean", counted)
    return calls


# ppmlhdfe's separation test files: every file present (a missing directory skips through shared_path)
PPML_SEPARATION_FILES = sorted(
    p.name for p in (SHARED_DATA / "reference" / "panel" / "ppml_separation").glob("*.csv")
) or ["01.csv"]


def ppml_separation_case(name: str) -> tuple[pd.DataFrame, str, list[str], list[str]]:
    """One separation file: the data, its formula ``y ~ x... | id...``, the fixed-effect and regressor names."""
    data = pd.read_csv(shared_path("reference", "panel", "ppml_separation", name))
    ids = [c for c in data if c.startswith("id")]
    xs = [c for c in data if c.startswith("x")]
    fml = "y ~ " + (" + ".join(xs) if xs else "1") + (" | " + " + ".join(ids) if ids else "")
    return data, fml, ids, xs
