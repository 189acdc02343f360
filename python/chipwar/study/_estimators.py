"""Which public estimators this installation has: sections list estimators by name and run those that exist, so
the study picks up estimators as they land (``cw.synth``, ``cw.sdid``, ``cw.fepois``) without code changes."""

from __future__ import annotations

from typing import Any

import chipwar as cw


def available(name: str) -> bool:
    """True when ``cw.<name>`` can be imported."""
    try:
        getattr(cw, name)
    except (AttributeError, ImportError):
        return False
    return True


def get(name: str) -> Any:
    """The public estimator ``cw.<name>``."""
    return getattr(cw, name)


def missing_note(name: str, fallback: str) -> str:
    """The report's sentence for an estimator that has not landed in this chipwar."""
    return f"`cw.{name}` is not available in this chipwar version, so it was not run; {fallback}"
