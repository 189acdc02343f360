"""Reader of linearmodels' Stata 13 reference output (stata-panel-simulated-results.txt)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

_HEADER = re.compile(r"^#+!(?P<name>[^!]+)!#+$")


def read_stata_results(path: Path) -> dict[str, dict]:
    """Sections by name ``estimator-vce-weighted-suffix``: ``b`` (Series), ``V`` (DataFrame), ``stats`` (dict)."""
    sections: dict[str, dict] = {}
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        m = _HEADER.match(lines[i].strip())
        if not m:
            i += 1
            continue
        name = m.group("name")
        i += 3  # ".", "b/t/p"
        b: dict[str, float] = {}
        while not lines[i].startswith("rss"):  # coefficient rows: "name<TAB>b", then t and p on their own lines
            head, _, value = lines[i].partition("\t")
            b[head] = float(value)
            i += 3
        stats: dict[str, float] = {}
        while not lines[i].startswith("*********"):
            head, _, value = lines[i].partition("\t")
            stats[head] = float(value) if value.strip() not in ("", ".") else np.nan
            i += 1
        i += 2  # "V" line, column header follows
        columns = lines[i].strip().split("\t")
        i += 1
        rows = []
        while i < len(lines) and lines[i].strip() and not _HEADER.match(lines[i].strip()):
            parts = lines[i].split("\t")
            rows.append([float(v) for v in parts[1 : 1 + len(columns)]])
            i += 1
        v = pd.DataFrame(rows, index=columns, columns=columns)
        sections[name] = {"b": pd.Series(b), "V": v, "stats": stats}
    return sections
