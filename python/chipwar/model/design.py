"""From a formula and a DataFrame to model arrays: float64 columns, int32 fixed-effect codes, the rows kept.

Every estimator builds its inputs here, so missing values, singletons, weights and factor coding are handled
(and reported) the same way everywhere.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .. import kernels
from .._errors import ChipwarError, ChipwarWarning
from .checks import finite_scale, time_values
from .formula import Factor, Formula, Func, IEvent, Term, Var
from .frame import as_pandas, numeric_column, require_columns

_FUNCS = {"log": np.log, "log1p": np.log1p, "exp": np.exp, "sqrt": np.sqrt, "abs": np.abs}


def factor_codes(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Compact int32 codes (0..G-1, sorted levels) and the levels; missing values get code -1."""
    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if arr.dtype.kind in "iu" and arr.size:
        # integers in a modest range: offset codes renumbered in C++ (no hashing, no sort)
        lo, hi = int(arr.min()), int(arr.max())
        if hi - lo < max(4 * arr.size, 1024):
            raw = np.asfortranarray((arr - lo).astype(np.int32).reshape(-1, 1))
            codes, used = kernels.compact_codes(raw, [hi - lo + 1])
            # the levels in the ids' own type: int64 would overflow on uint64 ids >= 2^63
            return codes[:, 0], np.asarray(used[0], dtype=np.int64).astype(arr.dtype) + arr.dtype.type(lo)
    codes, levels = pd.factorize(pd.Series(values), sort=True, use_na_sentinel=True)
    return codes.astype(np.int32, copy=False), np.asarray(levels)


def combined_codes(frame: pd.DataFrame, columns: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Codes of a (possibly combined ``a^b``) factor; -1 where any part is missing."""
    if len(columns) == 1:
        return factor_codes(frame[columns[0]])
    parts = [factor_codes(frame[c]) for c in columns]
    missing = np.zeros(len(frame), dtype=bool)
    key = np.zeros(len(frame), dtype=np.int64)
    for codes, levels in parts:
        missing |= codes < 0
        key = key * max(len(levels), 1) + np.maximum(codes, 0)
    # only the complete rows' combinations are levels: a missing part's placeholder key is no group (counted as
    # one, it left a code without a label, and the valid codes beyond it out of range)
    valid = ~missing
    codes = np.full(len(frame), -1, dtype=np.int32)
    codes[valid] = pd.factorize(key[valid], sort=True)[0]
    # readable level labels "a_b" like fixest, from the first row of each combination
    first = pd.Series(np.flatnonzero(valid)).groupby(codes[valid]).first().to_numpy()
    label = pd.Series(parts[0][1][parts[0][0][first]]).astype(str)
    for c, levels in parts[1:]:
        label = label + "_" + pd.Series(levels[c[first]]).astype(str)
    labels = label.to_numpy(dtype=object)
    return codes, labels


# The largest (weighted) sum of squares of a regressor that the fits accept. Cross products, scores and the
# variance's meat (squares times squared residuals) must stay finite, which leaves about 8 orders of magnitude below
# float64's 1.8e308. Fitting on internally rescaled columns would not let larger ones through: the coefficient's
# variance, about resid_var / (sum of squares), would then fall below float64's smallest normal number (2.2e-308).
MAX_SUM_OF_SQUARES = 1e300


def check_cross_product_scale(columns: np.ndarray, names: list[str], weights: np.ndarray | None, role: str) -> None:
    """Refuse a column whose sum of squares would overflow the fit's cross products (before, such a column was
    dropped as absorbed or collinear, or gave NaN coefficients). A bound from each column's extremes spares the
    exact sums for all but huge columns."""
    if columns.shape[1] == 0 or columns.shape[0] == 0:
        return
    total_weight = float(columns.shape[0]) if weights is None else float(np.sum(weights))
    with np.errstate(over="ignore", invalid="ignore"):
        peak = np.maximum(np.abs(columns.max(axis=0)), np.abs(columns.min(axis=0))).astype(np.float64)
        bound = peak**2 * total_weight
    for j in np.flatnonzero(~(bound <= MAX_SUM_OF_SQUARES)):
        col = columns[:, j].astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            squares = col * col
            total = float(np.sum(squares if weights is None else weights * squares))
        if not total <= MAX_SUM_OF_SQUARES:
            if weights is not None and float(np.sum(squares)) <= MAX_SUM_OF_SQUARES:
                raise ChipwarError(
                    f"the weights (summing to {total_weight:.3g}) make the weighted sum of squares of {role} "
                    f"{names[j]!r} exceed {MAX_SUM_OF_SQUARES:.0e}, where the fit's cross products overflow "
                    "float64; divide the weights by a constant (the estimates do not depend on their scale)"
                )
            power = int(np.floor(np.log10(peak[j])))
            raise ChipwarError(
                f"{role} {names[j]!r} has values up to {peak[j]:.3g}: its sum of squares over the "
                f"{columns.shape[0]} observations ({total:.3g}) exceeds {MAX_SUM_OF_SQUARES:.0e}, where the fit's "
                "cross products and variance overflow float64 (1.8e308) and neither its coefficient nor its "
                f"standard error can be computed; rescale it (e.g. divide it by 1e{power}, which multiplies its "
                f"coefficient and standard error by 1e{power})"
            )


def storage_dtype(dtype: object) -> np.dtype:
    """The numpy type of the design buffer from the ``dtype=`` argument ("float64" or "float32")."""
    if isinstance(dtype, str) and dtype in ("float64", "float32"):
        return np.dtype(dtype)
    raise ChipwarError(
        f"dtype must be 'float64' or 'float32', got {dtype!r}; use dtype='float32' to halve the memory "
        "of the regressors"
    )


def _level_label(value: object) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


@dataclass
class Block:
    """Columns generated by one term, with the rows where they are defined."""

    names: list[str]
    values: np.ndarray  # n x k
    valid: np.ndarray  # bool n


def _numeric(frame: pd.DataFrame, name: str) -> np.ndarray:
    return numeric_column(frame, name, role="regressor")


def _atom_block(atom: object, frame: pd.DataFrame, drop_first: bool) -> tuple[list[str], np.ndarray, np.ndarray]:
    n = len(frame)
    if isinstance(atom, Var):
        v = _numeric(frame, atom.name)
        return [atom.name], v[:, None], ~np.isnan(v)
    if isinstance(atom, Func):
        raw = _numeric(frame, atom.arg)
        with np.errstate(all="ignore"):
            v = _FUNCS[atom.fn](raw)
        return [atom.text], v[:, None], np.isfinite(v)
    if isinstance(atom, Factor):
        codes, levels = factor_codes(frame[atom.name])
        keep = list(range(1 if drop_first else 0, len(levels)))
        values = np.zeros((n, len(keep)))
        for j, lev in enumerate(keep):
            values[:, j] = codes == lev
        return [f"{atom.text}::{_level_label(levels[k])}" for k in keep], values, codes >= 0
    if isinstance(atom, IEvent):
        codes, levels = factor_codes(frame[atom.var])
        refs = {_level_label(r) for r in atom.ref}
        unknown = refs - {_level_label(v) for v in levels}
        if unknown:
            raise ChipwarError(f"i({atom.var}): ref value(s) {sorted(unknown)} are not values of column {atom.var!r}")
        keep = [k for k, lev in enumerate(levels) if _level_label(lev) not in refs]
        valid = codes >= 0
        by = None
        if atom.by is not None:
            by = _numeric(frame, atom.by)
            valid &= ~np.isnan(by)
        values = np.zeros((n, len(keep)))
        for j, k in enumerate(keep):
            values[:, j] = codes == k
        if by is not None:
            values *= np.nan_to_num(by)[:, None]
        suffix = f":{atom.by}" if atom.by else ""
        return [f"{atom.var}::{_level_label(levels[k])}{suffix}" for k in keep], values, valid
    raise ChipwarError(f"unsupported term {atom!r}")  # pragma: no cover - the parser only builds the types above


def term_block(term: Term, frame: pd.DataFrame, drop_first: bool) -> Block:
    """Evaluate one (possibly interacted) term on the whole frame."""
    names, values, valid = _atom_block(term.atoms[0], frame, drop_first)
    if len(term.atoms) == 1:
        return Block(names, values, valid)
    for atom in term.atoms[1:]:
        # in an interaction a factor keeps all its levels unless it stands alone
        n2, v2, ok2 = _atom_block(atom, frame, drop_first=False)
        names = [f"{a}:{b}" if len(term.atoms) > 1 else a for a in names for b in n2]
        values = (values[:, :, None] * v2[:, None, :]).reshape(len(frame), -1)
        valid = valid & ok2
    if all(isinstance(a, Var | Func) for a in term.atoms):
        names = [term.text]
    return Block(names, values, valid)


@dataclass(frozen=True)
class GroupCodes:
    """A grouping column (a cluster, a period, a panel id) coded on the estimation sample."""

    codes: np.ndarray  # int32, 0..n_groups-1, one per estimation row
    levels: np.ndarray  # the value of each code (for messages, and to order periods)

    @property
    def n_groups(self) -> int:
        return len(self.levels)


def _group_key(columns: str | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c.strip() for c in columns.split("^")) if isinstance(columns, str) else columns


def _grouping_codes(frame: pd.DataFrame, key: tuple[str, ...], time: bool) -> tuple[np.ndarray, np.ndarray]:
    """Codes and levels of a grouping column; a time column's in the order of its periods (text refused)."""
    if time:
        (name,) = key
        return factor_codes(time_values(frame, name, dates=True))
    return combined_codes(frame, key)


def _compact(group: GroupCodes, keep: np.ndarray | slice) -> GroupCodes:
    """The group's codes on the rows ``keep``, renumbered to the groups that occur (in their order)."""
    compact, used = kernels.compact_codes(np.asfortranarray(group.codes[keep].reshape(-1, 1)), [group.n_groups])
    return GroupCodes(compact[:, 0], group.levels[np.asarray(used[0], dtype=np.intp)])


@dataclass
class Design:
    """Model arrays on the estimation sample (rows of the input kept, in their original order).

    A design keeps no reference to the input table: the grouping columns a variance needs (the ``vcov=`` /
    ``cluster=`` columns) are coded on the estimation sample when it is built (``groups``), and the fixed effects
    are codes already. A variance by another column reads it from the table the caller passes again
    (:meth:`with_groups`), as fixest re-reads the data.
    """

    formula: Formula
    y: np.ndarray  # n (a view of column 0 of yx)
    x: np.ndarray  # n x k, Fortran order (a view of columns 1.. of yx)
    x_names: list[str]
    fe_codes: np.ndarray  # n x Q int32, Fortran order
    fe_names: list[str]
    fe_levels: list[np.ndarray]
    weights: np.ndarray | None
    obs_index: np.ndarray  # positions in the input frame
    n_input: int
    n_missing: int
    n_singletons: int
    n_zero_weight: int
    groups: dict[tuple[str, ...], GroupCodes] = field(default_factory=dict, repr=False)
    endog: np.ndarray | None = None
    endog_names: list[str] = field(default_factory=list)
    instruments: np.ndarray | None = None
    instrument_names: list[str] = field(default_factory=list)
    yx: np.ndarray | None = field(default=None, repr=False)  # [y | x] in one Fortran buffer, demeaned in one call

    @property
    def nobs(self) -> int:
        return int(self.y.shape[0])

    @property
    def n_groups(self) -> list[int]:
        return [len(levels) for levels in self.fe_levels]

    def _group(self, columns: tuple[str, ...]) -> GroupCodes:
        if columns in self.groups:
            return self.groups[columns]
        if columns in self.formula.fixef:
            q = self.formula.fixef.index(columns)
            return GroupCodes(self.fe_codes[:, q], self.fe_levels[q])
        raise ChipwarError(
            f"column {'^'.join(columns)!r} was neither a cluster variable nor a fixed effect of the fit (a fit keeps "
            "cluster codes, not the data); pass the data it was fitted on, e.g. fit.with_vcov(vcov, data=df), or "
            "give the column as vcov=/cluster= when fitting"
        )

    def codes_of(self, columns: str | tuple[str, ...], time: bool = False) -> tuple[np.ndarray, int]:
        """Compact codes of a (combined) grouping column on the estimation sample: one coded at fit time or a
        fixed effect.

        With ``time``, the column holds periods and the codes follow their numeric (or date) order; text is refused
        (see :func:`chipwar.model.checks.time_values`), since sorted as text "10" comes before "2".
        """
        cols = _group_key(columns)
        group = self._group(cols)
        if not time:
            return group.codes, group.n_groups
        (name,) = cols
        order, periods = factor_codes(time_values(pd.DataFrame({name: group.levels}), name, dates=True))
        return order[group.codes], len(periods)

    def level_of(self, columns: tuple[str, ...], code: int) -> str:
        """The label of group ``code`` of :meth:`codes_of` (for messages)."""
        return str(self._group(_group_key(columns)).levels[code])

    def with_groups(self, data: object, columns: tuple[str, ...], time_columns: tuple[str, ...] = ()) -> Design:
        """This design with the grouping ``columns`` (``"a^b"`` combines; ``time_columns`` among them hold
        periods) coded from ``data``, the table it was built from; columns it knows already are left as they are."""
        new = [key for key in map(_group_key, columns) if key not in self.groups and key not in self.formula.fixef]
        if not new:
            return self
        frame = as_pandas(data)
        if len(frame) != self.n_input:
            raise ChipwarError(
                f"data has {len(frame)} rows but the model was fitted on {self.n_input}; pass the "
                "data the model was fitted on"
            )
        require_columns(frame, [c for key in new for c in key], role="cluster/grouping column")
        sub = frame.iloc[self.obs_index]
        groups = dict(self.groups)
        for key in new:
            codes, levels = _grouping_codes(sub, key, time="^".join(key) in time_columns)
            if (codes < 0).any():
                raise ChipwarError(
                    f"column {'^'.join(key)!r} has missing values in the estimation sample; drop those rows first "
                    "or pass it as cluster= when fitting so they are excluded"
                )
            groups[key] = GroupCodes(codes, levels)
        return replace(self, groups=groups)


def _terms_block(terms: tuple[Term, ...], frame: pd.DataFrame, has_constant: bool) -> Block:
    names: list[str] = []
    cols: list[np.ndarray] = []
    valid = np.ones(len(frame), dtype=bool)
    factor_seen = has_constant
    for t in terms:
        b = term_block(t, frame, drop_first=factor_seen)
        if any(isinstance(a, Factor) for a in t.atoms) and len(t.atoms) == 1:
            factor_seen = True
        names.extend(b.names)
        cols.append(b.values)
        valid &= b.valid
    values = np.hstack(cols) if cols else np.zeros((len(frame), 0))
    return Block(names, values, valid)


def build_design(
    formula: Formula,
    data: object,
    weights: str | None = None,
    extra_columns: tuple[str, ...] = (),
    time_columns: tuple[str, ...] = (),
    fixef_rm: str = "singleton",
    lhs: str | None = None,
    dtype: str = "float64",
) -> Design:
    """Evaluate ``formula`` on ``data`` and drop unusable rows (each reason counted and warned about once).

    Parameters
    ----------
    formula : Formula
    data : DataFrame (pandas, polars or pyarrow)
    weights : str, optional
        Column of non-negative weights; rows with zero weight are dropped.
    extra_columns : tuple of str
        Columns that must be non-missing too (cluster variables given at fit time), coded on the sample as
        ``Design.groups``.
    time_columns : tuple of str
        Those of ``extra_columns`` that hold periods (NW / DK's time): coded in the order of the periods.
    fixef_rm : {"singleton", "none"}
        Iteratively drop observations alone in a fixed-effect group (they are perfectly fit and carry no information).
    lhs : str, optional
        Which outcome of a multi-outcome formula to use (default: the first).
    dtype : {"float64", "float32"}
        Storage type of the ``[y | x]`` buffer (see :func:`chipwar.feols`).
    """
    storage = storage_dtype(dtype)
    frame = as_pandas(data)
    if fixef_rm not in ("singleton", "none"):
        raise ChipwarError(f"fixef_rm must be 'singleton' or 'none', got {fixef_rm!r}")
    needed = formula.columns() + ([weights] if weights else []) + [c for e in extra_columns for c in e.split("^")]
    require_columns(frame, [c.strip() for c in needed])
    n = len(frame)
    if n == 0:
        raise ChipwarError("data has no rows")

    outcome = lhs or formula.lhs[0]
    y = numeric_column(frame, outcome, role="outcome")
    valid = ~np.isnan(y)
    if np.all(np.isnan(y)):
        raise ChipwarError(f"outcome {outcome!r} is missing (NaN) in every row")
    finite_scale(y, outcome)

    rhs = _terms_block(formula.rhs, frame, formula.intercept)
    for name, col in zip(rhs.names, rhs.values.T):
        if not np.any(~np.isnan(col)):
            raise ChipwarError(f"regressor {name!r} is missing (NaN) in every row")
    valid &= rhs.valid
    if formula.intercept:
        rhs = Block(["(Intercept)", *rhs.names], np.column_stack([np.ones(n), rhs.values]), rhs.valid)

    endog = instr = None
    if formula.is_iv:
        endog = _terms_block(formula.endog, frame, True)
        instr = _terms_block(formula.instruments, frame, True)
        valid &= endog.valid & instr.valid

    w = None
    if weights:
        w = numeric_column(frame, weights, role="weights")
        if np.nanmin(w) < 0:
            raise ChipwarError(f"weights column {weights!r} has negative values; weights must be >= 0")
        valid &= ~np.isnan(w)

    fe_codes_full, fe_levels_full = [], []
    for fe in formula.fixef:
        codes, levels = combined_codes(frame, fe)
        fe_codes_full.append(codes)
        fe_levels_full.append(levels)
        valid &= codes >= 0
    group_codes_full = {}  # the grouping columns of the variance, coded once here (the design keeps no frame)
    for extra in extra_columns:
        key = _group_key(extra)
        codes, levels = _grouping_codes(frame, key, time=extra in time_columns)
        group_codes_full[key] = GroupCodes(codes, np.asarray(levels))
        valid &= codes >= 0

    n_missing = int(n - valid.sum())
    n_zero_weight = 0
    if w is not None:
        zero = valid & (w == 0)
        n_zero_weight = int(zero.sum())
        valid &= ~zero
    keep = np.flatnonzero(valid)

    n_singletons = 0
    fe_names = formula.fixef_names
    fe_codes = np.zeros((keep.size, 0), dtype=np.int32, order="F")
    fe_levels: list[np.ndarray] = []
    all_kept = keep.size == n  # the common case: no gathers, and the codes are compact already
    if formula.fixef and keep.size:
        if all_kept:
            fe_codes = np.empty((n, len(fe_codes_full)), dtype=np.int32, order="F")
            for q, c in enumerate(fe_codes_full):
                fe_codes[:, q] = c
            fe_levels = list(fe_levels_full)
        else:
            fe_codes, used = kernels.compact_codes(
                np.column_stack([c[keep] for c in fe_codes_full]), [len(lv) for lv in fe_levels_full]
            )
            fe_levels = [lv[u] for lv, u in zip(fe_levels_full, used)]
        if fixef_rm == "singleton":
            mask = kernels.singleton_keep_mask(fe_codes, [len(lv) for lv in fe_levels])
            n_singletons = int((~mask).sum())
            if n_singletons:
                keep = keep[mask]
                fe_codes, used = kernels.compact_codes(fe_codes[mask], [len(lv) for lv in fe_levels])
                fe_levels = [lv[u] for lv, u in zip(fe_levels, used)]

    if keep.size == 0:
        raise ChipwarError(
            "no observations left after dropping rows with missing values"
            + (" and singleton fixed-effect groups" if n_singletons else "")
            + f" ({n_missing} had missing values in the formula's columns)"
        )
    if n_missing:
        warnings.warn(
            f"{n_missing} observation(s) removed because of missing (NaN/Inf) values", ChipwarWarning, stacklevel=3
        )
    if n_zero_weight:
        warnings.warn(f"{n_zero_weight} observation(s) with zero weight removed", ChipwarWarning, stacklevel=3)
    if n_singletons:
        warnings.warn(
            f"{n_singletons} singleton observation(s) removed (fixed-effect groups of size one)",
            ChipwarWarning,
            stacklevel=3,
        )

    yx = np.empty((keep.size, 1 + rhs.values.shape[1]), dtype=storage, order="F")
    yx[:, 0] = y if keep.size == n else y[keep]
    yx[:, 1:] = rhs.values if keep.size == n else rhs.values[keep]
    w_kept = None if w is None else np.ascontiguousarray(w[keep])
    check_cross_product_scale(yx[:, 1:], rhs.names, w_kept, "regressor")
    endog_kept: np.ndarray | None = None
    instr_kept: np.ndarray | None = None
    if endog is not None and instr is not None:
        endog_kept = np.asfortranarray(endog.values[keep])
        instr_kept = np.asfortranarray(instr.values[keep])
        check_cross_product_scale(endog_kept, endog.names, w_kept, "endogenous regressor")
        check_cross_product_scale(instr_kept, instr.names, w_kept, "instrument")
    return Design(
        formula=formula,
        y=yx[:, 0],
        x=yx[:, 1:],
        yx=yx,
        x_names=rhs.names,
        fe_codes=fe_codes,
        fe_names=fe_names,
        fe_levels=fe_levels,
        weights=w_kept,
        obs_index=keep,
        n_input=n,
        n_missing=n_missing,
        n_singletons=n_singletons,
        n_zero_weight=n_zero_weight,
        # a cluster that is a fixed effect is read from the fixed-effect codes (codes_of), not kept twice
        groups={key: _compact(group, keep) for key, group in group_codes_full.items() if key not in formula.fixef},
        endog=None if endog is None else np.asfortranarray(endog.values[keep]),
        endog_names=[] if endog is None else endog.names,
        instruments=instr_kept,
        instrument_names=[] if instr is None else instr.names,
    )


def _rows_fortran(a: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The rows of a 2-d array selected by a bool mask, in a new Fortran-order array: one copy, column by column
    (fancy indexing and a Fortran conversion would copy twice, which matters at 10^8 rows)."""
    out = np.empty((int(np.count_nonzero(keep)), a.shape[1]), dtype=a.dtype, order="F")
    for j in range(a.shape[1]):
        np.compress(keep, a[:, j], out=out[:, j])
    return out


def restrict_design(design: Design, keep: np.ndarray, in_place: bool = False) -> Design:
    """The design on a subset of its rows (``keep``: bool mask over the estimation sample).

    Fixed-effect codes are renumbered so that every level still present is coded 0..G-1; the drop counters are
    left as they are (the caller counts its own reason for dropping). With ``in_place``, ``design`` itself gets
    the new arrays and is returned, so its old arrays are freed at once even while a caller still holds the
    object (for callers that own the design: at 10^8 rows each copy is gigabytes).
    """
    keep = np.asarray(keep, dtype=bool)
    if keep.all():
        return design
    if not keep.any():
        raise ChipwarError("no observations left in the estimation sample")
    fe_codes, fe_levels = _rows_fortran(design.fe_codes, keep), design.fe_levels
    if design.fe_names:
        fe_codes, used = kernels.compact_codes(fe_codes, design.n_groups)
        fe_levels = [levels[u] for levels, u in zip(design.fe_levels, used)]
    yx = _rows_fortran(design.yx if design.yx is not None else np.column_stack([design.y, design.x]), keep)

    def take(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else _rows_fortran(a, keep)

    rows = dict(
        groups={key: _compact(g, keep) for key, g in design.groups.items()},
        y=yx[:, 0],
        x=yx[:, 1:],
        yx=yx,
        fe_codes=fe_codes,
        fe_levels=fe_levels,
        weights=None if design.weights is None else np.ascontiguousarray(design.weights[keep]),
        obs_index=design.obs_index[keep],
        endog=take(design.endog),
        instruments=take(design.instruments),
    )
    if not in_place:
        return replace(design, **rows)
    for name, value in rows.items():
        setattr(design, name, value)
    return design
