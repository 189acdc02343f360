"""The keywords every estimator shares, read one way: ``level=`` for intervals (``alpha=`` a deprecated alias),
``reps=`` for replicates (with the older names an estimator's contract keeps)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from types import FrameType

from ._errors import ChipwarError

_PACKAGE = str(Path(__file__).resolve().parent)


def _outside_the_package() -> int:
    """The ``stacklevel`` of the first frame outside chipwar: the caller's line, however deep the call came."""
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


def warn_deprecated(message: str) -> None:
    """A FutureWarning (shown to users by default, unlike DeprecationWarning) pointing at the caller's line."""
    warnings.warn(message, FutureWarning, stacklevel=_outside_the_package())


def interval_alpha(level: float | None, alpha: float | None, default: float = 0.95) -> float:
    """``1 - level`` from ``level=``, or the deprecated ``alpha=`` itself, which warns.

    ``1 - level`` is rounded to 12 decimals so that ``level=0.9`` gives exactly the ``alpha=0.1`` it replaces (the
    float ``1 - 0.9`` is 0.09999999999999998, which would flip comparisons of discrete p-values such as 2/20).
    """
    if alpha is not None:
        if level is not None:
            raise ChipwarError(f"give level= or alpha= (deprecated), not both; write level={1 - alpha:g}")
        warn_deprecated(f"alpha={alpha:g} is deprecated; write level={1 - alpha:g} (chipwar's intervals take level=)")
        if not 0 < alpha < 1:
            raise ChipwarError(f"level must be between 0 and 1, got {1 - alpha:g} (alpha={alpha:g})")
        return float(alpha)
    if level is None:
        level = default
    if not 0 < level < 1:
        raise ChipwarError(f"level must be between 0 and 1, got {level}")
    return round(1.0 - float(level), 12)


def replicates(reps: int | None, alias: int | None, alias_name: str) -> int | None:
    """The number of replicates from ``reps=`` or the estimator's older keyword ``alias_name`` (not both)."""
    if reps is not None and alias is not None and reps != alias:
        raise ChipwarError(f"give reps= or {alias_name}=, not both ({reps} and {alias})")
    return reps if reps is not None else alias
