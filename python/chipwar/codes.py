"""Product and technology codes of the export-control study: controlled HS6 codes by wave, comparison codes, and the
CPC definitions of semiconductor and AI patents, with vectorised matching functions.

The HS side maps control waves (see :mod:`chipwar.events`) to the HS 2017 subheadings whose goods they cover. Export
controls are written in ECCNs and performance thresholds, not in HS codes, so the mapping is chipwar's documented
approximation: a subheading is listed under a wave when the wave's controlled items are classified there.
``scope`` says whether the wave applies to all of China (``"country"``) or to listed entities only (``"entity"``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ._errors import ChipwarError

# hs6 -> (description, product group); HS 2017 nomenclature
_CONTROLLED = {
    "848610": ("Machines for the manufacture of boules or wafers", "equipment"),
    "848620": ("Machines for the manufacture of semiconductor devices or integrated circuits", "equipment"),
    "848630": ("Machines for the manufacture of flat panel displays", "equipment"),
    "848640": ("Machines specified in Note 9 (C) to Chapter 84 (masks, reticles, handling)", "equipment"),
    "848690": ("Parts and accessories of heading 8486", "equipment"),
    "854110": ("Diodes, other than photosensitive or light-emitting", "discrete"),
    "854121": ("Transistors with a dissipation rate below 1 W", "discrete"),
    "854129": ("Other transistors", "discrete"),
    "854130": ("Thyristors, diacs and triacs", "discrete"),
    "854140": ("Photosensitive semiconductor devices; light-emitting diodes", "discrete"),
    "854150": ("Other semiconductor devices", "discrete"),
    "854160": ("Mounted piezo-electric crystals", "discrete"),
    "854190": ("Parts of heading 8541", "discrete"),
    "854231": ("Processors and controllers", "ic"),
    "854232": ("Memories", "ic"),
    "854233": ("Amplifiers", "ic"),
    "854239": ("Other electronic integrated circuits", "ic"),
    "854290": ("Parts of heading 8542", "ic"),
}

# Waves that reached each product group. The Huawei and SMIC waves restrict everything subject to the EAR for the
# listed entities (hence every semiconductor code, scope "entity"; the 2018 ZTE denial, lifted after three months, is
# left out); the country-wide rules target advanced computing
# ICs (3A090: processors and other ICs), manufacturing equipment (3B090 and successors) and, from December 2024,
# high-bandwidth memory.
_ENTITY_WAVES = ("2019-05", "2019-08", "2020-05", "2020-08", "2020-12", "2022-12", "2023-10")
_COUNTRY_WAVES = {
    "equipment": ("2022-10", "2023-03", "2023-06", "2023-10", "2024-01", "2024-09", "2024-12"),
    "854231": ("2022-10", "2023-10"),
    "854239": ("2022-10", "2023-10"),
    "854232": ("2024-12",),
}

# Electrical components of chapter 85 that no wave controlled: the comparison group of the trade analysis.
_COMPARISON = {
    "850440": "Static converters",
    "853222": "Aluminium electrolytic capacitors",
    "853224": "Ceramic dielectric capacitors, multilayer",
    "853321": "Fixed resistors for a power handling capacity not exceeding 20 W",
    "853669": "Plugs and sockets for a voltage not exceeding 1,000 V",
    "854442": "Electric conductors for a voltage not exceeding 1,000 V, fitted with connectors",
}

HS_VINTAGE_NOTES = pd.DataFrame(
    [
        (
            "8486",
            "HS2007",
            "Heading created in HS 2007; before it, manufacturing equipment was spread over 8456, 8464, "
            "8479 and other headings, so 8486 series start in 2007.",
        ),
        (
            "8542",
            "HS2007",
            "Subheadings 8542.31/32/33/39 created in HS 2007 (replacing 8542.21, 8542.29, 8542.60 and "
            "8542.70 of HS 2002).",
        ),
        (
            "8541.40",
            "HS2022",
            "Split in HS 2022 into 8541.41 (LEDs), 8541.42/43 (photovoltaic cells) and 8541.49; "
            "map these back to 8541.40 to compare with HS 2017 data.",
        ),
        (
            "8541.50",
            "HS2022",
            "HS 2022 adds 8541.51 (semiconductor-based transducers) and 8541.59 (other); map both back to 8541.50.",
        ),
    ],
    columns=["code", "vintage", "note"],
)
"""Where HS headings of the controlled products changed between vintages, and how to bridge them."""


def hs6_table() -> pd.DataFrame:
    """Controlled HS6 codes, one row per (code, wave), and the uncontrolled comparison codes.

    Returns
    -------
    pandas.DataFrame
        Columns ``hs6`` (6-digit string, HS 2017), ``description``, ``group`` (``equipment``, ``discrete``, ``ic`` or
        ``comparison``), ``controlled`` (bool), ``wave`` (``"YYYY-MM"``, empty for comparison codes) and ``scope``
        (``"country"`` for China-wide rules, ``"entity"`` for Entity List waves, empty for comparison codes).
    """
    rows = []
    for hs6, (description, group) in _CONTROLLED.items():
        for wave in _ENTITY_WAVES:
            rows.append((hs6, description, group, True, wave, "entity"))
        for wave in _COUNTRY_WAVES.get(group, ()) + _COUNTRY_WAVES.get(hs6, ()):
            rows.append((hs6, description, group, True, wave, "country"))
    rows += [(hs6, description, "comparison", False, "", "") for hs6, description in _COMPARISON.items()]
    table = pd.DataFrame(rows, columns=["hs6", "description", "group", "controlled", "wave", "scope"])
    return table.sort_values(["hs6", "wave", "scope"], ignore_index=True)


def _check_scope(scope: str | None) -> None:
    if scope not in (None, "country", "entity"):
        raise ChipwarError(f"scope must be None, 'country' or 'entity', got {scope!r}")


def controlled_hs6(wave: str | Iterable[str] | None = None, scope: str | None = None) -> list[str]:
    """Sorted HS6 codes controlled by ``wave`` (one ``"YYYY-MM"`` or several; None: any wave).

    Parameters
    ----------
    wave : str, iterable of str or None
        Wave id(s) as in :func:`chipwar.events.waves`.
    scope : {None, "country", "entity"}
        Keep only China-wide rules (``"country"``) or Entity List waves (``"entity"``); None keeps both.

    Returns
    -------
    list of str
    """
    _check_scope(scope)
    table = hs6_table()
    table = table[table["controlled"]]
    if wave is not None:
        wanted = [wave] if isinstance(wave, str) else list(wave)
        unknown = sorted(set(wanted) - set(table["wave"]))
        if unknown:
            raise ChipwarError(
                f"no controlled HS6 codes for wave(s) {unknown}; known waves: {sorted(set(table['wave']))}"
            )
        table = table[table["wave"].isin(wanted)]
    if scope is not None:
        table = table[table["scope"] == scope]
    return sorted(table["hs6"].unique())


def comparison_hs6() -> list[str]:
    """Sorted HS6 codes of electrical components that no control wave covered (the comparison group)."""
    return sorted(_COMPARISON)


def normalize_hs6(codes: pd.Series | Iterable) -> pd.Series:
    """HS6 codes as 6-digit strings: dots and spaces removed, a leading zero lost by numeric storage restored.

    Raises ChipwarError naming the first value that is not a 5- or 6-digit code.
    """
    s = pd.Series(codes, copy=False)
    # a float such as 10121.0 (a code stored as a number) loses its ".0" before dots are dropped from "8542.31"
    text = s.astype("string").str.strip().str.replace(r"\.0$", "", regex=True).str.replace(r"[.\s]", "", regex=True)
    bad = ~text.str.fullmatch(r"\d{5,6}").fillna(False)
    if bad.any():
        first = s[bad.to_numpy()].iloc[0]
        raise ChipwarError(f"{first!r} is not an HS6 code; write 6 digits such as '854231' or '8542.31'")
    return text.str.zfill(6).astype(object)


def first_wave_hs6(codes: pd.Series | Iterable, scope: str | None = "country") -> pd.Series:
    """The earliest wave controlling each HS6 code (None for codes no wave of ``scope`` controls).

    Parameters
    ----------
    codes : array-like
        HS6 codes (normalised with :func:`normalize_hs6`).
    scope : {"country", "entity", None}
        Which waves count; the default counts China-wide rules only.

    Returns
    -------
    pandas.Series
        Aligned with ``codes``: wave ids (``"YYYY-MM"``) or None.
    """
    _check_scope(scope)
    hs6 = normalize_hs6(codes)
    table = hs6_table()
    table = table[table["controlled"] & ((table["scope"] == scope) if scope else True)]
    first = table.groupby("hs6")["wave"].min()
    return hs6.map(first).astype(object).where(hs6.isin(first.index), None)


# --- CPC ----------------------------------------------------------------------------------------------------------

SEMICONDUCTOR_CPC = ("H01L", "H10")
"""Semiconductor patents: subclass H01L and class H10 (H10B, H10K, H10N from the 2023 CPC revision, and any later
H10 subclass, since the whole class covers semiconductor and solid-state devices)."""

# CSET / NSF 1790 AI definition: (subclass, main group, lowest subgroup, subgroup bound) with subgroups compared as
# decimal fractions (3/0464 lies between 3/04 and 3/05). The bound is exclusive and one past the last listed subgroup,
# so the descendants of 3/126 are kept.
AI_CPC = (
    ("G06N", 3, "02", "127"),
    ("G06N", 5, "", ""),
    ("G06N", 7, "", ""),
    ("G06N", 20, "", ""),
    ("G10L", 15, "16", "17"),
    ("G06T", 2207, "20081", "20082"),
    ("G06T", 2207, "20084", "20085"),
)
"""AI patents per the CSET / NSF 1790 list: G06N 3/02-3/126, G06N 5, G06N 7, G06N 20, G10L 15/16,
G06T 2207/20081 and G06T 2207/20084 (with their subgroups). Empty bounds mean the whole main group."""

_CPC_PATTERN = r"^([A-HY]\d{2}[A-Z])(?:(\d{1,4})(?:/(\d{2,6}))?)?$"


def _parse_cpc(codes: pd.Series | Iterable) -> pd.DataFrame:
    text = pd.Series(codes, copy=False).astype("string").str.upper().str.replace(r"\s+", "", regex=True)
    parts = text.str.extract(_CPC_PATTERN)
    parts.columns = ["subclass", "main", "sub"]
    return parts


def _fraction(digits: pd.Series) -> np.ndarray:
    """Subgroup digits as the decimal fraction CPC orders them by ('0464' -> 0.0464)."""
    return pd.to_numeric("0." + digits.fillna(""), errors="coerce").to_numpy(dtype=float)


def cpc_level(codes: pd.Series | Iterable, level: str) -> pd.Series:
    """Truncate CPC codes (``"H01L21/02"``) to ``level``: ``section``, ``class``, ``subclass`` or ``group``."""
    lengths = {"section": 1, "class": 3, "subclass": 4}
    text = pd.Series(codes, copy=False).astype("string").str.upper().str.replace(r"\s+", "", regex=True)
    if level == "group":
        return text
    if level not in lengths:
        raise ChipwarError(f"level must be 'section', 'class', 'subclass' or 'group', got {level!r}")
    return text.str.slice(0, lengths[level])


def is_semiconductor_cpc(codes: pd.Series | Iterable) -> np.ndarray:
    """True where a CPC code (at subclass level or finer) is a semiconductor code (H01L or class H10).

    Parameters
    ----------
    codes : array-like of str
        CPC codes such as ``"H01L"``, ``"H01L21/02"`` or ``"H10B 41/35"``; missing values give False.

    Returns
    -------
    numpy.ndarray of bool
    """
    subclass = _parse_cpc(codes)["subclass"]
    return (subclass.eq("H01L") | subclass.str.startswith("H10")).fillna(False).to_numpy(dtype=bool)


def is_ai_cpc(codes: pd.Series | Iterable) -> np.ndarray:
    """True where a CPC group code falls in the CSET / NSF 1790 AI definition (:data:`AI_CPC`).

    Codes given only at subclass level (``"G06N"``) are False: the definition needs the group.

    Parameters
    ----------
    codes : array-like of str
        CPC group codes such as ``"G06N3/08"`` or ``"G06T 2207/20081"``.

    Returns
    -------
    numpy.ndarray of bool
    """
    parts = _parse_cpc(codes)
    main = pd.to_numeric(parts["main"], errors="coerce").to_numpy(dtype=float)
    frac = _fraction(parts["sub"])
    subclass = parts["subclass"].fillna("").to_numpy(dtype=object)
    result = np.zeros(len(parts), dtype=bool)
    for sub, group, lo, hi in AI_CPC:
        hit = (subclass == sub) & (main == group)
        if lo:
            lo_f, hi_f = float("0." + lo), float("0." + hi)
            hit &= (frac >= lo_f) & (frac < hi_f)
        result |= hit
    return result


# Technologies the waves target, for exposure by technology class. Semiconductor devices, lithography and memory
# were targeted by the Entity List waves from May 2019 and China-wide from October 2022; AI by the October 2022
# advanced-computing rule and the October 2023 listing of AI chip developers.
_TARGETED_TECHNOLOGY = {
    "semiconductor": (_ENTITY_WAVES, ("2022-10", "2023-10", "2024-12")),
    "lithography": (_ENTITY_WAVES, ("2022-10", "2023-03", "2023-06", "2023-10", "2024-01", "2024-09", "2024-12")),
    "memory": (_ENTITY_WAVES, ("2022-12", "2024-12")),
    "ai": (("2023-10",), ("2022-10", "2023-10")),
}


def cpc_technology(codes: pd.Series | Iterable) -> pd.Series:
    """The targeted technology of each CPC code: ``semiconductor``, ``lithography`` (G03F), ``memory`` (G11C),
    ``ai`` (the 1790 list at group level; subclass G06N when only the subclass is given) or None.

    Parameters
    ----------
    codes : array-like of str
        CPC codes at subclass level or finer.

    Returns
    -------
    pandas.Series of object
    """
    parts = _parse_cpc(codes)
    subclass = parts["subclass"]
    tech = pd.Series(None, index=parts.index, dtype=object)
    tech[is_semiconductor_cpc(codes)] = "semiconductor"
    tech[subclass.eq("G03F").fillna(False).to_numpy(dtype=bool)] = "lithography"
    tech[subclass.eq("G11C").fillna(False).to_numpy(dtype=bool)] = "memory"
    ai = is_ai_cpc(codes) | (subclass.eq("G06N") & parts["main"].isna()).fillna(False).to_numpy(dtype=bool)
    tech[ai] = "ai"
    return tech.where(tech.notna(), None)


def targeted_cpc_table() -> pd.DataFrame:
    """Which wave targeted which technology: columns ``technology``, ``wave``, ``scope`` (``entity`` / ``country``)."""
    rows = [
        (tech, wave, scope)
        for tech, (entity, country) in _TARGETED_TECHNOLOGY.items()
        for scope, waves in (("entity", entity), ("country", country))
        for wave in waves
    ]
    return pd.DataFrame(rows, columns=["technology", "wave", "scope"]).sort_values(
        ["technology", "wave"], ignore_index=True
    )


def first_wave_cpc(codes: pd.Series | Iterable, scope: str | None = None) -> pd.Series:
    """The earliest wave targeting the technology of each CPC code (None for untargeted codes).

    Parameters
    ----------
    codes : array-like of str
        CPC codes at subclass level or finer.
    scope : {None, "country", "entity"}
        Which waves count; None counts both.

    Returns
    -------
    pandas.Series of object
    """
    _check_scope(scope)
    table = targeted_cpc_table()
    if scope is not None:
        table = table[table["scope"] == scope]
    first = table.groupby("technology")["wave"].min()
    tech = cpc_technology(codes)
    return tech.map(first).astype(object).where(tech.notna(), None)
