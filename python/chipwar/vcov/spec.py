"""``vcov=`` as the user writes it, read into a :class:`VcovSpec` (which estimator, which clusters, lags)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import ChipwarError


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
    def time_columns(self) -> tuple[str, ...]:
        """Those of :attr:`cluster_columns` that hold periods (NW / DK's time)."""
        return (self.time,) if self.kind in ("NW", "DK") and self.time else ()

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
        return parse_hac(vcov)
    if isinstance(vcov, dict) and len(vcov) == 1:
        ((kind, arg),) = vcov.items()
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
