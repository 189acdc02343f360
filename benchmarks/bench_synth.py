"""Timings of chipwar's synthetic-control estimators (median of 3 runs after a warm-up).

Run from the repository root: PYTHONPATH=python python benchmarks/bench_synth.py [path/to/shared/data/reference/synth]
Peer packages (pysyncon, synthdid, diff-diff, panelkit) are not compared yet: see results_synth.md.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import chipwar as cw
from chipwar import ConvergenceWarning


def timed(fn, repeats: int = 3) -> float:
    fn()  # warm-up
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def simulated(n_units: int = 200, n_periods: int = 130, n_pre: int = 100, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    factors = np.cumsum(rng.normal(size=(n_periods, 3)), axis=0)
    y = rng.normal(size=(n_units, 1)) + rng.uniform(size=(n_units, 3)) @ factors.T + 0.5 * rng.normal(size=(n_units, n_periods))
    treated = np.zeros((n_units, n_periods))
    treated[-1, n_pre:] = 1
    return pd.DataFrame({"unit": np.repeat(np.arange(n_units), n_periods), "time": np.tile(np.arange(n_periods), n_units),
                         "y": (y + treated).ravel(), "treated": treated.ravel()})


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared/data/reference/synth"
    warnings.simplefilter("ignore", ConvergenceWarning)
    smoking = pd.read_csv(root / "smoking.csv")
    years = range(1980, 1989)
    predictors = [("lnincome", years), ("retprice", years), ("age15to24", years), ("beer", range(1984, 1989)),
                  ("cigsale", [1975]), ("cigsale", [1980]), ("cigsale", [1988])]

    def adh_and_placebo() -> None:
        fit = cw.synth(smoking, "cigsale", "state", "year", "California", 1989, predictors=predictors,
                       optimize_window=range(1970, 1989))
        fit.placebo("space")

    prop99 = pd.read_csv(root / "california_prop99.csv", sep=";")
    sim = simulated()
    rows = [
        ("ADH fit + 38 space placebos, Prop 99", timed(adh_and_placebo)),
        ("SDID + 200 placebo reps, Prop 99", timed(lambda: cw.sdid(prop99, "PacksPerCapita", "State", "Year", "treated", seed=1))),
        ("SDID + 200 placebo reps, 200 x 130 simulated", timed(lambda: cw.sdid(sim, "y", "unit", "time", "treated", seed=1), repeats=3)),
        ("SC (outcomes) fit, 200 x 130 simulated", timed(lambda: cw.synth(sim, "y", "unit", "time", 199, 100, v=np.ones(100)))),
    ]
    print(f"threads: {cw.get_num_threads()}")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.3f} s |")


if __name__ == "__main__":
    main()
