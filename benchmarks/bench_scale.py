"""Scaling of chipwar's long jobs: 1 vs 2 threads, local vs a 2-worker dask LocalCluster, and feols / fepois at
10^7+ rows.

Jobs
- bootstrap: the multiplier bootstrap of att_gt (``--replicates`` draws, 2,000 by default) on the influence
  functions of a simulated staggered panel (``--units`` units, 10 periods, 27 group-time cells); run locally on 1
  and 2 threads, and on a 2-worker ``LocalCluster`` (worker processes of 1 thread each) through
  ``executor=client.get_executor()``. The draws are hashed, so the table shows that every configuration gives the
  same bits. att_gt with the bootstrap end to end (cells + bootstrap) is timed too.
- placebo: the issue's "2,000-replicate placebo job": the SDID placebo standard error with ``--placebo-replicates``
  replicates on a simulated factor-model panel (``--placebo-panel`` units x periods, the last quarter of periods
  treated for one unit; bench_synth's DGP), in the same three configurations; the replicates are hashed.
- feols / fepois: fixest's simple DGP (three fixed effects, two regressors, from bench_feols.py) at each
  ``--feols-sizes``, and bench_fepois.py's Poisson DGP (three fixed effects, two regressors) at each
  ``--fepois-sizes``, on 1 and 2 threads, with the peak resident memory of the process.

Each cell runs in a fresh subprocess (clean thread setting and peak memory): one warm-up (on a small problem for
the placebo, feols and fepois cells), then the median wall time of ``--reps`` runs. Results go to ``--out``
(``benchmarks/results_scale.md`` by default; its hand-written Notes section is kept).

Usage: ``python benchmarks/bench_scale.py [--units 50000] [--replicates 2000] [--placebo-replicates 2000]
[--placebo-panel 100 60] [--feols-sizes 1e7] [--fepois-sizes 1e7] [--reps 3] [--jobs bootstrap placebo feols
fepois] [--out FILE]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

CONFIGS = (("local", 1), ("local", 2), ("cluster", 1))  # (where, threads of the calling process)
JOBS = ("bootstrap", "placebo", "feols", "fepois")


def _median_time(fn, reps: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(reps):
        out = None  # free the previous result first: peak memory is that of one run
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), out


def _cluster_executor(where: str):
    """(cluster, client, executor) for ``where="cluster"`` (2 worker processes of 1 thread), else Nones."""
    if where != "cluster":
        return None, None, None
    from distributed import Client, LocalCluster

    os.environ["CHIPWAR_NUM_THREADS"] = "1"  # read by the worker processes: one thread each, two workers
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    return cluster, client, client.get_executor()


def _close(cluster, client) -> None:
    if client is not None:
        client.close()
        cluster.close()


def _sha(values: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()[:16]


def bootstrap_cell(where: str, threads: int, units: int, replicates: int, reps: int) -> dict:
    """Time the multiplier bootstrap (and att_gt with it) locally or on a 2-worker LocalCluster."""
    import chipwar as cw
    from chipwar.did import _inference
    from chipwar.did._simulate import simulate_staggered

    cw.set_num_threads(threads)
    data = simulate_staggered(n_units=units, n_periods=10, cohorts=(4, 6, 8), seed=1)
    options = {"outcome": "y", "unit": "unit", "time": "time", "cohort": "cohort"}
    res = cw.att_gt(data, **options)
    cluster, client, executor = _cluster_executor(where)
    try:
        def job():
            return _inference.multiplier_bootstrap(res.inf, res.clustering, replicates, 7, 0.05, executor=executor)

        job()  # warm-up: imports on the workers, page faults
        boot_time, boot = _median_time(job, reps)
        full_time, _ = _median_time(
            lambda: cw.att_gt(data, **options, bootstrap=replicates, seed=7, executor=executor), reps
        )
    finally:
        _close(cluster, client)
    return {
        "bootstrap_s": boot_time,
        "att_gt_s": full_time,
        "draws_sha256": _sha(boot.draws),
        "cells": int(res.inf.shape[1]),
    }


def placebo_cell(where: str, threads: int, units: int, periods: int, replicates: int, reps: int) -> dict:
    """Time the SDID placebo SE with ``replicates`` replicates locally or on a 2-worker LocalCluster."""
    import chipwar as cw
    from bench_synth import simulated

    cw.set_num_threads(threads)
    warnings.simplefilter("ignore", cw.ConvergenceWarning)  # synthdid's max_iter notice, the same everywhere
    data = simulated(n_units=units, n_periods=periods, n_pre=periods - periods // 4)
    cluster, client, executor = _cluster_executor(where)
    try:
        def job(count: int):
            return cw.sdid(data, "y", "unit", "time", "treated", se="placebo", reps=count, seed=1, executor=executor)

        job(20)  # warm-up: imports on the workers, page faults
        seconds, fit = _median_time(lambda: job(replicates), reps)
    finally:
        _close(cluster, client)
    return {"time": seconds, "se": fit.se, "replicates_sha256": _sha(fit.replicates)}


def model_cell(model: str, threads: int, n: int, reps: int) -> dict:
    """Time feols (fixest's simple DGP) or fepois (a Poisson DGP), three fixed effects; peak memory."""
    import chipwar as cw
    from bench_feols import simple_dgp
    from bench_fepois import poisson_dgp

    cw.set_num_threads(threads)
    dgp, fit_fn = (simple_dgp, cw.feols) if model == "feols" else (poisson_dgp, cw.fepois)
    formula = "y ~ x1 + x2 | f1 + f2 + f3" if model == "feols" else "y ~ x1 + x2 | id1 + id2 + id3"
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    df = dgp(n)
    input_bytes = int(df.memory_usage(index=False).sum())
    after_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cw.ChipwarWarning)  # singleton / separation notices
        fit_fn(formula, dgp(20_000))  # warm-up on its own small data (a head of df is all singletons)
        seconds, fit = _median_time(lambda: fit_fn(formula, df), reps)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "time": seconds,
        "input_bytes": input_bytes,
        "baseline_bytes": baseline,
        "data_peak_bytes": after_data,
        "peak_bytes": peak,
        "coef_x1": float(fit.coef["x1"]),
    }


def _child(argv: list[str]) -> None:
    kind, *rest = argv
    try:
        if kind == "bootstrap":
            where, threads, units, replicates, reps = rest
            out = bootstrap_cell(where, int(threads), int(units), int(replicates), int(reps))
        elif kind == "placebo":
            where, threads, units, periods, replicates, reps = rest
            out = placebo_cell(where, int(threads), int(units), int(periods), int(replicates), int(reps))
        else:
            threads, n, reps = rest
            out = model_cell(kind, int(threads), int(float(n)), int(reps))
    except Exception as exc:  # a failed cell (e.g. out of memory) is a result too
        out = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:100] if str(exc) else ''}"}
    print(json.dumps(out))


def _run(args: list[str]) -> dict:
    cmd = [sys.executable, __file__, "--child", *args]
    res = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
    line = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else ""
    try:
        out = json.loads(line)
    except json.JSONDecodeError:
        out = {"error": f"exit {res.returncode}: " + ((res.stderr.strip().splitlines() or ["crashed"])[-1][:100])}
    print(args, out, flush=True)
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2:])
        return
    p = argparse.ArgumentParser()
    p.add_argument("--units", type=int, default=50_000)
    p.add_argument("--replicates", type=int, default=2000)
    p.add_argument("--placebo-replicates", type=int, default=2000)
    p.add_argument("--placebo-panel", type=int, nargs=2, default=[100, 60], metavar=("UNITS", "PERIODS"))
    p.add_argument("--feols-sizes", nargs="*", default=["1e7"])
    p.add_argument("--fepois-sizes", nargs="*", default=["1e7"])
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--jobs", nargs="*", default=list(JOBS), choices=JOBS, help="which tables to measure")
    p.add_argument("--out", default=str(Path(__file__).with_name("results_scale.md")))
    args = p.parse_args()
    load_before = os.getloadavg()
    boot = {
        cfg: _run(["bootstrap", cfg[0], str(cfg[1]), str(args.units), str(args.replicates), str(args.reps)])
        for cfg in CONFIGS if "bootstrap" in args.jobs
    }
    units, periods = args.placebo_panel
    placebo = {
        cfg: _run(["placebo", cfg[0], str(cfg[1]), str(units), str(periods), str(args.placebo_replicates),
                   str(args.reps)])
        for cfg in CONFIGS if "placebo" in args.jobs
    }
    fits = {
        (model, size, t): _run([model, str(t), size, str(args.reps)])
        for model, sizes in (("feols", args.feols_sizes), ("fepois", args.fepois_sizes)) if model in args.jobs
        for size in sizes
        for t in (1, 2)
    }
    write_table(boot, placebo, fits, args, load_before, os.getloadavg())


CONFIG_NAMES = {("local", 1): "local, 1 thread", ("local", 2): "local, 2 threads",
                ("cluster", 1): "LocalCluster, 2 workers x 1 thread"}


def _section(title: str, columns: list[str], note: str | None = None) -> list[str]:
    """A table's heading, optional note and header rows."""
    return ["", f"## {title}", "", *([note, ""] if note else []), "| " + " | ".join(columns) + " |",
            "|" + "---|" * len(columns)]


def write_table(boot: dict, placebo: dict, fits: dict, args: argparse.Namespace, load_before, load_after) -> None:
    gib = 2.0**30
    lines = [
        "# Scaling benchmark",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; median of "
        f"{args.reps} runs after a warm-up, each cell in a fresh process. Load average (1, 5, 15 min) "
        f"{tuple(round(x, 1) for x in load_before)} before and {tuple(round(x, 1) for x in load_after)} after: "
        "a load above the 2 cores means other jobs shared them, and the wall times then measure the shared machine "
        "more than the kernels' scaling.",
    ]
    if boot:
        lines += _section(f"Multiplier bootstrap, {args.replicates} replicates ({args.units} units, 10 periods)",
                          ["configuration", "bootstrap s", "speed-up", "att_gt + bootstrap s", "speed-up",
                           "draws (sha256)"])
    base = boot.get(CONFIGS[0], {})
    for cfg, r in boot.items():
        if "error" in r:
            lines.append(f"| {CONFIG_NAMES[cfg]} | failed ({r['error']}) | | | | |")
            continue
        up = base.get("bootstrap_s", np.nan) / r["bootstrap_s"]
        up_full = base.get("att_gt_s", np.nan) / r["att_gt_s"]
        lines.append(
            f"| {CONFIG_NAMES[cfg]} | {r['bootstrap_s']:.3f} | {up:.2f}x | {r['att_gt_s']:.3f} | {up_full:.2f}x | "
            f"`{r['draws_sha256']}` |"
        )
    units, periods = args.placebo_panel
    if placebo:
        lines += _section(f"SDID placebo SE, {args.placebo_replicates} replicates ({units} units x {periods} periods, "
                          "simulated)", ["configuration", "seconds", "speed-up", "SE", "replicates (sha256)"])
    base = placebo.get(CONFIGS[0], {})
    for cfg, r in placebo.items():
        if "error" in r:
            lines.append(f"| {CONFIG_NAMES[cfg]} | failed ({r['error']}) | | | |")
            continue
        up = base.get("time", np.nan) / r["time"]
        lines.append(f"| {CONFIG_NAMES[cfg]} | {r['time']:.3f} | {up:.2f}x | {r['se']:.6f} | "
                     f"`{r['replicates_sha256']}` |")
    titles = {"feols": "feols, fixest's simple DGP", "fepois": "fepois, bench_fepois.py's Poisson DGP"}
    for model in ("feols", "fepois"):
        rows = {k[1:]: r for k, r in fits.items() if k[0] == model}
        if not rows:
            continue
        lines += _section(
            f"{titles[model]}, 3 fixed effects, 2 regressors",
            ["n", "threads", "seconds", "speed-up", "input GiB", "peak GiB", "fit extra GiB", "coef x1"],
            "Memory: peak resident set of the process; 'fit extra' is the peak minus the peak after generating the "
            "data (what the fit adds on top of the caller's DataFrame).",
        )
        for (size, threads), r in rows.items():
            if "error" in r:
                lines.append(f"| {float(size):.0e} | {threads} | failed ({r['error']}) | | | | | |")
                continue
            up = rows.get((size, 1), {}).get("time", np.nan) / r["time"]
            lines.append(
                f"| {float(size):.0e} | {threads} | {r['time']:.2f} | {up:.2f}x | {r['input_bytes'] / gib:.2f} | "
                f"{r['peak_bytes'] / gib:.2f} | {(r['peak_bytes'] - r['data_peak_bytes']) / gib:.2f} | "
                f"{r['coef_x1']:.6f} |"
            )
    out = Path(args.out)
    # the hand-written interpretation below the tables survives a re-run
    old = out.read_text() if out.exists() else ""
    notes = old[old.index("\n## Notes"):] if "\n## Notes" in old else ""
    out.write_text("\n".join(lines) + "\n" + notes)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
