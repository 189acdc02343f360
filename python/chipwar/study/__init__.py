"""The export-control study: "did US chip export controls hold China back or accelerate its domestic innovation?"

:func:`run` (and ``chipwar study`` on the command line) turns data into a report: (a) a synthetic control for
China's semiconductor patenting, (b) a staggered DiD / event study over technology classes and control waves,
(c) gravity on controlled vs uncontrolled HS6 codes (US exports to China and diversion), (d) fab capacity, (e) Entity
List firms against comparable unlisted Chinese firms, staggered by listing date. On the
SIMULATED default world every estimate is checked against the injected truth. With ``data=DIR`` it reads real files
in the public formats: NCSES tables (a), PatentsView grant tables ``g_*.tsv[.zip]`` (b), BACI yearly files
``BACI_HS17_Y<year>_V<ver>.csv`` with ``country_codes_V<ver>.csv`` or else a UN Comtrade file (c), and a fab list in
Wikipedia's columns (d); :func:`run` lists the paths. A study is one TOML file (:func:`default_config_text` shows the
default one).
"""

from __future__ import annotations

from .config import default_text as default_config_text
from .config import load_config
from .pipeline import run

__all__ = ["default_config_text", "load_config", "run"]
