"""The Python synthdid port (pip package ``synthdid``) timed on the panels of bench_synth.py.

The port pins numpy 1.23 / pandas 1.5, so it cannot share chipwar's environment: it runs in a virtual environment of
its own, on the same machine, and this script is run twice (the numbers go into results_synth.md by hand):

    python -m venv /tmp/venv-synthdid && /tmp/venv-synthdid/bin/pip install synthdid
    PYTHONPATH=python python benchmarks/bench_synthdid_port.py --write-sim /tmp/sim.csv        # chipwar's env
    /tmp/venv-synthdid/bin/python benchmarks/bench_synthdid_port.py PROP99.csv /tmp/sim.csv    # the port's env

It times the SDID point estimate (median of 3 after a warm-up) and the port's placebo standard error with
``--reps`` replicates (``Synthdid.vcov`` always runs 50, whatever ``n_reps`` says, so ``placebo_se`` is called
directly), and reports the time per replicate.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings


def write_simulated(path: str) -> None:
    from bench_synth import simulated

    simulated().to_csv(path, index=False)


def timed(fn, repeats: int = 3) -> float:
    fn()  # warm-up
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("prop99", nargs="?")
    p.add_argument("sim", nargs="?")
    p.add_argument("--write-sim")
    p.add_argument("--reps", type=int, default=20)
    args = p.parse_args()
    if args.write_sim:
        write_simulated(args.write_sim)
        return
    import numpy as np
    import pandas as pd
    from synthdid.synthdid import Synthdid
    from synthdid.vcov import placebo_se

    warnings.simplefilter("ignore")
    prop99 = pd.read_csv(args.prop99, sep=None, engine="python")
    panels = {
        "Prop 99": prop99.rename(columns={"State": "unit", "Year": "time", "PacksPerCapita": "outcome",
                                          "treated": "treatment"}),
        "200 x 130 simulated": pd.read_csv(args.sim).rename(columns={"y": "outcome", "treated": "treatment"}),
    }
    for name, data in panels.items():
        data = data[["unit", "time", "treatment", "outcome"]]
        fit = Synthdid(data, "unit", "time", "treatment", "outcome").fit()
        fit_time = timed(lambda: Synthdid(data, "unit", "time", "treatment", "outcome").fit())
        np.random.seed(1)
        start = time.perf_counter()
        se = placebo_se(fit.data_ref, n_reps=args.reps)
        per_rep = (time.perf_counter() - start) / args.reps
        print(f"{name}: att {float(np.ravel(fit.att)[0]):.5f}  fit {fit_time:.3f} s  placebo se ({args.reps} reps) "
              f"{se:.3f}  per replicate {per_rep:.3f} s  (200 replicates ~ {fit_time + 200 * per_rep:.1f} s)",
              flush=True)


if __name__ == "__main__":
    sys.exit(main())
