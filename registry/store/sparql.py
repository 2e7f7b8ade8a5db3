"""Store logic shared by both adapters, written as SPARQL 1.1.

A record's latest content lives in the named graph named by its IRI; every revision's content also
lives in its own graph (`urn:fairgrid:revision:N:IRI`); heads and PROV about revisions live in
`urn:fairgrid:meta`. A commit is ONE SPARQL update request, hence one transaction on Oxigraph and
on SPARQL servers. Its first operation sets a transaction marker only if every write's expected
head still holds; every later operation is guarded by that marker, so a concurrent writer's change
turns our whole commit into a no-op (reported as StaleRevision), never a lost update.

Every racer from the same base writes the same revision number, so after the update the head's number
cannot tell the winner: each revision also carries the id of the commit that wrote it, and a commit
succeeded only if its heads carry its own id (`check_committed`). That check relies on the server
running each update request in one serialisable transaction; one that lets racing updates read the
same state (the Oxigraph server) needs the writers serialised in front of it (`SparqlBackedStore`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime

import pyoxigraph as ox

from registry.errors import StaleRevision, Unavailable
from registry.model import META_GRAPH, OUTBOX_GRAPH, Record, RevisionInfo, revision_iri, revision_number
from registry.sparql_text import integer, iri, literal, named_node, term, values
from registry.store.port import Write
from registry.vocab import FG, PROV, RDF_TYPE, XSD, Kind

Row = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]

# Constant terms of the store layout, as SPARQL text (every other term comes from sparql_text too).
META = iri(META_GRAPH)
OUTBOX = iri(OUTBOX_GRAPH)
HEAD = iri(FG + "head")
REVISION_OF = iri(FG + "revisionOf")
KIND = iri(FG + "recordKind")
HASH = iri(FG + "contentHash")
DEPRECATED = iri(FG + "deprecated")
REASON = iri(FG + "deprecationReason")
NOTE = iri(FG + "changeNote")
DRAFT = iri(FG + "draft")
CONTENT = iri(FG + "content")
REPORT = iri(FG + "validationReport")
QUALITY = iri(FG + "qualityScore")
TX = iri(FG + "transaction")
COMMIT = iri(FG + "commit")  # on a revision: the commit that wrote it (its transaction id)
PENDING = iri(FG + "pendingRevision")
TIME = iri(PROV + "generatedAtTime")
AGENT = iri(PROV + "wasAttributedTo")
PREV = iri(PROV + "wasRevisionOf")
TYPE = iri(RDF_TYPE)

# A revision's number is read from its IRI (stores written before also state it as fg:revision, unread).
_REV_FIELDS = "?rev ?kind ?time ?agent ?hash ?dep ?reason ?note ?draft ?report ?quality"
_REV_PATTERN = f"""?rev {KIND} ?kind ; {TIME} ?time ; {AGENT} ?agent ; {HASH} ?hash .
    OPTIONAL {{ ?rev {DEPRECATED} ?dep }} OPTIONAL {{ ?rev {REASON} ?reason }}
    OPTIONAL {{ ?rev {NOTE} ?note }} OPTIONAL {{ ?rev {DRAFT} ?draft }}
    OPTIONAL {{ ?rev {REPORT} ?report }} OPTIONAL {{ ?rev {QUALITY} ?quality }}"""


def rows(result: object) -> list[Row]:
    """SELECT results as dicts of bound variables."""
    if not isinstance(result, ox.QuerySolutions):
        raise ValueError("expected a SELECT query")
    names = [v.value for v in result.variables]
    out: list[Row] = []
    for sol in result:
        row: Row = {}
        for name in names:
            val = sol[name]
            if val is not None:
                row[name] = val  # type: ignore[assignment]
        out.append(row)
    return out


def nt(t: ox.Triple) -> str:
    return f"{term(t)} ."  # a triple's own text is its three terms'; one call instead of three


def rev_from_row(record_iri: str, row: Row) -> RevisionInfo:
    dep = row.get("dep")
    reason = row.get("reason")
    note = row.get("note")
    draft = row.get("draft")
    report = row.get("report")
    quality = row.get("quality")
    return RevisionInfo(
        iri=record_iri,
        number=revision_number(row["rev"].value),
        kind=Kind(row["kind"].value),
        generated_at=datetime.fromisoformat(row["time"].value.replace("Z", "+00:00")),
        attributed_to=row["agent"].value,
        content_hash=row["hash"].value,
        deprecated=dep is not None and dep.value == "true",
        reason=reason.value if reason is not None else None,
        note=note.value if note is not None else None,
        published=not (draft is not None and draft.value == "true"),
        report=report.value if report is not None else None,
        quality=quality.value if quality is not None else None,
    )


def commit_update(writes: Sequence[Write]) -> tuple[str, str]:
    """The single update request for a commit, and its transaction marker IRI.

    A handful of operations whatever the number of writes: one guard, one DELETE per kind of old
    statement and one INSERT for everything new. (One operation per write, and one FILTER NOT EXISTS
    per new record, made an import batch of 750 records spend most of its time parsing and planning
    the update.) The writes must name distinct records.
    """
    tx = f"urn:fairgrid:tx:{uuid.uuid4()}"
    new = [w.record.iri for w in writes if w.expected_head is None]
    guards: list[str] = []
    if new:
        # A COUNT of index lookups: Oxigraph evaluates FILTER NOT EXISTS over VALUES by scanning
        # every head, so that guard grew with the store (0.5 s a commit at 40,000 records).
        present = f"VALUES ?r {{ {values(new)} }} GRAPH {META} {{ ?r {HEAD} ?h }}"
        guards.append(f"{{ SELECT (COUNT(*) AS ?present) WHERE {{ {present} }} }} FILTER(?present = 0)")
    for w in writes:
        if w.expected_head is not None:
            r = w.record.iri
            guards.append(f"GRAPH {META} {{ {iri(r)} {HEAD} {iri(revision_iri(r, w.expected_head))} }}")
    marker = f"GRAPH {META} {{ {iri(tx)} {TX} true }}"
    records = values(w.record.iri for w in writes)
    ops = [
        f"INSERT {{ {marker} }} WHERE {{ {' '.join(guards)} }}",
        f"DELETE {{ GRAPH ?r {{ ?s ?p ?o }} }} "
        f"WHERE {{ {marker} VALUES ?r {{ {records} }} GRAPH ?r {{ ?s ?p ?o }} }}",
        f"DELETE {{ GRAPH {META} {{ ?r {HEAD} ?old }} }} "
        f"WHERE {{ {marker} VALUES ?r {{ {records} }} GRAPH {META} {{ ?r {HEAD} ?old }} }}",
        f"DELETE {{ GRAPH {OUTBOX} {{ ?r {PENDING} ?old }} }} "
        f"WHERE {{ {marker} VALUES ?r {{ {records} }} GRAPH {OUTBOX} {{ ?r {PENDING} ?old }} }}",
        f"INSERT {{ {' '.join(_write_data(w, tx) for w in writes)} }} WHERE {{ {marker} }}",
        f"DELETE WHERE {{ GRAPH {META} {{ {iri(tx)} {TX} ?x }} }}",
    ]
    return " ;\n".join(ops), tx


def _write_data(w: Write, tx: str) -> str:
    """The quads one write adds (`write_quads`) as INSERT template text, graph by graph."""
    by_graph: dict[str, list[str]] = {}
    for q in write_quads(w, tx):
        by_graph.setdefault(term(q.graph_name), []).append(  # type: ignore[arg-type]
            f"{term(q.subject)} {term(q.predicate)} {term(q.object)} ."
        )
    return " ".join(f"GRAPH {g} {{ {' '.join(lines)} }}" for g, lines in by_graph.items())


_N = ox.NamedNode
_META_N, _OUTBOX_N = _N(META_GRAPH), _N(OUTBOX_GRAPH)
_HEAD_N, _REVISION_OF_N = _N(FG + "head"), _N(FG + "revisionOf")
_KIND_N, _DEPRECATED_N = _N(FG + "recordKind"), _N(FG + "deprecated")
_REASON_N, _DRAFT_N = _N(FG + "deprecationReason"), _N(FG + "draft")
_CONTENT_N, _HASH_N, _NOTE_N = _N(FG + "content"), _N(FG + "contentHash"), _N(FG + "changeNote")
_REPORT_N, _QUALITY_N = _N(FG + "validationReport"), _N(FG + "qualityScore")
_COMMIT_N, _PENDING_N = _N(FG + "commit"), _N(FG + "pendingRevision")
_TIME_N, _AGENT_N, _PREV_N = (
    _N(PROV + "generatedAtTime"),
    _N(PROV + "wasAttributedTo"),
    _N(PROV + "wasRevisionOf"),
)
_DATETIME_N = _N(XSD + "dateTime")
_TRUE = ox.Literal(True)


def write_quads(w: Write, tx: str) -> list[ox.Quad]:
    """The quads one write adds: its content, its verbatim revision, revision PROV and its outbox entry.

    No statement that another one entails: the revision's number is in its IRI (`revision_iri`), and
    its types (prov:Entity, fg:RecordRevision) follow from the domains of prov:generatedAtTime and
    fg:revisionOf; stores written before state all three, which readers ignore.
    Both commit paths store exactly these (the SPARQL update as template text, the embedded store as
    objects). Blank nodes get fresh labels per write, as a SPARQL INSERT template would give them, so
    two records (or two imports) using the same label never share a node across their graphs.
    """
    rec, rev = w.record, w.record.revision
    assert rev is not None, "a write needs its revision info"
    g, rv = named_node(rec.iri, "record IRI"), named_node(rev.revision_iri, "revision IRI")
    fresh: dict[ox.BlankNode, ox.BlankNode] = {}

    def own(
        n: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple,
    ) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        if isinstance(n, ox.BlankNode):
            b = fresh.get(n)
            if b is None:
                b = fresh[n] = ox.BlankNode()
            return b
        return n  # type: ignore[return-value]

    triples = rec.triples
    if any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples):
        out = [ox.Quad(own(t.subject), t.predicate, own(t.object), g) for t in triples]  # type: ignore[arg-type]
    else:  # most records have no blank node: no relabelling call per term
        out = [ox.Quad(t.subject, t.predicate, t.object, g) for t in triples]
    out.append(ox.Quad(rv, _CONTENT_N, ox.Literal(exact_text(rec.triples)), rv))
    meta: list[tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode | ox.Literal]] = [
        (g, _HEAD_N, rv),
        (rv, _REVISION_OF_N, g),
        (rv, _KIND_N, ox.Literal(rev.kind.value)),
        (rv, _TIME_N, ox.Literal(rev.generated_at.isoformat(), datatype=_DATETIME_N)),
        (rv, _AGENT_N, named_node(rev.attributed_to, "agent")),
        (rv, _COMMIT_N, named_node(tx, "commit")),
        (rv, _HASH_N, ox.Literal(rev.content_hash)),
    ]
    if rev.previous_iri is not None:
        meta.append((rv, _PREV_N, named_node(rev.previous_iri, "revision IRI")))
    if rev.deprecated:
        meta.append((rv, _DEPRECATED_N, _TRUE))
    if rev.reason:
        meta.append((rv, _REASON_N, ox.Literal(rev.reason)))
    if rev.report:
        meta.append((rv, _REPORT_N, ox.Literal(rev.report)))
    if rev.quality:
        meta.append((rv, _QUALITY_N, ox.Literal(rev.quality)))
    if not rev.published:
        meta.append((rv, _DRAFT_N, _TRUE))
    if rev.note:
        meta.append((rv, _NOTE_N, ox.Literal(rev.note)))
    out += [ox.Quad(s, p, o, _META_N) for s, p, o in meta]
    # the outbox entry is written in the same transaction as the record: the index can lag, never miss
    out.append(ox.Quad(g, _PENDING_N, ox.Literal(int(rev.number)), _OUTBOX_N))
    return out


def exact_text(triples: Sequence[ox.Triple]) -> str:
    """A revision's content as N-Triples text, kept verbatim in one string literal.

    Oxigraph (and other stores) normalise literals on load: "120"^^xsd:nonNegativeInteger reads back
    as "120"^^xsd:integer, "1.0"^^xsd:decimal as "1". A registry must give back exactly what was
    registered (DCAT-AP requires those datatypes), so each revision keeps its content verbatim here;
    the record's named graph holds the queryable (normalised) form.
    """
    return "\n".join(sorted([f"{t} ." for t in triples]))  # `nt` inlined: one call less per triple


def content_query(graph: str) -> str:
    return f"SELECT ?c WHERE {{ GRAPH {iri(graph)} {{ ?r {CONTENT} ?c }} }}"


def contents_query(graphs: Sequence[str]) -> str:
    return f"SELECT ?g ?c WHERE {{ VALUES ?g {{ {values(graphs)} }} GRAPH ?g {{ ?r {CONTENT} ?c }} }}"


def parse_content(text: str) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)]


def heads_query(iris: Sequence[str]) -> str:
    return (
        f"SELECT ?r {_REV_FIELDS} WHERE {{ VALUES ?r {{ {values(iris)} }} "
        f"GRAPH {META} {{ ?r {HEAD} ?rev . {_REV_PATTERN} }} }}"
    )


def history_query(record_iri: str) -> str:
    return (
        f"SELECT {_REV_FIELDS} WHERE {{ GRAPH {META} {{ ?rev {REVISION_OF} {iri(record_iri)} . "
        f"{_REV_PATTERN} }} }}"
    )  # unordered: the number is in ?rev's IRI, the caller sorts


def histories_query(iris: Sequence[str]) -> str:
    return (
        f"SELECT ?r {_REV_FIELDS} WHERE {{ VALUES ?r {{ {values(iris)} }} "
        f"GRAPH {META} {{ ?rev {REVISION_OF} ?r . {_REV_PATTERN} }} }}"
    )  # unordered, as history_query


def revision_query(record_iri: str, number: int) -> str:
    iri(record_iri)  # the revision IRI may be valid when the record's is not ("urn:...:1:" + "")
    rv = iri(revision_iri(record_iri, number))
    return f"SELECT {_REV_FIELDS} WHERE {{ VALUES ?rev {{ {rv} }} GRAPH {META} {{ {_REV_PATTERN} }} }}"


def list_query(kind: Kind | None, offset: int, limit: int) -> str:
    # The kind as a bound pattern, not a FILTER after the join: the store then starts from the few
    # revisions of that kind instead of every head (a terminology check over 1,000,000 datasets took
    # seconds, and searches with disease filters make one every second). VALUES binds ?kind for the result.
    kind_pattern = f"VALUES ?kind {{ {literal(kind.value)} }} ?rev {KIND} ?kind ." if kind is not None else ""
    return (
        f"SELECT ?r {_REV_FIELDS} WHERE {{ GRAPH {META} {{ {kind_pattern} ?r {HEAD} ?rev . "
        f"{_REV_PATTERN} }} }} "
        f"ORDER BY ?r OFFSET {int(offset)} LIMIT {int(limit)}"
    )


def count_query(kind: Kind | None) -> str:
    kind_filter = f"?rev {KIND} {literal(kind.value)} ." if kind is not None else ""
    return f"SELECT (COUNT(?r) AS ?c) WHERE {{ GRAPH {META} {{ ?r {HEAD} ?rev . {kind_filter} }} }}"


def types_query(iris: Sequence[str]) -> str:
    return (
        f"SELECT ?s ?t WHERE {{ VALUES ?s {{ {values(iris)} }} GRAPH ?g {{ ?s {TYPE} ?t }} "
        "FILTER(!STRSTARTS(STR(?g), 'urn:fairgrid:')) }"
    )


def landed_query(iris: Sequence[str]) -> str:
    """Each record's head revision and the commits that wrote it (one, unless racing writes merged)."""
    return (
        f"SELECT ?r ?rev ?c WHERE {{ VALUES ?r {{ {values(iris)} }} "
        f"GRAPH {META} {{ ?r {HEAD} ?rev OPTIONAL {{ ?rev {COMMIT} ?c }} }} }}"
    )


def check_committed(writes: Sequence[Write], tx: str, landed: Sequence[Row]) -> None:
    """After the commit `tx`: every write's record must be at the written revision, written by `tx`
    alone. None of them written by `tx` is a conflict (the guard turned the commit into a no-op)."""
    found: dict[str, set[tuple[str, str]]] = {}
    for row in landed:
        commit = row.get("c")
        found.setdefault(row["r"].value, set()).add((row["rev"].value, commit.value if commit else ""))
    ours = {(w.record.iri, w.record.revision.revision_iri if w.record.revision else "") for w in writes}
    if all(found.get(r) == {(rev, tx)} for r, rev in ours):
        return
    touched = sorted(r for r, entries in found.items() if any(c == tx for _rev, c in entries))
    if not touched:
        stale = sorted(r for r, _rev in ours)
        raise StaleRevision(
            f"{len(stale)} record(s) changed meanwhile; nothing was written: {', '.join(stale[:5])}"
        )
    # Only a server that applied racing updates over the same state gets here: say so, loudly.
    raise Unavailable(
        f"the store server applied another commit together with this one on {', '.join(touched[:5])}",
        hint="serialise writers: run every fairgrid process that writes on one host with one "
        "FAIRGRID_HOME (they queue on its commit lock), or use a store server that serialises updates",
    )


def chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def record_from(record_iri: str, rev: RevisionInfo, triples: list[ox.Triple]) -> Record:
    return Record(iri=record_iri, kind=rev.kind, triples=tuple(triples), revision=rev)


DUMP_QUERY = "SELECT ?s ?p ?o ?g WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"


def pending_query(limit: int) -> str:
    return f"SELECT ?r ?n WHERE {{ GRAPH {OUTBOX} {{ ?r {PENDING} ?n }} }} ORDER BY ?r LIMIT {int(limit)}"


def ack_update(items: Sequence[tuple[str, int]]) -> str:
    """Remove outbox entries only if still at the acknowledged revision (a newer write stays pending)."""
    data = " ".join(f"{iri(r)} {PENDING} {integer(n)} ." for r, n in items)
    return f"DELETE DATA {{ GRAPH {OUTBOX} {{ {data} }} }}"
