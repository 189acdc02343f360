"""fepois against pyfixest's fepois on a simulated structural-gravity panel with three high-dimensional fixed effects.

DGP: exporters x importers (no domestic flows) x HS-like products x years. The flow of product p from exporter e to
importer m in year t is a gamma-mixed Poisson count (overdispersed, most of them zero, as product-level trade is)

    flow ~ Poisson(exp(-0.8 log1p(tariff) + 0.2 controlled + o[e,t] + d[m,t] + pair[e,m] + u[p] + noise))

with the bilateral tariff (percent) varying by pair, product and year, ``controlled`` a 0/1 control, and product
heterogeneity ``u`` left in the error (so the pseudo-likelihood is misspecified, as in applied work; both tools
solve the same PPML first-order conditions). Formula, as in the gravity literature:
``flow ~ ltariff + controlled | exp^year + imp^year + exp^imp`` with ``ltariff = log1p(tariff)``.

Each (tool, size) cell runs in a fresh subprocess: one warm-up fit on a small draw of the DGP, then the median wall
time of ``--reps`` fits, and the growth of the process's peak resident memory from before the data were generated
(the input DataFrame included). A cell is stopped after ``--timeout`` seconds. The coefficients of the two tools
are compared. Results (markdown and JSON) go to ``--out`` (default /tmp/bench_gravity.md).

Usage: ``PYTHONPATH=python python benchmarks/bench_gravity.py --sizes 1e6 1e7 [--tools chipwar pyfixest]
[--reps 3] [--timeout 900] [--separation fe]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

FML = "flow ~ ltariff + controlled | exp^year + imp^year + exp^imp"
TERMS = ["ltariff", "controlled"]
N_EXP = N_IMP = 60
N_YEARS = 10


def gravity_dgp(n: int, seed: int = 1) -> pd.DataFrame:
    """About n rows: 60 x 59 pairs x 10 years x n / 35,400 products (at least one)."""
    rng = np.random.default_rng(seed)
    exp_, imp = np.meshgrid(np.arange(N_EXP), np.arange(N_IMP), indexing="ij")
    off_diagonal = exp_ != imp
    pair_exp, pair_imp = exp_[off_diagonal], imp[off_diagonal]
    n_pairs = pair_exp.size
    n_products = max(1, round(n / (n_pairs * N_YEARS)))
    # rows ordered pair-product-year (int32 ids keep the frame small)
    pair = np.repeat(np.arange(n_pairs, dtype=np.int32), n_products * N_YEARS)
    product = np.tile(np.repeat(np.arange(n_products, dtype=np.int32), N_YEARS), n_pairs)
    year = np.tile(np.arange(N_YEARS, dtype=np.int32), n_pairs * n_products)
    e, m = pair_exp[pair].astype(np.int32), pair_imp[pair].astype(np.int32)
    size = len(pair)
    # tariffs: a pair-product level that falls over the years, zero for a fifth of pairs (trade agreements)
    free_trade = rng.random(n_pairs) < 0.2
    level = rng.gamma(2.0, 4.0, n_pairs * n_products)[pair * n_products + product]
    tariff = np.where(free_trade[pair], 0.0, level * (1.0 - 0.04 * year) * rng.uniform(0.8, 1.2, size))
    controlled = (rng.random(size) < 0.1).astype(np.float64)
    origin = rng.normal(0, 1.0, (N_EXP, N_YEARS))[e, year]
    destination = rng.normal(0, 1.0, (N_IMP, N_YEARS))[m, year]
    bilateral = rng.normal(-1.0, 1.5, n_pairs)[pair]
    product_effect = rng.normal(0, 1.5, n_products)[product]
    eta = -0.8 * np.log1p(tariff) + 0.2 * controlled + origin + destination + bilateral + product_effect
    mean = np.exp(eta) * rng.gamma(1.0, 1.0, size)  # overdispersion
    flow = rng.poisson(mean).astype(np.float64)
    return pd.DataFrame({"flow": flow, "ltariff": np.log1p(tariff), "controlled": controlled, "exp": e, "imp": m,
                         "year": year, "product": product})


def fit_once(tool: str, df: pd.DataFrame, separation: str) -> list[float]:
    if tool == "chipwar":
        import chipwar as cw

        sep = True if separation == "both" else separation
        return [float(v) for v in cw.fepois(FML, df, separation=sep).coef[TERMS]]
    if tool == "pyfixest":
        import pyfixest as pf

        checks = ["fe", "ir"] if separation == "both" else [separation]
        return [float(v) for v in pf.fepois(FML, df, separation_check=checks).coef()[TERMS]]
    raise ValueError(tool)


def run_cell(tool: str, n: int, reps: int, separation: str) -> dict:
    """Run in a child process: warm-up, ``reps`` timed fits, peak memory."""
    import warnings

    warnings.simplefilter("ignore")  # separation / singleton notices are the same for both tools
    fit_once(tool, gravity_dgp(40_000, seed=2), separation)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    df = gravity_dgp(n)
    input_bytes = int(df.memory_usage(index=False).sum())
    times, coef = [], None
    for _ in range(reps):
        coef = None
        t = time.perf_counter()
        coef = fit_once(tool, df, separation)
        times.append(time.perf_counter() - t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "rows": len(df),
        "zero_share": float((df["flow"] == 0).mean()),
        "time": float(np.median(times)),
        "times": times,
        "extra_bytes": peak - baseline,
        "input_bytes": input_bytes,
        "coef": coef,
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", nargs="+", default=["1e6"])
    p.add_argument("--tools", nargs="+", default=["chipwar", "pyfixest"])
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--timeout", type=float, default=900.0, help="seconds before a cell is stopped")
    p.add_argument("--separation", default="fe", choices=["fe", "ir", "both"],
                   help="separation checks for both tools (fe: all-zero fixed-effect groups, pyfixest's default)")
    p.add_argument("--out", default="/tmp/bench_gravity.md")
    p.add_argument("--child", nargs=3, metavar=("TOOL", "N", "REPS"))
    args = p.parse_args()
    if args.child:
        tool, n, reps = args.child
        try:
            out = run_cell(tool, int(float(n)), int(reps), args.separation)
        except Exception as exc:  # a failing tool is a result too
            out = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:100] if str(exc) else ''}"}
        print(json.dumps(out))
        return
    rows = []
    for size in args.sizes:
        cell = {"n": int(float(size))}
        for tool in args.tools:
            cmd = [sys.executable, __file__, "--child", tool, size, str(args.reps), "--separation", args.separation]
            try:
                res = subprocess.run(cmd, capture_output=True, text=True, env=os.environ, timeout=args.timeout)
                line = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else ""
                cell[tool] = json.loads(line) if line else {"error": (res.stderr.strip().splitlines() or ["crashed"])[-1][:100]}
            except subprocess.TimeoutExpired:
                cell[tool] = {"error": f"stopped after {args.timeout:.0f} s"}
            print(size, tool, cell[tool], flush=True)
        rows.append(cell)
    write_results(rows, args)


def write_results(rows: list[dict], args: argparse.Namespace) -> None:
    load = os.getloadavg()
    lines = [
        "# fepois on a simulated gravity panel",
        "",
        f"`{FML}`; separation checks: {args.separation}. Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end. Median of {args.reps} fits after a "
        "warm-up, each cell in a fresh process; memory: growth of the peak RSS from before the data were generated "
        "(input frame included), in multiples of the input frame's bytes.",
        "",
        "| rows | zeros | chipwar s | pyfixest s | chipwar / pyfixest | chipwar mem | pyfixest mem | max abs coef diff |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in rows:
        cw_, pf_ = c.get("chipwar", {}), c.get("pyfixest", {})
        both = "time" in cw_ and "time" in pf_
        first = cw_ if "time" in cw_ else pf_

        def secs(r: dict) -> str:
            return f"{r['time']:.2f}" if "time" in r else r.get("error", "—")

        def mem(r: dict) -> str:
            return f"{r['extra_bytes'] / 2**20:.0f} MiB ({r['extra_bytes'] / r['input_bytes']:.1f}x)" if "time" in r else "—"

        ratio = f"{cw_['time'] / pf_['time']:.2f}" if both else "—"
        diff = f"{np.max(np.abs(np.subtract(cw_['coef'], pf_['coef']))):.1e}" if both else "—"
        lines.append(
            f"| {first.get('rows', c['n']):,} | {first.get('zero_share', float('nan')):.0%} | {secs(cw_)} | {secs(pf_)} | "
            f"{ratio} | {mem(cw_)} | {mem(pf_)} | {diff} |"
        )
    Path(args.out).write_text("\n".join(lines) + "\n")
    Path(args.out).with_suffix(".json").write_text(json.dumps(rows, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
