"""Replicates and multiple estimations on a 2-worker dask.distributed cluster of worker processes give the local
results, and every threaded C++ kernel gives the same bits on 1 and 2 threads (deterministic reductions,
per-replicate seeds)."""

from __future__ import annotations

import sys
import warnings
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial

import numpy as np
import pandas as pd
import pytest

import chipwar as cw
from _synth_sim import factor_panel
from chipwar import _core
from chipwar._progress import run_tasks
from chipwar.did._simulate import simulate_staggered

pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")  # dask's serializer, installed with distributed


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return simulate_staggered(n_units=300, n_periods=8, cohorts=(3, 5, 7), covariate_trend=0.5, seed=11)


@pytest.fixture
def threads():
    """Run a callable on a given number of threads; the setting is restored afterwards."""
    before = cw.get_num_threads()

    def on(n: int, fn):
        cw.set_num_threads(n)
        return fn()

    yield on
    cw.set_num_threads(before)


def fit_att_gt(data: pd.DataFrame, **options):
    return cw.att_gt(
        data, outcome="y", unit="unit", time="time", cohort="cohort", covariates=["x"], bootstrap=999, seed=2026,
        **options,
    )


def test_att_gt_bootstrap_on_a_cluster_equals_the_local_run(panel, dask_process_client, capsys):
    from distributed import get_task_stream

    local = fit_att_gt(panel)
    with get_task_stream(dask_process_client) as stream:
        remote = fit_att_gt(panel, executor=dask_process_client.get_executor(), progress=True)
    assert len(stream.data) == 8  # 999 replicates in chunks of 128, each chunk a task on the cluster
    assert "multiplier bootstrap" in capsys.readouterr().err  # the progress bar follows the futures
    assert local.boot.draws.shape == (999, len(local.table))
    assert np.array_equal(remote.boot.draws, local.boot.draws)
    assert np.array_equal(remote.table["se"].to_numpy(), local.table["se"].to_numpy(), equal_nan=True)
    assert remote.crit == local.crit
    dynamic_local, dynamic_remote = local.aggregate("dynamic"), remote.aggregate("dynamic")
    assert np.array_equal(dynamic_remote.table["se"].to_numpy(), dynamic_local.table["se"].to_numpy(), equal_nan=True)
    # the bootstrap did run: its SEs are close to (not equal to) the analytic ones
    analytic = cw.att_gt(panel, outcome="y", unit="unit", time="time", cohort="cohort", covariates=["x"])
    ratio = local.table["se"] / analytic.table["se"]
    assert (ratio.between(0.8, 1.25) & (ratio != 1.0)).all()


def test_sdid_placebo_se_on_a_cluster_equals_the_local_run(dask_process_client):
    data = factor_panel(n_units=40, n_periods=20, n_pre=14, n_treated=3, effect=4.0, seed=3)
    options = {"outcome": "y", "unit": "unit", "time": "time", "treated": "treated", "se": "placebo", "reps": 60,
               "seed": 9}
    local = cw.sdid(data, **options)
    remote = cw.sdid(data, **options, executor=dask_process_client.get_executor())
    assert np.array_equal(remote.replicates, local.replicates)
    assert remote.se == local.se
    assert local.estimate == pytest.approx(4.0, abs=3 * local.se)  # the simulated effect, within its placebo SE
    assert 0 < local.se < 1.0


def test_multi_outcome_feols_on_a_cluster_equals_the_local_run(panel, dask_process_client):
    formula = "y + x ~ treated + csw0(time_trend) | unit + time"
    data = panel.assign(time_trend=panel["time"] * (panel["unit"] % 3), half=panel["unit"] % 2)
    local = cw.feols(formula, data, cluster="unit")
    for split in (None, "half"):
        remote = cw.feols(formula, data, cluster="unit", split=split, executor=dask_process_client.get_executor())
        expected = local if split is None else cw.feols(formula, data, cluster="unit", split=split)
        assert len(remote) == len(expected) == (4 if split is None else 8)
        for a, b in zip(remote, expected):
            assert (a._lhs, a.sample) == (b._lhs, b.sample)
            assert np.array_equal(a.coef.to_numpy(), b.coef.to_numpy())
            assert np.array_equal(a.vcov.to_numpy(), b.vcov.to_numpy())


def _scaled_sum(task: float, matrix: np.ndarray) -> float:
    return task * float(matrix.sum())


def test_shared_arrays_are_scattered_once_to_a_dask_cluster(dask_process_client, monkeypatch):
    scattered: list[dict] = []
    scatter = dask_process_client.scatter

    def counted(data, **kwargs):
        scattered.append(kwargs)
        return scatter(data, **kwargs)

    monkeypatch.setattr(dask_process_client, "scatter", counted)
    matrix = np.arange(12.0).reshape(3, 4)
    executor = dask_process_client.get_executor()
    module = sys.modules[__name__]
    cloudpickle.register_pickle_by_value(module)  # worker processes cannot import this test module
    try:
        out = run_tasks(_scaled_sum, [1.0, 2.0, 3.0], executor=executor, shared={"matrix": matrix})
    finally:
        cloudpickle.unregister_pickle_by_value(module)
    assert out == [66.0, 132.0, 198.0]
    assert [kw["broadcast"] for kw in scattered] == [True]  # one scatter, to every worker, for all three tasks
    assert run_tasks(_scaled_sum, [2.0], shared={"matrix": matrix}) == [132.0]  # locally: passed as it is


def test_att_gt_is_bit_identical_on_one_and_two_threads(panel, threads):
    one = threads(1, lambda: fit_att_gt(panel, cluster="unit"))
    two = threads(2, lambda: fit_att_gt(panel, cluster="unit"))
    assert np.array_equal(one.inf, two.inf)  # the group-time cells, computed in parallel
    assert np.array_equal(one.table["att"].to_numpy(), two.table["att"].to_numpy())
    assert np.array_equal(one.boot.draws, two.boot.draws)  # the multiplier bootstrap, blocks in parallel


def test_feols_is_bit_identical_on_one_and_two_threads(threads):
    rng = np.random.default_rng(5)
    n = 20_000
    data = pd.DataFrame(
        {"firm": rng.integers(0, 900, n), "year": rng.integers(0, 25, n), "region": rng.integers(0, 40, n)}
    )
    for j in range(4):
        data[f"x{j}"] = rng.normal(size=n) + 0.1 * (data["firm"] % 7)
    data["y"] = data[[f"x{j}" for j in range(4)]].to_numpy() @ np.array([1.0, -0.5, 0.25, 2.0]) + rng.normal(size=n)
    formula = "y ~ x0 + x1 + x2 + x3 | firm + year + region"
    one = threads(1, lambda: cw.feols(formula, data, vcov={"CRV1": "firm"}))
    two = threads(2, lambda: cw.feols(formula, data, vcov={"CRV1": "firm"}))
    assert one.coef.to_numpy() == pytest.approx([1.0, -0.5, 0.25, 2.0], abs=0.03)
    assert np.array_equal(one.coef.to_numpy(), two.coef.to_numpy())
    assert np.array_equal(one.vcov.to_numpy(), two.vcov.to_numpy())

    codes = np.asfortranarray(data[["firm", "year", "region"]].to_numpy(dtype=np.int32))
    columns = np.asfortranarray(data[["y", "x0", "x1", "x2", "x3"]].to_numpy())
    demeaned = [threads(t, lambda: _core.demean(columns, codes, [900, 25, 40])[0]) for t in (1, 2)]
    assert np.array_equal(demeaned[0], demeaned[1])
    assert np.abs(demeaned[0]).max() > 0.1  # not a trivial projection


def test_warnings_issued_on_cluster_workers_reach_the_caller(dask_process_client):
    # warnings.warn(task, category=...) runs on the worker processes; the caller issues each distinct one once
    warn = partial(warnings.warn, category=cw.ConvergenceWarning)
    tasks = ["fit a did not converge", "fit b did not converge", "fit a did not converge"]
    with pytest.warns(cw.ConvergenceWarning) as record:
        out = run_tasks(warn, tasks, executor=dask_process_client.get_executor())
    assert out == [None, None, None]
    assert sorted(str(w.message) for w in record) == ["fit a did not converge", "fit b did not converge"]


def test_warnings_of_tasks_in_this_process_are_issued_where_they_happen():
    # threads of the caller's process: warnings go through the caller's handlers directly, once each
    with ThreadPoolExecutor(2) as pool, pytest.warns(cw.ConvergenceWarning) as record:
        run_tasks(partial(warnings.warn, category=cw.ConvergenceWarning), ["local warning"], executor=pool)
    assert [str(w.message) for w in record] == ["local warning"]


def test_warnings_issued_in_a_forked_process_pool_reach_the_caller():
    # a forked child inherits the parent's module state: it must still know it is another process
    fork = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(1, mp_context=fork) as pool, pytest.warns(cw.ConvergenceWarning) as record:
        run_tasks(partial(warnings.warn, category=cw.ConvergenceWarning), ["forked warning"], executor=pool)
    assert [str(w.message) for w in record] == ["forked warning"]
