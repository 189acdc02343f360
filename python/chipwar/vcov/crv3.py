"""Leave-one-cluster-out (CRV3) variance.

Conventions (those of fixest / pyfixest): ``{"CRV3": "g"}`` is the leave-one-cluster-out jackknife (MacKinnon,
Nielsen & Webb 2023) with pyfixest's scaling, ``G / (G - 1) * (n - 1) / (n - K) * sum_g (b_(-g) - b)(b_(-g) - b)'``,
where ``b_(-g)`` is the estimate without cluster g (centred on the full-sample b, not on the mean of the b_(-g)) and
K counts the coefficients plus one for the (nested) fixed effects; t with G - 1 degrees of freedom (the normal for
Poisson). Every fixed effect must be nested in the cluster, so that leaving a cluster out removes whole fixed-effect
groups and leaves the others' estimates to the remaining data. How ``b_(-g)`` is obtained depends on the model (see
:mod:`chipwar.vcov.jackknife`): closed forms from per-cluster cross-products for OLS and 2SLS (exact, no refits;
the demeaned data do not change when a cluster of nested fixed effects leaves), and one Poisson refit per
cluster for ``fepois``.
"""

from __future__ import annotations

import numpy as np

from .._errors import ChipwarError
from ..model.checks import require_clusters
from .clusters import is_nested
from .inputs import VcovInputs, VcovResult
from .jackknife import LeftOutSingular
from .spec import VcovSpec


def crv3_vcov(spec: VcovSpec, inp: VcovInputs, t_reference: bool) -> VcovResult:
    """Leave-one-cluster-out jackknife variance, from the model's ``leave_out`` rule."""
    if inp.leave_out is None:
        raise ChipwarError("CRV3 is available for feols (OLS and IV) and fepois fits; use CRV1 for this model")
    (cluster,) = spec.clusters
    codes, n_clusters = inp.codes_of(cluster)
    for q, name in enumerate(inp.fe_names):
        if not is_nested(inp.fe_codes[:, q], codes):
            raise ChipwarError(
                f"CRV3 needs every fixed effect nested in the cluster, but {name!r} is not nested in "
                f"{'^'.join(cluster)!r}; cluster by a coarser variable or use CRV1"
            )
    require_clusters("^".join(cluster), n_clusters)
    try:
        delta = inp.leave_out(codes, n_clusters)  # G x p: b_(-g) - b, centred on the full-sample estimate
    except LeftOutSingular as err:
        label = inp.level_of(cluster, err.cluster) if inp.level_of else str(err.cluster)
        raise ChipwarError(
            f"CRV3: without cluster {label!r} of {'^'.join(cluster)!r} the coefficient(s) {', '.join(err.columns)} "
            "cannot be estimated (collinear with the other regressors, or varying in that cluster only), so the "
            "leave-one-cluster-out jackknife is undefined; use CRV1, or drop or merge those terms"
        ) from None
    n = inp.n
    k_c = inp.k + (1 if inp.fe_names else 0)  # nested fixed effects count as the one constant they absorb
    v = n_clusters / (n_clusters - 1) * (n - 1) / (n - k_c) * delta.T @ delta
    df = float(n_clusters - 1) if t_reference else np.inf
    return VcovResult(v, df, spec.label, {"^".join(cluster): n_clusters})
