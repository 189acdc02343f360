"""The result of a 2SLS fit: the second stage plus its first stages and their instrument-strength tests."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import replace

import numpy as np
import pandas as pd

from .. import kernels
from ..vcov.jackknife import LeaveOut, tsls_leave_out
from .fit import FitCore, IVPart, OlsPart
from .iv_strength import weak_instrument_f
from .result import RegressionResult


class IVResult(RegressionResult):
    """A 2SLS fit. Endogenous regressors are named ``fit_<name>`` (fixest's convention).

    ``first_stage`` holds one regression per endogenous regressor (same variance type as this result);
    ``first_stage_f`` tests the excluded instruments in each of them and ``weak_iv_f`` in all of them jointly.
    ``{"CRV3": g}`` is the leave-one-cluster-out jackknife of the 2SLS coefficients (see :mod:`chipwar.vcov.jackknife`).
    """

    method = "IV"
    _fit: FitCore[IVPart]

    def supports_crv3(self) -> bool:
        return True  # closed form from per-cluster cross-products

    @property
    def first_stage(self) -> dict[str, RegressionResult]:
        """First-stage regressions (endogenous regressor on exogenous regressors and instruments)."""
        return {name: RegressionResult(core, self._vcov_spec) for name, core in self._first_stages().items()}

    def _first_stages(self) -> dict[str, FitCore[OlsPart]]:
        """The first-stage fits, with the grouping columns this result knows (``with_vcov(..., data=)`` adds some)."""
        groups = self._fit.design.groups
        return {
            name: replace(core, design=replace(core.design, groups=groups))
            for name, core in self._fit.part.first_stage.items()
        }

    def first_stage_f(self) -> pd.DataFrame:
        """F statistics of the excluded instruments, one row per endogenous regressor.

        Columns: ``F`` (classical, iid errors: the Wald statistic over q under the iid variance, with its p-value
        from F(q, df)), and ``wald_F`` with ``wald_p`` (the same Wald statistic over q under this result's variance
        type; with one endogenous regressor and a robust or clustered variance this is the Kleibergen-Paap rk
        Wald F). With several endogenous regressors each row tests one equation only; see :meth:`weak_iv_f`.
        """
        instruments = self._fit.design.instrument_names
        rows = []
        for name, fs in self.first_stage.items():
            z = [t for t in instruments if t in fs.coef.index]
            row = {"endogenous": name, "n_instruments": len(z)}
            for label, fit in (("", fs.with_vcov("iid")), ("wald_", fs)):
                b = fit.coef[z].to_numpy()
                v = fit.vcov.loc[z, z].to_numpy()
                stat = float(b @ np.linalg.solve(v, b)) / len(z)
                df2 = fit.df_t if np.isfinite(fit.df_t) else 0.0
                p = float(kernels.f_sf(stat, len(z), df2)) if df2 > 0 else float(kernels.chi2_sf(stat * len(z), len(z)))
                row[f"{label}F"] = stat
                row[f"{label}p"] = p
            rows.append(row)
        return pd.DataFrame(rows)

    def weak_iv_f(self) -> pd.Series:
        """Joint weak-instrument F statistics of the excluded instruments for all endogenous regressors.

        Returns
        -------
        Series
            ``cragg_donald``: the Cragg-Donald Wald F (iid errors); ``kleibergen_paap``: the Kleibergen-Paap rk
            Wald F under this result's variance type (robust, clustered, CRV3, HAC), equal to ``cragg_donald``
            under the iid variance; ``n_instruments``: excluded instruments kept by the first stages. These are
            ivreg2's ``cdf`` and ``widstat``; the conventions are in :mod:`chipwar.estimation.iv_strength`. The
            statistics are NaN when the first stages kept fewer excluded instruments than there are endogenous
            regressors, and ``kleibergen_paap`` when its variance is singular (too few clusters).
        """
        first = list(self._first_stages().values())
        cd, kp, n_instr = weak_instrument_f(first, self._fit.design.instrument_names, self._vcov_spec)
        return pd.Series({"cragg_donald": cd, "kleibergen_paap": kp, "n_instruments": n_instr}, name="F")

    def _leave_cluster_out(self, executor: Executor | None, progress: bool | None) -> LeaveOut:
        c, part = self._fit, self._fit.part
        instruments = next(iter(part.first_stage.values())).names
        return tsls_leave_out(
            part.z_demeaned,
            part.x_structural,
            part.y_demeaned,
            c.design.weights,
            c.coef,
            instruments,
            c.names,
            part.collin_tol,
        )

    def _fit_lines(self) -> list[str]:
        lines = super()._fit_lines()
        for r in self.first_stage_f().itertuples():
            lines.append(f"First stage {r.endogenous}: F = {r.F:.6g} (iid), Wald F = {r.wald_F:.6g} ({self.vcov_type})")
        weak = self.weak_iv_f()
        lines.append(
            f"Weak instruments (joint): Cragg-Donald F = {weak['cragg_donald']:.6g}, Kleibergen-Paap rk "
            f"Wald F = {weak['kleibergen_paap']:.6g} ({self.vcov_type})"
        )
        return lines
