"""Variance-covariance estimators: ``vcov=`` specifications (:mod:`.spec`), what a model hands over to compute one
(:mod:`.inputs`), the estimators (:mod:`.compute`: iid, HC1, one- and multiway CRV1; :mod:`.crv3`; :mod:`.hac`:
Newey-West, Driscoll-Kraay) and the leave-one-cluster-out rules of linear models (:mod:`.jackknife`).
Knows no model: a model describes itself through :class:`VcovInputs`."""

from .compute import compute_vcov, n_fixef_coefficients
from .inputs import VcovInputs, VcovResult
from .spec import VcovSpec, parse_vcov

__all__ = ["VcovInputs", "VcovResult", "VcovSpec", "compute_vcov", "n_fixef_coefficients", "parse_vcov"]
