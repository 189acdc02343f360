"""Shared fixtures: the reference data beside the project (../shared/data), skipped with a reason when absent."""

from __future__ import annotations

import pytest
from _support import shared_path


@pytest.fixture(scope="session")
def shared():
    """``shared("reference", "panel", "Cigar.csv")`` -> path, or skip when ../shared/data is absent."""
    return shared_path
