"""Staggered difference-in-differences: interaction-weighted event studies (Sun & Abraham), imputation (Borusyak,
Jaravel & Spiess), two-stage DiD (Gardner) and extended TWFE (Wooldridge)."""

from .did2s import did2s
from .etwfe import etwfe
from .imputation import did_imputation
from .sun_abraham import sun_abraham

__all__ = ["did2s", "did_imputation", "etwfe", "sun_abraham"]
