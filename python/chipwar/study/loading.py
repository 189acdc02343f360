"""Which inputs a study configuration names: the default world, the bundled real series, or real files (a folder
of raw files, or one holding a store built by ``chipwar data build``)."""

from __future__ import annotations

from pathlib import Path

from ..io.store import find_store, open_store
from .inputs import Inputs, from_default, from_files
from .store_inputs import from_bundled, from_store


def load(config: dict) -> Inputs:
    """The inputs of ``config["data"]``: ``source`` "default", "bundled", or files under ``root`` (a built store
    there is read instead of the raw files)."""
    source = config["data"]["source"]
    if source == "bundled":
        return from_bundled(config)
    if source == "default":
        return from_default()
    root = Path(config["data"]["root"])
    return from_store(config, open_store(root)) if find_store(root) is not None else from_files(config)
