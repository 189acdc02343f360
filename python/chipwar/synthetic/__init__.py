"""Synthetic control: ADH with predictors (:func:`synth`), synthetic DiD (:func:`sdid`), augmented SC (:func:`augsynth`).

The package is named ``synthetic`` so that ``chipwar.synth`` stays the function.
"""

from .augsynth import augsynth
from .sdid import sdid
from .synth import synth

__all__ = ["augsynth", "sdid", "synth"]
