"""Staggered difference-in-differences: interaction-weighted event studies (Sun & Abraham), imputation (Borusyak,
Jaravel & Spiess), two-stage DiD (Gardner) and extended TWFE (Wooldridge)."""

from .sun_abraham import sun_abraham

__all__ = ["sun_abraham"]
