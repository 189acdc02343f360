"""Joint strength of the excluded instruments in 2SLS, for any number of endogenous regressors: the Cragg-Donald
Wald F and the Kleibergen-Paap rk Wald F (the two statistics Stata's ``ivreg2`` reports, ``cdf`` and ``widstat``).

The first stages regress each endogenous regressor on the exogenous regressors and the excluded instruments
(fixed effects projected out); ``Pi`` (l x m) holds their coefficients on the l excluded instruments. By
Frisch-Waugh-Lovell, ``Q_zz = Z~'WZ~`` (instruments partialled for the exogenous regressors and fixed effects) is
the inverse of the instrument block of the first stages' bread, and the partialled endogenous regressors have
``Q_xx = Pi' Q_zz Pi + V'WV`` (V: first-stage residuals). With ``F'F = Q_zz`` and ``G'G = Q_xx`` (Cholesky), the
rk statistic of Kleibergen & Paap (2006) for H0: rank(Pi) = m - 1 is

    Theta = F Pi G^{-1},  Theta = U S V' (SVD),  lambda = (b' kron a') vec(Theta),
    rk = lambda' [(b' kron a') Var(vec Theta) (b kron a)]^{-1} lambda,

with a, b the left and right singular vectors beyond the first m - 1 (any bases of those spaces give the same
rk) and ``Var(vec Theta) = (G^{-T} kron F) Var(vec Pi) (G^{-1} kron F')``. ``Var(vec Pi)`` is the joint variance
of the first-stage coefficients under the result's variance type, with the same small-sample factor as the
result's standard errors (``n / (n - K)`` for hetero, ``G / (G - 1) * (n - 1) / (n - K)`` clustered, K the
first-stage coefficients plus fixed effects as in :mod:`chipwar.vcov.compute`). The Wald F is ``rk / l``.

This is ivreg2's ``widstat``: ivreg2 computes rk with the uncorrected (HC0 / CRV0) meat and then multiplies by
``(N - L) / N`` (robust) or ``(N - L) / (N - 1) * (M - 1) / M`` (clustered, M clusters), L the first-stage
coefficients including partialled-out ones, which is the same as putting the small-sample factor in the
variance. Fixed effects count in L as they count in K for the standard errors (with clustering, those nested in
the cluster count as one). With one endogenous regressor rk / l is the first-stage Wald F of the excluded instruments under the
result's variance (``first_stage_f()["wald_F"]``). Under the iid variance ``Var(vec Pi) = Sigma kron
Q_zz^{-1}`` with ``Sigma = V'WV / (n - K)``, and rk / l equals the Cragg-Donald Wald F,
``(n - K) / l * mineig((V'WV)^{-1} Pi' Q_zz Pi)``. FixedEffectModels.jl's ``F_kp`` is the same rk statistic
with N minus the second-stage regressors in place of N - L (the same when exactly identified); fixest's
``fitstat(x, "kpr")`` reports ``rk / l`` with its own small-sample scaling and a chi2 p-value, and fails for
several endogenous regressors with clustered errors (fixest issues #607, #651).
"""

from __future__ import annotations

import numpy as np

from ..vcov import VcovInputs, VcovSpec, compute_vcov, n_fixef_coefficients
from ..vcov.jackknife import ols_leave_out
from .fit import FitCore, OlsPart


def rk_statistic(pi: np.ndarray, v_pi: np.ndarray, q_zz: np.ndarray, q_xx: np.ndarray) -> float:
    """Kleibergen-Paap rk statistic for H0: rank(pi) = m - 1 (pi: l x m, v_pi: variance of vec(pi), column-major).

    NaN when the partialled endogenous regressors are collinear or the variance of the tested combination is
    singular (e.g. fewer clusters than it has rows).
    """
    m = pi.shape[1]
    try:
        f = np.linalg.cholesky(q_zz).T  # upper triangular, f'f = q_zz
        g_inv = np.linalg.inv(np.linalg.cholesky(q_xx).T)
    except np.linalg.LinAlgError:
        return float("nan")
    theta = f @ pi @ g_inv
    to_theta = np.kron(g_inv.T, f)  # vec(f pi g^-1) = (g^-T kron f) vec(pi)
    u, _, vt = np.linalg.svd(theta, full_matrices=True)
    select = np.kron(vt[m - 1 :, :], u[:, m - 1 :].T)  # (b' kron a')
    lam = select @ theta.ravel(order="F")
    v_lam = select @ to_theta @ v_pi @ to_theta.T @ select.T
    v_lam = (v_lam + v_lam.T) / 2
    values, vectors = np.linalg.eigh(v_lam)
    if values.min() <= values.max() * v_lam.shape[0] * np.finfo(float).eps:
        return float("nan")
    coef = vectors.T @ lam
    return float(np.sum(coef**2 / values))


def weak_instrument_f(
    first: list[FitCore[OlsPart]], instruments: list[str], spec: VcovSpec
) -> tuple[float, float, int]:
    """(Cragg-Donald F, Kleibergen-Paap rk Wald F under ``spec``, number of excluded instruments) of the first
    stages ``first`` (one per endogenous regressor, all with the same regressors)."""
    core = first[0]
    names, k, m = core.names, len(core.names), len(first)
    z = [names.index(t) for t in instruments if t in names]  # excluded instruments the first stages kept
    if len(z) < m:
        return float("nan"), float("nan"), len(z)
    d = core.design
    w = np.ones(d.nobs) if d.weights is None else d.weights
    pi = np.column_stack([c.coef[z] for c in first])
    b_zz = core.bread[np.ix_(z, z)]
    q_zz = np.linalg.inv(b_zz)
    resid = np.column_stack([c.resid for c in first])
    vv = resid.T @ (w[:, None] * resid)
    q_xx = pi.T @ q_zz @ pi + vv
    k_total = k + n_fixef_coefficients(d.n_groups)
    cd = rk_statistic(pi, np.kron(vv / (d.nobs - k_total), b_zz), q_zz, q_xx) / len(z)
    if spec.kind == "iid":
        return cd, cd, len(z)
    # the first stages as one system: block-diagonal bread, scores side by side (equation-major, as vec(Pi))
    scores = np.column_stack([c.scores for c in first])
    inputs = VcovInputs(
        bread=np.kron(np.eye(m), core.bread),
        scores=scores,
        n=d.nobs,
        k=k,
        fe_sizes=d.n_groups,
        fe_codes=d.fe_codes,
        codes_of=d.codes_of,
        level_of=d.level_of,
        fe_names=d.fe_names,
        weights=d.weights,
        leave_out=ols_leave_out(core.part.x_demeaned, scores, d.weights, names, core.part.collin_tol),
    )
    v = compute_vcov(spec, inputs).matrix
    rows = [j * k + i for j in range(m) for i in z]
    return cd, rk_statistic(pi, v[np.ix_(rows, rows)], q_zz, q_xx) / len(z), len(z)
