"""Panel HAC variances: Newey-West and Driscoll-Kraay.

Conventions (those of fixest / pyfixest):

- ``{"NW": L, "time": t, "panel": i}``: Newey-West within panels with Bartlett weights ``1 - l / (L + 1)``;
  ``{"DK": L, "time": t}``: Driscoll-Kraay, Newey-West on the scores summed by period. Lags count positions
  among the sorted distinct time values. Both are multiplied by ``T / (T - 1) * (n - 1) / (n - K)`` with T the
  number of periods and K all coefficients including every fixed effect; t with T - 1 degrees of freedom.
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from .._errors import ChipwarError
from .inputs import VcovInputs, VcovResult
from .spec import VcovSpec


def hac_vcov(spec: VcovSpec, inp: VcovInputs, k_total: int, t_reference: bool) -> VcovResult:
    """Newey-West (within panels) or Driscoll-Kraay variance."""
    period, n_periods = inp.codes_of(spec.time, time=True)
    if n_periods < 2:
        raise ChipwarError(f"vcov {spec.kind}: the time column {spec.time!r} has a single value")
    scores = np.asfortranarray(inp.scores)
    if spec.kind == "NW":
        panel, _ = inp.codes_of(spec.panel)
        meat = kernels.newey_west_meat(scores, panel, period, spec.lags)
    else:
        by_period = kernels.group_sums(scores, period, n_periods)
        meat = kernels.newey_west_meat(
            by_period, np.zeros(n_periods, np.int32), np.arange(n_periods, dtype=np.int32), spec.lags
        )
    n = inp.n
    adj = n_periods / (n_periods - 1) * (n - 1) / (n - k_total)
    v = adj * inp.bread @ meat @ inp.bread
    return VcovResult(v, float(n_periods - 1) if t_reference else np.inf, spec.label)
