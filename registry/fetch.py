"""Fetching the documents a harvest reads: a small port, an HTTP adapter (httpx) and files.

A fetch may send the validators of the copy the harvester already has (ETag, Last-Modified); a source
that has not changed answers 304 and `Fetched.body` is None. Failures are fairgrid errors: a server that
is down, answers 5xx or drops the connection is Unavailable (retry later); a 4xx is UnreadableInput.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import httpx

from registry.errors import RecordTooLarge, Unavailable, UnreadableInput

ACCEPT = (
    "text/turtle, application/ld+json;q=0.9, application/rdf+xml;q=0.8, application/n-triples;q=0.7, "
    "*/*;q=0.1"
)


@dataclass(frozen=True)
class Fetched:
    url: str
    body: bytes | None  # None: not modified since the validators sent (HTTP 304)
    media_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None


class Fetcher(Protocol):
    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched: ...

    def close(self) -> None: ...


def is_file(location: str) -> bool:
    return not location.lower().startswith(("http://", "https://"))  # a scheme is case-insensitive


def file_uri(location: str) -> str:
    """A file location (a path or a file: URI) as an absolute file: URI."""
    if location.startswith("file:"):
        return location
    return Path(location).resolve().as_uri()


class SourceFetcher:
    """http(s) URLs through httpx, everything else as a local file (a path or a file: URI)."""

    def __init__(self, max_bytes: int, timeout_s: float = 30.0, total_s: float = 300.0) -> None:
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s  # for each read: a source that stops sending
        # for the whole body: httpx's timeouts are per read, so a source that sent a byte every few
        # seconds held a harvest (and the scheduled ones after it) for as long as it liked
        self.total_s = total_s
        self._client: httpx.Client | None = None

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        if is_file(url):
            return self._file(url)
        if self._client is None:
            self._client = httpx.Client(timeout=self.timeout_s, follow_redirects=True)
        headers = {"Accept": ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            with self._client.stream("GET", url, headers=headers) as resp:
                if resp.status_code == 304:
                    return Fetched(url, None, etag=etag, last_modified=last_modified)
                if resp.status_code >= 500:
                    raise Unavailable(f"{url} answered {resp.status_code}")
                if resp.status_code >= 400:
                    raise UnreadableInput(f"{url} answered {resp.status_code}", hint="check the source URL")
                body = bytearray()
                deadline = time.monotonic() + self.total_s
                for chunk in resp.iter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise RecordTooLarge(f"{url}: more than {self.max_bytes} bytes")
                    if time.monotonic() > deadline:
                        got = f"{len(body):,} bytes so far"
                        raise Unavailable(f"{url}: not sent within {self.total_s:g} s ({got})")
                return Fetched(
                    str(resp.url), bytes(body), resp.headers.get("content-type"),
                    resp.headers.get("etag"), resp.headers.get("last-modified"),
                )  # fmt: skip
        except httpx.HTTPError as exc:  # refused, dropped or timed out: the source is not reachable now
            raise Unavailable(f"{url}: {type(exc).__name__}: {exc}") from None

    def _file(self, location: str) -> Fetched:
        path = Path(unquote(urlsplit(location).path)) if location.startswith("file:") else Path(location)
        try:
            if path.stat().st_size > self.max_bytes:
                raise RecordTooLarge(f"{path}: more than {self.max_bytes} bytes")
            return Fetched(file_uri(location), path.read_bytes())
        except OSError as exc:
            raise UnreadableInput(f"{path}: {exc.strerror}") from None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
