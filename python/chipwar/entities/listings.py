"""The curated Entity List listings that matter for the chip controls, as data.

One row per listed entity (or per block of affiliates a rule added without naming them here): the entity, its
parent ``group`` (the unit of the firm-level study: Huawei and HiSilicon are one group), the listing's effective and
publication dates, the Federal Register citation of the rule (``"84 FR 22961"``), the removal date and citation if
the entity was taken off the list, and the source read to check the row. As in :mod:`chipwar.events`, ``verified``
is False where the rule's Federal Register page or a date could not be checked against the rule; such rows keep a
blank ``fr_citation`` rather than a guessed one, and ``note`` says what is missing.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from .._errors import ChipwarError

COLUMNS = [
    "entity_id",
    "entity",
    "group",
    "aliases",
    "sector",
    "entry",
    "date_effective",
    "date_published",
    "fr_citation",
    "fr_document",
    "date_removed",
    "removal_fr_citation",
    "source_url",
    "verified",
    "note",
]
_DATES = ("date_effective", "date_published", "date_removed")


@lru_cache(maxsize=1)
def _load() -> pd.DataFrame:
    with resources.files("chipwar").joinpath("data", "entity_listings.csv").open("r", encoding="utf-8") as fh:
        raw = pd.read_csv(fh, dtype=str, keep_default_na=False)
    # blank text is None (not NaN), as cw.events has it
    table = raw.astype(object).where(raw != "", None)
    for column in _DATES:
        table[column] = pd.to_datetime(table[column], format="%Y-%m-%d")
    table["verified"] = table["verified"].eq("True")
    table["aliases"] = [tuple(a.strip() for a in (v or "").split(";") if a.strip()) for v in raw["aliases"]]
    return table[COLUMNS]


def table() -> pd.DataFrame:
    """Every curated listing, one row each, in date order.

    Returns
    -------
    pandas.DataFrame
        Columns ``entity_id``, ``entity``, ``group``, ``aliases`` (tuple of str), ``sector``, ``entry``
        (``"entity"``, or ``"affiliates"`` for a block of affiliates a rule added), ``date_effective``,
        ``date_published``, ``date_removed`` (datetime64, NaT where blank), ``fr_citation`` (``"volume FR page"``,
        None where not verified), ``fr_document``, ``removal_fr_citation``, ``source_url``, ``verified`` (bool)
        and ``note``.

    Examples
    --------
    >>> import chipwar as cw
    >>> cw.entities.table().set_index("entity_id").loc["smic", "fr_citation"]
    '85 FR 83416'
    """
    return _load().copy()


def first_year(dates: pd.Series, include_partial: bool = False) -> pd.Series:
    """The first year treated throughout by a listing on each date (the cohort of a yearly panel), as
    :func:`chipwar.events.first_period` counts it: a listing on 16 May 2019 treats 2020; one on 1 January treats its
    own year. With ``include_partial=True`` the year of the date itself."""
    dates = pd.to_datetime(dates)
    year = dates.dt.year
    if include_partial:
        return year.astype("Int64")
    starts_year = (dates.dt.month == 1) & (dates.dt.day == 1)
    return (year + (~starts_year).astype(int)).astype("Int64")


def groups(include_removed: bool = False, include_partial: bool = False) -> pd.DataFrame:
    """One row per parent group: when it was first listed and the cohort (first full year) it belongs to.

    Parameters
    ----------
    include_removed : bool
        If False (default), entities taken off the list (ZTE's 2016 listing, lifted in March 2017) do not count: a
        group whose every entry was removed is left out.
    include_partial : bool
        As in :func:`first_year`.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``first_listed`` (earliest effective date, publication date when the effective one is blank),
        ``cohort`` (int year), ``entities`` (number of rows), ``sectors`` (comma-separated) and ``verified`` (True
        when every entry of the group is verified).

    Examples
    --------
    >>> import chipwar as cw
    >>> int(cw.entities.groups().set_index("group").loc["Huawei", "cohort"])
    2020
    """
    listings = _load()
    if not include_removed:
        listings = listings[listings["date_removed"].isna()]
    start = listings["date_effective"].fillna(listings["date_published"])
    grouped = listings.assign(start=start).groupby("group", sort=True)
    out = pd.DataFrame(
        {
            "first_listed": grouped["start"].min(),
            "entities": grouped.size(),
            "sectors": grouped["sector"].agg(lambda s: ", ".join(sorted(set(s)))),
            "verified": grouped["verified"].all(),
        }
    ).reset_index()
    out.insert(2, "cohort", first_year(out["first_listed"], include_partial).astype(np.int64))
    return out.sort_values(["first_listed", "group"]).reset_index(drop=True)


def names(listings: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every name a listing goes by (its name and each alias), for matching: ``entity_id``, ``group``, ``name``,
    ``kind`` (``"name"`` or ``"alias"``). Blocks of affiliates (``entry == "affiliates"``) have no name to match.

    Parameters
    ----------
    listings : DataFrame, optional
        A table with the columns ``entity_id``, ``entity``, ``group`` and ``aliases`` (tuples or ``;``-separated
        text), such as :func:`table` (the default) or :func:`chipwar.entities.listings_from_csl` of a CSL file.
    """
    listings = table() if listings is None else listings
    missing = [c for c in ("entity_id", "entity", "group", "aliases") if c not in listings.columns]
    if missing:
        raise ChipwarError(
            f"listings lack column(s) {missing}; pass cw.entities.table() or a table with "
            "entity_id, entity, group and aliases"
        )
    if "entry" in listings.columns:
        listings = listings[listings["entry"].fillna("entity").eq("entity")]
    rows = []
    for entity_id, entity, group, aliases in zip(
        listings["entity_id"], listings["entity"], listings["group"], listings["aliases"]
    ):
        if isinstance(aliases, str):
            aliases = tuple(a.strip() for a in aliases.split(";") if a.strip())
        rows.append((entity_id, group, entity, "name"))
        rows += [(entity_id, group, alias, "alias") for alias in (aliases or ())]
    return pd.DataFrame(rows, columns=["entity_id", "group", "name", "kind"])
