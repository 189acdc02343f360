"""The report as a list of blocks (headings, paragraphs, tables, figures), written once as Markdown and once as a
self-contained HTML page, with every table saved as CSV and every figure as PNG."""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

FLOAT_FORMAT = "%.15g"
"""Number format of the CSV tables: fixed (so the same run writes the same bytes) and precise enough for values in
USD."""


@dataclass
class Heading:
    text: str
    level: int = 2


@dataclass
class Paragraph:
    text: str


@dataclass
class Table:
    name: str
    frame: pd.DataFrame
    caption: str


@dataclass
class Plot:
    name: str
    figure: Figure
    caption: str


@dataclass
class Section:
    """One analysis of the study: its blocks and the rows it adds to the summary of estimates against the truth."""

    key: str
    title: str
    blocks: list = field(default_factory=list)
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)

    def add(self, *blocks: Heading | Paragraph | Table | Plot) -> None:
        self.blocks.extend(blocks)


def _cell(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        return "" if np.isnan(value) else f"{value:.4g}"
    return str(value)


def markdown_table(frame: pd.DataFrame) -> str:
    """A pipe table of ``frame`` with numbers to 4 significant digits."""
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def _inline_html(text: str) -> str:
    """Escape, then turn the Markdown the report uses inline (`code`, **bold**) into HTML."""
    text = html.escape(text)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)


def _png(figure: Figure) -> bytes:
    import io

    buffer = io.BytesIO()
    # no metadata: the PNG bytes then depend on the picture only
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()


_CSS = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.45;color:#222}"
    "table{border-collapse:collapse;margin:1em 0;font-size:90%}td,th{border:1px solid #ccc;padding:2px 8px}"
    "th{background:#f2f2f2}img{max-width:100%}code{background:#f4f4f4}figcaption,caption{color:#555}"
)


def write(title: str, sections: list[Section], preamble: list, out: Path) -> dict[str, Path]:
    """Write ``report.md``, ``report.html``, ``tables/*.csv`` and ``figures/*.png`` into ``out``.

    Returns
    -------
    dict
        Relative name -> path of every file written.
    """
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    md = [f"# {title}", ""]
    body = [f"<h1>{html.escape(title)}</h1>"]
    blocks = list(preamble)
    for section in sections:
        blocks += [Heading(section.title), *section.blocks]
    for block in blocks:
        if isinstance(block, Heading):
            md += ["#" * block.level + " " + block.text, ""]
            body.append(f"<h{block.level}>{_inline_html(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            md += [block.text, ""]
            body.append(f"<p>{_inline_html(block.text)}</p>")
        elif isinstance(block, Table):
            rel = f"tables/{block.name}.csv"
            (out / rel).write_bytes(
                block.frame.to_csv(index=False, lineterminator="\n", float_format=FLOAT_FORMAT).encode("utf-8")
            )
            written[rel] = out / rel
            md += [f"*{block.caption}* ([{rel}]({rel}))", "", markdown_table(block.frame), ""]
            table_html = block.frame.to_html(index=False, na_rep="", float_format=lambda v: f"{v:.4g}", border=0)
            body.append(f"<p><em>{_inline_html(block.caption)}</em> ({rel})</p>{table_html}")
        else:
            rel = f"figures/{block.name}.png"
            data = _png(block.figure)
            (out / rel).write_bytes(data)
            written[rel] = out / rel
            md += [f"![{block.caption}]({rel})", "", f"*{block.caption}*", ""]
            encoded = base64.b64encode(data).decode("ascii")
            body.append(
                f'<figure><img alt="{html.escape(block.caption)}" src="data:image/png;base64,{encoded}">'
                f"<figcaption>{_inline_html(block.caption)}</figcaption></figure>"
            )
    (out / "report.md").write_text("\n".join(md), encoding="utf-8")
    page = (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
    (out / "report.html").write_text(page, encoding="utf-8")
    written["report.md"], written["report.html"] = out / "report.md", out / "report.html"
    return written
