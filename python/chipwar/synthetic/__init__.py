"""Synthetic control: ADH with predictors (:func:`synth`), synthetic DiD (:func:`sdid`, staggered adoption too),
augmented SC (:func:`augsynth`), scpi's constrained weights with prediction intervals (:func:`scpi`).

The package is named ``synthetic`` so that ``chipwar.synth`` stays the function.
"""

from .augsynth import augsynth
from .scpi import scpi
from .sdid import sdid
from .synth import synth

__all__ = ["augsynth", "scpi", "sdid", "synth"]
