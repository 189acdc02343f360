"""Which public estimators the study sections run, by name (every one has landed; the names stay because the study
file lists estimators by name). Imported from their packages, not through ``import chipwar``: the study sits below
the package's facade."""

from __future__ import annotations

from typing import Any

from ..did import att_gt, bacon, did2s, did_imputation, etwfe, honest_did, sun_abraham
from ..estimation import feols, fepois
from ..synthetic import augsynth, sdid, synth

_ESTIMATORS: dict[str, Any] = {
    f.__name__: f
    for f in (
        feols,
        fepois,
        att_gt,
        sun_abraham,
        did_imputation,
        did2s,
        honest_did,
        bacon,
        etwfe,
        synth,
        sdid,
        augsynth,
    )
}


def available(name: str) -> bool:
    """True when ``cw.<name>`` is a public estimator."""
    return name in _ESTIMATORS


def get(name: str) -> Any:
    """The public estimator ``cw.<name>``."""
    return _ESTIMATORS[name]


def missing_note(name: str, fallback: str) -> str:
    """The report's sentence for an estimator that has not landed in this chipwar."""
    return f"`cw.{name}` is not available in this chipwar version, so it was not run; {fallback}"
