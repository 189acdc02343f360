"""The fixest-style formula language: ``y ~ x1 + log(x2) + x1:x3 + C(cat) + i(t, d, ref=2018) | fe1 + a^b | endo ~ z``.

Parsing only: this module turns text into term objects and knows which columns they use; `chipwar.model.design`
evaluates them on data. Term names follow fixest: a term keeps the text written in the formula. Several outcomes
(``y1 + y2 ~ ...``) and one stepwise term (``sw``, ``csw``, ``sw0``, ``csw0``) stand for several models;
`expand_models` writes them out one formula each.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from .._errors import ChipwarError

# a column name: letters (any script: "größe", "país"), digits, "_" and ".", not starting with a digit
_IDENT = re.compile(r"^(?:[^\W\d]|\.)[\w.]*$")
_CALL = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)\s*\((.*)\)$", re.S)

#: element-wise transformations allowed around a variable
FUNCTIONS = {"log", "log1p", "exp", "sqrt", "abs"}

#: fixest's stepwise terms: one model per element (sw), cumulative (csw); the 0 variants add the model without them
STEPWISE = {"sw", "csw", "sw0", "csw0"}
_STEP_TERM = re.compile(r"^(sw|csw|sw0|csw0)\s*\((.*)\)$", re.S)
_STEP_ANYWHERE = re.compile(r"(?<![A-Za-z0-9_.])c?sw0?\s*\(")


@dataclass(frozen=True)
class Var:
    """A numeric column used as it is."""

    name: str

    @property
    def text(self) -> str:
        return self.name


@dataclass(frozen=True)
class Func:
    """An element-wise transformation of a numeric column, e.g. ``log(dist_km)``."""

    fn: str
    arg: str

    @property
    def text(self) -> str:
        return f"{self.fn}({self.arg})"


@dataclass(frozen=True)
class Factor:
    """``C(cat)``: one dummy per level (the first level is the reference when the model has a constant)."""

    name: str

    @property
    def text(self) -> str:
        return f"C({self.name})"


@dataclass(frozen=True)
class IEvent:
    """``i(var, by, ref=...)``: dummies for the values of ``var`` (except ``ref``), times ``by`` if given."""

    var: str
    by: str | None = None
    ref: tuple = ()

    @property
    def text(self) -> str:
        inner = self.var + (f", {self.by}" if self.by else "")
        if self.ref:
            inner += f", ref={list(self.ref) if len(self.ref) > 1 else self.ref[0]!r}"
        return f"i({inner})"


Atom = Var | Func | Factor | IEvent


@dataclass(frozen=True)
class Term:
    """A product of atoms (``x1:x2``); most terms have one atom. ``text`` is the name fixest would show."""

    atoms: tuple[Atom, ...]
    text: str

    def columns(self) -> list[str]:
        out: list[str] = []
        for a in self.atoms:
            if isinstance(a, Var | Factor):
                out.append(a.name)
            elif isinstance(a, Func):
                out.append(a.arg)
            else:
                out.append(a.var)
                if a.by:
                    out.append(a.by)
        return out


@dataclass(frozen=True)
class Formula:
    """A parsed formula."""

    lhs: tuple[str, ...]
    rhs: tuple[Term, ...]
    intercept: bool
    fixef: tuple[tuple[str, ...], ...] = ()
    endog: tuple[Term, ...] = ()
    instruments: tuple[Term, ...] = ()
    text: str = field(default="", compare=False)

    @property
    def is_iv(self) -> bool:
        return bool(self.endog)

    @property
    def fixef_names(self) -> list[str]:
        return ["^".join(f) for f in self.fixef]

    def columns(self) -> list[str]:
        """Every data column the formula uses, in order of appearance, without repeats."""
        cols: list[str] = list(self.lhs)
        for t in (*self.rhs, *self.endog, *self.instruments):
            cols.extend(t.columns())
        for f in self.fixef:
            cols.extend(f)
        return list(dict.fromkeys(cols))


def split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses and brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth < 0:
                raise ChipwarError(f"formula {text!r}: unbalanced parentheses")
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth != 0:
        raise ChipwarError(f"formula {text!r}: unbalanced parentheses")
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _identifier(text: str, where: str) -> str:
    name = text.strip()
    if name.startswith("`") and name.endswith("`") and len(name) > 2:
        return name[1:-1]
    if not _IDENT.match(name):
        raise ChipwarError(f"{where}: {name!r} is not a column name (use backticks for names with spaces)")
    return name


def _ref_value(text: str) -> tuple:
    text = text.strip()
    if text.startswith("c(") and text.endswith(")"):
        text = "[" + text[2:-1] + "]"
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise ChipwarError(f"i(): ref={text!r} must be a number, a quoted string or a list of them") from None
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def _parse_i(args: str, where: str) -> IEvent:
    pieces = [p for p in split_top(args, ",") if p]
    positional, ref = [], ()
    for p in pieces:
        key, eq, val = p.partition("=")
        if eq and key.strip() == "ref":
            ref = _ref_value(val)
        elif eq:
            raise ChipwarError(f"{where}: i() does not take the argument {key.strip()!r} (supported: var, by, ref=)")
        else:
            positional.append(_identifier(p, where))
    if not 1 <= len(positional) <= 2:
        raise ChipwarError(
            f"{where}: i() takes a variable and optionally a 'by' variable, e.g. i(year, treated, ref=2018)"
        )
    return IEvent(positional[0], positional[1] if len(positional) == 2 else None, ref)


def _parse_atom(text: str, where: str) -> Atom:
    m = _CALL.match(text)
    if not m:
        return Var(_identifier(text, where))
    fn, args = m.group(1), m.group(2).strip()
    if fn == "C":
        return Factor(_identifier(args, where))
    if fn == "i":
        return _parse_i(args, where)
    if fn in FUNCTIONS:
        return Func(fn, _identifier(args, where))
    if fn in STEPWISE:
        raise ChipwarError(
            f"{where}: {text!r} is a stepwise term; it is expanded by feols/fepois as a whole term of the regressors "
            "(e.g. 'y ~ x + sw(a, b)'), not inside an interaction, the fixed effects or the IV part"
        )
    raise ChipwarError(
        f"{where}: unsupported term {text!r}; supported are columns, {sorted(FUNCTIONS)}(x), C(x), i(var, by, ref=) "
        "and interactions a:b"
    )


def _parse_terms(text: str, where: str) -> tuple[list[Term], bool | None]:
    """Terms of one side; the second value is the explicit intercept choice (None when not stated)."""
    terms: list[Term] = []
    intercept: bool | None = None
    for raw in split_top(text, "+"):
        if raw == "":
            raise ChipwarError(f"{where}: empty term in {text!r}")
        if raw in ("0", "-1"):
            intercept = False
            continue
        if raw == "1":
            intercept = True
            continue
        if raw.startswith("-"):
            raise ChipwarError(f"{where}: removing terms with '-' is only supported as '-1'")
        atoms = tuple(_parse_atom(a, where) for a in split_top(raw, ":"))
        text_norm = ":".join(a.text if not isinstance(a, Var) else a.name for a in atoms)
        terms.append(Term(atoms, text_norm if len(atoms) > 1 else atoms[0].text))
    return terms, intercept


def parse_formula(text: str) -> Formula:
    """Parse a fixest-style formula.

    Parameters
    ----------
    text : str
        ``"y ~ rhs"``, ``"y ~ rhs | fe1 + fe2"``, ``"y ~ rhs | endog ~ instruments"`` or
        ``"y ~ rhs | fe | endog ~ instruments"``.

    Returns
    -------
    Formula
    """
    if not isinstance(text, str) or "~" not in text:
        raise ChipwarError(f"formula must be a string like 'y ~ x1 + x2 | fe', got {text!r}")
    parts = split_top(text, "|")
    if len(parts) > 3:
        raise ChipwarError(f"formula {text!r}: at most three parts 'y ~ x | fixed effects | endogenous ~ instruments'")
    lhs_text, tilde, rhs_text = parts[0].partition("~")
    if not tilde or "~" in rhs_text:
        raise ChipwarError(f"formula {text!r}: the first part must be 'outcome ~ regressors'")
    lhs = tuple(_identifier(v, "outcome") for v in split_top(lhs_text, "+"))
    if not lhs or lhs == ("",):
        raise ChipwarError(f"formula {text!r}: no outcome before '~'")
    rhs, intercept = _parse_terms(rhs_text, "regressors") if rhs_text.strip() else ([], None)

    fixef: list[tuple[str, ...]] = []
    endog: list[Term] = []
    instruments: list[Term] = []
    for extra in parts[1:]:
        if "~" in extra:
            if endog:
                raise ChipwarError(f"formula {text!r}: only one 'endogenous ~ instruments' part is allowed")
            e_text, _, z_text = extra.partition("~")
            endog, _ = _parse_terms(e_text, "endogenous regressors")
            instruments, _ = _parse_terms(z_text, "instruments")
        else:
            if fixef or endog:
                raise ChipwarError(f"formula {text!r}: fixed effects come before the IV part, once")
            if extra.strip() in ("", "0"):
                continue
            for fe in split_top(extra, "+"):
                fixef.append(tuple(_identifier(v, "fixed effects") for v in split_top(fe, "^")))
    if endog and len(instruments) < len(endog):
        raise ChipwarError(
            f"formula {text!r}: {len(endog)} endogenous regressor(s) but only {len(instruments)} instrument(s); "
            "the model is not identified"
        )
    has_const = (intercept is not False) and not fixef
    return Formula(lhs, tuple(rhs), has_const, tuple(fixef), tuple(endog), tuple(instruments), text)


def _stepwise_choices(kind: str, args: str, text: str) -> list[list[str]]:
    """The element lists a stepwise term stands for, one per model, in fixest's order."""
    elements = split_top(args, ",") if args.strip() else []
    if not elements or "" in elements:
        raise ChipwarError(f"formula {text!r}: {kind}() needs one or more comma-separated terms, e.g. {kind}(a, b)")
    if any(_STEP_ANYWHERE.search(e) for e in elements):
        raise ChipwarError(f"formula {text!r}: stepwise terms cannot be nested; use one {kind}() with plain terms")
    if kind.startswith("c"):
        choices = [elements[: k + 1] for k in range(len(elements))]
    else:
        choices = [[e] for e in elements]
    return [[], *choices] if kind.endswith("0") else choices


def expand_models(text: str) -> list[str]:
    """Expand several outcomes and a stepwise term into one single-outcome formula per model.

    Parameters
    ----------
    text : str
        ``"y1 + y2 ~ x + csw(a, b) | fe"``; at most one of ``sw()``, ``csw()``, ``sw0()``, ``csw0()`` among the
        regressors (as fixest).

    Returns
    -------
    list of str
        The models in fixest's order, outcomes outermost: ``y1 ~ x + a | fe``, ``y1 ~ x + a + b | fe``,
        ``y2 ~ x + a | fe``, ``y2 ~ x + a + b | fe``. A formula without either is returned as it is.
    """
    if not isinstance(text, str) or "~" not in text:
        return [text]  # parse_formula reports the malformed formula
    parts = split_top(text, "|")
    if any(_STEP_ANYWHERE.search(p) for p in parts[1:]):
        raise ChipwarError(
            f"formula {text!r}: stepwise terms (sw, csw, sw0, csw0) are supported among the "
            "regressors only, not in the fixed effects or the IV part"
        )
    lhs_text, _, rhs_text = parts[0].partition("~")
    terms = split_top(rhs_text, "+") if rhs_text.strip() else []
    steps = [(i, m) for i, t in enumerate(terms) if (m := _STEP_TERM.match(t))]
    if len(steps) > 1:
        found = ", ".join(terms[i] for i, _ in steps)
        raise ChipwarError(
            f"formula {text!r}: only one stepwise term per formula (as fixest), found {found}; "
            "combine them into one, e.g. csw(a, b, c)"
        )
    outcomes = split_top(lhs_text, "+")
    if not steps:
        return [text] if len(outcomes) == 1 else [" | ".join([f"{y} ~{rhs_text}", *parts[1:]]) for y in outcomes]
    pos, m = steps[0]
    rhs_variants = []
    for chosen in _stepwise_choices(m.group(1), m.group(2), text):
        kept = [*terms[:pos], *chosen, *terms[pos + 1 :]]
        rhs_variants.append(" + ".join(kept) if kept else "1")
    return [" | ".join([f"{y} ~ {rhs}", *parts[1:]]) for y in outcomes for rhs in rhs_variants]
