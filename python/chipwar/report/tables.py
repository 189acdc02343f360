"""``etable``: regression tables side by side (coefficients with stars, SEs in parentheses, fixed effects, fit)."""

from __future__ import annotations

import html

import pandas as pd

from .._errors import ChipwarError
from .._results import significance_stars


def _models(models: object) -> list:
    items = list(models) if isinstance(models, list | tuple) else [models]
    if not items:
        raise ChipwarError("etable: give at least one fitted model")
    for m in items:
        if not hasattr(m, "coef") or not hasattr(m, "se"):
            raise ChipwarError(f"etable: {type(m).__name__} is not a fitted regression (feols / fepois result)")
    return items


def _fmt(value: float, digits: int) -> str:
    return f"{value:.{digits}g}"


def etable_frame(models: object, digits: int = 4) -> pd.DataFrame:
    """The table as strings: one column per model, rows for coefficients, SEs and model statistics."""
    items = _models(models)
    terms: list[str] = []
    for m in items:
        terms += [t for t in m.coef.index if t not in terms]
    fixef: list[str] = []
    for m in items:
        fixef += [f for f in m.fixef_names if f not in fixef]
    columns = [f"({i + 1})" for i in range(len(items))]
    rows: dict[str, list[str]] = {"Dependent Var.:": [m._lhs for m in items]}
    samples = [getattr(m, "sample", None) for m in items]
    if any(s is not None for s in samples):  # a split estimation: say which sample each column is
        rows["Sample:"] = ["" if s is None else s for s in samples]
    for t in terms:
        est, se = [], []
        for m in items:
            if t in m.coef.index:
                est.append(_fmt(m.coef[t], digits) + significance_stars(m.pvalue[t]))
                se.append(f"({_fmt(m.se[t], digits)})")
            else:
                est.append("")
                se.append("")
        rows[t] = est
        rows[f"{t} (s.e.)"] = se
    for f in fixef:
        rows[f"Fixed effect: {f}"] = ["Yes" if f in m.fixef_names else "" for m in items]
    rows["S.E. type"] = [m.vcov_type for m in items]
    rows["Observations"] = [f"{m.nobs:,}" for m in items]
    rows["R2"] = ["" if hasattr(m, "pseudo_r2") else _fmt(m.r2, digits) for m in items]
    if any(hasattr(m, "pseudo_r2") for m in items):
        rows["Pseudo R2"] = [_fmt(m.pseudo_r2, digits) if hasattr(m, "pseudo_r2") else "" for m in items]
    if any(m.fixef_names and not hasattr(m, "pseudo_r2") for m in items):
        rows["Within R2"] = [
            _fmt(m.r2_within, digits) if m.fixef_names and not hasattr(m, "pseudo_r2") else "" for m in items
        ]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def _row_label(label: str) -> str:
    return "" if label.endswith(" (s.e.)") else label


def _markdown(frame: pd.DataFrame) -> str:
    header = "| | " + " | ".join(frame.columns) + " |"
    rule = "|---|" + "---|" * len(frame.columns)
    body = ["| " + _row_label(str(i)) + " | " + " | ".join(r) + " |" for i, r in zip(frame.index, frame.to_numpy())]
    return "\n".join([header, rule, *body])


def _tex_escape(text: str) -> str:
    for a, b in (("\\", "\\textbackslash{}"), ("&", "\\&"), ("%", "\\%"), ("_", "\\_"), ("#", "\\#"), ("^", "\\^{}")):
        text = text.replace(a, b)
    return text


def _latex(frame: pd.DataFrame) -> str:
    lines = [
        "\\begin{tabular}{l" + "c" * len(frame.columns) + "}",
        "\\hline",
        " & " + " & ".join(frame.columns) + " \\\\",
        "\\hline",
    ]
    for i, r in zip(frame.index, frame.to_numpy()):
        lines.append(_tex_escape(_row_label(str(i))) + " & " + " & ".join(_tex_escape(v) for v in r) + " \\\\")
    lines += ["\\hline", "\\end{tabular}"]
    return "\n".join(lines)


def _html(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr><td>"
        + html.escape(_row_label(str(i)))
        + "</td>"
        + "".join(f"<td>{html.escape(v)}</td>" for v in r)
        + "</tr>"
        for i, r in zip(frame.index, frame.to_numpy())
    )
    return f"<table class='chipwar-etable'><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>"


def etable(models: object, type: str = "md", digits: int = 4) -> str | pd.DataFrame:
    """Regression table of one or several fitted models (fixest's ``etable``).

    Parameters
    ----------
    models : result or list of results (a :class:`FitCollection` works)
    type : {"md", "tex", "html", "df"}
        Markdown, LaTeX ``tabular``, HTML, or the DataFrame of strings.
    digits : int
        Significant digits of coefficients, standard errors and R2.

    Returns
    -------
    str or DataFrame
        Coefficients with significance stars (fixest's codes: *** p < .001, ** p < .01, * p < .05, . p < .1),
        standard errors in parentheses below them, one "Yes" row per fixed effect, the S.E. type, the number of
        observations, R2 (linear models) or pseudo-R2 (Poisson) and within R2 (with fixed effects).
    """
    frame = etable_frame(models, digits)
    writers = {"df": lambda f: f, "md": _markdown, "tex": _latex, "html": _html}
    if type not in writers:
        raise ChipwarError(f"etable: type must be one of {sorted(writers)}, got {type!r}")
    return writers[type](frame)
