"""chipwar: the econometrics of chip export controls.

High-dimensional fixed-effects regressions (OLS, IV, PPML), staggered difference-in-differences and
synthetic control, with a C++ core, plus the data layer and study pipeline for the export-control question.
Public names are loaded on first use, so ``import chipwar`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._errors import ChipwarError, ChipwarWarning, ConvergenceWarning

__version__ = "0.1.0"

# public name -> module (relative to this package) that defines it; names in _MODULES are the modules themselves
_MODULES = {"events", "codes", "io", "data", "datasets", "study"}
_LAZY = {
    "feols": ".estimation",
    "fepois": ".estimation",
    "etable": ".tables",
    "coefplot": ".plots",
    "iplot": ".plots",
    "set_num_threads": ".threads",
    "get_num_threads": ".threads",
    "att_gt": ".did",
    "sun_abraham": ".did",
    "did_imputation": ".did",
    "did2s": ".did",
    "honest_did": ".did",
    "bacon": ".did",
    "etwfe": ".did",
    "synth": ".synthetic",
    "sdid": ".synthetic",
    "augsynth": ".synthetic",
    "events": ".events",
    "codes": ".codes",
    "io": ".io",
    "data": ".data",
    "datasets": ".datasets",
    "study": ".study",
}

__all__ = ["ChipwarError", "ChipwarWarning", "ConvergenceWarning", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'chipwar' has no attribute {name!r}")
    mod = importlib.import_module(module, __name__)
    value = mod if name in _MODULES else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
