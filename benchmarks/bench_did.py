"""Benchmark chipwar.att_gt against the Python peers that pip-install (csdid, diff-diff, moderndid, differences).

Doubly robust group-time ATTs with analytic SEs, then with 999 multiplier-bootstrap draws, on simulated balanced
panels (chipwar.did._simulate: 3 cohorts + never treated, 10 periods). Each (size, task, tool) cell runs in a fresh
process: one warm-up fit on 2,000 units, the data, then the median of ``--reps`` timed fits (one fit from 10^6 units
on). Peak memory is the growth of the process's resident-set high-water mark over the fits, measured from after the
data were built (``/proc/self/clear_refs`` resets the mark), reported over the input DataFrame's bytes and per unit.
A cell that runs past ``--max-minutes`` or ``--max-gb`` of resident memory is stopped and reported as skipped;
``differences`` is skipped above ``--differences-max`` units (it is ~90x slower than chipwar). Each peer's
ATT(g, t) is checked against chipwar's in the same size and task.

    PYTHONPATH=python python benchmarks/bench_did.py [--sizes 1e4 1e5 1e6] [--out /tmp/results_did.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd

import chipwar as cw
from chipwar.did._simulate import simulate_staggered


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
TOOLS = {"chipwar": _chipwar, **PEERS}


def _status_kib(field: str, pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def run_cell(tool: str, n: int, boot: int | None, reps: int) -> dict:
    """In a fresh process: warm up, build the data, reset the RSS high-water mark, time ``reps`` fits."""
    warnings.filterwarnings("ignore")
    fit = TOOLS[tool]
    fit(simulate_staggered(n_units=2_000, n_periods=10, cohorts=(4, 6, 8), seed=1), boot)
    df = simulate_staggered(n_units=n, n_periods=10, cohorts=(4, 6, 8), seed=0)
    input_bytes = int(df.memory_usage(index=False).sum())
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the high-water mark restarts at the current RSS: peak growth is the fits' alone
    before = _status_kib("VmRSS") * 1024
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        est = fit(df, boot)
        times.append(time.perf_counter() - t0)
    peak = _status_kib("VmHWM") * 1024
    return {
        "seconds": float(np.median(times)), "runs": reps, "extra_bytes": peak - before, "input_bytes": input_bytes,
        "att": [[float(g), float(t), float(v)] for (g, t), v in est.items()],
    }


def spawn(tool: str, n: int, boot: int | None, reps: int, max_seconds: float, max_bytes: float) -> dict:
    """Run one cell in a child process, stopping it past the time or resident-memory budget."""
    cmd = [sys.executable, __file__, "--child", tool, str(n), str(boot or 0), str(reps)]
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ)
    t0, peak, reason = time.time(), 0, None
    while child.poll() is None:
        try:
            peak = max(peak, _status_kib("VmRSS", child.pid) * 1024)
        except (FileNotFoundError, ProcessLookupError):
            pass
        if time.time() - t0 > max_seconds:
            reason = f"skipped: over {max_seconds / 60:.0f} min"
        elif peak > max_bytes:
            reason = f"skipped: over {max_bytes / 2**30:.0f} GB"
        if reason:
            child.kill()
            child.wait()
            return {"error": reason}
        time.sleep(0.5)
    out, err = child.communicate()
    lines = out.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return {"error": "failed: " + ((err.strip().splitlines() or ["crashed"])[-1][:100])}


def child_main(tool: str, n: str, boot: str, reps: str) -> None:
    try:
        out = run_cell(tool, int(n), int(boot) or None, int(reps))
    except Exception as exc:  # a peer failing is a result too
        out = {"error": f"failed: {type(exc).__name__}: {str(exc).splitlines()[0][:80] if str(exc) else ''}"}
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", default=["1e4", "1e5"])
    ap.add_argument("--out", default="/tmp/results_did.md")
    ap.add_argument("--tools", nargs="*", default=list(TOOLS))
    ap.add_argument("--tasks", nargs="*", default=["analytic", "bootstrap"], choices=["analytic", "bootstrap"])
    ap.add_argument("--reps", type=int, default=3, help="timed fits per cell below 10^6 units (one from 10^6 on)")
    ap.add_argument("--max-minutes", type=float, default=15.0)
    ap.add_argument("--max-gb", type=float, default=12.0)
    ap.add_argument("--differences-max", type=float, default=1e5)
    ap.add_argument("--child", nargs=4, metavar=("TOOL", "N", "BOOT", "REPS"))
    args = ap.parse_args()
    if args.child:
        child_main(*args.child)
        return
    rows = []
    for size in args.sizes:
        n = int(float(size))
        for task in args.tasks:
            boot = 999 if task == "bootstrap" else None
            label = "DR, 999 bootstrap" if boot else "DR, analytic SE"
            ref = None
            for tool in args.tools:
                if tool == "differences" and n > args.differences_max:
                    cell = {"error": f"skipped: above {args.differences_max:.0e} units"}
                else:
                    reps = 1 if n >= 1_000_000 else args.reps
                    cell = spawn(tool, n, boot, reps, 60 * args.max_minutes, args.max_gb * 2**30)
                att = pd.Series({(g, t): v for g, t, v in cell.pop("att", [])}, dtype=float)
                if tool == "chipwar" and "error" not in cell:
                    ref = att
                diff = float(np.max(np.abs(att.reindex(ref.index) - ref))) if ref is not None and len(att) else np.nan
                rows.append({"units": n, "task": label, "tool": tool, **cell, "max_abs_att_diff": diff})
                print(rows[-1], flush=True)
    write_table(pd.DataFrame(rows), args)


def write_table(table: pd.DataFrame, args: argparse.Namespace) -> None:
    for col in ("seconds", "runs", "extra_bytes", "input_bytes", "error"):
        if col not in table:
            table[col] = np.nan
    base = table[table["tool"] == "chipwar"].set_index(["units", "task"])["seconds"]
    table["ratio_vs_chipwar"] = table["seconds"] / base.reindex(pd.MultiIndex.from_frame(table[["units", "task"]])).to_numpy()
    table["peak_mem_MB"] = table["extra_bytes"] / 2**20
    table["peak_over_input"] = table["extra_bytes"] / table["input_bytes"]
    table["bytes_per_unit"] = table["extra_bytes"] / table["units"]
    table["error"] = table["error"].astype(object).where(table["error"].notna(), "")
    cols = ["units", "task", "tool", "seconds", "runs", "ratio_vs_chipwar", "peak_mem_MB", "peak_over_input",
            "bytes_per_unit", "max_abs_att_diff", "error"]
    machine = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared), "
               f"chipwar threads {cw.get_num_threads()}, Python {platform.python_version()}")
    with open(args.out, "w") as f:
        f.write("# att_gt benchmark (doubly robust, 10 periods, 3 cohorts + never treated)\n\n")
        f.write(f"Machine: {machine}; load average at the end {', '.join(f'{x:.1f}' for x in os.getloadavg())}. Each cell in a fresh process; "
                "seconds = median of the timed fits (runs); ratio = tool time / chipwar time at the same size and "
                "task; peak memory = growth of the resident-set high-water mark during the fits over the RSS with "
                "the data loaded (MB, over the input DataFrame's bytes, and per unit); max_abs_att_diff = largest "
                f"|ATT(g,t) tool - chipwar|. Budget per cell: {args.max_minutes:.0f} min, {args.max_gb:.0f} GB.\n\n")
        f.write(table[cols].to_markdown(index=False, floatfmt=".4g"))
        f.write("\n")
    print(table[cols].to_string())


if __name__ == "__main__":
    main()
