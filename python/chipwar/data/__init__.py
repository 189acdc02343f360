"""Real data end to end: fetch the public sources, build a columnar store, read panels from it.

- :func:`fetch` (``chipwar data fetch SOURCE... --dir DIR``) downloads the files the versioned sources file
  (``chipwar/data/sources.toml``) names, resumably, with retries, checksums and archive checks, and records each in
  ``DIR/manifest.json`` (URL, size, SHA-256, retrieval time, source version). Nothing is ever fetched implicitly.
- :func:`build` (``chipwar data build --dir DIR``) turns the raw files into a Parquet store at ``DIR/store`` and
  builds the analysis panels with DuckDB under a memory cap. The store's layout (dataset names, columns,
  partitioning) is documented in :mod:`chipwar.io.store`, which is also how other modules read it.
- :mod:`chipwar.data.bundled`: the public-domain NCSES patent tables shipped with chipwar (``chipwar study --real``).

This folder also holds chipwar's own package data (``control_events.csv``, read by :mod:`chipwar.events`).
DuckDB and pyarrow are needed only by the store (``pip install chipwar[data]``); fetching uses the standard library.
"""

from __future__ import annotations

from ..io import store
from . import bundled
from ._build import build
from ._download import Retry
from ._fetch import fetch
from ._manifest import ManifestEntry, read_manifest
from ._sources import SOURCES, load_sources

__all__ = ["SOURCES", "ManifestEntry", "Retry", "build", "bundled", "fetch", "load_sources", "read_manifest", "store"]
