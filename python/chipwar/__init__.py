"""chipwar: the econometrics of chip export controls.

High-dimensional fixed-effects regressions (OLS, IV, PPML), staggered difference-in-differences and
synthetic control, with a C++ core, plus the data layer and study pipeline for the export-control question.
Public names are loaded on first use, so ``import chipwar`` stays fast; type checkers read the same names from
the imports under ``TYPE_CHECKING`` (a test keeps them and ``_LAZY`` equal).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._errors import ChipwarError, ChipwarWarning, ConvergenceWarning
from ._version import __version__

if TYPE_CHECKING:  # from the defining modules: a type checker takes `estimation.feols` for the submodule
    from . import codes, data, datasets, entities, events, io, study
    from .did.att_gt import att_gt
    from .did.bacon import bacon
    from .did.did2s import did2s
    from .did.etwfe import etwfe
    from .did.honest import honest_did
    from .did.imputation import did_imputation
    from .did.lpdid import lpdid
    from .did.pretrends import pretrend_power
    from .did.stacked import stacked_did
    from .did.sun_abraham import sun_abraham
    from .did.triple import ddd
    from .estimation.feols import feols
    from .estimation.fepois import fepois
    from .report.plots import coefplot, iplot
    from .report.tables import etable
    from .synthetic.augsynth import augsynth
    from .synthetic.scpi import scpi
    from .synthetic.sdid import sdid
    from .synthetic.synth import synth
    from .threads import get_num_threads, set_num_threads

# public name -> module (relative to this package) that defines it; names in _MODULES are the modules themselves
_MODULES = {"events", "codes", "io", "data", "datasets", "entities", "study"}
_LAZY = {
    "feols": ".estimation",
    "fepois": ".estimation",
    "etable": ".report",
    "coefplot": ".report",
    "iplot": ".report",
    "set_num_threads": ".threads",
    "get_num_threads": ".threads",
    "att_gt": ".did",
    "sun_abraham": ".did",
    "did_imputation": ".did",
    "did2s": ".did",
    "honest_did": ".did",
    "bacon": ".did",
    "etwfe": ".did",
    "ddd": ".did",
    "stacked_did": ".did",
    "lpdid": ".did",
    "pretrend_power": ".did",
    "synth": ".synthetic",
    "sdid": ".synthetic",
    "augsynth": ".synthetic",
    "scpi": ".synthetic",
    "events": ".events",
    "entities": ".entities",
    "codes": ".codes",
    "io": ".io",
    "data": ".data",
    "datasets": ".datasets",
    "study": ".study",
}

# the eager names and every key of _LAZY (tests/test_architecture.py keeps the three lists equal)
__all__ = [
    "ChipwarError",
    "ChipwarWarning",
    "ConvergenceWarning",
    "__version__",
    "att_gt",
    "augsynth",
    "bacon",
    "codes",
    "coefplot",
    "data",
    "datasets",
    "ddd",
    "did2s",
    "did_imputation",
    "entities",
    "etable",
    "etwfe",
    "events",
    "feols",
    "fepois",
    "get_num_threads",
    "honest_did",
    "io",
    "iplot",
    "lpdid",
    "pretrend_power",
    "scpi",
    "sdid",
    "set_num_threads",
    "stacked_did",
    "study",
    "sun_abraham",
    "synth",
]


if not TYPE_CHECKING:  # hidden from type checkers, which would otherwise take every unknown `cw.X` for an Any

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
