"""Benchmark chipwar.att_gt against the Python peers that pip-install (csdid, diff-diff, moderndid, differences).

Doubly robust group-time ATTs with analytic SEs, then with 999 multiplier-bootstrap draws, on simulated balanced
panels (chipwar.did._simulate: 3 cohorts + never treated, 10 periods). Each peer runs in the same process and run;
every timing is the median of 3 runs after one warm-up run, unless the warm-up alone exceeded the budget (then
that single run is reported, marked "1 run"). Each peer's ATT(g, t) is checked against chipwar's.

    PYTHONPATH=python python benchmarks/bench_did.py [--sizes 10000 100000] [--out benchmarks/results_did.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

import chipwar as cw
from chipwar.did._simulate import simulate_staggered

BUDGET = 120.0  # seconds: above this for the warm-up, a tool is timed once


def _time(fn: Callable[[], object]) -> tuple[float, int, object]:
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    if first > BUDGET:
        return first, 1, out
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), 3, out


def _chipwar(df: pd.DataFrame, boot: int | None) -> pd.Series:
    res = cw.att_gt(df, outcome="y", unit="unit", time="time", cohort="cohort", method="dr", bootstrap=boot, seed=1)
    return res.table.set_index(["cohort", "time"])["att"]


def _csdid(df: pd.DataFrame, boot: int | None) -> pd.Series:
    from csdid.att_gt import ATTgt

    fit = ATTgt(yname="y", gname="cohort", idname="unit", tname="time", data=df, control_group=["nevertreated"])
    fit.biters = boot or 1000  # csdid takes the number of draws from the object (default 1000)
    r = fit.fit(est_method="dr", bstrap=boot is not None)
    t = r.summ_attgt().summary2
    return pd.Series(t["ATT(g, t)"].to_numpy(float), index=pd.MultiIndex.from_arrays([t["Group"].astype(float), t["Time"].astype(float)]))


def _diff_diff(df: pd.DataFrame, boot: int | None) -> pd.Series:
    import diff_diff as dd

    est = dd.CallawaySantAnna(control_group="never_treated", estimation_method="dr", n_bootstrap=boot or 0, seed=1)
    res = est.fit(df, outcome="y", unit="unit", time="time", first_treat="cohort")
    eff = res.group_time_effects
    return pd.Series({(float(g), float(t)): v["effect"] for (g, t), v in eff.items()})


def _moderndid(df: pd.DataFrame, boot: int | None) -> pd.Series:
    import moderndid as md

    r = md.att_gt(data=df, yname="y", tname="time", idname="unit", gname="cohort", est_method="dr",
                  boot=boot is not None, biters=boot or 1000, cband=boot is not None)
    return pd.Series(np.asarray(r.att_gt, float), index=pd.MultiIndex.from_arrays([np.asarray(r.groups, float), np.asarray(r.times, float)]))


def _differences(df: pd.DataFrame, boot: int | None) -> pd.Series:
    from differences import ATTgt

    panel = df.assign(cohort=df["cohort"].replace(0, np.nan)).set_index(["unit", "time"])
    att = ATTgt(data=panel, cohort_column="cohort")
    att.fit("y", est_method="dr", boot_iterations=boot or 0, progress_bar=False)
    r = att.results().reset_index()
    cols = list(r.columns)
    est = [c for c in cols if "ATT" in str(c)][0]
    return pd.Series(r[est].to_numpy(float), index=pd.MultiIndex.from_arrays([r[cols[0]].astype(float), r[cols[2]].astype(float)]))


PEERS = {"csdid": _csdid, "diff-diff": _diff_diff, "moderndid": _moderndid, "differences": _differences}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--out", default="benchmarks/results_did.md")
    ap.add_argument("--peers", nargs="*", default=list(PEERS))
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    rows = []
    for n in args.sizes:
        df = simulate_staggered(n_units=n, n_periods=10, cohorts=(4, 6, 8), seed=0)
        for boot in (None, 999):
            label = "DR, analytic SE" if boot is None else "DR, 999 bootstrap"
            base, reps, ref = _time(lambda: _chipwar(df, boot))
            rows.append((n, label, "chipwar", base, reps, 1.0, 0.0))
            print(rows[-1], flush=True)
            for name in args.peers:
                try:
                    t, reps, est = _time(lambda: PEERS[name](df, boot))
                    diff = float(np.max(np.abs(est.reindex(ref.index).to_numpy() - ref.to_numpy())))
                    rows.append((n, label, name, t, reps, t / base, diff))
                except Exception as err:  # a peer that fails is reported, not hidden
                    rows.append((n, label, name, np.nan, 0, np.nan, np.nan))
                    print(name, "failed:", repr(err)[:200], flush=True)
                print(rows[-1], flush=True)
    table = pd.DataFrame(rows, columns=["units", "task", "tool", "seconds", "runs", "ratio_vs_chipwar", "max_abs_att_diff"])
    machine = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared), "
               f"chipwar threads {cw.get_num_threads()}, Python {platform.python_version()}")
    with open(args.out, "w") as f:
        f.write("# att_gt benchmark (doubly robust, 10 periods, 3 cohorts + never treated)\n\n")
        f.write(f"Machine: {machine}. Median of 3 runs after a warm-up (\"runs\" = 1: the warm-up alone exceeded "
                f"{BUDGET:.0f} s). ratio = peer time / chipwar time in the same run; max_abs_att_diff = largest "
                "|ATT(g,t) peer - chipwar| (bootstrap does not change point estimates).\n\n")
        f.write(table.to_markdown(index=False, floatfmt=".4g"))
        f.write("\n")
    print(table.to_string())


if __name__ == "__main__":
    main()
