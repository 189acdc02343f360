"""CRV3 for ``fepois``: the Poisson model refitted without each cluster (see :mod:`chipwar.vcov.jackknife`).

Poisson estimates have no closed-form update when a cluster leaves, so each replicate is a full IRLS fit (the
C++ kernel of :func:`chipwar.fepois`, with the fit's tolerances) on the estimation sample without one cluster
and with the regressors the full fit kept. Fixed effects nested in the cluster lose whole groups, so the other
groups keep their data and nothing new becomes separated by them. The replicates run through the project's
replicate loop: ``fit.with_vcov({"CRV3": g}, executor=..., progress=...)`` spreads them over an executor (the
kernel releases the GIL, so threads work). They start from the kernel's usual starting values: the kernel takes
no starting coefficients.
"""

from __future__ import annotations

import warnings
from concurrent.futures import Executor

import numpy as np

from .. import kernels
from .._errors import ConvergenceWarning
from .._progress import run_tasks
from ..model.design import restrict_design
from ..vcov.jackknife import LeaveOut, LeftOutSingular
from .demean import ABSORBED_TOL
from .fit import FitCore, PoissonPart


def poisson_leave_out(
    core: FitCore[PoissonPart], executor: Executor | None = None, progress: bool | None = None
) -> LeaveOut:
    """``b_(-g) - b`` for every cluster g, by refitting the Poisson model of ``core`` without cluster g (the refits
    on ``executor``, in order, with a progress bar when ``progress``)."""
    d = core.design
    kept = [d.x_names.index(name) for name in core.names]
    opt = core.part.options
    offset = core.part.offset

    def leave_out(codes: np.ndarray, n_clusters: int) -> np.ndarray:
        def refit(g: int) -> tuple[np.ndarray, bool]:
            keep = codes != g
            sub = restrict_design(d, keep)
            out = kernels.fit_poisson(
                np.asfortranarray(sub.x[:, kept]),
                sub.y,
                sub.fe_codes,
                sub.n_groups,
                sub.weights,
                None if offset is None else np.ascontiguousarray(offset[keep]),
                opt.tol,
                opt.maxiter,
                opt.fixef_tol,
                opt.fixef_maxiter,
                opt.collin_tol,
                ABSORBED_TOL,
            )
            if not out.all_kept:
                raise LeftOutSingular(
                    g, [name for name, s in zip(core.names, out.status) if s != kernels.ColumnStatus.kept]
                )
            return out.coef - core.coef, out.converged

        reps = run_tasks(refit, range(n_clusters), executor, progress, desc="CRV3 refits")
        failed = sum(not ok for _, ok in reps)
        if failed:
            warnings.warn(
                f"CRV3: {failed} of {n_clusters} leave-one-cluster-out Poisson refits did not converge in "
                f"{opt.maxiter} iterations; raise maxiter",
                ConvergenceWarning,
                stacklevel=2,
            )
        return np.vstack([delta for delta, _ in reps])

    return leave_out
