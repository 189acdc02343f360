"""Leave-one-cluster-out (CRV3) and panel HAC (Newey-West, Driscoll-Kraay) variances.

Conventions (those of fixest / pyfixest):

- ``{"CRV3": "g"}``: the leave-one-cluster-out jackknife (MacKinnon, Nielsen & Webb 2023) with pyfixest's
  scaling, ``G / (G - 1) * (n - 1) / (n - K) * sum_g (b_(-g) - b)(b_(-g) - b)'``, where ``b_(-g)`` is the
  estimate without cluster g (centred on the full-sample b, not on the mean of the b_(-g)) and K counts the
  coefficients plus one for the (nested) fixed effects; t with G - 1 degrees of freedom (the normal for
  Poisson). Every fixed
  effect must be nested in the cluster, so that leaving a cluster out removes whole fixed-effect groups and
  leaves the others' estimates to the remaining data. How ``b_(-g)`` is obtained depends on the model (see
  :mod:`chipwar.jackknife`): closed forms from per-cluster cross-products for OLS and 2SLS (exact, no refits;
  the demeaned data do not change when a cluster of nested fixed effects leaves), and one Poisson refit per
  cluster for ``fepois``.
- ``{"NW": L, "time": t, "panel": i}``: Newey-West within panels with Bartlett weights ``1 - l / (L + 1)``;
  ``{"DK": L, "time": t}``: Driscoll-Kraay, Newey-West on the scores summed by period. Lags count positions
  among the sorted distinct time values. Both are multiplied by ``T / (T - 1) * (n - 1) / (n - K)`` with T the
  number of periods and K all coefficients including every fixed effect; t with T - 1 degrees of freedom.
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._errors import ChipwarError
from .jackknife import LeftOutSingular
from .vcov import VcovInputs, VcovResult, VcovSpec, _nested


def parse_hac(vcov: dict) -> VcovSpec:
    """Read ``{"NW": lags, "time": t, "panel": i}`` or ``{"DK": lags, "time": t}``."""
    kind = "NW" if "NW" in vcov else "DK"
    allowed = {kind, "time", "panel"} if kind == "NW" else {kind, "time"}
    extra = set(vcov) - allowed
    if extra:
        raise ChipwarError(f"vcov {kind}: unknown key(s) {sorted(extra)}; expected {sorted(allowed)}")
    lags = vcov[kind]
    if isinstance(lags, bool) or not isinstance(lags, int | np.integer) or lags < 0:
        raise ChipwarError(f"vcov {kind}: the number of lags must be an integer >= 0, got {lags!r}")
    time = vcov.get("time")
    if not isinstance(time, str):
        raise ChipwarError(f"vcov {kind}: give the time column, e.g. {{'{kind}': 2, 'time': 'year'}}")
    panel = vcov.get("panel")
    if kind == "NW" and not isinstance(panel, str):
        raise ChipwarError("vcov NW: give the panel (unit) column, e.g. {'NW': 2, 'time': 'year', 'panel': 'firm'}")
    return VcovSpec(kind, lags=int(lags), time=time, panel=panel)


def hac_vcov(spec: VcovSpec, inp: VcovInputs, k_total: int, t_reference: bool) -> VcovResult:
    """Newey-West (within panels) or Driscoll-Kraay variance."""
    period, n_periods = inp.codes_of(spec.time)
    if n_periods < 2:
        raise ChipwarError(f"vcov {spec.kind}: the time column {spec.time!r} has a single value")
    scores = np.asfortranarray(inp.scores)
    if spec.kind == "NW":
        panel, _ = inp.codes_of(spec.panel)
        meat = _core.newey_west_meat(scores, panel, period, spec.lags)
    else:
        by_period = _core.group_sums(scores, period, n_periods)
        meat = _core.newey_west_meat(by_period, np.zeros(n_periods, np.int32), np.arange(n_periods, dtype=np.int32),
                                     spec.lags)
    n = inp.n
    adj = n_periods / (n_periods - 1) * (n - 1) / (n - k_total)
    v = adj * inp.bread @ meat @ inp.bread
    return VcovResult(v, float(n_periods - 1) if t_reference else np.inf, spec.label)


def crv3_vcov(spec: VcovSpec, inp: VcovInputs, t_reference: bool) -> VcovResult:
    """Leave-one-cluster-out jackknife variance, from the model's ``leave_out`` rule."""
    if inp.leave_out is None:
        raise ChipwarError("CRV3 is available for feols (OLS and IV) and fepois fits; use CRV1 for this model")
    (cluster,) = spec.clusters
    codes, n_clusters = inp.codes_of(cluster)
    for q, name in enumerate(inp.fe_names):
        if not _nested(inp.fe_codes[:, q], codes):
            raise ChipwarError(
                f"CRV3 needs every fixed effect nested in the cluster, but {name!r} is not nested in "
                f"{'^'.join(cluster)!r}; cluster by a coarser variable or use CRV1"
            )
    if n_clusters < 2:
        raise ChipwarError("CRV3 needs at least two clusters")
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
