"""Variance-covariance estimators: ``vcov=`` specifications, what a model hands over to compute one, and the
estimators themselves (iid, HC1, one- and multiway CRV1, CRV3, Newey-West, Driscoll-Kraay). Knows no model."""

from .compute import VcovInputs, VcovResult, VcovSpec, compute_vcov, n_fixef_coefficients, parse_vcov

__all__ = ["VcovInputs", "VcovResult", "VcovSpec", "compute_vcov", "n_fixef_coefficients", "parse_vcov"]
