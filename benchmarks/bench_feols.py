"""feols against pyfixest and linearmodels' AbsorbingLS on fixest's benchmark DGPs.

Each (tool, DGP, size, fixed effects) cell runs in a fresh subprocess: one warm-up fit (JIT compilation for
pyfixest), then the median wall time of ``--reps`` fits, and the process's peak resident memory. Results go to
``benchmarks/results_feols.md`` as times and ratios to pyfixest.

DGPs
- simple (fixest's benchmark): fixed effects of sizes n/20, sqrt(n) and n^0.33, two regressors.
- difficult (in the spirit of fixest_benchmarks' firm-worker DGP): workers observed over years who rarely move
  between firms (5% a year), so the worker and firm effects are weakly connected and alternating projections
  converge slowly; fixed effects worker, firm, year.

Usage: ``python benchmarks/bench_feols.py --sizes 1e5 1e6 [1e7] --reps 3 [--dgps simple] [--out FILE]``
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

FE_SETS = {1: ["f1"], 2: ["f1", "f2"], 3: ["f1", "f2", "f3"]}


def simple_dgp(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sizes = [max(n // 20, 2), max(int(n**0.5), 2), max(int(n**0.33), 2)]
    df = pd.DataFrame({f"f{q + 1}": rng.integers(0, g, n) for q, g in enumerate(sizes)})
    df["x1"] = rng.normal(size=n)
    df["x2"] = rng.normal(size=n) ** 2
    effects = sum(rng.normal(size=g)[df[f"f{q + 1}"].to_numpy()] for q, g in enumerate(sizes))
    df["y"] = df.x1 + 0.05 * df.x2 + effects + rng.normal(size=n)
    return df


def difficult_dgp(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    years = 10
    workers = max(n // years, 2)
    firms = max(n // 100, 2)
    worker = np.repeat(np.arange(workers), years)[:n]
    year = np.tile(np.arange(years), workers)[:n]
    start = rng.integers(0, firms, workers)
    moves = rng.random(n) < 0.05
    # a worker's firm changes only when they move; cumulative moves shift the firm id
    move_count = pd.Series(moves.astype(np.int64)).groupby(worker).cumsum().to_numpy()
    firm = (start[worker] + move_count * rng.integers(1, firms, workers)[worker]) % firms
    df = pd.DataFrame({"f1": worker, "f2": firm, "f3": year})
    df["x1"] = rng.normal(size=n)
    df["x2"] = rng.normal(size=n) ** 2
    df["y"] = (
        df.x1 + 0.05 * df.x2 + rng.normal(size=workers)[worker] + rng.normal(size=firms)[firm]
        + 0.1 * year + rng.normal(size=n)
    )
    return df


def fit_once(tool: str, df: pd.DataFrame, fes: list[str]) -> float:
    fml = f"y ~ x1 + x2 | {' + '.join(fes)}"
    if tool == "chipwar":
        import chipwar as cw

        return float(cw.feols(fml, df).coef["x1"])
    if tool == "pyfixest":
        import pyfixest as pf

        return float(pf.feols(fml, df).coef()["x1"])
    if tool == "linearmodels":
        from linearmodels.iv.absorbing import AbsorbingLS

        absorb = pd.DataFrame({f: pd.Categorical(df[f]) for f in fes})
        res = AbsorbingLS(df["y"], df[["x1", "x2"]], absorb=absorb).fit()
        return float(res.params["x1"])
    raise ValueError(tool)


def run_cell(tool: str, dgp: str, n: int, n_fe: int, reps: int) -> dict:
    """Run in a child process: warm-up, ``reps`` timed fits, peak memory."""
    import warnings

    warnings.simplefilter("ignore")
    make = simple_dgp if dgp == "simple" else difficult_dgp
    fes = FE_SETS[n_fe]
    # warm up (JIT compilation for pyfixest) on a small draw of the same DGP; the head of a large draw would leave
    # every fixed-effect group a singleton
    fit_once(tool, make(20_000, seed=2), fes)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    df = make(n)
    input_bytes = int(df.memory_usage(index=False).sum())
    times, coef = [], None
    for _ in range(reps):
        t = time.perf_counter()
        coef = fit_once(tool, df, fes)
        times.append(time.perf_counter() - t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "time": float(np.median(times)),
        "peak_bytes": peak,
        "extra_bytes": peak - baseline,
        "input_bytes": input_bytes,
        "coef": coef,
    }


def child(args: argparse.Namespace) -> None:
    try:
        out = run_cell(args.tool, args.dgp, int(args.n), args.n_fe, args.reps)
    except Exception as exc:  # a peer failing is a result too
        out = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:80] if str(exc) else ''}"}
    print(json.dumps(out))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", nargs="+", default=["1e5", "1e6"])
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--tools", nargs="+", default=["chipwar", "pyfixest", "linearmodels"])
    p.add_argument("--dgps", nargs="+", default=["simple", "difficult"], choices=["simple", "difficult"])
    p.add_argument("--linearmodels-max", type=float, default=1e6, help="skip AbsorbingLS above this size (too slow)")
    p.add_argument("--out", default=str(Path(__file__).with_name("results_feols.md")))
    p.add_argument("--child", nargs=5, metavar=("TOOL", "DGP", "N", "NFE", "REPS"))
    args = p.parse_args()
    if args.child:
        tool, dgp, n, n_fe, reps = args.child
        child(argparse.Namespace(tool=tool, dgp=dgp, n=float(n), n_fe=int(n_fe), reps=int(reps)))
        return
    rows = []
    for dgp in args.dgps:
        for size in args.sizes:
            n = int(float(size))
            for n_fe in (1, 2, 3):
                cell = {"dgp": dgp, "n": n, "n_fe": n_fe}
                for tool in args.tools:
                    # AbsorbingLS needs minutes where alternating projections converge slowly
                    lm_max = args.linearmodels_max if dgp == "simple" else min(args.linearmodels_max, 1e5)
                    if tool == "linearmodels" and n > lm_max:
                        continue
                    cmd = [sys.executable, __file__, "--child", tool, dgp, str(n), str(n_fe), str(args.reps)]
                    res = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
                    line = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else ""
                    try:
                        cell[tool] = json.loads(line)
                    except json.JSONDecodeError:
                        cell[tool] = {"error": (res.stderr.strip().splitlines() or ["crashed"])[-1][:80]}
                    print(dgp, n, n_fe, tool, cell[tool], flush=True)
                rows.append(cell)
    write_table(rows, args)


def _fmt(cell: dict, tool: str) -> tuple[str, str]:
    r = cell.get(tool)
    if r is None:
        return "—", "—"
    if "error" in r:
        return f"failed ({r['error']})", "—"
    return f"{r['time']:.3f}", f"{r['extra_bytes'] / r['input_bytes']:.1f}x"


def write_table(rows: list[dict], args: argparse.Namespace) -> None:
    lines = [
        "# feols benchmark",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"median of {args.reps} fits after a warm-up, each cell in a fresh process. Peak memory: the growth of the "
        "process's maximum resident set size from before the data were generated (interpreter and libraries "
        "excluded) over the input DataFrame's bytes; it includes generating the data.",
        "",
        "| DGP | n | FE | chipwar s | pyfixest s | linearmodels s | chipwar / pyfixest | chipwar / linearmodels | chipwar peak mem | pyfixest peak mem |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in rows:
        cw_t, cw_m = _fmt(c, "chipwar")
        pf_t, pf_m = _fmt(c, "pyfixest")
        lm_t, _ = _fmt(c, "linearmodels")

        def ratio(other: str) -> str:
            a, b = c.get("chipwar", {}), c.get(other, {})
            return f"{a['time'] / b['time']:.2f}" if "time" in a and "time" in b else "—"

        lines.append(
            f"| {c['dgp']} | {c['n']:.0e} | {c['n_fe']} | {cw_t} | {pf_t} | {lm_t} | {ratio('pyfixest')} | "
            f"{ratio('linearmodels')} | {cw_m} | {pf_m} |"
        )
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
