"""Shared fixtures: the reference data beside the project (../shared/data), skipped with a reason when absent."""

from __future__ import annotations

import pytest
from _support import shared_path


@pytest.fixture(scope="session")
def shared():
    """``shared("reference", "panel", "Cigar.csv")`` -> path, or skip when ../shared/data is absent."""
    return shared_path


@pytest.fixture(scope="module")
def dask_client():
    """A 2-worker dask.distributed cluster (one thread each), dask's default scheduler while the module's tests run.

    Its dashboard takes a free port: with None, distributed falls back to 8787, which any other cluster on a shared
    machine may hold (the fixture then fails to start)."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
