"""Scale-out adapter: any SPARQL 1.1 Query/Update endpoint (Oxigraph server, Fuseki, GraphDB, ...).

Each commit is a single update request; servers that run one request in one transaction (Oxigraph,
Fuseki/TDB2) give the same all-or-nothing behaviour as the embedded store. All-or-nothing is not
serialised, though: the Oxigraph server lets racing updates read the same state, so writers that share
a registry home queue on `commit_lock` (a file lock) around each commit. Writers on several hosts need a
server that runs one write transaction at a time, such as Fuseki (in memory or TDB2).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import pyoxigraph as ox

from registry.errors import Unavailable
from registry.store import sparql as queries
from registry.store.base import SparqlBackedStore

RESULTS_JSON = "application/sparql-results+json"
# The server picks by the query's form: results for SELECT and ASK, N-Triples for CONSTRUCT and DESCRIBE.
DATASET_ACCEPT = RESULTS_JSON + ", application/n-triples;q=0.9"
# Fuseki marks every answer with this header, and stops a query at its `timeout` parameter (seconds),
# answering 503 "Query timed out". Other servers read `timeout` otherwise (Virtuoso: milliseconds) or
# not at all, so it is sent to Fuseki only.
FUSEKI_HEADER = "fuseki-request-id"


class SparqlEndpointStore(SparqlBackedStore):
    shared = True

    def __init__(self, query_url: str, update_url: str | None = None, *, timeout_s: float = 30.0,
                 auth: tuple[str, str] | None = None, commit_lock: Path | None = None):  # fmt: skip
        super().__init__()
        self.commit_lock = commit_lock
        self.query_url = query_url
        self.update_url = update_url or query_url.rsplit("/", 1)[0] + "/update"
        self._http = httpx.Client(timeout=timeout_s, auth=auth)
        self.stops_at_timeout = False  # the server takes each query's deadline (Fuseki), seen in answers

    def _post(
        self, url: str, data: dict[str, str], accept: str | None, timeout_s: float | None = None
    ) -> bytes:
        headers = {"Accept": accept} if accept else {}
        try:
            resp = self._http.post(url, data=data, headers=headers, timeout=timeout_s)
        except httpx.HTTPError as exc:
            raise Unavailable(f"SPARQL endpoint {url} unreachable: {exc}") from exc
        self.stops_at_timeout = self.stops_at_timeout or FUSEKI_HEADER in resp.headers
        if resp.status_code >= 500 or resp.status_code in (502, 503, 504):
            raise Unavailable(f"SPARQL endpoint {url} failed: HTTP {resp.status_code} {resp.text[:200]}")
        if resp.status_code >= 400:
            raise ValueError(
                f"SPARQL endpoint {url} refused the request: HTTP {resp.status_code} {resp.text[:300]}"
            )
        return resp.content

    def _select(self, query: str, timeout_s: float = 30.0) -> list[queries.Row]:
        body = self._post(self.query_url, {"query": query}, RESULTS_JSON, timeout_s)
        result = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        return queries.rows(result)

    def _update(self, update: str) -> None:
        self._post(self.update_url, {"update": update}, None)

    def query_dataset(
        self, text: str, graphs: Sequence[str], timeout_s: float, max_rows: int | None = None
    ) -> tuple[str, bytes]:
        """A read-only query over exactly `graphs`: their union is the default graph and they are the
        named graphs (the protocol's dataset parameters, which override any FROM in the query).

        The request is cut at `timeout_s` (the whole answer, not each read). Cutting it does not stop
        the server's work, so the deadline goes with the query to a server that takes it (Fuseki);
        run any other with its own limit (`oxigraph serve --timeout-s`)."""
        data = {"query": text, "default-graph-uri": list(graphs), "named-graph-uri": list(graphs)}
        if self.stops_at_timeout:
            data["timeout"] = str(math.ceil(timeout_s))  # whole seconds: Fuseki ignores "1.5"
        deadline = time.monotonic() + timeout_s
        parts: list[bytes] = []
        try:
            with self._http.stream(
                "POST", self.query_url, data=data, headers={"Accept": DATASET_ACCEPT}, timeout=timeout_s
            ) as resp:
                for chunk in resp.iter_bytes():
                    parts.append(chunk)
                    if time.monotonic() > deadline:
                        raise TimeoutError("the store server's answer took too long")
        except httpx.TimeoutException as exc:
            raise TimeoutError(str(exc)) from exc
        except httpx.HTTPError as exc:
            raise Unavailable(f"SPARQL endpoint {self.query_url} unreachable: {exc}") from exc
        body = b"".join(parts)
        self.stops_at_timeout = self.stops_at_timeout or FUSEKI_HEADER in resp.headers
        if resp.status_code == 503 and self.stops_at_timeout and body.startswith(b"Query timed out"):
            raise TimeoutError("the store server stopped the query at its deadline")
        if resp.status_code == 400:
            raise SyntaxError(body.decode("utf-8", errors="replace")[:300])
        if resp.status_code >= 400:
            raise Unavailable(
                f"SPARQL endpoint {self.query_url} failed: HTTP {resp.status_code} {body[:200]!r}"
            )
        media = resp.headers.get("content-type", "").split(";")[0].strip()
        return media, body

    def ping(self) -> bool:
        try:
            self._select("SELECT * WHERE { } LIMIT 1", 5.0)
        except (Unavailable, ValueError):
            return False
        return True

    def close(self) -> None:
        self._http.close()
