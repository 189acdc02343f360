"""Inference from influence functions: analytic (optionally clustered) covariances and the multiplier bootstrap.

Conventions follow R did: an estimator's influence function ``inf`` (n x K) is scaled so that the covariance of the
estimates is ``inf' inf / n**2``; with clustering, did averages the influence function within clusters and treats the
G cluster means as the observations. The bootstrap multiplies each row (unit or cluster) by an i.i.d. Rademacher
(did's choice, BMisc) or Mammen weight; standard errors are the bootstrap interquartile range divided by that of the
standard normal, and uniform bands use the sup-t critical value.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np

from .. import kernels
from .._errors import ChipwarError
from .._progress import run_tasks

# did reports a standard error as missing when it is numerically zero (e.g. the base period's normalised effect).
# did's threshold is absolute, right for an outcome of unit scale only (an outcome in millionths lost every standard
# error): here it is in units of the outcome's scale (``outcome_scale``), so results scale with the outcome.
ZERO_SE = np.sqrt(np.finfo(float).eps) * 10
_IQR_NORMAL = float(kernels.normal_quantile(0.75) - kernels.normal_quantile(0.25))
_CHUNK = 128  # bootstrap replicates per task handed to an executor


@dataclass
class Clustering:
    """Cluster membership of the n rows of an influence function (codes 0..G-1), or None for unit level."""

    codes: np.ndarray | None = None

    def rows(self, inf: np.ndarray) -> np.ndarray:
        """The rows inference treats as independent: units, or cluster means of the influence function."""
        if self.codes is None:
            return inf
        sizes = np.bincount(self.codes)
        return kernels.group_sums(np.asfortranarray(inf), self.codes.astype(np.int32), len(sizes)) / sizes[:, None]

    def n_independent(self, n: int) -> int:
        return n if self.codes is None else int(self.codes.max()) + 1


def analytic_vcov(inf: np.ndarray, clustering: Clustering) -> np.ndarray:
    """Covariance of the estimates: ``inf' inf / n**2`` (or over cluster means, ``m' m / G**2``)."""
    rows = clustering.rows(inf)
    # Eigen's symmetric rank update (GIL released): numpy's BLAS matmul competes for threads with the kernels.
    return kernels.crossprod(np.asfortranarray(rows)) / rows.shape[0] ** 2


def outcome_scale(values: np.ndarray) -> float:
    """The scale a standard error is numerically zero against: the outcome's standard deviation, but at least
    sqrt(eps) times its magnitude (a constant outcome's rounding noise is zero too); 1 for an outcome of unit scale."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return 1.0
    return float(max(finite.std(), np.sqrt(np.finfo(float).eps) * np.abs(finite).max()))


def standard_errors(vcov: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Square roots of the diagonal, NaN where numerically zero (as did reports them) for an outcome of ``scale``."""
    se = np.sqrt(np.clip(np.diag(vcov), 0.0, None))
    return np.where(se <= ZERO_SE * scale, np.nan, se)


def seed_or_random(seed: int | None) -> int:
    """The seed to use: the given one, or a fresh random one (stored on results so any run can be repeated)."""
    if seed is None:
        return int(np.random.SeedSequence().entropy % (2**63))
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ChipwarError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def sup_t_critical(draws: np.ndarray, sigma: np.ndarray, alpha: float) -> float:
    """did's uniform-band critical value: the 1 - alpha quantile (type 1) of max_k |draw_k / sigma_k|."""
    if draws.shape[1] == 0:
        return np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        t_max = np.max(np.abs(draws / sigma), axis=1)
    t_max = t_max[np.isfinite(t_max)]
    return float(np.quantile(t_max, 1 - alpha, method="inverted_cdf")) if t_max.size else np.nan


@dataclass
class BootstrapResult:
    draws: np.ndarray  # B x K, sqrt(G) * mean(v * rows)
    sigma: np.ndarray  # K bootstrap scale (IQR / IQR of the normal) of the draws
    se: np.ndarray  # K bootstrap standard errors of the estimates (NaN for degenerate columns)
    crit: float  # sup-t critical value over the non-degenerate columns
    vcov: np.ndarray  # K x K covariance of the estimates implied by the draws


def multiplier_bootstrap(
    inf: np.ndarray,
    clustering: Clustering,
    replicates: int,
    seed: int,
    alpha: float,
    kind: str = "rademacher",
    executor: Executor | None = None,
    progress: bool | None = None,
    scale: float = 1.0,
) -> BootstrapResult:
    """Multiplier bootstrap of the estimates whose influence functions are the columns of ``inf`` (on an outcome of
    ``scale``: columns whose draws are numerically zero against it get NaN standard errors).

    The replicates are split into chunks with their own index range, so the draws are the same whether they run
    in one call, on any number of threads, or on an executor.
    """
    if not isinstance(replicates, (int, np.integer)) or replicates < 2:
        raise ChipwarError(f"bootstrap must be None or a number of replicates >= 2, got {replicates!r}")
    rows = np.asfortranarray(clustering.rows(inf))  # the kernel's layout: a C-ordered array would be copied twice
    g = rows.shape[0]
    starts = list(range(0, int(replicates), _CHUNK))

    def chunk(start: int, rows: np.ndarray) -> np.ndarray:
        count = min(_CHUNK, int(replicates) - start)
        return kernels.multiplier_bootstrap(rows, count, seed, kind, start)

    # the G x K matrix is shared by every chunk: sent once to a dask cluster, not once per chunk
    draws = np.vstack(
        run_tasks(
            chunk, starts, executor=executor, progress=progress, desc="multiplier bootstrap", shared={"rows": rows}
        )
    )
    q75, q25 = np.quantile(draws, [0.75, 0.25], axis=0, method="inverted_cdf")  # R's quantile type 1
    sigma = (q75 - q25) / _IQR_NORMAL
    good = np.isfinite(draws).all(axis=0) & ((draws**2).sum(axis=0) > ZERO_SE * scale**2)
    se = np.where(good, sigma / np.sqrt(g), np.nan)
    crit = sup_t_critical(draws[:, good], sigma[good], alpha)
    centred = np.asfortranarray(draws - draws.mean(axis=0))
    vcov = kernels.crossprod(centred) / (draws.shape[0] - 1) / g  # sample covariance of the draws, per observation
    return BootstrapResult(draws, sigma, se, crit, vcov)
