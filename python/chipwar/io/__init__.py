"""Loaders of the public bulk formats of the export-control study into tidy tables.

Each reader streams large files in chunks and raises :class:`chipwar.ChipwarError` naming the file, line and column
of malformed input.
"""

from .baci import read_baci
from .comtrade import read_comtrade
from .fabs import read_fabs
from .ncses import read_ncses
from .patentsview import read_patentsview

__all__ = ["read_baci", "read_comtrade", "read_fabs", "read_ncses", "read_patentsview"]
