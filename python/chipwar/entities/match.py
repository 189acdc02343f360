"""Matching listed entities to patent assignees: exact, group-prefix and fuzzy candidates with a score.

Both sides are normalised first (:func:`chipwar.entities.normalize`). For every assignee the best candidate is kept:

* ``exact``: its normalised name equals a listed name or alias (score 1);
* ``prefix``: its normalised name starts with a whole listed name ("huawei device" under "huawei"): the subsidiaries
  and units of a listed group that share its name;
* ``fuzzy``: the cosine similarity of TF-IDF weighted character trigrams of the two normalised names (score in
  [0, 1]), which forgives spelling and spacing variants ("hisilicon"/"hi silicon semiconductor").

Trigrams are computed for whole columns with numpy (each name as bytes, each trigram one integer) and the
similarities of all pairs sharing a trigram come from one sparse matrix product, so the work grows with the pairs
that share a trigram, not with every pair: half a million assignee names against the curated listings take seconds.

Candidates are suggestions: ``decision`` is ``"accept"`` for exact and prefix matches and fuzzy scores of at least
``threshold``, ``"review"`` for fuzzy scores between ``review`` and ``threshold``. Write them to a crosswalk file
(:func:`chipwar.entities.write_crosswalk`), review it by hand, and let the study read the decisions
(:func:`chipwar.entities.read_crosswalk`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from .._errors import ChipwarError
from . import listings as _listings
from .names import normalize

_NGRAM = 3
_MAX_BYTES = 96  # longer normalised names are compared on their first 96 bytes
_CODES = 1 << 21  # three 7-bit ASCII characters
_CHUNK = 100_000
CANDIDATE_COLUMNS = [
    "assignee_id",
    "assignee",
    "normalized",
    "group",
    "entity_id",
    "listed_name",
    "score",
    "method",
    "decision",
]


def _trigram_counts(names: np.ndarray) -> sparse.csr_matrix:
    """Counts of every character trigram of the space-padded normalised ``names`` (rows) by trigram code (columns).

    Normalised names are ASCII, so a trigram packs into 21 bits and its code is its column: no vocabulary to build.
    """
    text = np.char.add(np.char.add(b" ", np.asarray(names, dtype="S")), b" ")
    width = max(min(text.dtype.itemsize, _MAX_BYTES), _NGRAM)
    text = text.astype(f"S{width}")
    chars = np.frombuffer(text.tobytes(), dtype=np.uint8).reshape(len(text), width).astype(np.int32)
    codes = (chars[:, :-2] << 14) | (chars[:, 1:-1] << 7) | chars[:, 2:]
    # a trigram is valid while its last character is inside the name (padding bytes are 0); the valid ones of a
    # row are a prefix of it, so row-major masking gives the CSR arrays directly
    valid = chars[:, 2:] != 0
    indptr = np.concatenate([[0], np.cumsum(valid.sum(axis=1))])
    counts = sparse.csr_matrix((np.ones(int(indptr[-1])), codes[valid], indptr), shape=(len(text), _CODES))
    counts.sum_duplicates()
    return counts


def _row_best(matrix: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Column and value of each row's largest entry (-1 and 0 for rows without a positive one; ties: the smallest
    column). The matrix has few columns (the listed names), so a dense block is small."""
    dense = matrix.toarray()
    best = dense.argmax(axis=1)
    value = dense[np.arange(len(best)), best]
    return np.where(value > 0, best, -1), np.maximum(value, 0.0)


def _weighted(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    """TF-IDF rows scaled to unit length."""
    weighted = counts.copy()
    weighted.data *= idf[weighted.indices]
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ weighted


def fuzzy_scores(queries, targets) -> tuple[np.ndarray, np.ndarray]:
    """For each normalised name in ``queries``, the index of the most similar name in ``targets`` (cosine of TF-IDF
    weighted character trigrams, document frequencies from ``queries``) and that similarity; index -1 and score 0
    where no trigram is shared.

    Examples
    --------
    >>> from chipwar.entities.match import fuzzy_scores
    >>> best, score = fuzzy_scores(["hisilicon semiconductor", "acme"], ["hisilicon", "huawei"])
    >>> best.tolist(), bool(score[0] > 0.5), float(score[1])
    ([0, -1], True, 0.0)
    """
    queries = np.asarray(queries, dtype=object)
    targets = np.asarray(targets, dtype=object)
    best = np.full(len(queries), -1, dtype=np.int64)
    score = np.zeros(len(queries))
    if len(queries) == 0 or len(targets) == 0:
        return best, score
    chunks = [_trigram_counts(queries[start : start + _CHUNK]) for start in range(0, len(queries), _CHUNK)]
    # each (name, trigram) is stored once after sum_duplicates, so counting column indices counts documents
    df = sum(np.bincount(c.indices, minlength=_CODES) for c in chunks)
    idf = np.log((len(queries) + 1.0) / (df + 1.0)) + 1.0
    target_matrix = _weighted(_trigram_counts(targets), idf).T.tocsc()
    start = 0
    for counts in chunks:
        n = counts.shape[0]
        arg, top = _row_best((_weighted(counts, idf) @ target_matrix).tocsr())
        best[start : start + n] = arg
        score[start : start + n] = np.minimum(top, 1.0)
        start += n
    return best, score


@dataclass
class Candidates:
    """Best listed entity for each assignee that has one (``table``, columns :data:`CANDIDATE_COLUMNS`) and the
    listed names no accepted assignee matched (``unmatched``: ``entity_id, group, name``)."""

    table: pd.DataFrame
    unmatched: pd.DataFrame
    n_assignees: int
    threshold: float
    review: float

    def summary(self) -> str:
        accepted = self.table[self.table["decision"] == "accept"]
        by_method = accepted["method"].value_counts().reindex(["exact", "prefix", "fuzzy"], fill_value=0)
        lines = [
            f"Matching of {self.n_assignees:,} assignees to listed entities",
            (
                f"accepted: {len(accepted):,} assignees in {accepted['group'].nunique()} groups "
                f"(exact {by_method['exact']}, prefix {by_method['prefix']}, fuzzy >= {self.threshold:g}: "
                f"{by_method['fuzzy']})"
            ),
            (
                f"to review (fuzzy {self.review:g} to {self.threshold:g}): "
                f"{int((self.table['decision'] == 'review').sum()):,}"
            ),
            f"listed entities without an accepted assignee: {self.unmatched['entity_id'].nunique()}",
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


def match_assignees(
    assignees: pd.DataFrame,
    listings: pd.DataFrame | None = None,
    name: str = "assignee",
    id: str = "assignee_id",
    threshold: float = 0.85,
    review: float = 0.6,
) -> Candidates:
    """Candidate listed entity for every assignee name (see the module docstring).

    Parameters
    ----------
    assignees : DataFrame
        One row per assignee, with an id column and a name column (PatentsView's ``assignee_id`` and
        ``disambig_assignee_organization``, say).
    listings : DataFrame, optional
        The listed entities (default :func:`chipwar.entities.table`; or :func:`chipwar.entities.listings_from_csl`).
    name, id : str
        The columns of ``assignees`` holding the name and the id.
    threshold, review : float
        Fuzzy scores from ``threshold`` are accepted, from ``review`` they are listed for review.

    Returns
    -------
    Candidates

    Raises
    ------
    ChipwarError
        For a missing column, duplicated ids, or thresholds outside [0, 1].

    Examples
    --------
    >>> import pandas as pd, chipwar as cw
    >>> names = pd.DataFrame({"assignee_id": ["a1", "a2", "a3"],
    ...                       "assignee": ["HUAWEI TECHNOLOGIES CO., LTD.", "Huawei Device Co., Ltd.", "Acme Inc."]})
    >>> found = cw.entities.match_assignees(names)
    >>> found.table[["assignee_id", "group", "method"]].values.tolist()
    [['a1', 'Huawei', 'exact'], ['a2', 'Huawei', 'prefix']]
    """
    for column in (name, id):
        if column not in assignees.columns:
            raise ChipwarError(
                f"assignees has no column {column!r}; pass name= and id= naming the assignee name and "
                f"id columns (found {list(assignees.columns)[:10]})"
            )
    if not (0.0 <= review <= threshold <= 1.0):
        raise ChipwarError(f"need 0 <= review <= threshold <= 1, got review={review!r}, threshold={threshold!r}")
    if assignees[id].duplicated().any():
        dup = assignees.loc[assignees[id].duplicated(), id].iloc[0]
        raise ChipwarError(f"column {id!r} repeats the id {dup!r}; pass one row per assignee")
    listed = _listings.names(listings)
    listed["normalized"] = normalize(listed["name"]).to_numpy()
    listed = listed[listed["normalized"].str.len() > 0].drop_duplicates("normalized").reset_index(drop=True)
    ids = assignees[id].to_numpy(dtype=object)
    raw = assignees[name].to_numpy(dtype=object)
    norm = normalize(raw).to_numpy(dtype=object)

    target = np.full(len(norm), -1, dtype=np.int64)
    method = np.full(len(norm), "", dtype=object)
    exact = pd.Index(listed["normalized"]).get_indexer(norm)
    target[exact >= 0], method[exact >= 0] = exact[exact >= 0], "exact"
    arrow = pa.array(norm, type=pa.string())
    # longer listed names first, so "huawei device" (if listed) wins over "huawei"
    for k in np.argsort(-listed["normalized"].str.len().to_numpy(), kind="stable"):
        prefix = np.asarray(pc.starts_with(arrow, listed.at[k, "normalized"] + " "), dtype=bool)
        prefix &= method == ""
        target[prefix], method[prefix] = k, "prefix"
    best, score = fuzzy_scores(norm, listed["normalized"].to_numpy(dtype=object))
    fuzzy = (method == "") & (best >= 0) & (score >= review)
    target[fuzzy], method[fuzzy] = best[fuzzy], "fuzzy"
    score = np.where(method == "exact", 1.0, score)

    found = target >= 0
    k = target[found]
    decision = np.where((method[found] != "fuzzy") | (score[found] >= threshold), "accept", "review")
    table = (
        pd.DataFrame(
            {
                "assignee_id": ids[found],
                "assignee": raw[found],
                "normalized": norm[found],
                "group": listed["group"].to_numpy(dtype=object)[k],
                "entity_id": listed["entity_id"].to_numpy(dtype=object)[k],
                "listed_name": listed["name"].to_numpy(dtype=object)[k],
                "score": np.round(score[found], 6),
                "method": method[found],
                "decision": decision,
            }
        )
        .sort_values(["group", "assignee_id"], kind="stable")
        .reset_index(drop=True)
    )
    accepted = set(table.loc[table["decision"] == "accept", "entity_id"])
    all_names = _listings.names(listings)
    unmatched = all_names[~all_names["entity_id"].isin(accepted) & all_names["kind"].eq("name")]
    return Candidates(
        table=table,
        unmatched=unmatched[["entity_id", "group", "name"]].reset_index(drop=True),
        n_assignees=len(norm),
        threshold=threshold,
        review=review,
    )


@dataclass(frozen=True)
class MatchQuality:
    """Precision and recall of accepted matches against known answers."""

    precision: float
    recall: float
    true_positives: int
    false_positives: int
    false_negatives: int

    def __repr__(self) -> str:
        return (
            f"MatchQuality(precision={self.precision:.3f}, recall={self.recall:.3f}, "
            f"tp={self.true_positives}, fp={self.false_positives}, fn={self.false_negatives})"
        )


def evaluate(
    candidates: Candidates | pd.DataFrame, truth: pd.DataFrame, id: str = "assignee_id", group: str = "group"
) -> MatchQuality:
    """Precision (accepted matches with the right group over all accepted) and recall (over all assignees whose
    true group is not missing) of ``candidates`` against ``truth`` (one row per assignee: ``id`` and its true
    ``group``, missing for assignees that belong to no listed group).

    Examples
    --------
    >>> import pandas as pd, chipwar as cw
    >>> names = pd.DataFrame({"assignee_id": ["a1", "a2"], "assignee": ["ZTE Corporation", "Acme Inc."]})
    >>> truth = pd.DataFrame({"assignee_id": ["a1", "a2"], "group": ["ZTE", None]})
    >>> cw.entities.evaluate(cw.entities.match_assignees(names), truth).recall
    1.0
    """
    table = candidates.table if isinstance(candidates, Candidates) else candidates
    accepted = table[table["decision"] == "accept"].set_index("assignee_id")["group"]
    true = truth.set_index(id)[group]
    true = true[true.notna()]
    hits = accepted.reindex(true.index)
    tp = int((hits == true).sum())
    fp = int(len(accepted) - tp)
    fn = int(len(true) - tp)
    precision = tp / len(accepted) if len(accepted) else float("nan")
    recall = tp / len(true) if len(true) else float("nan")
    return MatchQuality(precision, recall, tp, fp, fn)
