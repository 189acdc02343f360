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
- ``{"CRV3": g}``, ``{"NW": L, "time": t, "panel": i}`` and ``{"DK": L, "time": t}``: see
  :mod:`chipwar.vcov_extra`.
- GLMs (``dispersion=None``; the bread is the inverse Hessian, the scores ``x~ w (y - mu)``): iid is the bread
  times ``(n - 1) / (n - K)``; hetero and clustered as above; inference uses the normal distribution.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import _core
from ._errors import ChipwarError


@dataclass(frozen=True)
class VcovSpec:
    """A parsed ``vcov=`` argument."""

    kind: str  # "iid", "hetero", "CRV1", "CRV3", "NW", "DK"
    clusters: tuple[tuple[str, ...], ...] = ()
    lags: int = 0  # NW / DK
    time: str | None = None  # NW / DK
    panel: str | None = None  # NW

    @property
    def label(self) -> str:
        if self.kind == "iid":
            return "IID"
        if self.kind == "hetero":
            return "Heteroskedasticity-robust (HC1)"
        if self.kind == "NW":
            return f"Newey-West (L={self.lags}; panel {self.panel}, time {self.time})"
        if self.kind == "DK":
            return f"Driscoll-Kraay (L={self.lags}; time {self.time})"
        names = " & ".join("^".join(c) for c in self.clusters)
        return f"Clustered ({names})" if self.kind == "CRV1" else f"{self.kind} ({names})"

    @property
    def cluster_columns(self) -> tuple[str, ...]:
        """Columns the variance needs on every estimation row (clusters; time and panel for NW / DK)."""
        if self.kind in ("NW", "DK"):
            return tuple(c for c in (self.time, self.panel) if c)
        return tuple("^".join(c) for c in self.clusters)


def _split_cluster(text: str) -> tuple[tuple[str, ...], ...]:
    parts = [p.strip() for p in text.split("+")]
    if not all(parts):
        raise ChipwarError(f"vcov: cannot read the cluster variables {text!r}; write e.g. {{'CRV1': 'state + year'}}")
    return tuple(tuple(s.strip() for s in p.split("^")) for p in parts)


def parse_vcov(vcov: object, default_cluster: str | None = None) -> VcovSpec:
    """Read ``"iid"``, ``"hetero"``/``"HC1"`` or ``{"CRV1": "a + b"}`` (a VcovSpec passes through)."""
    if isinstance(vcov, VcovSpec):
        return vcov
    if vcov is None:
        return VcovSpec("CRV1", _split_cluster(default_cluster)) if default_cluster else VcovSpec("iid")
    if isinstance(vcov, str):
        key = vcov.strip()
        if key.lower() in ("iid", "standard", "normal"):
            return VcovSpec("iid")
        if key.lower() in ("hetero", "hc1", "robust", "white"):
            return VcovSpec("hetero")
        raise ChipwarError(f"vcov={vcov!r} is not known; use 'iid', 'hetero', or {{'CRV1': 'cluster_column'}}")
    if isinstance(vcov, dict) and ("NW" in vcov or "DK" in vcov):
        from .vcov_extra import parse_hac

        return parse_hac(vcov)
    if isinstance(vcov, dict) and len(vcov) == 1:
        (kind, arg), = vcov.items()
        if kind in ("CRV1", "CRV3"):
            if not isinstance(arg, str):
                raise ChipwarError(f"vcov={{'{kind}': ...}} takes the cluster column(s) as a string, e.g. 'state'")
            clusters = _split_cluster(arg)
            if kind == "CRV3" and len(clusters) > 1:
                raise ChipwarError("CRV3 takes one cluster variable (combine with '^' for an intersection)")
            return VcovSpec(kind, clusters)
        raise ChipwarError(
            f"vcov type {kind!r} is not known; use 'iid', 'hetero', {{'CRV1': ...}}, {{'CRV3': ...}}, "
            "{'NW': lags, 'time': t, 'panel': i} or {'DK': lags, 'time': t}"
        )
    raise ChipwarError(f"vcov must be a string or a one-entry dict, got {vcov!r}")


@dataclass
class VcovInputs:
    """What a model provides to compute its variance (all on the estimation sample)."""

    bread: np.ndarray  # (k x k): (X'WX)^-1, or the inverse Hessian for a GLM (block diagonal for a stacked system)
    scores: np.ndarray  # (n x k): per-observation contributions to the estimating equations
    # k counts the coefficients of one equation (for the small-sample factors); bread and scores may stack several
    # equations with the same regressors (the first stages of IV), m * k wide
    n: int
    k: int
    fe_sizes: list[int]
    fe_codes: np.ndarray  # (n x Q) int32
    codes_of: Callable[[tuple[str, ...]], tuple[np.ndarray, int]]
    dispersion: float | None = None  # sum(w e^2) for OLS (iid uses it); None: the bread is already the variance
    fe_names: list[str] = field(default_factory=list)
    weights: np.ndarray | None = None
    # CRV3: maps (cluster codes, G) to the G x p matrix of b_(-g) - b, the estimates without each cluster minus the
    # full-sample ones (p = the size of the bread); None when the model has no leave-one-cluster-out rule
    leave_out: Callable[[np.ndarray, int], np.ndarray] | None = None
    level_of: Callable[[tuple[str, ...], int], str] | None = None  # a cluster's label, for messages


def n_fixef_coefficients(fe_sizes: list[int]) -> int:
    """fixest's count (``fixef.force_exact = FALSE``): all groups of the first, groups - 1 of each further one."""
    if not fe_sizes:
        return 0
    return fe_sizes[0] + sum(g - 1 for g in fe_sizes[1:])


def _nested(fe_codes: np.ndarray, cluster: np.ndarray) -> bool:
    """True when every group of ``fe_codes`` (0..G-1) lies within one cluster: each group takes the cluster of one
    of its rows, and every row must agree (O(n); sorting the (group, cluster) pairs took seconds at 1e6 rows)."""
    owner = np.empty(int(fe_codes.max()) + 1, dtype=np.asarray(cluster).dtype)
    owner[fe_codes] = cluster
    return bool(np.array_equal(owner[fe_codes], cluster))


def _meat(scores: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    sums = _core.group_sums(np.asfortranarray(scores), codes, n_groups)
    return sums.T @ sums


def _psd(v: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh((v + v.T) / 2)
    if vals.min() >= 0:
        return v
    return (vecs * np.clip(vals, 0, None)) @ vecs.T


@dataclass
class VcovResult:
    matrix: np.ndarray
    df: float  # degrees of freedom of the t reference (inf: normal)
    label: str
    n_clusters: dict[str, int] = field(default_factory=dict)


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
        from .vcov_extra import crv3_vcov, hac_vcov

        return crv3_vcov(spec, inp, t_reference) if spec.kind == "CRV3" else hac_vcov(spec, inp, k_total, t_reference)

    # cluster-robust, one- or multiway
    cluster_codes = {}
    for c in spec.clusters:
        cluster_codes[c] = inp.codes_of(c)
    # fixed effects nested in any of the clusters are not counted in K (fixest's fixef.K = "nested")
    nested = [
        q for q in range(inp.fe_codes.shape[1])
        if any(_nested(inp.fe_codes[:, q], codes) for codes, _ in cluster_codes.values())
    ]
    sizes = inp.fe_sizes
    n_fe_kept = sum((g if q == 0 else g - 1) for q, g in enumerate(sizes) if q not in nested)
    # one coefficient of the nested ones remains (the constant they absorb)
    k_c = k + n_fe_kept + (1 if nested else 0)
    g_min = min(g for _, g in cluster_codes.values())
    if g_min < 2:
        raise ChipwarError(f"clustered vcov needs at least two clusters; {spec.label} has {g_min}")
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
