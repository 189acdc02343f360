"""``cw.data.fetch``: the public bulk files of the sources file into a data folder, each recorded in its manifest."""

from __future__ import annotations

import datetime as _dt
import os
import urllib.parse
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .._errors import ChipwarError
from .._progress import default_progress
from ._download import Retry, download, sha256_file
from ._manifest import ManifestEntry, read_manifest, record
from ._sources import SOURCES, RemoteFile, Sources, load_sources

DEFAULT_DIR = "chipwar-data"


class _ByteBar:
    """A tqdm bar in bytes for one file (nothing when tqdm is absent or the bar is off)."""

    def __init__(self, name: str):
        from tqdm.auto import tqdm

        self._tqdm, self._name = tqdm, name
        self._bar: Any = None

    def start(self, total: int | None, have: int) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar = self._tqdm(total=total, initial=have, unit="B", unit_scale=True, desc=self._name, leave=False)

    def update(self, n: int) -> None:
        self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _bar(name: str, progress: bool | None):
    if not (default_progress() if progress is None else progress):
        return None
    try:
        return _ByteBar(name)
    except ImportError:
        return None


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def _get(
    remote: RemoteFile,
    directory: Path,
    retry: Retry,
    progress: bool | None,
    force: bool,
    headers: dict[str, str] | None = None,
) -> ManifestEntry:
    """One remote file into ``<directory>/<source>/<name>``; a file already there with its manifest hash is kept."""
    relative = f"{remote.source}/{remote.name}"
    dest = directory / relative
    known = read_manifest(directory).get(relative)
    if (
        not force
        and known is not None
        and dest.is_file()
        and known.url == remote.url
        and (remote.sha256 is None or known.sha256 == remote.sha256)
        and sha256_file(dest) == known.sha256
    ):
        return known
    bar = _bar(remote.name, progress)
    try:
        got = download(remote.url, dest, sha256=remote.sha256, headers=headers, retry=retry, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    entry = ManifestEntry(relative, remote.source, remote.url, remote.version, got.bytes, got.sha256, _now(), got.check)
    record(directory, entry)
    return entry


def _comtrade_files(cfg: dict, key: str | None) -> list[RemoteFile]:
    """One API call per year (and per reporter when reporters are listed): Comtrade has no offset paging, so a
    query is cut into calls small enough to come back whole."""
    base = (cfg["url"] if key else cfg["preview_url"]).format(**cfg)
    cap = cfg["max_records"] if key else cfg["preview_max_records"]
    first, last = cfg["periods"]
    files = []
    for period in range(first, last + 1):
        for reporter in cfg["reporters"] or [None]:
            query = {
                "period": str(period),
                "partnerCode": cfg["partner"],
                "flowCode": cfg["flow"],
                "cmdCode": ",".join(cfg["commodities"]),
                "maxRecords": str(cap),
                "includeDesc": "true",
            }
            if reporter is not None:
                query["reporterCode"] = str(reporter)
            name = f"comtrade_{cfg['freq']}_{cfg['flow']}_{period}" + (f"_{reporter}" if reporter is not None else "")
            files.append(
                RemoteFile("comtrade", name + ".json", f"{base}?{urllib.parse.urlencode(query)}", cfg["version"])
            )
    return files


def _check_comtrade_page(path: Path, cap: int, keyed: bool, key_env: str) -> None:
    import json

    page = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(page, dict) or "data" not in page:
        path.unlink()
        raise ChipwarError(
            f"{path.name}: the Comtrade API answered without a 'data' list ({str(page)[:200]}); check "
            "the query keys in the sources file"
        )
    if page.get("error"):
        path.unlink()
        raise ChipwarError(f"{path.name}: the Comtrade API answered with an error: {page['error']}")
    if len(page["data"]) >= cap:
        path.unlink()
        more = (
            "list reporters in [comtrade] reporters (one call each)"
            if keyed
            else (
                f"set a subscription key in the environment variable {key_env} (the keyless preview returns "
                f"{cap} rows a call), or list reporters in [comtrade] reporters"
            )
        )
        raise ChipwarError(
            f"{path.name}: the Comtrade API returned {len(page['data'])} rows, its cap for one call, so "
            f"the answer is cut short; {more}"
        )


def _fetch_comtrade(sources: Sources, directory: Path, retry: Retry, progress: bool | None, force: bool):
    cfg = sources.settings["comtrade"]
    key = os.environ.get(cfg["key_env"]) or None
    headers = {cfg["key_header"]: key} if key else None
    cap = cfg["max_records"] if key else cfg["preview_max_records"]
    entries = []
    for i, remote in enumerate(_comtrade_files(cfg, key)):
        if i:
            retry.sleep(cfg["min_interval_s"])  # the API's rate limit: calls at least this far apart
        entry = _get(remote, directory, retry, progress, force, headers)
        _check_comtrade_page(directory / entry.path, cap, key is not None, cfg["key_env"])
        entries.append(entry)
    return entries


def fetch(
    sources: str | Iterable[str] | None = None,
    url: str | None = None,
    dir: str | Path = DEFAULT_DIR,
    *,
    name: str | None = None,
    sha256: str | None = None,
    sources_file: str | Path | None = None,
    force: bool = False,
    progress: bool | None = None,
    retry: Retry | None = None,
) -> list[ManifestEntry]:
    """Download public bulk files into ``dir``, each checked and recorded in ``dir/manifest.json``.

    Nothing is fetched unless asked: the estimators, the study and the store never download.

    Parameters
    ----------
    sources : str or list of str, optional
        Sources of the sources file: ``"patentsview"`` (the grant tables ``g_patent``, ``g_application``,
        ``g_cpc_current``, ``g_inventor_disambiguated``, ``g_location_disambiguated``, ``g_assignee_disambiguated``),
        ``"baci"`` (one HS vintage and release, as the sources file sets), ``"comtrade"`` (the public API: one call per
        year, a subscription key read from the environment variable the sources file names, calls at least
        ``min_interval_s`` apart), ``"ncses"`` (the NCSES indicator tables) and ``"csl"`` (the Consolidated Screening
        List, CSV and JSON). ``"all"`` is every one of them.
    url : str, optional
        Instead of named sources, one file at this URL (saved as ``dir/downloads/<name>``).
    dir : path
        The data folder (created). Files go to ``dir/<source>/``.
    name : str, optional
        File name for ``url`` (default: the last part of its path).
    sha256 : str, optional
        Expected SHA-256 of the ``url`` file; a download that differs is refused.
    sources_file : path, optional
        A sources file of your own (same format as ``chipwar/data/sources.toml``), e.g. with a moved URL.
    force : bool
        Download again even when the manifest already holds the file with its hash.
    progress : bool, optional
        A progress bar in bytes per file (None: on in notebooks; needs tqdm).
    retry : Retry, optional
        Attempts, back-off and timeouts (``chipwar.data.Retry``).

    Returns
    -------
    list of ManifestEntry
        The manifest records of the files fetched (URL, bytes, SHA-256, retrieval time, source version, check).

    Raises
    ------
    ChipwarError
        For an unknown source, a refusal by the server (404, 403...), a download that fails every attempt (the part
        received is kept for the next run to resume), a checksum that differs, or a truncated archive; each message
        names the file and the fix.

    Examples
    --------
    >>> import chipwar as cw
    >>> cw.data.fetch(["patentsview", "csl"], dir="chipwar-data")  # doctest: +SKIP
    >>> cw.data.fetch(url="https://example.org/file.zip", dir="chipwar-data")  # doctest: +SKIP
    """
    directory = Path(dir)
    retry = retry or Retry()
    if url is not None:
        if sources is not None:
            raise ChipwarError("pass either sources or url=, not both")
        file_name = name or Path(urllib.parse.urlparse(url).path).name
        if not file_name:
            raise ChipwarError(f"{url}: the URL names no file; pass name=")
        return [
            _get(
                RemoteFile("downloads", file_name, url, "unversioned (direct URL)", sha256),
                directory,
                retry,
                progress,
                force,
            )
        ]
    if sources is None:
        raise ChipwarError(f"name the sources to fetch ({', '.join(SOURCES)}, or 'all'), or pass url=")
    names = [sources] if isinstance(sources, str) else list(sources)
    if "all" in names:
        names = list(SOURCES)
    config = load_sources(sources_file)
    unknown = [n for n in names if n not in SOURCES or n not in config.settings]
    if unknown:
        raise ChipwarError(f"unknown source(s) {unknown}; choose from {list(SOURCES)} (or 'all')")
    entries = []
    for source in names:
        if source == "comtrade":
            entries += _fetch_comtrade(config, directory, retry, progress, force)
        else:
            entries += [_get(remote, directory, retry, progress, force) for remote in config.files(source)]
    return entries
