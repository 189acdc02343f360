"""Shared fixtures: the reference data beside the project (../shared/data), skipped with a reason when absent."""

from __future__ import annotations

import pytest
from _support import shared_path
from hypothesis import HealthCheck, settings

# The fuzz suite (tests/test_fuzz.py) runs the same examples on every run: derandomised, no example database (no
# .hypothesis directory, no replay of last run's failures), no deadline (a shared CI machine is not a benchmark).
# chipwar-sanitize runs a quarter of the examples on the slow AddressSanitizer build (scripts/sanitize.sh).
_FUZZ = dict(derandomize=True, database=None, deadline=None, print_blob=True,
             suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("chipwar-ci", max_examples=100, **_FUZZ)
settings.register_profile("chipwar-sanitize", max_examples=25, **_FUZZ)
settings.load_profile("chipwar-ci")


@pytest.fixture(scope="session")
def shared():
    """``shared("reference", "panel", "Cigar.csv")`` -> path, or skip when ../shared/data is absent."""
    return shared_path


def _local_cluster(processes: bool):
    # dashboard_address=":0" takes a free port: with None, distributed falls back to 8787, which another cluster on a
    # shared machine may hold (the fixture then fails to start)
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=processes,
                                       dashboard_address=":0")
    with cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def dask_client():
    """A 2-worker dask.distributed cluster (one thread each, in this process), dask's default scheduler while the
    module's tests run. Fast to start; tasks are not pickled (see ``dask_process_client``)."""
    yield from _local_cluster(processes=False)


@pytest.fixture(scope="module")
def dask_process_client():
    """A 2-worker cluster of worker processes: every task, shared value and result really is pickled (about 10 s
    more to start and stop than ``dask_client``)."""
    yield from _local_cluster(processes=True)
