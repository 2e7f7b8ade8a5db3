"""Read-only SPARQL 1.1 queries over the registry, for the /sparql endpoint.

The dataset a query sees: one named graph per record, named by the record's IRI and holding its latest
revision; the default graph is the union of those graphs. Revision graphs, the revision metadata and the
outbox are not part of it (history is on `/records/{id}?revision=N`). Records whose latest revision is a
draft are left out for callers who are not curators. Callers must be signed in: anonymous users get no
SPARQL at all, because per-record visibility (non-public metadata) cannot be enforced inside arbitrary
queries.

Limits: queries run in a worker thread with a wall-clock timeout and at most `max_rows` results (more is an
error, not a silent cut). Oxigraph cannot cancel a running query; a timed-out query stops at its next
result, and a semaphore bounds how many run at once so that runaway queries cannot pile up.

Two stores: the embedded Oxigraph store is queried in process; a SPARQL server (FAIRGRID_STORE_URL) gets
the query forwarded with the caller's dataset as the protocol's default-graph-uri / named-graph-uri
parameters (every visible record graph, so the request grows with the registry). Federated `SERVICE`
clauses are refused on both: they would make the hub send requests wherever a caller points it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyoxigraph as ox

from registry.errors import InputError, LimitExceeded, Unauthenticated, Unavailable
from registry.identity import Identity, Role
from registry.model import META_GRAPH
from registry.vocab import FG

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_ROWS = 10_000
DEFAULT_CONCURRENCY = 4

Term = ox.NamedNode | ox.BlankNode | ox.Literal
_UPDATE_WORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")


class RawStore(Protocol):
    """A store adapter that exposes its Oxigraph store (the embedded adapter does)."""

    def raw(self) -> ox.Store: ...


class DatasetStore(Protocol):
    """A store adapter that runs read-only queries over a given dataset (the SPARQL endpoint one)."""

    def query(self, sparql: str, timeout_s: float = 10.0) -> list[dict[str, Term]]: ...

    def query_dataset(self, text: str, graphs: list[str], accept: str, timeout_s: float) -> bytes: ...


_EMPTY_GRAPH = "urn:fairgrid:no-graph"  # names an empty dataset over the protocol (no graph may be empty)


@dataclass
class SparqlResult:
    """Exactly one of `rows` (SELECT), `boolean` (ASK) or `triples` (CONSTRUCT/DESCRIBE) is set."""

    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Term]] | None = None
    boolean: bool | None = None
    triples: list[ox.Triple] | None = None

    @property
    def form(self) -> str:
        if self.rows is not None:
            return "select"
        return "ask" if self.boolean is not None else "graph"


def is_update(text: str) -> bool:
    """True when `text` parses as a SPARQL update (and so not as a query)."""
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        parseUpdate(text)
    except Exception:  # rdflib raises pyparsing errors of several kinds
        return False
    return True


def has_service(text: str) -> bool:
    """True when the query has a federated SERVICE clause. When rdflib cannot parse the query (its
    grammar lags Oxigraph's), any SERVICE keyword counts: refusing a rare odd query beats a request
    the hub makes on a caller's behalf."""
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    try:
        tree = parseQuery(text)
    except Exception:  # rdflib raises pyparsing errors of several kinds
        return "SERVICE" in text.upper()

    def walk(node: Any) -> bool:
        if isinstance(node, CompValue):
            return node.name == "ServiceGraphPattern" or any(walk(v) for v in node.values())
        if isinstance(node, list | tuple):
            return any(walk(v) for v in node)
        return False

    return walk(list(tree))


def _looks_like_update(text: str) -> bool:
    """A cheap fallback when the update grammar rejects it too: the first keyword after the prologue."""
    words = [w.upper() for w in text.replace("{", " ").split()]
    i = 0
    while i < len(words) and words[i] in ("PREFIX", "BASE"):
        i += 3 if words[i] == "PREFIX" else 2
    return i < len(words) and words[i] in _UPDATE_WORDS


class SparqlService:
    def __init__(
        self,
        store: object,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_rows: int = DEFAULT_MAX_ROWS,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.store = store
        self.timeout_s = timeout_s
        self.max_rows = max_rows
        self._slots = threading.BoundedSemaphore(concurrency)

    def _oxigraph(self) -> ox.Store | None:
        """The embedded Oxigraph store, or None for a store that takes forwarded queries."""
        raw = getattr(self.store, "raw", None)
        if raw is None:
            if not hasattr(self.store, "query_dataset"):
                raise Unavailable("this store cannot answer SPARQL queries", hint="query it directly")
            return None
        store = raw()
        assert isinstance(store, ox.Store)
        return store

    @staticmethod
    def _graphs_query(identity: Identity) -> str:
        drafts_ok = identity.has(Role.CURATOR)
        draft = "" if drafts_ok else f"FILTER NOT EXISTS {{ ?rev <{FG}draft> true }}"
        return f"SELECT ?r WHERE {{ GRAPH <{META_GRAPH}> {{ ?r <{FG}head> ?rev . {draft} }} }}"

    def graphs(self, identity: Identity, store: ox.Store) -> list[ox.NamedNode]:
        """The record graphs this caller may query."""
        return [sol["r"] for sol in store.query(self._graphs_query(identity))]  # type: ignore[union-attr, misc]

    def query(self, identity: Identity, text: str) -> SparqlResult:
        if identity.is_anonymous:
            raise Unauthenticated("SPARQL queries need a signed-in user")
        identity.require(
            Role.RESEARCHER, Role.CURATOR, Role.CONSORTIUM_MEMBER, Role.SITE_OPERATOR, action="run SPARQL"
        )
        if not text.strip():
            raise InputError("no query given", hint="send the query in the `query` parameter")
        # Here, before any Oxigraph object exists: rdflib's parser keeps tracebacks (so frames and their
        # locals) in its cache, and Oxigraph iterators must be freed on the thread that made them.
        if has_service(text):
            raise InputError(
                "federated SERVICE queries are not accepted",
                hint="query the other endpoint yourself and combine the results",
                details={"service": True},
            )
        store = self._oxigraph()
        if not self._slots.acquire(timeout=self.timeout_s):
            raise Unavailable("too many SPARQL queries are running", hint="retry in a few seconds")
        deadline = time.monotonic() + self.timeout_s
        future: Future[SparqlResult] = Future()

        def work() -> None:
            try:
                if store is None:
                    future.set_result(self._forward(identity, text, deadline))
                else:
                    future.set_result(self._evaluate(identity, store, text, deadline))
            except BaseException as exc:  # handed to the waiting thread
                # Drop the traceback here: its frames hold Oxigraph iterators, which must be freed on
                # the thread that made them.
                future.set_exception(exc.with_traceback(None))
            finally:
                self._slots.release()

        threading.Thread(target=work, name="sparql-query", daemon=True).start()
        try:
            return future.result(timeout=max(0.0, deadline - time.monotonic()) + 0.05)
        except TimeoutError:
            raise self._timeout() from None

    def _timeout(self) -> LimitExceeded:
        return LimitExceeded(
            f"the query ran longer than the {self.timeout_s:g} s limit",
            hint="narrow the query (more specific patterns, LIMIT, fewer OPTIONALs)",
            details={"timeout_s": self.timeout_s},
        )

    def _checked(self, store: ox.Store, text: str, **dataset: Any) -> Any:
        """`store.query(text)`, with updates and bad syntax as InputErrors."""
        try:
            return store.query(text, **dataset)
        except SyntaxError as exc:
            if is_update(text) or _looks_like_update(text):
                raise InputError(
                    "SPARQL updates are not accepted: this endpoint is read only",
                    hint="change records through POST/PUT /records (curators), not SPARQL",
                    details={"update": True},
                ) from None
            raise InputError(f"the query does not parse: {exc}", hint="fix the SPARQL syntax") from None

    def _evaluate(self, identity: Identity, store: ox.Store, text: str, deadline: float) -> SparqlResult:
        graphs = self.graphs(identity, store)
        try:
            result: Any = self._checked(
                store, text, default_graph=list(graphs) or [ox.DefaultGraph()], named_graphs=list(graphs)
            )
        except OSError as exc:
            raise Unavailable(f"the store failed while answering: {exc}") from exc
        return self._collect(result, deadline)

    def _forward(self, identity: Identity, text: str, deadline: float) -> SparqlResult:
        """Send the query to the store server over the caller's dataset, and read its answer back."""
        store: DatasetStore = self.store  # type: ignore[assignment]
        # Checked and typed locally first (on an empty store: nothing to read), so errors read the same
        # as on the embedded store and the right result format is asked for.
        graph_form = self._graph_form(text)
        graphs = [r["r"].value for r in store.query(self._graphs_query(identity), self.timeout_s)]
        accept = "application/n-triples" if graph_form else "application/sparql-results+json"
        left = max(0.1, deadline - time.monotonic())
        try:
            body = store.query_dataset(text, graphs or [_EMPTY_GRAPH], accept, left)
        except TimeoutError:
            raise self._timeout() from None
        if graph_form:
            quads = ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
            return self._collect((ox.Triple(q.subject, q.predicate, q.object) for q in quads), deadline)
        return self._collect(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON), deadline)

    def _graph_form(self, text: str) -> bool:
        """Whether the query is a CONSTRUCT or DESCRIBE (answered with a graph)."""
        result = self._checked(ox.Store(), text)
        graph_form = not isinstance(result, ox.QueryBoolean | ox.QuerySolutions)
        del result  # Oxigraph iterators must be freed on the thread that made them
        return graph_form

    def _collect(self, result: Any, deadline: float) -> SparqlResult:
        if isinstance(result, ox.QueryBoolean):
            return SparqlResult(boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            names = [v.value for v in result.variables]
            rows: list[dict[str, Term]] = []
            for sol in self._capped(iter(result), deadline):
                rows.append({n: sol[n] for n in names if sol[n] is not None})
            return SparqlResult(variables=names, rows=rows)
        return SparqlResult(triples=list(self._capped(iter(result), deadline)))

    def _capped(self, items: Iterator[Any], deadline: float) -> Iterator[Any]:
        for n, item in enumerate(items, start=1):
            if n > self.max_rows:
                raise LimitExceeded(
                    f"the result has more than {self.max_rows} rows",
                    hint="add LIMIT (and OFFSET to page) or narrow the query",
                    details={"max_rows": self.max_rows},
                )
            if time.monotonic() > deadline:
                raise self._timeout()
            yield item
