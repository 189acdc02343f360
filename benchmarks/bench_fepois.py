"""fepois against pyfixest's fepois on a Poisson DGP with three fixed effects (in the spirit of fixest's benchmarks).

Usage: ``PYTHONPATH=python python benchmarks/bench_fepois.py [n ...]``. Both estimators run in the same process
on the same data; each time is the median of three runs after one warm-up run. Prints a markdown table of
seconds and the ratio chipwar / pyfixest, after checking that the two coefficient vectors agree.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np
import pandas as pd


def poisson_dgp(n: int, seed: int = 1) -> pd.DataFrame:
    """y ~ Poisson(exp(0.5 x1 - 0.3 x2 + a[id1] + b[id2] + c[id3])) with n/20, n/200 and 20 groups."""
    rng = np.random.default_rng(seed)
    sizes = (max(n // 20, 2), max(n // 200, 2), 20)
    ids = [rng.integers(0, g, n) for g in sizes]
    effects = sum(rng.normal(0, 0.5, g)[i] for g, i in zip(sizes, ids))
    x1, x2 = rng.normal(size=(2, n))
    y = rng.poisson(np.exp(0.5 * x1 - 0.3 * x2 + effects))
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "id1": ids[0], "id2": ids[1], "id3": ids[2]})


def timed(fn, repeats: int = 3) -> tuple[float, object]:
    fn()  # warm-up (imports, JIT, caches)
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main(sizes: list[int]) -> None:
    import warnings

    import pyfixest as pf

    import chipwar as cw

    fml = "y ~ x1 + x2 | id1 + id2 + id3"
    print("| rows | chipwar (s) | pyfixest (s) | ratio | max abs coef diff |")
    print("|---|---|---|---|---|")
    for n in sizes:
        data = poisson_dgp(n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # separation / singleton notices are the same for both
            t_cw, ours = timed(lambda: cw.fepois(fml, data))
            t_pf, theirs = timed(lambda: pf.fepois(fml, data))
        diff = float(np.max(np.abs(ours.coef.to_numpy() - theirs.coef().to_numpy())))
        print(f"| {n:,} | {t_cw:.3f} | {t_pf:.3f} | {t_cw / t_pf:.2f} | {diff:.1e} |", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
