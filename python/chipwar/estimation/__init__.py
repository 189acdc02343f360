"""Regressions with high-dimensional fixed effects."""

from .feols import feols
from .result import RegressionResult

__all__ = ["feols", "RegressionResult"]
