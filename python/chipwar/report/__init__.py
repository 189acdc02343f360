"""Presentation of fitted models: regression tables (``etable``) and coefficient plots (``coefplot``, ``iplot``)."""

from .plots import coefplot, iplot
from .tables import etable

__all__ = ["coefplot", "etable", "iplot"]
