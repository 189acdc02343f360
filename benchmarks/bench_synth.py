"""Timings of chipwar's synthetic-control estimators (median of at least 3 runs after a warm-up, and of as many as
make up a second for jobs of a few milliseconds).

Run from the repository root: PYTHONPATH=python python benchmarks/bench_synth.py [path/to/shared/data/reference/synth]
Peers, each timed the same way in the same run when importable: diff-diff (SyntheticDiD, placebo variance with 200
replicates), panelkit (SyntheticDiD with its in-space placebo, one refit per donor) and, with --pysyncon, pysyncon's ADH
fit (one run only: it takes minutes). The Python synthdid port pins numpy 1.23 / pandas 1.5 and is timed in a venv of
its own by bench_synthdid_port.py.
The last lines give the issue's target, chipwar's time per placebo replicate over panelkit's per refit, from the
same run; the load average printed next to the thread count says how quiet the machine was.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import chipwar as cw
from chipwar import ConvergenceWarning


def timed(fn, repeats: int = 3, min_seconds: float = 1.0, max_repeats: int = 50) -> float:
    """Median wall time after a warm-up: at least ``repeats`` runs, more (up to ``max_repeats``) until they add up
    to ``min_seconds``, so that jobs of a few milliseconds get a stable median too."""
    fn()  # warm-up
    runs: list[float] = []
    while len(runs) < repeats or (sum(runs) < min_seconds and len(runs) < max_repeats):
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


def peer_rows(prop99: pd.DataFrame, sim: pd.DataFrame) -> list[tuple[str, float]]:
    rows = []
    try:
        import diff_diff
    except ImportError:
        diff_diff = None
    if diff_diff is not None:
        def dd(data: pd.DataFrame, outcome: str, unit: str, time_: str, post: list) -> None:
            # diff-diff wants the unit-level (ever-treated) indicator plus the post periods.
            ever = data.assign(ever=data.groupby(unit)["treated"].transform("max"))
            diff_diff.SyntheticDiD(variance_method="placebo", n_bootstrap=200, seed=1).fit(
                ever, outcome=outcome, treatment="ever", unit=unit, time=time_, post_periods=post)
        rows.append(("diff-diff SDID + 200 placebo reps, Prop 99",
                     timed(lambda: dd(prop99, "PacksPerCapita", "State", "Year", list(range(1989, 2001))))))
        rows.append(("diff-diff SDID + 200 placebo reps, 200 x 130 simulated",
                     timed(lambda: dd(sim, "y", "unit", "time", list(range(100, 130))))))
    try:
        import panelkit
    except ImportError:
        panelkit = None
    if panelkit is not None:
        def pk(data: pd.DataFrame, outcome: str, unit: str, time_: str, treated_unit: object, t0: int) -> None:
            y = data.pivot(index=unit, columns=time_, values=outcome)
            panelkit.SyntheticDiD(inference="placebo").fit(y.to_numpy(), [list(y.index).index(treated_unit)], t0)
        rows.append(("panelkit SDID + in-space placebo (38 refits), Prop 99",
                     timed(lambda: pk(prop99, "PacksPerCapita", "State", "Year", "California", 19))))
        rows.append(("panelkit SDID + in-space placebo (199 refits), 200 x 130 simulated",
                     timed(lambda: pk(sim, "y", "unit", "time", 199, 100))))
    return rows


def pysyncon_fit_seconds(smoking: pd.DataFrame) -> float:
    from pysyncon import Dataprep, Synth

    donors = [u for u in smoking.state.unique() if u != "California"]
    prep = Dataprep(foo=smoking, predictors=["lnincome", "retprice", "age15to24"], predictors_op="mean",
                    time_predictors_prior=range(1980, 1989),
                    special_predictors=[("beer", range(1984, 1989), "mean"), ("cigsale", [1975], "mean"),
                                        ("cigsale", [1980], "mean"), ("cigsale", [1988], "mean")],
                    dependent="cigsale", unit_variable="state", time_variable="year",
                    treatment_identifier="California", controls_identifier=donors, time_optimize_ssr=range(1970, 1989))
    start = time.perf_counter()
    Synth().fit(dataprep=prep)
    return time.perf_counter() - start


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "shared/data/reference/synth"
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
        ("ADH fit, Prop 99", timed(lambda: cw.synth(smoking, "cigsale", "state", "year", "California", 1989,
                                                    predictors=predictors, optimize_window=range(1970, 1989)))),
        ("ADH fit + 38 space placebos, Prop 99", timed(adh_and_placebo)),
        ("SDID + 200 placebo reps, Prop 99", timed(lambda: cw.sdid(prop99, "PacksPerCapita", "State", "Year", "treated", seed=1))),
        ("SDID + 200 placebo reps, 200 x 130 simulated", timed(lambda: cw.sdid(sim, "y", "unit", "time", "treated", seed=1), repeats=3)),
        ("SC (outcomes) fit, 200 x 130 simulated", timed(lambda: cw.synth(sim, "y", "unit", "time", 199, 100, v=np.ones(100)))),
    ]
    rows += peer_rows(prop99, sim)
    if "--pysyncon" in sys.argv:
        rows.append(("pysyncon ADH fit, Prop 99 (one run)", pysyncon_fit_seconds(smoking)))
    print(f"threads: {cw.get_num_threads()}, load average {os.getloadavg()[0]:.2f}")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.3f} s |")
    print_per_replicate(dict(rows))


def print_per_replicate(seconds: dict[str, float]) -> None:
    """The issue's target: chipwar's time per placebo replicate against panelkit's per in-space refit (each run's
    total over its count: 200 replicates for chipwar, one refit per donor for panelkit), measured in the same run."""
    pairs = [("Prop 99", "SDID + 200 placebo reps, Prop 99", "panelkit SDID + in-space placebo (38 refits), Prop 99", 38),
             ("200 x 130", "SDID + 200 placebo reps, 200 x 130 simulated",
              "panelkit SDID + in-space placebo (199 refits), 200 x 130 simulated", 199)]
    for label, ours, theirs, refits in pairs:
        if ours in seconds and theirs in seconds:
            mine, peer = seconds[ours] / 200 * 1e3, seconds[theirs] / refits * 1e3
            print(f"per replicate, {label}: chipwar {mine:.3f} ms, panelkit {peer:.3f} ms per refit, ratio {mine / peer:.2f}")


if __name__ == "__main__":
    main()
