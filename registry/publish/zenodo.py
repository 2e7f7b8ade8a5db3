"""A client for Zenodo's deposit API (https://developers.zenodo.org/#rest-api) over httpx.

Why not zenodo-client (0.4.2, installed)? It was read line by line and bypassed, not wrapped:
- it sends the token as a query parameter (`params={"access_token": ...}` on every call, api.py lines 166,
  253, 264, 324, 340, 360, 377), so the token lands in URLs, access logs, `requests`' exception text and
  proxies; here it goes in the `Authorization: Bearer` header only;
- its `Metadata` model (struct.py line 125) has no `related_identifiers`, `grants` nor `subjects`, and its
  `UploadType` has no `model`; serialising through it would silently drop the fields fairgrid publishes;
- `_prepare_new_version` (api.py line 519) replaces any version with today's date and bumps a one-digit
  suffix (`int(old_version[-1])`): after `-9` it writes `-10`, and the next call sees `old_version[-2] == "1"`
  and returns the bare date again, a duplicate of the day's first version (and it ignores our versions);
- it has no retries, no 429/Retry-After handling, `raise_for_status()` discards Zenodo's `errors[{field,
  messages}]`, and every action sleeps one second (api.py line 250);
- `ensure()` writes the deposition id to its config only after create, upload and publish have all
  succeeded (api.py line 138), so a crash in between makes the next run create a second deposition.
Nothing is left that would be worth wrapping, so fairgrid does not import it.

Errors: one tree, `ZenodoError` (registry/publish/zenodo_errors.py). The token never appears in a URL, a log
line, an exception or a repr.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from registry.config import Secret
from registry.publish.zenodo_errors import (
    RETRY_STATUSES,
    ZenodoConflict,
    ZenodoError,
    ZenodoNotFound,
    ZenodoRejected,
    ZenodoTokenRejected,
    ZenodoTooLarge,
    ZenodoUnavailable,
    error_for,
    errors_of,
)

__all__ = [
    "ZenodoClient",
    "ZenodoConflict",
    "ZenodoError",
    "ZenodoNotFound",
    "ZenodoRejected",
    "ZenodoTokenRejected",
    "ZenodoTooLarge",
    "ZenodoUnavailable",
    "md5_of",
    "server_md5",
]

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def server_md5(file: dict[str, Any]) -> str | None:
    """The md5 hex of a Zenodo file entry (`checksum`: "md5:<hex>" on buckets, bare hex on deposit files)."""
    checksum = file.get("checksum")
    if not isinstance(checksum, str):
        return None
    return checksum.removeprefix("md5:").lower()


class ZenodoClient:
    """Zenodo's deposit API, with retries. `sleep` and `now` are injectable so tests never really wait."""

    def __init__(
        self,
        base_url: str,
        token: str | Secret | None,
        *,
        timeout: float = 60.0,
        max_retries: int = 5,
        backoff_s: float = 1.0,
        max_wait_s: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        secret = token.get() if isinstance(token, Secret) else (token or "")
        # without a token the client is still made (a dry run sends nothing); every request is refused
        self._has_token = bool(secret)
        self._secret = secret  # only to mask it in what a server answers
        self.base_url = base_url.rstrip("/")
        self._origin = _origin(self.base_url)
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_wait_s = max_wait_s
        self._sleep = sleep
        self._now = now
        self._http = httpx.Client(
            timeout=timeout,
            transport=transport,
            headers={"Authorization": f"Bearer {secret}", "User-Agent": "fairgrid-publisher"}
            if secret
            else {"User-Agent": "fairgrid-publisher"},
            follow_redirects=False,  # a redirect elsewhere must not carry the Authorization header
        )

    def __repr__(self) -> str:
        return f"ZenodoClient({self.base_url!r}, token=***)"

    __str__ = __repr__

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ZenodoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- depositions ---------------------------------------------------------------------------

    def create(self, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        # Not idempotent: a 5xx or a lost answer may still have created a draft, so only retried when
        # Zenodo said it did nothing (429) or the connection never opened (see _send).
        body = {"metadata": metadata} if metadata else {}
        return self._deposit("POST", self._api("deposit/depositions"), json=body, idempotent=False)

    def drafts(self, size: int = 50) -> list[dict[str, Any]]:
        """The account's most recent unpublished depositions (Zenodo's `status=draft`, newest first)."""
        found = self._json(
            "GET",
            self._api("deposit/depositions"),
            params={"status": "draft", "sort": "mostrecent", "size": size},
        )
        return (
            [d for d in found if isinstance(d, dict) and not d.get("submitted")]
            if isinstance(found, list)
            else []
        )

    def get(self, deposition_id: int) -> dict[str, Any]:
        return self._deposit("GET", self._deposition(deposition_id))

    def put_metadata(self, deposition_id: int, metadata: dict[str, Any]) -> dict[str, Any]:
        """Replace ALL of the deposition's metadata (Zenodo's PUT is a full replace)."""
        return self._json("PUT", self._deposition(deposition_id), json={"metadata": metadata})

    def delete(self, deposition_id: int) -> None:
        self._send("DELETE", self._deposition(deposition_id))

    def list_files(self, deposition_id: int) -> list[dict[str, Any]]:
        """The deposition's files, each an object; any other answer (a proxy's, a broken Zenodo's) is
        ZenodoUnavailable, not taken as "no files" (the publisher would upload all again)."""
        url = self._deposition(deposition_id) + "/files"
        response = self._send("GET", url)
        files = self._parse(response, "GET", url) if response.content else None
        where = f"Zenodo answered GET {_path(url)} with"
        if not isinstance(files, list):
            raise ZenodoUnavailable(f"{where} no file list ({_kind(files)})")
        for i, entry in enumerate(files):
            if not isinstance(entry, dict):
                kind = "null" if entry is None else _kind(entry)
                raise ZenodoUnavailable(f"{where} a list whose entry {i} is no file ({kind})")
        return list(files)

    def delete_file(self, deposition_id: int, file_id: str) -> None:
        self._send("DELETE", self._deposition(deposition_id) + f"/files/{quote(str(file_id), safe='')}")

    def upload(self, bucket_url: str, name: str, path: Path, *, md5: str | None = None) -> dict[str, Any]:
        """Stream `path` into the bucket as `name`; the md5 is computed while sending and must equal the
        checksum Zenodo reports (and `md5`, when the caller computed it beforehand)."""
        self._same_origin(bucket_url)
        size = path.stat().st_size
        sent: dict[str, str] = {}

        def content() -> Iterator[bytes]:
            digest = hashlib.md5(usedforsecurity=False)
            with path.open("rb") as f:
                while chunk := f.read(CHUNK):
                    digest.update(chunk)
                    yield chunk
            sent["md5"] = digest.hexdigest()

        url = f"{bucket_url.rstrip('/')}/{quote(name, safe='')}"
        answer = self._json(
            "PUT",
            url,
            content_factory=content,
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
        )
        theirs = server_md5(answer)
        ours = sent.get("md5")
        if md5 is not None and ours != md5:
            raise ZenodoUnavailable(
                f"{name} changed while it was uploaded (md5 {md5} before, {ours} sent)",
                hint="publish again once the package is complete",
            )
        if ours is None or theirs != ours:
            raise ZenodoUnavailable(f"{name} arrived damaged on Zenodo (md5 sent {ours}, stored {theirs})")
        return answer

    # --- actions -------------------------------------------------------------------------------

    def publish(self, deposition_id: int) -> dict[str, Any]:
        return self._deposit("POST", self._deposition(deposition_id) + "/actions/publish")

    def edit(self, deposition_id: int) -> dict[str, Any]:
        return self._json("POST", self._deposition(deposition_id) + "/actions/edit")

    def discard(self, deposition_id: int) -> dict[str, Any]:
        return self._json("POST", self._deposition(deposition_id) + "/actions/discard")

    def new_version(self, deposition_id: int) -> dict[str, Any]:
        """Returns the *published* deposition; its `links.latest_draft` is the new draft. Not resent after a
        5xx or a lost answer: Zenodo may have made the draft (a second call is then refused)."""
        return self._deposit(
            "POST", self._deposition(deposition_id) + "/actions/newversion", idempotent=False
        )

    def get_url(self, url: str) -> dict[str, Any]:
        """GET a link Zenodo gave (e.g. `links.latest_draft`), only on Zenodo's own origin."""
        self._same_origin(url)
        return self._deposit("GET", url)

    def get_record(self, record_id: int) -> dict[str, Any]:
        return self._json("GET", self._api(f"records/{int(record_id)}"))

    # --- plumbing ------------------------------------------------------------------------------

    def _api(self, path: str) -> str:
        return f"{self.base_url}/api/{path}"

    def _deposition(self, deposition_id: int) -> str:
        return self._api(f"deposit/depositions/{int(deposition_id)}")

    def _same_origin(self, url: str) -> None:
        # links come from the server's answers: never send the token to another host
        if _origin(url) != self._origin:
            raise ZenodoRejected(f"Zenodo gave a link outside {self._origin}: {_origin(url)}")

    def _deposit(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        """An answer that must be a deposition: an object with a whole-number id."""
        answer = self._json(method, url, **kwargs)
        ident = answer.get("id") if isinstance(answer, dict) else None
        if isinstance(ident, bool) or not (
            isinstance(ident, int) or (isinstance(ident, str) and ident.isdigit())
        ):
            raise ZenodoUnavailable(f"Zenodo answered {method} {_path(url)} with no deposition (no id)")
        return dict(answer)

    def _json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self._send(method, url, **kwargs)
        return self._parse(response, method, url) if response.content else {}

    def _parse(self, response: httpx.Response, method: str, url: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ZenodoUnavailable(
                f"Zenodo answered {method} {_path(url)} with something not JSON"
            ) from None

    def _send(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        content_factory: Callable[[], Iterator[bytes]] | None = None,
        headers: dict[str, str] | None = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        if not self._has_token:
            raise ZenodoTokenRejected(f"no Zenodo token is configured for {self._origin}")
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    method,
                    url,
                    json=json,
                    params=params,
                    content=content_factory() if content_factory else None,
                    headers=headers,
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # the connection never opened: nothing reached Zenodo, any request may be sent again
                failure = f"cannot reach Zenodo at {self._origin} ({type(exc).__name__})"
                wait = None
            except httpx.TransportError as exc:
                failure = f"Zenodo did not answer {method} {_path(url)} ({type(exc).__name__})"
                if not idempotent:
                    raise ZenodoUnavailable(
                        failure, hint="Zenodo may have created an empty draft; publishing again is safe"
                    ) from None
                wait = None
            else:
                if response.status_code < 400:
                    return response
                message, errors = errors_of(response, self._secret)
                status = response.status_code
                retryable = status == 429 or (status in RETRY_STATUSES and idempotent)
                if not retryable:
                    error = error_for(
                        status, f"Zenodo refused {method} {_path(url)}: {status} {message}", errors
                    )
                    if status in RETRY_STATUSES:
                        error.hint = "Zenodo may have created an empty draft; publishing again is safe"
                    raise error
                failure = f"Zenodo answered {method} {_path(url)} with {status} {message}"
                wait = self._server_wait(response)
            if attempt >= self.max_retries:
                raise ZenodoUnavailable(f"{failure}, still after {attempt} retries")
            delay = wait if wait is not None else self._backoff(attempt)
            if delay > self.max_wait_s:
                raise ZenodoUnavailable(f"{failure}; Zenodo asks to wait {delay:.0f} s", hint="retry later")
            log.warning(
                "%s; retrying in %.1f s (retry %d of %d)", failure, delay, attempt + 1, self.max_retries
            )
            self._sleep(delay)
            attempt += 1

    def _backoff(self, attempt: int) -> float:
        # exponential, each wait a random half to all of its step, so several publishers do not retry in step
        return min(self.max_wait_s, self.backoff_s * 2**attempt) * (0.5 + random.random() / 2)

    def _server_wait(self, response: httpx.Response) -> float | None:
        """Seconds the server asks to wait: Retry-After (seconds or an HTTP date), else X-RateLimit-Reset
        (Zenodo sends a Unix time; a small number is taken as seconds), else None."""
        retry_after = response.headers.get("Retry-After", "").strip()
        if retry_after:
            if retry_after.isdigit():
                return float(retry_after)
            try:
                when = email.utils.parsedate_to_datetime(retry_after)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                return max(0.0, when.timestamp() - self._now())
        reset = response.headers.get("X-RateLimit-Reset", "").strip()
        if reset:
            try:
                value = float(reset)
            except ValueError:
                return None
            return max(0.0, value - self._now()) if value > 1e9 else max(0.0, value)
        return None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _kind(value: Any) -> str:
    """A JSON value's kind, for messages (None: no body at all)."""
    return "empty" if value is None else type(value).__name__


def _path(url: str) -> str:
    """A URL's path only, for messages (no query string, nothing secret)."""
    return urlsplit(url).path
