"""Read-only SPARQL 1.1 queries over the registry, for the /sparql endpoint.

The dataset a query sees: one named graph per record, named by the record's IRI and holding its latest
revision; the default graph is the union of those graphs. Revision graphs, the revision metadata and the
outbox are not part of it (history is on `/records/{id}?revision=N`). Curators see drafts too; consortium
roles every published record; anyone else, anonymous callers included, the published records whose
metadata is public (registry/services/visibility.py decides). Each is one list of graphs, which the store
restricts the query to.

Limits: each query has a deadline that stops its work, not only the wait for it: the store port's
`query_dataset` runs it in a worker process killed at the deadline (embedded Oxigraph) or cuts the request
to a store server (which needs its own limit, `oxigraph serve --timeout-s`). At most `max_rows` results
(more is an error, not a silent cut). Signed-in and anonymous callers get separate concurrency shares, so
anonymous traffic cannot take the slots of signed-in users; anonymous queries get a lower row cap.

Federated `SERVICE` clauses are refused: they would make the hub send requests wherever a caller points it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

import pyoxigraph as ox

from registry.errors import InputError, LimitExceeded, Unauthenticated, Unavailable
from registry.identity import Identity, Role
from registry.model import META_GRAPH
from registry.services.visibility import public_pattern, sees_consortium_metadata
from registry.sparql_text import iri
from registry.store.port import RecordStore
from registry.vocab import FG

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_ROWS = 10_000
DEFAULT_CONCURRENCY = 4
ANONYMOUS_MAX_ROWS = 1_000
ANONYMOUS_CONCURRENCY = 2
SHARED_GRAPHS_TTL_S = 2.0  # how long a store server's graph lists are reused (other processes write)

T = TypeVar("T")
Term = ox.NamedNode | ox.BlankNode | ox.Literal
_UPDATE_WORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
_EMPTY_GRAPH = "urn:fairgrid:no-graph"  # names an empty dataset over the protocol (no graph may be empty)


@dataclass(frozen=True)
class Share:
    """What one kind of caller gets: concurrent queries and a row cap."""

    concurrency: int
    max_rows: int


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
    the hub makes on a caller's behalf. Without the keyword (Oxigraph takes keywords only as written,
    in any ASCII case) there is nothing to parse for: rdflib's parse costs 5 to 10 ms a query."""
    if "SERVICE" not in text.upper():
        return False
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


def has_dataset_clause(text: str) -> bool:
    """True when the query names its own dataset (FROM, FROM NAMED). The endpoint's dataset replaces
    it, so such a query would silently answer over every graph the caller may read. Only a query rdflib
    parses is checked (FROM outside a dataset clause is a syntax error Oxigraph reports anyway)."""
    if "FROM" not in text.upper():
        return False
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        tree = parseQuery(text)
    except Exception:  # rdflib raises pyparsing errors of several kinds
        return False
    clauses = tree[1].get("datasetClause", None) if len(tree) > 1 else None
    return isinstance(clauses, list) and bool(clauses)


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
        store: RecordStore,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_rows: int = DEFAULT_MAX_ROWS,
        concurrency: int = DEFAULT_CONCURRENCY,
        anonymous_max_rows: int = ANONYMOUS_MAX_ROWS,
        anonymous_concurrency: int = ANONYMOUS_CONCURRENCY,
    ) -> None:
        self.store = store
        self.timeout_s = timeout_s
        self.signed_in = Share(concurrency, max_rows)
        self.anonymous = Share(anonymous_concurrency, min(anonymous_max_rows, max_rows))
        self._slots = {
            False: threading.BoundedSemaphore(concurrency),
            True: threading.BoundedSemaphore(anonymous_concurrency),
        }
        self._lock = threading.Lock()
        self._running = {False: 0, True: 0}
        self._graphs: dict[str, tuple[int, float, tuple[str, ...]]] = {}

    @property
    def max_rows(self) -> int:
        return self.signed_in.max_rows

    def running(self, anonymous: bool = False) -> int:
        """Queries holding a slot of that share now."""
        with self._lock:
            return self._running[anonymous]

    # --- whose graphs ----------------------------------------------------------------------------

    @staticmethod
    def audience(identity: Identity) -> str:
        """Which list of graphs a caller queries: drafts too, every published record, or public ones."""
        if identity.has(Role.CURATOR):
            return "curator"
        return "consortium" if sees_consortium_metadata(identity) else "public"

    def graphs(self, identity: Identity) -> tuple[str, ...]:
        """The record graphs this caller may query. Kept while the store is unchanged (a few seconds
        on a store server, which other processes write), and the same tuple is handed out meanwhile,
        so an embedded query worker is sent a list only when it changed."""
        audience = self.audience(identity)
        version = self.store.local_commits
        now = time.monotonic()
        with self._lock:
            known = self._graphs.get(audience)
        if known is not None and known[0] == version and (not self.store.shared or now < known[1]):
            return known[2]
        rows = self.store.query(self._heads_query(audience), self.timeout_s)
        graphs = tuple(r["r"].value for r in rows)
        with self._lock:
            self._graphs[audience] = (version, now + SHARED_GRAPHS_TTL_S, graphs)
        return graphs

    @staticmethod
    def _heads_query(audience: str) -> str:
        where = f"GRAPH {iri(META_GRAPH)} {{ ?r {iri(FG + 'head')} ?rev . "
        if audience != "curator":
            where += f"FILTER NOT EXISTS {{ ?rev {iri(FG + 'draft')} true }} "
        where += "}"
        if audience == "public":
            where += " " + public_pattern("?r")
        return f"SELECT ?r WHERE {{ {where} }}"

    # --- running ---------------------------------------------------------------------------------

    def query(self, identity: Identity, text: str) -> SparqlResult:
        anonymous = identity.is_anonymous
        if anonymous and not self.anonymous.concurrency:
            raise Unauthenticated("SPARQL queries need a signed-in user on this registry")
        if not anonymous:
            identity.require(
                Role.RESEARCHER, Role.CURATOR, Role.CONSORTIUM_MEMBER, Role.SITE_OPERATOR, action="run SPARQL"
            )
        share = self.anonymous if anonymous else self.signed_in
        if not text.strip():
            raise InputError("no query given", hint="send the query in the `query` parameter")
        if has_service(text):
            raise InputError(
                "federated SERVICE queries are not accepted",
                hint="query the other endpoint yourself and combine the results",
                details={"service": True},
            )
        if has_dataset_clause(text):
            raise InputError(
                "FROM and FROM NAMED are not supported: the dataset of this endpoint is fixed (every "
                "record you may read, each also a named graph)",
                hint="use GRAPH <record IRI> { ... } to query one record's graph",
            )
        slots = self._slots[anonymous]
        # Waits longer than one query runs: a query that holds a slot is stopped at its deadline.
        if not slots.acquire(timeout=2 * self.timeout_s):
            raise Unavailable("too many SPARQL queries are running", hint="retry in a few seconds")
        with self._lock:
            self._running[anonymous] += 1
        try:
            graphs = self.graphs(identity)
            try:
                media, body = self.store.query_dataset(
                    text, graphs or (_EMPTY_GRAPH,), self.timeout_s, share.max_rows
                )
            except TimeoutError:
                raise self._timeout() from None
            except SyntaxError as exc:
                raise self._syntax(text, exc) from None
        finally:
            with self._lock:
                self._running[anonymous] -= 1
            slots.release()
        return self._parse(media, body, share.max_rows)

    def _timeout(self) -> LimitExceeded:
        return LimitExceeded(
            f"the query ran longer than the {self.timeout_s:g} s limit and was stopped",
            hint="narrow the query (more specific patterns, LIMIT, fewer OPTIONALs)",
            details={"timeout_s": self.timeout_s},
        )

    @staticmethod
    def _syntax(text: str, exc: SyntaxError) -> InputError:
        if is_update(text) or _looks_like_update(text):
            return InputError(
                "SPARQL updates are not accepted: this endpoint is read only",
                hint="change records through POST/PUT /records (curators), not SPARQL",
                details={"update": True},
            )
        return InputError(f"the query does not parse: {exc}", hint="fix the SPARQL syntax")

    def _parse(self, media: str, body: bytes, max_rows: int) -> SparqlResult:
        try:
            if media in ("application/n-triples", "text/plain"):
                quads = ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
                triples = [ox.Triple(q.subject, q.predicate, q.object) for q in islice(quads, max_rows + 1)]
                return SparqlResult(triples=self._capped(triples, max_rows))
            tsv = (
                media == "text/tab-separated-values"
            )  # what embedded workers send: Oxigraph writes it fastest
            fmt = ox.QueryResultsFormat.TSV if tsv else ox.QueryResultsFormat.JSON
            result: Any = ox.parse_query_results(body, format=fmt)
            if isinstance(result, ox.QueryBoolean):
                return SparqlResult(boolean=bool(result))
            names = [v.value for v in result.variables]
            # a solution iterates its values in the variables' order (None when unbound): 4x faster than
            # looking each variable up
            solutions = islice(result, max_rows + 1)
            rows = [{n: v for n, v in zip(names, s, strict=True) if v is not None} for s in solutions]
            del result  # before any error: Oxigraph iterators must be freed on the thread that made them
        except (SyntaxError, ValueError) as exc:
            # a store server that hit its own time limit breaks off its answer mid-document
            raise Unavailable(
                f"the store sent an unreadable answer: {exc}", hint="retry, or narrow the query"
            ) from None
        return SparqlResult(variables=names, rows=self._capped(rows, max_rows))

    @staticmethod
    def _capped(items: list[T], max_rows: int) -> list[T]:
        if len(items) > max_rows:
            raise LimitExceeded(
                f"the result has more than {max_rows} rows",
                hint="add LIMIT (and OFFSET to page) or narrow the query",
                details={"max_rows": max_rows},
            )
        return items
