"""The versioned sources file (``sources.toml``): which public files ``chipwar data fetch`` downloads, from where."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import tomllib

from .._errors import ChipwarError

FORMAT_VERSION = 1
BULK_SOURCES = ("patentsview", "baci", "ncses", "csl")
"""Sources of plain files, one URL each."""
SOURCES = (*BULK_SOURCES, "comtrade")


@dataclass(frozen=True)
class RemoteFile:
    """One file to download: ``url`` into ``<dir>/<source>/<name>``."""

    source: str
    name: str
    url: str
    version: str
    sha256: str | None = None


@dataclass(frozen=True)
class Sources:
    """The parsed sources file: each source's settings, as written, and where the file came from."""

    path: str
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)

    def files(self, source: str) -> list[RemoteFile]:
        """The files of a bulk source, their URLs filled in from the source's keys."""
        cfg = self.settings[source]
        out = []
        for entry in cfg["files"]:
            stem = entry.format(**cfg)
            url = cfg["url"].format(**{**cfg, "name": stem})
            name = url.rsplit("/", 1)[-1] if source != "ncses" else f"{stem}.csv"
            out.append(RemoteFile(source, name, url, cfg["version"], cfg.get("sha256", {}).get(name)))
        return out


def load_sources(path: str | Path | None = None) -> Sources:
    """The sources file shipped with chipwar, or the file at ``path`` (same format).

    Raises
    ------
    ChipwarError
        When the file is missing, not TOML, of another format version, or a source lacks ``url`` / ``version``.
    """
    if path is None:
        text, where = (
            resources.files("chipwar.data").joinpath("sources.toml").read_text(encoding="utf-8"),
            "sources.toml",
        )
    else:
        where = str(path)
        if not Path(path).is_file():
            raise ChipwarError(f"sources file {where!r} does not exist; copy chipwar/data/sources.toml and edit it")
        text = Path(path).read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ChipwarError(f"{where}: not a valid TOML sources file ({err}); fix the syntax") from err
    if raw.get("version") != FORMAT_VERSION:
        raise ChipwarError(
            f"{where}: version = {raw.get('version')!r}, but this chipwar reads version {FORMAT_VERSION}"
        )
    settings = {name: value for name, value in raw.items() if isinstance(value, dict)}
    for name, cfg in settings.items():
        missing = [key for key in ("url", "version") if key not in cfg]
        if missing:
            raise ChipwarError(f"{where}: source [{name}] lacks {missing}; every source needs a url and a version")
    return Sources(where, settings)
