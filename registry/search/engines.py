"""One small facade over opensearch-py and elasticsearch-py, so the adapter is written once.

The distribution is read from `GET /`: OpenSearch gets opensearch-py, Elasticsearch gets
elasticsearch-py (which refuses to talk to anything but Elasticsearch). Every transport or server
failure leaves here as a `registry.errors` exception.
"""

from __future__ import annotations

import contextlib
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterable
from typing import Any

from registry.errors import InputError, LimitExceeded, Unavailable

TIMEOUT_S = 30.0


def _version(url: str, timeout: float) -> dict[str, Any]:
    """The `version` object of the server's banner at `GET /`."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/", timeout=timeout) as resp:
            banner = json.loads(resp.read())
    except (OSError, urllib.error.URLError, ValueError) as e:
        raise Unavailable(f"search engine at {url} is not reachable: {e}") from e
    version = banner.get("version") if isinstance(banner, dict) else None
    return version if isinstance(version, dict) else {}


def detect_distribution(url: str, timeout: float = 5.0) -> str:
    """'opensearch' or 'elasticsearch', from the server's banner at `GET /`."""
    return "opensearch" if _version(url, timeout).get("distribution") == "opensearch" else "elasticsearch"


def _elasticsearch(url: str, timeout: float) -> Any:
    """An elasticsearch-py client that the server at `url` accepts.

    elasticsearch-py N sends `compatible-with=N` media types, which a server of an older major refuses
    (400 media_type_header_exception); for such a server the client asks for its own major instead.
    """
    from elasticsearch import Elasticsearch, __versionstr__

    client_major = int(__versionstr__.partition(".")[0])
    number = str(_version(url, 5.0).get("number", ""))
    server_major = int(number.partition(".")[0]) if number.partition(".")[0].isdigit() else client_major
    if server_major >= client_major:
        return Elasticsearch(url, request_timeout=timeout, max_retries=1)
    compat = rf"application/vnd.elasticsearch+\1; compatible-with={server_major}"

    class PinnedElasticsearch(Elasticsearch):
        def perform_request(self, method: str, path: str, **kw: Any) -> Any:
            # The client rewrites only plain application/json and x-ndjson types, so these pass as they are.
            headers = {k: _MIMETYPE.sub(compat, v) for k, v in (kw.pop("headers", None) or {}).items()}
            return super().perform_request(method, path, headers=headers or None, **kw)

    return PinnedElasticsearch(url, request_timeout=timeout, max_retries=1)


_MIMETYPE = re.compile(r"application/(json|x-ndjson)")


class Engine:
    """`call(method, path, body)` and `bulk(actions)` against either client library."""

    def __init__(self, url: str, distribution: str | None = None, timeout: float = TIMEOUT_S) -> None:
        self.url = url
        self.distribution = distribution or detect_distribution(url)
        self._client: Any
        if self.distribution == "opensearch":
            from opensearchpy import OpenSearch

            self._client = OpenSearch(hosts=[url], timeout=timeout, max_retries=1, retry_on_timeout=False)
        else:
            self._client = _elasticsearch(url, timeout)

    def call(
        self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        out = self.call_opt(method, path, body, params)
        if out is None:
            raise Unavailable(f"search engine answered 404 on {method} {path}")
        return out

    def call_opt(
        self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """Like `call`, but a 404 (missing index or alias) returns None."""
        try:
            if self.distribution == "opensearch":
                out = self._client.transport.perform_request(method, path, params=params, body=body)
            else:
                headers = {"accept": "application/json"}
                if body is not None:
                    headers["content-type"] = "application/json"
                out = self._client.perform_request(
                    method, path, params=params, headers=headers, body=body
                ).body
        except Exception as e:  # the two libraries share no base class; translate() sorts them out
            if status_of(e) == 404:
                return None
            raise translate(e, f"{method} {path}") from e
        return out if isinstance(out, dict) else {}

    def bulk(
        self, actions: Iterable[dict[str, Any]], refresh: bool, ignore: tuple[int, ...] = ()
    ) -> tuple[int, dict[str, str]]:
        """Items written, and the items the engine refused as such (a 400: the document does not
        fit the mapping) by id with the engine's reason. Any other failure of an item is an outage
        (Unavailable)."""
        if self.distribution == "opensearch":
            from opensearchpy import helpers as os_helpers

            bulk: Any = os_helpers.bulk
        else:
            from elasticsearch import helpers as es_helpers

            bulk = es_helpers.bulk
        try:
            ok, errors = bulk(
                self._client,
                actions,
                chunk_size=500,
                refresh="true" if refresh else "false",
                raise_on_error=False,
                ignore_status=ignore,
            )
        except Exception as e:
            raise translate(e, "bulk") from e
        # opensearch-py reports ignored statuses as errors all the same; drop them here.
        errors = [e for e in errors if _item_status(e) not in ignore]
        refused = {_item_id(e): _item_reason(e) for e in errors if _refused(_item_status(e))}
        failed = [e for e in errors if not _refused(_item_status(e))]
        if failed:
            raise Unavailable(f"search engine rejected {len(failed)} bulk item(s); first: {failed[0]}")
        return int(ok), refused

    def close(self) -> None:
        # Closing a broken connection pool must not hide the outcome of the work before it.
        with contextlib.suppress(Exception):
            self._client.close()


def _refused(status: int | None) -> bool:
    # 400 only: the document does not fit (mapper_parsing, document_parsing, illegal_argument). A 403
    # (a write block on the index) or 404 concerns every document alike: an outage, so they wait.
    return status == 400


def _item_result(item: dict[str, Any]) -> dict[str, Any]:
    result = next(iter(item.values()), None) if isinstance(item, dict) else None
    return result if isinstance(result, dict) else {}


def _item_id(item: dict[str, Any]) -> str:
    return str(_item_result(item).get("_id", ""))


def _item_reason(item: dict[str, Any]) -> str:
    error = _item_result(item).get("error")
    if isinstance(error, dict):
        return f"{error.get('type', 'error')}: {error.get('reason', '')}"[:300]
    return str(error)[:300]


def _item_status(item: dict[str, Any]) -> int | None:
    """Status of one bulk response item, shaped {"<op>": {"status": 404, ...}}."""
    for result in item.values():
        status = result.get("status") if isinstance(result, dict) else None
        return status if isinstance(status, int) else None
    return None


def status_of(e: Exception) -> int | None:
    for attr in ("status_code", "status"):
        v = getattr(e, attr, None)
        if isinstance(v, int):
            return v
    meta = getattr(e, "meta", None)
    v = getattr(meta, "status", None)
    return v if isinstance(v, int) else None


def translate(e: Exception, what: str) -> Exception:
    """Map a client exception to the fairgrid error a caller can act on."""
    status = status_of(e)
    text = str(e)
    if status is None or status >= 500 or status == 429:
        return Unavailable(f"search engine failed on {what}: {text[:300]}")
    if "too_many_buckets" in text or "max_result_window" in text or "too_many_clauses" in text:
        return LimitExceeded(f"search engine refused {what}: {text[:300]}")
    if status == 400:
        return InputError(f"search engine refused {what}: {text[:300]}")
    return Unavailable(f"search engine answered {status} on {what}: {text[:300]}")
