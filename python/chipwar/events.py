"""The dated export-control events on chips (US BIS, Netherlands, Japan) as data, and the helpers that turn a control
wave into treatment timing for a panel: post indicators, cohorts (first treated period) and exposure by product or
technology.

A *wave* is the set of events first made public in the same month, named ``"YYYY-MM"`` after the earlier of the
publication and effective dates (the October 2022 rule took effect on 7 October, before its publication on the 13th;
the October 2023 rules were published on 25 October and took effect in November). Treatment starts at the earliest
effective date of the wave's tightening events (the publication date when the effective date is blank).

The table is chipwar's own record of the facts in the project's event list, with Federal Register citations checked
against the Bureau of Industry and Security's lists of notices; ``verified`` is False where a date or citation is
still missing or known only to the month.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from . import codes as _codes
from ._errors import ChipwarError

_FREQS = ("Y", "Q", "M")


@lru_cache(maxsize=1)
def _load() -> pd.DataFrame:
    with resources.files("chipwar").joinpath("data", "control_events.csv").open("r", encoding="utf-8") as fh:
        raw = pd.read_csv(fh, dtype=str, keep_default_na=False)
    table = raw.replace("", None).astype(object)
    # "2023-07" is a month-only date: it parses as the first of the month and is flagged by date_precision
    table["date_precision"] = np.where(table["date_effective"].str.len().eq(7).fillna(False), "month", "day")
    for column in ("date_effective", "date_published"):
        table[column] = pd.to_datetime(table[column], format="mixed")
    table["verified"] = table["verified"].eq("True")
    table["tightening"] = ~table["instrument"].str.startswith("Termination")
    start = table[["date_effective", "date_published"]].min(axis=1)
    table["wave"] = start.dt.strftime("%Y-%m")
    columns = [
        "event_id",
        "wave",
        "date_effective",
        "date_published",
        "date_precision",
        "jurisdiction",
        "instrument",
        "scope",
        "fr_citation",
        "fr_document",
        "source_url",
        "verified",
        "tightening",
        "note",
    ]
    return table[columns]


def table() -> pd.DataFrame:
    """All control events, one row each, in date order.

    Returns
    -------
    pandas.DataFrame
        Columns ``event_id``, ``wave``, ``date_effective`` and ``date_published`` (datetime64, NaT where unknown),
        ``date_precision`` (``"day"`` or ``"month"``), ``jurisdiction`` (``US-BIS``, ``NL``, ``JP-METI``),
        ``instrument``, ``scope``, ``fr_citation`` (e.g. ``"87 FR 62186"``), ``fr_document``, ``source_url``,
        ``verified`` (bool), ``tightening`` (False for events that relaxed controls) and ``note``.

    Examples
    --------
    >>> import chipwar as cw
    >>> cw.events.table().set_index("event_id").loc["bis_oct7_2022", "fr_citation"]
    '87 FR 62186'
    """
    return _load().copy()


def waves() -> pd.DataFrame:
    """One row per wave: ``wave``, ``date`` (treatment start), ``jurisdictions`` and ``events`` (comma-separated ids).

    Waves made only of relaxing events (the 2018 lifting of the ZTE denial) are left out.
    """
    events = _load()
    events = events[events["tightening"]]
    start = events["date_effective"].fillna(events["date_published"])
    grouped = events.assign(start=start).groupby("wave", sort=True)
    return pd.DataFrame(
        {
            "date": grouped["start"].min(),
            "jurisdictions": grouped["jurisdiction"].agg(lambda s: ", ".join(sorted(set(s)))),
            "events": grouped["event_id"].agg(", ".join),
        }
    ).reset_index()


def _wave_ids(names: str | Iterable[str]) -> list[str]:
    """Wave ids of ``names`` (wave ids or event ids), raising ChipwarError for unknown names."""
    events = _load()
    requested = [names] if isinstance(names, str) else list(names)
    if not requested:
        raise ChipwarError("no wave given; pass a wave id such as '2022-10' (see cw.events.waves())")
    by_event = dict(zip(events["event_id"], events["wave"]))
    known = set(events["wave"])
    ids = []
    for name in requested:
        if name in known:
            ids.append(name)
        elif name in by_event:
            ids.append(by_event[name])
        else:
            raise ChipwarError(
                f"unknown wave or event {name!r}; waves are {sorted(known)} and event ids are listed by cw.events.table()"
            )
    return sorted(set(ids))


def wave(names: str | Iterable[str]) -> pd.DataFrame:
    """The events of one or several waves.

    Parameters
    ----------
    names : str or iterable of str
        Wave ids (``"2022-10"``) or event ids (``"bis_oct7_2022"``, meaning that event's wave).

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`table` in those waves.
    """
    events = _load()
    return events[events["wave"].isin(_wave_ids(names))].reset_index(drop=True)


def treatment_date(names: str | Iterable[str], date: str = "effective") -> pd.Timestamp:
    """When treatment starts: the earliest date of the tightening events of the given wave(s).

    Parameters
    ----------
    names : str or iterable of str
        Wave or event ids.
    date : {"effective", "published"}
        Which date to use; a blank date falls back to the other one.

    Returns
    -------
    pandas.Timestamp
    """
    if date not in ("effective", "published"):
        raise ChipwarError(f"date must be 'effective' or 'published', got {date!r}")
    events = wave(names)
    events = events[events["tightening"]]
    if events.empty:
        raise ChipwarError(f"wave(s) {names!r} contain no tightening event, so they start no treatment")
    other = "published" if date == "effective" else "effective"
    return events[f"date_{date}"].fillna(events[f"date_{other}"]).min()


def _period_freq(freq: str) -> str:
    if freq not in _FREQS:
        raise ChipwarError(f"freq must be 'Y' (years), 'Q' (quarters) or 'M' (months), got {freq!r}")
    return freq


def first_period(
    names: str | Iterable[str], freq: str = "Y", include_partial: bool = False, date: str = "effective"
) -> int | pd.Period:
    """The first treated period of a wave: the cohort of the units it treats.

    Parameters
    ----------
    names : str or iterable of str
        Wave or event ids; several waves start treatment at the earliest of them.
    freq : {"Y", "Q", "M"}
        Panel frequency.
    include_partial : bool
        If False (default), the first treated period is the first one that is treated throughout: a rule effective
        on 7 October 2022 treats 2023 in a yearly panel. If True, the period containing the date is treated.
    date : {"effective", "published"}
        Which date starts treatment.

    Returns
    -------
    int or pandas.Period
        A year (int) when ``freq="Y"``, else a Period.
    """
    start = treatment_date(names, date=date)
    period = pd.Period(start, _period_freq(freq))
    if not include_partial and start > period.start_time:
        period += 1
    return period.year if freq == "Y" else period


def _as_periods(time: Iterable, freq: str) -> np.ndarray | pd.PeriodIndex:
    values = pd.Series(time, copy=False)
    if freq == "Y" and pd.api.types.is_numeric_dtype(values.dtype):
        if values.isna().any() or not np.all(np.mod(values.to_numpy(dtype=float), 1) == 0):
            raise ChipwarError("time must hold whole years (e.g. 2021) without missing values when freq='Y'")
        return values.to_numpy(dtype=np.int64)
    if isinstance(values.dtype, pd.PeriodDtype):
        return pd.PeriodIndex(values).asfreq(freq)
    try:
        return pd.PeriodIndex(pd.to_datetime(values), freq=freq)
    except (ValueError, TypeError) as err:
        raise ChipwarError(
            f"time values such as {values.iloc[0]!r} are not dates; pass years (ints), dates or pandas Periods"
        ) from err


def post(
    time: Iterable,
    names: str | Iterable[str],
    freq: str = "Y",
    include_partial: bool = False,
    date: str = "effective",
) -> np.ndarray:
    """Post-treatment indicator (0/1) for each time value.

    Parameters
    ----------
    time : array-like
        Years (ints) for ``freq="Y"``, or dates / Periods for any frequency.
    names : str or iterable of str
        Wave or event ids.
    freq, include_partial, date
        As in :func:`first_period`.

    Returns
    -------
    numpy.ndarray of int8

    Examples
    --------
    >>> import chipwar as cw
    >>> cw.events.post([2021, 2022, 2023], "2022-10").tolist()
    [0, 0, 1]
    """
    cohort = first_period(names, freq=freq, include_partial=include_partial, date=date)
    periods = _as_periods(time, freq)
    if isinstance(periods, np.ndarray):
        return (periods >= cohort).astype(np.int8)
    cohort_period = pd.Period(f"{cohort}", freq) if freq == "Y" else cohort
    return np.asarray(periods >= cohort_period, dtype=np.int8)


def _first_periods_by_wave(first_waves: pd.Series, freq: str, include_partial: bool, date: str) -> pd.Series:
    lookup = {
        w: first_period(w, freq=freq, include_partial=include_partial, date=date) for w in first_waves.dropna().unique()
    }
    return first_waves.map(lookup)


def cohorts(
    keys: Iterable,
    kind: str,
    scope: str | None = None,
    freq: str = "Y",
    include_partial: bool = False,
    date: str = "effective",
) -> pd.Series:
    """First treated period of each product or technology code (0 for codes no wave targeted).

    Parameters
    ----------
    keys : array-like
        HS6 codes (``kind="hs6"``) or CPC codes at subclass level or finer (``kind="cpc"``).
    kind : {"hs6", "cpc"}
        What the keys are; exposure comes from :func:`chipwar.codes.first_wave_hs6` or
        :func:`chipwar.codes.first_wave_cpc`.
    scope : {None, "country", "entity"}
        Count only China-wide rules, only Entity List waves, or both (None).
    freq, include_partial, date
        As in :func:`first_period`.

    Returns
    -------
    pandas.Series
        Aligned with ``keys``: the cohort (a year for ``freq="Y"``, else a Period) or 0 for never treated, the
        convention of ``cohort=`` in chipwar's DiD estimators.

    Examples
    --------
    >>> import chipwar as cw
    >>> cw.events.cohorts(["854231", "853224"], kind="hs6", scope="country").tolist()
    [2023, 0]
    """
    if kind == "hs6":
        first = _codes.first_wave_hs6(keys, scope=scope)
    elif kind == "cpc":
        first = _codes.first_wave_cpc(keys, scope=scope)
    else:
        raise ChipwarError(f"kind must be 'hs6' or 'cpc', got {kind!r}")
    periods = _first_periods_by_wave(first, freq, include_partial, date)
    if freq == "Y":
        return periods.fillna(0).astype(np.int64)
    return periods.astype(object).where(first.notna(), 0)


def exposure(
    keys: Iterable,
    time: Iterable,
    kind: str,
    scope: str | None = None,
    freq: str = "Y",
    include_partial: bool = False,
    date: str = "effective",
) -> np.ndarray:
    """Treated indicator (0/1) for each (code, time) pair: 1 once a wave targeting the code has started.

    Parameters
    ----------
    keys : array-like
        HS6 or CPC codes, one per observation.
    time : array-like
        The observation's time (as in :func:`post`), aligned with ``keys``.
    kind, scope, freq, include_partial, date
        As in :func:`cohorts`.

    Returns
    -------
    numpy.ndarray of int8
    """
    keys = pd.Series(keys, copy=False).reset_index(drop=True)
    periods = _as_periods(time, freq)
    if len(periods) != len(keys):
        raise ChipwarError(f"keys ({len(keys)} values) and time ({len(periods)} values) must have the same length")
    cohort = cohorts(keys, kind, scope=scope, freq=freq, include_partial=include_partial, date=date)
    treated = cohort.ne(0).to_numpy(dtype=bool)
    result = np.zeros(len(keys), dtype=np.int8)
    if isinstance(periods, np.ndarray):
        result[treated] = periods[treated] >= cohort[treated].to_numpy(dtype=np.int64)
    else:
        # compare period ordinals; the cohort of each distinct wave is converted once
        ordinal = {c: pd.Period(f"{c}", freq).ordinal if freq == "Y" else c.ordinal for c in cohort[treated].unique()}
        cohort_ordinal = cohort[treated].map(ordinal).to_numpy(dtype=np.int64)
        result[treated] = periods.asi8[treated] >= cohort_ordinal
    return result
