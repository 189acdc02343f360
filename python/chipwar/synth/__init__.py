"""Synthetic control: ADH with predictors (:func:`synth`), synthetic DiD (:func:`sdid`), augmented SC (:func:`augsynth`)."""

import sys
import types

from .augsynth import augsynth
from .sdid import sdid
from .synth import synth

__all__ = ["augsynth", "sdid", "synth"]


class _CallableModule(types.ModuleType):
    """``chipwar.synth`` is both this package and the function: the lazy table in chipwar/__init__.py maps the name
    ``synth`` to the module ``.synth`` and returns the module itself, so calling it must run :func:`synth`."""

    def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return synth(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
