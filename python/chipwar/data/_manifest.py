"""The manifest of a data folder (``<dir>/manifest.json``): one record per fetched file, so every later step (the
store's build, the study's provenance) can say exactly which copy of which public file it read."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from .._errors import ChipwarError

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ManifestEntry:
    """One fetched file.

    Attributes
    ----------
    path : str
        Path relative to the data folder (``patentsview/g_patent.tsv.zip``).
    source, url, version : str
        The source's name in the sources file, the URL fetched and the source version the sources file names.
    bytes : int
    sha256 : str
    retrieved_at : str
        UTC time the download completed (ISO 8601).
    check : str
        The integrity check passed (``"zip, 1 members, CRC checked"``).
    """

    path: str
    source: str
    url: str
    version: str
    bytes: int
    sha256: str
    retrieved_at: str
    check: str


def read_manifest(directory: Path) -> dict[str, ManifestEntry]:
    """The entries of ``directory``'s manifest by relative path ({} when there is none)."""
    path = Path(directory) / MANIFEST
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {entry["path"]: ManifestEntry(**entry) for entry in raw["files"]}
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise ChipwarError(f"{path}: not a chipwar manifest ({err}); delete it and fetch again") from err


def describe(directory: Path, path: Path, manifest: dict[str, ManifestEntry] | None = None) -> dict:
    """A raw file's provenance: its path (relative to ``directory`` when inside it), size and SHA-256, and the URL,
    source version and retrieval time the manifest of ``directory`` records for it (when the hash still matches)."""
    from ._download import sha256_file

    path = Path(path)
    try:
        relative = path.relative_to(directory).as_posix()
    except ValueError:
        relative = str(path)
    entry = {"path": relative, "bytes": path.stat().st_size, "sha256": sha256_file(path)}
    fetched = (read_manifest(directory) if manifest is None else manifest).get(relative)
    if fetched is not None and fetched.sha256 == entry["sha256"]:
        entry.update(url=fetched.url, version=fetched.version, retrieved_at=fetched.retrieved_at)
    return entry


def record(directory: Path, entry: ManifestEntry) -> None:
    """Add or replace ``entry`` in the manifest (written to a temporary file, then renamed, so it is never torn)."""
    entries = read_manifest(directory)
    entries[entry.path] = entry
    path = Path(directory) / MANIFEST
    text = json.dumps(
        {"format": FORMAT_VERSION, "files": [asdict(e) for e in sorted(entries.values(), key=lambda e: e.path)]},
        indent=2,
    )
    tmp = path.with_name(MANIFEST + ".tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)
