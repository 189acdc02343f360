"""The reviewed crosswalk from patent assignees to listed groups: a CSV file a user edits and the study reads.

Columns: ``assignee_id``, ``assignee``, ``group``, ``entity_id``, ``score``, ``method``, ``decision`` and ``note``.
``decision`` is ``accept`` (the assignee belongs to the listed group), ``reject`` (it does not) or ``review`` (not
decided yet; the study treats it as not matched and says how many are left). A reviewer may add rows by hand (an
assignee the matcher missed): only ``assignee_id``, ``group`` and ``decision`` are required.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._errors import ChipwarError
from ..io._tabular import existing_file
from .match import Candidates

COLUMNS = ["assignee_id", "assignee", "group", "entity_id", "score", "method", "decision", "note"]
REQUIRED = ("assignee_id", "group", "decision")
DECISIONS = ("accept", "reject", "review")


def write_crosswalk(candidates: Candidates | pd.DataFrame, path: str | Path) -> Path:
    """Write match candidates as a crosswalk file to review (UTF-8 CSV, one row per assignee, sorted).

    Examples
    --------
    >>> import pandas as pd, chipwar as cw
    >>> found = cw.entities.match_assignees(pd.DataFrame({"assignee_id": ["a1"], "assignee": ["ZTE Corp."]}))
    >>> cw.entities.write_crosswalk(found, "crosswalk.csv")  # doctest: +SKIP
    """
    table = candidates.table if isinstance(candidates, Candidates) else candidates
    out = table.reindex(columns=COLUMNS).sort_values(["group", "assignee_id"], kind="stable")
    path = Path(path)
    path.write_bytes(out.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return path


def read_crosswalk(path: str | Path) -> pd.DataFrame:
    """The accepted rows of a reviewed crosswalk file, with the counts of the others in ``attrs``.

    Returns
    -------
    pandas.DataFrame
        ``assignee_id``, ``group`` (and the other columns present) of the rows whose decision is ``accept``;
        ``attrs["review"]`` and ``attrs["reject"]`` count the other rows.

    Raises
    ------
    ChipwarError
        For a missing column, a decision other than accept/reject/review, a blank id or group on an accepted row, or
        an assignee accepted into two groups (the message names the line).
    """
    path = existing_file(path, "crosswalk")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise ChipwarError(
            f"{path}: not a readable crosswalk CSV ({err}); write it with cw.entities.write_crosswalk"
        ) from err
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise ChipwarError(f"{path}, line 1: column(s) {missing} missing; a crosswalk needs {list(REQUIRED)}")
    decision = table["decision"].str.strip().str.lower()
    bad = ~decision.isin(DECISIONS)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise ChipwarError(
            f"{path}, line {i + 2}, column 'decision': {table['decision'].iloc[i]!r} is not one of {list(DECISIONS)}"
        )
    table["decision"] = decision
    accepted = table[decision == "accept"].copy()
    for column in ("assignee_id", "group"):
        blank = accepted[column].str.strip() == ""
        if blank.any():
            raise ChipwarError(
                f"{path}, line {int(accepted.index[blank][0]) + 2}, column {column!r}: blank on an "
                "accepted row; fill it or set decision to review"
            )
    twice = accepted.groupby("assignee_id")["group"].transform("nunique") > 1
    if twice.any():
        row = accepted[twice].iloc[0]
        raise ChipwarError(
            f"{path}, line {int(accepted.index[twice][0]) + 2}: assignee {row['assignee_id']!r} is "
            "accepted into more than one group; keep one accept row per assignee"
        )
    accepted = accepted.drop_duplicates("assignee_id").reset_index(drop=True)
    accepted.attrs.update(
        review=int((decision == "review").sum()), reject=int((decision == "reject").sum()), path=str(path)
    )
    return accepted
