"""The shared first step of every regression: read ``vcov=``/``cluster=`` and build the design on the sample."""

from __future__ import annotations

from .._errors import ChipwarError
from ..model.design import Design, build_design
from ..model.formula import Formula
from ..vcov import VcovSpec, parse_vcov


def vcov_spec(vcov: object, cluster: str | None) -> VcovSpec:
    """``vcov=`` or its shorthand ``cluster=`` (not both)."""
    if vcov is not None and cluster is not None:
        raise ChipwarError("give either vcov= or cluster=, not both")
    return parse_vcov(vcov, default_cluster=cluster)


def prepare(
    formula: Formula,
    data: object,
    vcov: object,
    cluster: str | None,
    weights: str | None,
    fixef_rm: str,
    dtype: str = "float64",
) -> tuple[VcovSpec, Design]:
    """The variance specification and the design (rows missing a cluster variable are dropped too)."""
    spec = vcov_spec(vcov, cluster)
    design = build_design(
        formula,
        data,
        weights=weights,
        extra_columns=spec.cluster_columns,
        time_columns=spec.time_columns,
        fixef_rm=fixef_rm,
        dtype=dtype,
    )
    return spec, design
