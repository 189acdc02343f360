"""The provenance file written next to a report: package versions, seeds, input hashes and the configuration."""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path

from .._version import __version__
from . import config as _config
from .inputs import sha256

_PACKAGES = ("numpy", "pandas", "scipy", "matplotlib", "pybind11")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def write(
    path: Path,
    config: dict,
    files: dict[str, Path],
    outputs: dict[str, Path],
    available: dict[str, bool],
    sources: list[dict] | None = None,
    store: dict | None = None,
) -> dict:
    """Write ``provenance.json`` and return its content.

    Parameters
    ----------
    path : Path
        File to write.
    config : dict
        The full study configuration (seeds included).
    files : dict
        Input name -> path; each is hashed (SHA-256).
    outputs : dict
        Output name -> path; tables are hashed too, so two runs can be compared file by file.
    available : dict
        Estimator -> whether this chipwar has it.
    sources : list of dict, optional
        The raw public files behind the inputs (path, bytes, SHA-256, and URL, version and retrieval time where
        known), written as ``raw_files``.
    store : dict, optional
        The build record of the store read, written as ``store``.
    """
    record = {
        "chipwar": __version__,
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in _PACKAGES},
        "estimators_available": available,
        "seed": config["seed"],
        "study_file": config["_source"],
        "config": _config.public(config),
        "inputs": {
            name: {"path": str(p), "sha256": sha256(p), "bytes": p.stat().st_size} for name, p in sorted(files.items())
        },
        "raw_files": list(sources or []),
        "store": store,
        "outputs": {name: sha256(p) for name, p in sorted(outputs.items()) if name.startswith("tables/")},
    }
    path.write_text(json.dumps(record, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return record
