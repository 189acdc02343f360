"""The exception and warning types of chipwar."""

from __future__ import annotations


class ChipwarError(ValueError):
    """Bad input or a failed computation; the message names the column (or option) and the fix."""


class ChipwarWarning(UserWarning):
    """Something was dropped or did not converge; the result is still returned."""


class ConvergenceWarning(ChipwarWarning):
    """An iterative algorithm stopped at its iteration cap before reaching its tolerance."""
