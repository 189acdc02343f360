"""Restricted wild cluster bootstrap (WCR) for one coefficient of a linear model: p-value and a confidence
interval by test inversion (Cameron, Gelbach & Miller 2008; Roodman, MacKinnon, Nielsen & Webb 2019).

Replicates use the closed form of Roodman et al.: after the fixed effects are projected out, the bootstrap
estimate and cluster scores are linear in the cluster weights, so each replicate costs O(G^2) in C++.

Fixed effects are regressors like any other: the bootstrap is the WCR of the model with the fixed effects as
dummy columns. That is the bootstrap of boottest and fwildclusterboot, which absorb at most one fixed effect
(``fe=``, a computational device that leaves the bootstrap unchanged) and enter the others as dummies, and of
wildboottest given the dummies. Projecting the fixed effects out is exact for the
bootstrap estimate, ``b* = b~ + A X~'W (u~ o v)``, because ``X~ = M_D X`` (``A = (X~'WX~)^{-1}``). The bootstrap
residuals are ``M_D (u~ o v) - X~ (b* - b~)``: when every fixed effect is nested in the cluster, ``M_D (u~ o v)
= u~ o v`` (the restricted residuals ``u~`` are already demeaned and each group lies in one cluster); when one is
not, demeaning mixes clusters, and cluster g's score gains ``-sum_h X~_g' W_g [P_D (u~ 1_h)]_g v_h`` (``P_D =
I - M_D``, ``1_h`` selecting cluster h). That adds a G x G matrix to the closed form, computed by demeaning G
columns (in chunks); it is affine in the hypothesised value, so two such passes serve the whole test inversion.
The p-value is symmetric, ``mean(|t*| >= |t|)``; the t statistics use CRV1 variances (small-sample factors
cancel in the comparison). Replicate b draws its weights from a generator seeded by ``(seed, b)``, so the
result is the same for any thread count and with or without an executor.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

import numpy as np
import pandas as pd

from .. import kernels
from .._errors import ChipwarError
from .._progress import run_tasks
from .._results import Result
from ..vcov.clusters import is_nested
from ..vcov.jackknife import cluster_cross_products
from .demean import demean_design
from .fit import OlsPart

#: replicates per task handed to an executor
CHUNK = 2000
#: observations x clusters demeaned at once for fixed effects not nested in the cluster (doubles)
MIXING_CELLS = 5e6
#: tolerance and sweep cap of that demeaning (feols' defaults)
FIXEF_TOL, FIXEF_MAXITER = 1e-8, 10000


class WildBootResult(Result):
    """``p_value``, ``conf_int`` (test inversion), ``t_stat`` and the bootstrap settings."""

    def __init__(
        self,
        param: str,
        estimate: float,
        t_stat: float,
        p_value: float,
        conf_int: tuple[float, float],
        level: float,
        reps: int,
        weights: str,
        cluster: str,
        n_clusters: int,
    ) -> None:
        self.param, self.estimate, self.t_stat, self.p_value = param, estimate, t_stat, p_value
        self.conf_int, self.level, self.reps, self.weights = conf_int, level, reps, weights
        self.cluster, self.n_clusters = cluster, n_clusters

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "term": [self.param],
                "estimate": [self.estimate],
                "statistic": [self.t_stat],
                "p_value": [self.p_value],
                "conf_low": [self.conf_int[0]],
                "conf_high": [self.conf_int[1]],
            }
        )

    def summary(self) -> str:
        lo, hi = self.conf_int
        return (
            f"Wild cluster bootstrap (WCR, {self.weights}, {self.reps} replicates, {self.n_clusters} clusters of "
            f"{self.cluster})\n{self.param}: estimate {self.estimate:.6g}, t {self.t_stat:.4g}, "
            f"p-value {self.p_value:.4g}, {self.level:.0%} CI [{lo:.6g}, {hi:.6g}]"
        )


class _Problem:
    """The demeaned model of one fit, ready to bootstrap coefficient j under H0: beta_j = r."""

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        w: np.ndarray | None,
        codes: np.ndarray,
        n_clusters: int,
        j: int,
        project: Callable[[np.ndarray], np.ndarray] | None = None,
    ):
        self.x, self.y, self.codes, self.g, self.j = x, y, codes, n_clusters, j
        self.w = np.ones(len(y)) if w is None else w
        xw = x * self.w[:, None]
        self.inv = np.linalg.inv(x.T @ xw)
        xtx_g = cluster_cross_products(xw, x, codes, n_clusters)
        row = self.inv[j]
        self.d = np.einsum("a,gab,bc->gc", row, xtx_g, self.inv)  # e_j' A M_g A, one row per cluster
        self.others = np.delete(np.arange(x.shape[1]), j)
        self.u0, self.u1 = self._restricted_parts()
        # fixed effects not nested in the cluster: the mixing term, affine in r (E(r) = E_0 - r E_1)
        self.mixing = None
        if project is not None:
            q = self.w * (x @ row)  # w o X~ A e_j
            self.mixing = (self._mixing(self.u0, q, project), self._mixing(self.u1, q, project))

    def _restricted_parts(self) -> tuple[np.ndarray, np.ndarray]:
        """Restricted residuals under beta_j = r are u0 - r u1."""
        xo = self.x[:, self.others]
        xow = xo * self.w[:, None]
        if not xo.shape[1]:
            return self.y, self.x[:, self.j]
        fit = np.linalg.solve(xo.T @ xow, xow.T @ np.column_stack([self.y, self.x[:, self.j]]))
        return self.y - xo @ fit[:, 0], self.x[:, self.j] - xo @ fit[:, 1]

    def _mixing(self, u: np.ndarray, q: np.ndarray, project: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """E[g, h] = sum over cluster g of q o [P_D (u 1_h)], the fixed effects' projection of cluster h's
        residuals seen by cluster g; columns in chunks to bound memory."""
        n = len(u)
        out = np.empty((self.g, self.g))
        chunk = max(1, int(MIXING_CELLS // n))
        for start in range(0, self.g, chunk):
            hs = np.arange(start, min(start + chunk, self.g))
            cols = np.where(self.codes[:, None] == hs[None, :], u[:, None], 0.0)
            projected = cols - project(np.asfortranarray(cols))  # P_D = I - M_D
            out[:, hs] = kernels.group_sums(np.asfortranarray(q[:, None] * projected), self.codes, self.g)
        return out

    def _scores(self, u: np.ndarray) -> np.ndarray:
        return kernels.group_sums(np.asfortranarray(self.x * (self.w * u)[:, None]), self.codes, self.g)

    def t_stat(self, r: float) -> tuple[float, float]:
        """Unrestricted estimate of beta_j and its t statistic against r (CRV1 without small-sample factors)."""
        beta = self.inv @ (self.x.T @ (self.w * self.y))
        s = self._scores(self.y - self.x @ beta) @ self.inv[self.j]
        return float(beta[self.j]), float((beta[self.j] - r) / np.sqrt(s @ s))

    def closed_form(self, r: float) -> tuple[np.ndarray, np.ndarray]:
        """a (G) and C (G x G) of the restricted model under beta_j = r."""
        u_r = self.u0 - r * self.u1  # restricted residuals
        s = self._scores(u_r)  # X_g' W u_g, G x k
        a = s @ self.inv[self.j]
        c = self.d @ s.T
        if self.mixing is not None:
            c = c + self.mixing[0] - r * self.mixing[1]
        return a, c


def wild_bootstrap(
    result,
    param: str,
    cluster: str | None,
    reps: int,
    weights: str,
    seed: int | None,
    level: float,
    executor: Executor | None,
    progress: bool | None,
) -> WildBootResult:
    core = result._fit
    part = core.part
    if not result.supports_wild_bootstrap() or not isinstance(part, OlsPart):
        raise ChipwarError("wildboot is available for linear models estimated by feols (not IV or Poisson)")
    if param not in core.names:
        raise ChipwarError(f"wildboot: {param!r} is not a coefficient of this model; choose one of {core.names}")
    if weights not in ("rademacher", "webb"):
        raise ChipwarError(f"wildboot: weights must be 'rademacher' or 'webb', got {weights!r}")
    if not isinstance(reps, int | np.integer) or reps < 99:
        raise ChipwarError(f"wildboot: reps must be an integer >= 99, got {reps!r}")
    if not 0 < level < 1:
        raise ChipwarError(f"wildboot: level must be between 0 and 1, got {level}")
    if cluster is None:
        spec = result._vcov_spec
        if spec.kind != "CRV1" or len(spec.clusters) != 1:
            raise ChipwarError("wildboot: give cluster= (the model's vcov is not one-way clustered)")
        cluster = "^".join(spec.clusters[0])
    design = core.design
    codes, n_clusters = design.codes_of(cluster)
    if n_clusters < 2:
        raise ChipwarError(f"wildboot: cluster {cluster!r} has a single group")
    project = None
    if any(not is_nested(design.fe_codes[:, q], codes) for q in range(len(design.fe_names))):

        def project(cols: np.ndarray) -> np.ndarray:
            return demean_design(design, cols, [f"cluster {h}" for h in range(cols.shape[1])], FIXEF_TOL, FIXEF_MAXITER)

    seed = int(np.random.SeedSequence().entropy % (2**63)) if seed is None else int(seed)
    prob = _Problem(
        part.x_demeaned, part.y_demeaned, design.weights, codes, n_clusters, core.names.index(param), project
    )

    def boot_t(r: float) -> np.ndarray:
        a, c = prob.closed_form(r)
        tasks = [(start, min(CHUNK, reps - start)) for start in range(0, reps, CHUNK)]
        if executor is None and progress is None:
            return np.asarray(kernels.wild_bootstrap_t(a, c, 0, reps, weights, seed))
        parts = run_tasks(
            lambda t: kernels.wild_bootstrap_t(a, c, t[0], t[1], weights, seed),
            tasks,
            executor,
            progress,
            desc="wild bootstrap",
        )
        return np.concatenate([np.asarray(p) for p in parts])

    def p_value(r: float) -> float:
        _, t = prob.t_stat(r)
        return float(np.mean(np.abs(boot_t(r)) >= abs(t)))

    estimate, _ = prob.t_stat(0.0)
    t0 = float(result.with_vcov({"CRV1": cluster}).tstat[param])  # reported with CRV1's small-sample factor
    p0 = p_value(0.0)
    ci = _invert(p_value, estimate, float(result.se[param]), 1 - level)
    return WildBootResult(param, estimate, t0, p0, ci, level, int(reps), weights, cluster, n_clusters)


def _invert(p_value, estimate: float, se: float, alpha: float, rel_tol: float = 1e-6) -> tuple[float, float]:
    """The interval {r: p(r) > alpha}: bisection on each side of the estimate (to rel_tol * se), bracketed by
    widening steps. p(r) is a step function of r, so finer bisection would not change the interval."""
    bounds = []
    for direction in (-1.0, 1.0):
        inside, step = estimate, 2.0 * se
        outside = estimate + direction * step
        while p_value(outside) > alpha:
            inside, step = outside, 2.0 * step
            outside = estimate + direction * step
            if step > 1e6 * max(se, 1e-300):
                raise ChipwarError("wildboot: the confidence set is unbounded (too few clusters for this level)")
        while abs(outside - inside) > rel_tol * se:
            mid = 0.5 * (inside + outside)
            if p_value(mid) > alpha:
                inside = mid
            else:
                outside = mid
        bounds.append(0.5 * (inside + outside))
    return bounds[0], bounds[1]
