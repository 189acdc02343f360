"""The Consolidated Screening List (CSL) of the US International Trade Administration, read into a tidy table.

The CSL merges the export screening lists of Commerce (the BIS Entity List, Denied Persons, Unverified and Military
End User lists), State and Treasury. It is published as CSV (``consolidated.csv``: columns ``_id``, ``source``,
``entity_number``, ``type``, ``programs``, ``name``, ``title``, ``addresses``, ``federal_register_notice``,
``start_date``, ``end_date``, ``standard_order``, ``license_requirement``, ``license_policy``, ..., ``remarks``,
``source_list_url``, ``alt_names``, ..., ``ids``; several values in one field separated by ``; ``) and as JSON
(``consolidated.json``: ``{"results": [...]}``, lists as lists, each address an object with ``address``, ``city``,
``state``, ``postal_code`` and ``country``). Fetching the file is :mod:`chipwar.data`'s job; this module reads it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import ChipwarError
from ..io._tabular import _parser_error, existing_file

ENTITY_LIST = "Entity List (EL) - Bureau of Industry and Security"
"""The ``source`` of the BIS Entity List's rows in the CSL."""

REQUIRED = ("source", "name")
TEXT = (
    "source",
    "entity_number",
    "type",
    "name",
    "federal_register_notice",
    "license_requirement",
    "license_policy",
    "remarks",
    "source_list_url",
)
LISTS = ("programs", "alt_names", "addresses")
OUT = [
    "id",
    *TEXT[:4],
    "programs",
    "alt_names",
    "addresses",
    "countries",
    "start_date",
    "end_date",
    "federal_register_notice",
    "fr_citations",
    *TEXT[5:],
]
_CITATION = re.compile(r"(\d{1,3})\s*F\.?\s*R\.?\s*(\d{1,6})")
_SEP = ";"


def fr_citations(text: str | None) -> tuple[str, ...]:
    """The Federal Register citations in a CSL ``federal_register_notice`` field, as ``"volume FR page"``.

    Examples
    --------
    >>> from chipwar.entities.csl import fr_citations
    >>> fr_citations("84 FR 22961 5/21/19; 84 F.R. 43493")
    ('84 FR 22961', '84 FR 43493')
    """
    return tuple(f"{v} FR {p}" for v, p in _CITATION.findall(text or ""))


def _split(value) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(v.strip() for v in str(value or "").split(_SEP) if v.strip())


def _address_text(value) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Addresses as text and their countries (ISO 2-letter codes where the list gives them)."""
    if isinstance(value, list):
        texts: list[str] = []
        countries: list[str] = []
        for item in value:
            if isinstance(item, dict):
                parts = [str(item.get(k) or "").strip() for k in ("address", "city", "state", "postal_code", "country")]
                texts.append(", ".join(p for p in parts if p))
                countries.append(str(item.get("country") or "").strip())
            else:
                texts.append(str(item).strip())
                countries.append(str(item).rsplit(",", 1)[-1].strip())
        return tuple(texts), tuple(c for c in countries if c)
    addresses = _split(value)
    return addresses, tuple(t.rsplit(",", 1)[-1].strip() for t in addresses if "," in t)


def _read_records(path: Path) -> tuple[pd.DataFrame, int]:
    """Rows of a CSL file as text columns, and the line (CSV) or record (JSON) number of the first row."""
    with path.open("rb") as fh:
        head = fh.read(64).lstrip()
    if path.suffix.lower() == ".json" or head[:1] in (b"{", b"["):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ChipwarError(f"{path}: not valid JSON ({err}); download consolidated.json again") from err
        records = data.get("results") if isinstance(data, dict) else data
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ChipwarError(f'{path}: a CSL JSON file holds {{"results": [records]}} or a list of records')
        return pd.DataFrame.from_records(records).rename(columns={"_id": "id"}), 1
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.ParserError as err:
        raise _parser_error(path, err, "every line of a CSL CSV file has the fields of its header") from err
    except UnicodeDecodeError as err:
        raise ChipwarError(f"{path}: cannot decode the file as UTF-8 ({err.reason}); re-download the CSV") from err
    except pd.errors.EmptyDataError as err:
        raise ChipwarError(f"{path}: the file is empty; expected the CSL header line") from err
    return frame.rename(columns={"_id": "id"}), 2


def _dates(frame: pd.DataFrame, column: str, path: Path, first: int, unit: str) -> pd.Series:
    text = frame[column].fillna("").astype(str).str.strip() if column in frame else pd.Series("", index=frame.index)
    dates = pd.to_datetime(text.where(text != ""), format="%Y-%m-%d", errors="coerce")
    bad = dates.isna() & (text != "")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ChipwarError(
            f"{path}, {unit} {first + i}, column {column!r}: {text.iloc[i]!r} is not a date "
            "YYYY-MM-DD; correct or remove that row"
        )
    return dates


def read_csl(path: str | Path, source: str | None = None) -> pd.DataFrame:
    """Read a Consolidated Screening List file (CSV or JSON) into one row per listed party.

    Parameters
    ----------
    path : str or Path
        ``consolidated.csv`` or ``consolidated.json`` (or a file of the same format holding some of its rows).
    source : str, optional
        Keep only the rows of this list, e.g. :data:`ENTITY_LIST`.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``source``, ``entity_number``, ``type``, ``name``, ``programs``, ``alt_names`` and ``addresses``
        (tuples of str), ``countries`` (tuple of the addresses' country codes), ``start_date`` and ``end_date``
        (datetime64, NaT where blank), ``federal_register_notice`` (as published), ``fr_citations`` (tuple of
        ``"volume FR page"``), ``license_requirement``, ``license_policy``, ``remarks`` and ``source_list_url``.
        Columns the file lacks are empty.

    Raises
    ------
    ChipwarError
        For a missing file, a file without the ``source`` or ``name`` column, a malformed row (wrong number of
        fields, blank name, a date that is not YYYY-MM-DD), naming the line (CSV) or record (JSON).

    Examples
    --------
    >>> import chipwar as cw
    >>> el = cw.entities.read_csl("consolidated.csv", source=cw.entities.csl.ENTITY_LIST)  # doctest: +SKIP
    """
    path = existing_file(path, "Consolidated Screening List")
    frame, first = _read_records(path)
    unit = "line" if first == 2 else "record"
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ChipwarError(
            f"{path}: column(s) {missing} missing; a CSL file has {list(REQUIRED)} and the other CSL "
            f"columns (found {list(frame.columns)[:12]})"
        )
    name = frame["name"].fillna("").astype(str).str.strip()
    if (name == "").any():
        i = int(np.flatnonzero((name == "").to_numpy())[0])
        raise ChipwarError(f"{path}, {unit} {first + i}, column 'name': blank; every listed party needs a name")
    out = pd.DataFrame(index=frame.index)
    out["id"] = frame["id"].astype(str) if "id" in frame else (frame.index + first).astype(str)
    for column in TEXT:
        out[column] = frame[column].fillna("").astype(str).str.strip() if column in frame else ""
    out["name"] = name
    for column in ("programs", "alt_names"):
        out[column] = [_split(v) for v in frame[column]] if column in frame else [()] * len(frame)
    parsed = [_address_text(v) for v in frame["addresses"]] if "addresses" in frame else [((), ())] * len(frame)
    out["addresses"] = [p[0] for p in parsed]
    out["countries"] = [p[1] for p in parsed]
    out["start_date"] = _dates(frame, "start_date", path, first, unit)
    out["end_date"] = _dates(frame, "end_date", path, first, unit)
    out["fr_citations"] = [fr_citations(v) for v in out["federal_register_notice"]]
    if source is not None:
        out = out[out["source"] == source]
    return out[OUT].reset_index(drop=True)


def listings_from_csl(csl: pd.DataFrame, country: str | None = "CN") -> pd.DataFrame:
    """Entity List rows of a CSL table as listings for :func:`chipwar.entities.match_assignees`.

    Each party is its own ``group`` (the CSL has no parent groups; map parties to groups with the crosswalk);
    ``fr_citation`` is the first citation the CSL gives, ``verified`` is False (the CSL's citations are as
    published, not checked here).

    Parameters
    ----------
    csl : DataFrame
        :func:`read_csl` output.
    country : str, optional
        Keep parties with an address in this country (ISO 2-letter code); None keeps all.
    """
    el = csl[csl["source"] == ENTITY_LIST]
    if country is not None:
        el = el[[country in c for c in el["countries"]]]
    return pd.DataFrame(
        {
            "entity_id": "csl:" + el["id"].astype(str),
            "entity": el["name"],
            "group": el["name"],
            "aliases": el["alt_names"],
            "entry": "entity",
            "date_effective": el["start_date"],
            "fr_citation": [c[0] if c else None for c in el["fr_citations"]],
            "verified": False,
            "note": "as published in the Consolidated Screening List",
        }
    ).reset_index(drop=True)
