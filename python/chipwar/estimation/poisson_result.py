"""The result of ``fepois``: a regression result on the log-link scale with likelihood-based fit statistics."""

from __future__ import annotations

from concurrent.futures import Executor

import numpy as np

from ..vcov.jackknife import LeaveOut
from .poisson_jackknife import poisson_leave_out
from .result import RegressionResult


class PoissonResult(RegressionResult):
    """A fitted Poisson (PPML) regression. Inference uses the normal distribution (z values), as fixest's GLMs.

    ``predict()`` returns expected counts ``exp(eta)``; ``resid`` holds response residuals ``y - mu``.
    """

    method = "Poisson"
    t_reference = False

    @property
    def converged(self) -> bool:
        """Whether IRLS met its deviance tolerance within ``maxiter`` iterations."""
        return bool(self._core.extra["converged"])

    @property
    def iterations(self) -> int:
        return int(self._core.extra["iterations"])

    @property
    def n_separated(self) -> int:
        """Observations dropped because of separation (including all-zero fixed-effect groups)."""
        return int(self._core.extra["n_separated"])

    @property
    def n_dropped(self) -> dict[str, int]:
        return {**super().n_dropped, "separated": self.n_separated}

    @property
    def deviance(self) -> float:
        return float(self._core.extra["deviance"])

    @property
    def loglik(self) -> float:
        return float(self._core.extra["loglik"])

    @property
    def loglik_null(self) -> float:
        """Log-likelihood of the intercept-only model (with the offset, without fixed effects)."""
        return float(self._core.extra["loglik_null"])

    @property
    def pseudo_r2(self) -> float:
        """McFadden's pseudo-R2, ``1 - loglik / loglik_null`` (fixest's ``pr2``)."""
        return 1.0 - self.loglik / self.loglik_null

    @property
    def r2(self) -> float:
        """Squared correlation between the outcome and the fitted values (fixest's ``cor2``)."""
        return float(np.corrcoef(self._core.design.y, self._core.fitted)[0, 1] ** 2)

    @property
    def adj_r2(self) -> float:
        return float("nan")

    @property
    def r2_within(self) -> float:
        return float("nan")

    def _leave_cluster_out(self, executor: Executor | None, progress: bool | None) -> LeaveOut:
        return poisson_leave_out(self._core, executor, progress)

    def _inverse_link(self, eta: np.ndarray) -> np.ndarray:
        return np.exp(eta)

    def _fit_lines(self) -> list[str]:
        state = f"converged in {self.iterations} iterations" if self.converged else "NOT converged"
        return [
            f"Log-likelihood: {self.loglik:.8g}   Deviance: {self.deviance:.8g}   Pseudo R2: {self.pseudo_r2:.6g}",
            f"IRLS {state}",
        ]
