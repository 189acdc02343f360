"""What a fit keeps: the fields every regression shares (:class:`FitCore`) and the part only one kind of model
keeps (:class:`OlsPart`, :class:`IVPart`, :class:`PoissonPart`), so what a model can do is read from its type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from ..model.design import Design


@dataclass
class OlsPart:
    """What a least-squares fit keeps beyond the common fields: the demeaned data, for CRV3's closed form, the wild
    bootstrap and the within R2."""

    y_demeaned: np.ndarray
    x_demeaned: np.ndarray  # the kept regressors
    collin_tol: float  # the fit's collinearity tolerance, which CRV3's leave-outs check with


@dataclass
class IVPart:
    """What a 2SLS fit keeps: its first stages and the demeaned data of CRV3's closed form."""

    y_demeaned: np.ndarray
    first_stage: dict[str, FitCore[OlsPart]]  # one least-squares fit per endogenous regressor
    z_demeaned: np.ndarray  # the instruments (exogenous and excluded) the first stages kept
    x_structural: np.ndarray  # the kept second-stage regressors with the actual endogenous values
    collin_tol: float


@dataclass(frozen=True)
class PoissonOptions:
    """The IRLS tolerances of a fit (CRV3's refits use the same)."""

    tol: float
    maxiter: int
    fixef_tol: float
    fixef_maxiter: int
    collin_tol: float


@dataclass
class PoissonPart:
    """What a Poisson fit keeps: the linear predictor, the offset, how IRLS ended and the likelihoods."""

    eta: np.ndarray
    offset: np.ndarray | None
    options: PoissonOptions
    converged: bool
    iterations: int
    deviance: float
    loglik: float
    loglik_null: float
    n_separated: int = 0  # observations dropped by the separation checks before the fit


ModelPart = OlsPart | IVPart | PoissonPart
Part = TypeVar("Part", bound=ModelPart, covariant=True)


@dataclass(frozen=True, eq=False)
class FitCore(Generic[Part]):
    """What estimation produced, kept so variances can be recomputed without refitting (``part``: what only this
    kind of model keeps; ``FitCore[OlsPart]`` is a least-squares fit)."""

    design: Design
    coef: np.ndarray  # kept coefficients
    names: list[str]
    dropped: list[str]  # collinear or absorbed terms
    bread: np.ndarray
    scores: np.ndarray  # n x k
    resid: np.ndarray  # y - fitted (working residuals for GLMs)
    fitted: np.ndarray
    dispersion: float | None
    lhs: str  # the outcome's name (an IV first stage: the endogenous regressor's)
    part: Part
    fe_sum: np.ndarray | None = None  # sum of fixed effects per observation (linear predictor scale)
    sample: str | None = None  # the sample of a split estimation ("Full sample", "<column> = <group>")
