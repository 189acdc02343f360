"""Where the default world's files live (shared by the loader and the generator)."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
FILES = (
    "patents.csv.gz",
    "fab_capacity.csv.gz",
    "fab_list.csv.gz",
    "trade.csv.gz",
    "truth.csv",
    "firm_patents.csv.gz",
    "firm_assignees.csv.gz",
    "firm_listings.csv",
    "firm_truth.csv",
)
