"""What a model hands to the variance estimators, and what they return."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class VcovInputs:
    """What a model provides to compute its variance (all on the estimation sample)."""

    bread: np.ndarray  # (k x k): (X'WX)^-1, or the inverse Hessian for a GLM (block diagonal for a stacked system)
    scores: np.ndarray  # (n x k): per-observation contributions to the estimating equations
    # k counts the coefficients of one equation (for the small-sample factors); bread and scores may stack several
    # equations with the same regressors (the first stages of IV), m * k wide
    n: int
    k: int
    fe_sizes: list[int]
    fe_codes: np.ndarray  # (n x Q) int32
    codes_of: Callable[..., tuple[np.ndarray, int]]  # (columns, time=False) -> (codes, G), as Design.codes_of
    dispersion: float | None = None  # sum(w e^2) for OLS (iid uses it); None: the bread is already the variance
    fe_names: list[str] = field(default_factory=list)
    weights: np.ndarray | None = None
    # CRV3: maps (cluster codes, G) to the G x p matrix of b_(-g) - b, the estimates without each cluster minus the
    # full-sample ones (p = the size of the bread); None when the model has no leave-one-cluster-out rule
    leave_out: Callable[[np.ndarray, int], np.ndarray] | None = None
    level_of: Callable[[tuple[str, ...], int], str] | None = None  # a cluster's label, for messages


@dataclass
class VcovResult:
    matrix: np.ndarray
    df: float  # degrees of freedom of the t reference (inf: normal)
    label: str
    n_clusters: dict[str, int] = field(default_factory=dict)
