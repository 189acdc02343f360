"""Regressions with high-dimensional fixed effects."""

from .feols import feols
from .fepois import fepois
from .multiple import FitCollection
from .poisson_result import PoissonResult
from .result import RegressionResult

__all__ = ["FitCollection", "PoissonResult", "RegressionResult", "feols", "fepois"]
