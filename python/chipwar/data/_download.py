"""One HTTP download, done carefully: resumed with HTTP Range after an interruption, retried with back-off, waiting
as long as a server's ``Retry-After`` asks, checked against a SHA-256 and, for archives, opened and CRC-checked,
before it takes its final name. Only the standard library is used (urllib), so fetching needs no extra package."""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import http.client
import json
import os
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .._errors import ChipwarError

_BLOCK = 1 << 20


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in blocks so large files use little memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Retry:
    """How hard to try: ``attempts`` requests at most, waits of ``backoff_s``, doubling, capped at ``max_wait_s``
    (a server's ``Retry-After`` is obeyed up to that cap). ``sleep`` is injectable so tests need not wait."""

    attempts: int = 6
    backoff_s: float = 2.0
    max_wait_s: float = 300.0
    timeout_s: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def wait(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1``: the server's Retry-After when given, else back-off."""
        seconds = _retry_after_seconds(retry_after)
        if seconds is None:
            seconds = self.backoff_s * 2**attempt
        seconds = min(max(seconds, 0.0), self.max_wait_s)
        self.sleep(seconds)
        return seconds


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date (RFC 9110); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - time.time()


_REFUSAL_HINTS = {
    401: "the server wants credentials: for UN Comtrade set the subscription key in the environment variable named "
    "by key_env in the sources file",
    403: "access is denied: check the URL in the sources file, or your access rights (a key, a licence)",
    404: "nothing is at this address: the publisher may have moved the file; put its new URL in the sources file "
    "(chipwar/data/sources.toml, or your copy passed with --sources FILE)",
    410: "the file was removed: put its new URL in the sources file",
}


def _refusal(url: str, err: urllib.error.HTTPError) -> ChipwarError:
    hint = _REFUSAL_HINTS.get(err.code, "check the URL in the sources file")
    return ChipwarError(f"{url}: the server refused the download (HTTP {err.code} {err.reason}); {hint}")


class _Incomplete(Exception):
    """The connection ended before the announced length: resume from what arrived."""


def _total_length(response, have: int) -> int | None:
    """The full size of the file from Content-Range (``bytes a-b/total``) or Content-Length."""
    content_range = response.headers.get("Content-Range")
    if content_range and "/" in content_range:
        total = content_range.rsplit("/", 1)[1].strip()
        return int(total) if total.isdigit() else None
    length = response.headers.get("Content-Length")
    return have + int(length) if length and length.isdigit() else None


def _range_start(response) -> int | None:
    content_range = response.headers.get("Content-Range", "")
    try:
        return int(content_range.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def _receive(url: str, part: Path, headers: dict[str, str], retry: Retry, progress) -> None:
    """Bring ``url`` into ``part`` completely, resuming what a previous attempt (or run) left there."""
    last = "no attempt"
    for attempt in range(retry.attempts):
        have = part.stat().st_size if part.exists() else 0
        request_headers = dict(headers)
        if have:
            request_headers["Range"] = f"bytes={have}-"
        request = urllib.request.Request(url, headers=request_headers)
        try:
            with urllib.request.urlopen(request, timeout=retry.timeout_s) as response:
                if have and (response.status != 206 or _range_start(response) != have):
                    have = 0  # the server ignored the Range header (or answered another range): start again
                total = _total_length(response, have)
                if progress is not None:
                    progress.start(total, have)
                with open(part, "ab" if have else "wb") as fh:
                    try:
                        for block in iter(lambda: response.read(_BLOCK), b""):
                            fh.write(block)
                            if progress is not None:
                                progress.update(len(block))
                    except http.client.IncompleteRead as err:
                        fh.write(err.partial)
                        raise _Incomplete(f"connection closed after {fh.tell()} bytes") from err
                    size = fh.tell()
                if total is not None and size < total:
                    raise _Incomplete(f"connection closed after {size} of {total} bytes")
                if total is not None and size > total:
                    part.unlink()
                    raise _Incomplete(f"received {size} bytes, more than the {total} announced; starting again")
                return
        except urllib.error.HTTPError as err:
            if err.code == 416 and have:
                part.unlink()  # the kept part does not fit the file on the server (it changed): start again
                last = "HTTP 416 (range not satisfiable)"
                continue
            if err.code not in (408, 425, 429, 500, 502, 503, 504):
                raise _refusal(url, err) from None
            last = f"HTTP {err.code} {err.reason}"
            retry_after = err.headers.get("Retry-After") if err.headers else None
        except (_Incomplete, urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException) as err:
            last = str(getattr(err, "reason", err))
            retry_after = None
        if attempt + 1 < retry.attempts:
            retry.wait(attempt, retry_after)
    kept = f"; the {part.stat().st_size} bytes received are kept in {part}" if part.exists() else ""
    raise ChipwarError(
        f"{url}: download failed after {retry.attempts} attempts (last: {last}){kept}; run the same "
        "command again to resume, or check the network and the URL in the sources file"
    )


def check_archive(path: Path, name: str) -> str:
    """Open the archive and check every member's CRC (zip) or the whole stream (gzip); JSON must parse.

    Returns a one-line description for the manifest; raises ChipwarError naming the file when it is corrupt.
    """
    fix = "the download is truncated or corrupt; delete it and fetch again (the publisher's copy may be broken too)"
    lower = name.lower()
    try:
        if lower.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
                if bad is not None:
                    raise ChipwarError(f"{name}: member {bad!r} fails its CRC check; {fix}")
                return f"zip, {len(archive.namelist())} members, CRC checked"
        if lower.endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                while fh.read(_BLOCK):
                    pass
            return "gzip stream checked"
        if lower.endswith(".json"):
            with open(path, "rb") as fh:
                json.load(fh)
            return "JSON parsed"
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ChipwarError(f"{name}: not a readable {lower.rsplit('.', 1)[-1]} file ({err}); {fix}") from err
    return "not an archive"


@dataclass(frozen=True)
class Downloaded:
    """A file in place: its path, size, SHA-256 and archive check."""

    path: Path
    bytes: int
    sha256: str
    check: str


def download(
    url: str,
    dest: Path,
    sha256: str | None = None,
    headers: dict[str, str] | None = None,
    retry: Retry | None = None,
    progress=None,
) -> Downloaded:
    """Download ``url`` to ``dest`` (via ``dest.part``, resumable), check it, then rename it to ``dest``.

    Raises
    ------
    ChipwarError
        When the server refuses (4xx other than 408/425/429, naming the status and the fix), every attempt fails,
        the SHA-256 differs from ``sha256``, or an archive is truncated or corrupt (the bad file is deleted).
    """
    retry = retry or Retry()
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    _receive(url, part, {"User-Agent": "chipwar-data-fetch", **(headers or {})}, retry, progress)
    digest = sha256_file(part)
    if sha256 is not None and digest != sha256.lower():
        part.unlink()
        raise ChipwarError(
            f"{dest.name}: SHA-256 {digest} differs from the {sha256} the sources file expects; the "
            "download was corrupted or the publisher changed the file: fetch again, and if it differs "
            "again check the publisher's release and update sha256 in the sources file"
        )
    try:
        check = check_archive(part, dest.name)
    except ChipwarError:
        part.unlink()
        raise
    os.replace(part, dest)
    return Downloaded(dest, dest.stat().st_size, digest, check)
