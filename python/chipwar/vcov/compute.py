"""Variance-covariance estimators for linear (and, through their scores, nonlinear) models.

Small-sample corrections follow fixest's defaults (``ssc(adj = TRUE, fixef.K = "nested", cluster.adj = TRUE,
cluster.df = "min", t.df = "min")``), which also reproduce Stata's ``areg``/``xtreg, fe``/``reghdfe``:

- ``"iid"``: ``sigma^2 (X'WX)^-1`` with ``sigma^2 = sum(w e^2) / (n - K)``, K = coefficients + fixed-effect
  coefficients (the first fixed effect counts all its groups, each further one its groups minus one).
- ``"hetero"`` (HC1): ``n / (n - K)`` times the sandwich.
- ``{"CRV1": "a"}``: ``G / (G - 1) * (n - 1) / (n - K)`` times the sandwich, where fixed effects nested in the
  cluster variable are not counted in K (their groups are absorbed by the clusters). Multiway clustering
  (``"a + b"``) sums the inclusion-exclusion terms of Cameron, Gelbach & Miller (2011), all with the smallest
  G; a non-positive-semidefinite result is repaired by zeroing its negative eigenvalues.
- Inference uses Student's t with ``n - K`` degrees of freedom, or ``G - 1`` (smallest G) when clustered.
- ``{"CRV3": g}``: see :mod:`chipwar.vcov.crv3`; ``{"NW": L, "time": t, "panel": i}`` and
  ``{"DK": L, "time": t}``: see :mod:`chipwar.vcov.hac`.
- GLMs (``dispersion=None``; the bread is the inverse Hessian, the scores ``x~ w (y - mu)``): iid is the bread
  times ``(n - 1) / (n - K)``; hetero and clustered as above; inference uses the normal distribution.
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import kernels
from .._errors import ChipwarError
from ..model.checks import require_clusters
from .clusters import is_nested
from .crv3 import crv3_vcov
from .hac import hac_vcov
from .inputs import VcovInputs, VcovResult
from .spec import VcovSpec


def n_fixef_coefficients(fe_sizes: list[int]) -> int:
    """fixest's count (``fixef.force_exact = FALSE``): all groups of the first, groups - 1 of each further one."""
    if not fe_sizes:
        return 0
    return fe_sizes[0] + sum(g - 1 for g in fe_sizes[1:])


def _meat(scores: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    sums = kernels.group_sums(np.asfortranarray(scores), codes, n_groups)
    return sums.T @ sums


def _psd(v: np.ndarray) -> np.ndarray:
    if not np.isfinite(v).all():  # eigh would raise LinAlgError; say what overflowed instead
        raise ChipwarError(
            "the multiway clustered variance is not finite: the scores (regressors times residuals) overflow float64; "
            "rescale the outcome and the regressors (divide them by a power of ten) and scale the estimates back"
        )
    vals, vecs = np.linalg.eigh((v + v.T) / 2)
    if vals.min() >= 0:
        return v
    return (vecs * np.clip(vals, 0, None)) @ vecs.T


def compute_vcov(spec: VcovSpec, inp: VcovInputs, t_reference: bool = True) -> VcovResult:
    """Variance of the coefficients under ``spec`` with fixest's small-sample corrections."""
    n, k = inp.n, inp.k
    n_fe = n_fixef_coefficients(inp.fe_sizes)
    k_total = k + n_fe
    if k == 0:  # nothing but fixed effects was estimated: an empty variance, whatever the degrees of freedom
        return VcovResult(np.zeros((0, 0)), float(n - k_total) if t_reference else np.inf, spec.label)
    if n - k_total <= 0:
        raise ChipwarError(
            f"no residual degrees of freedom: {n} observations for {k} coefficients and {n_fe} fixed-effect "
            "coefficients"
        )
    df_resid = float(n - k_total) if t_reference else np.inf
    if spec.kind == "iid":
        if inp.dispersion is None:
            return VcovResult(inp.bread * (n - 1) / (n - k_total), df_resid, spec.label)
        return VcovResult(inp.bread * inp.dispersion / (n - k_total), df_resid, spec.label)
    if spec.kind == "hetero":
        meat = inp.scores.T @ inp.scores
        # n / (n - K) for linear models and GLMs alike (fixest's HC1)
        return VcovResult(n / (n - k_total) * inp.bread @ meat @ inp.bread, df_resid, spec.label)
    if spec.kind in ("NW", "DK", "CRV3"):
        return crv3_vcov(spec, inp, t_reference) if spec.kind == "CRV3" else hac_vcov(spec, inp, k_total, t_reference)

    # cluster-robust, one- or multiway
    cluster_codes = {}
    for c in spec.clusters:
        cluster_codes[c] = inp.codes_of(c)
    # fixed effects nested in any of the clusters are not counted in K (fixest's fixef.K = "nested")
    nested = [
        q
        for q in range(inp.fe_codes.shape[1])
        if any(is_nested(inp.fe_codes[:, q], codes) for codes, _ in cluster_codes.values())
    ]
    sizes = inp.fe_sizes
    n_fe_kept = sum((g if q == 0 else g - 1) for q, g in enumerate(sizes) if q not in nested)
    # one coefficient of the nested ones remains (the constant they absorb)
    k_c = k + n_fe_kept + (1 if nested else 0)
    for c, (_, g) in cluster_codes.items():
        require_clusters("^".join(c), g)
    g_min = min(g for _, g in cluster_codes.values())
    matrix = np.zeros_like(inp.bread)  # k x k, or larger for a stacked system of equations
    names = list(cluster_codes)
    for r in range(1, len(names) + 1):
        for combo in itertools.combinations(names, r):
            if r == 1:
                codes, g = cluster_codes[combo[0]]
            else:
                codes, g = _intersection([cluster_codes[c][0] for c in combo])
            sign = 1.0 if r % 2 == 1 else -1.0
            matrix += sign * _meat(inp.scores, codes, g)
    adj = g_min / (g_min - 1) * (n - 1) / (n - k_c)
    v = adj * inp.bread @ matrix @ inp.bread
    if len(names) > 1:
        v = _psd(v)
    df = float(g_min - 1) if t_reference else np.inf
    return VcovResult(v, df, spec.label, {"^".join(c): g for c, (_, g) in cluster_codes.items()})


def _intersection(code_list: list[np.ndarray]) -> tuple[np.ndarray, int]:
    key = np.column_stack(code_list)
    _, inv = np.unique(key, axis=0, return_inverse=True)
    inv = inv.reshape(-1).astype(np.int32)
    return inv, int(inv.max()) + 1
