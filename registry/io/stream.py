"""Splitting large documents into records without holding them in memory.

The document is parsed as a stream into a temporary SQLite file (each triple kept as its exact
N-Triples line, indexed by subject: RDF stores would normalise literal datatypes); records are then
cut out a chunk of roots at a time, each root with the descriptions it owns, exactly as `split`
does for a document in memory. Subjects that no record owns are not reported in this mode.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

from registry.errors import RdfSyntaxError
from registry.io.split import CATALOG_RECORD, IN_SCHEME, PART_KINDS, PRIMARY_TOPIC, SplitResult, split
from registry.rdf import parse, quads_in
from registry.vocab import DATASET_SERIES, KIND_TYPES, RDF_TYPE, TYPE_TO_KIND

_KIND_TYPES = {f"<{t}>" for t in (*KIND_TYPES.values(), DATASET_SERIES)}
# blank-node agents and distributions are parts of whichever record points at them (as in `split`)
_PART_TYPES = {f"<{t}>" for t, k in TYPE_TO_KIND.items() if k in PART_KINDS}
_TYPE = f"<{RDF_TYPE}>"
_IN_SCHEME = str(IN_SCHEME)
_PRIMARY_TOPIC = str(PRIMARY_TOPIC)
_CATALOG_RECORD = str(CATALOG_RECORD)
_BUFFER_MIB = 16


def _load(db: sqlite3.Connection, path: Path, fmt: ox.RdfFormat, base_iri: str) -> None:
    db.execute("CREATE TABLE t (s TEXT, o TEXT, line TEXT)")
    db.execute("CREATE TABLE root (s TEXT PRIMARY KEY, seq INTEGER)")
    db.execute("CREATE TABLE concept (scheme TEXT, s TEXT)")  # and catalog records (owner, s)
    db.execute("CREATE TABLE typed (s TEXT, type TEXT)")
    db.execute("CREATE TABLE topic (owner TEXT, s TEXT)")
    rows: list[tuple[str, str | None, str]] = []
    if fmt == ox.RdfFormat.JSON_LD:  # a JSON-LD 1.1 processor reads the whole document (not streamed)
        quads: Iterable[ox.Quad | ox.Triple] = parse(
            path.read_bytes(), fmt, source=str(path), base_iri=base_iri
        )
    else:
        quads = quads_in(path, fmt, base_iri=base_iri)
    try:
        for n, q in enumerate(quads):
            s, p, o = str(q.subject), str(q.predicate), str(q.object)
            obj = o if isinstance(q.object, ox.NamedNode | ox.BlankNode) else None
            rows.append((s, obj, f"{s} {p} {o} ."))
            if p == _TYPE and o in _KIND_TYPES and not (s.startswith("_:") and o in _PART_TYPES):
                db.execute("INSERT OR IGNORE INTO root VALUES (?, ?)", (s, n))
            elif p == _TYPE and o == _CATALOG_RECORD:
                db.execute("INSERT INTO typed VALUES (?, ?)", (s, o))
            elif p == _IN_SCHEME and obj is not None:
                db.execute("INSERT INTO concept VALUES (?, ?)", (obj, s))
            elif p == _PRIMARY_TOPIC and obj is not None:
                db.execute("INSERT INTO topic VALUES (?, ?)", (obj, s))
            if len(rows) >= 50_000:
                db.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
                rows = []
    except SyntaxError as exc:
        line = getattr(exc, "lineno", None)
        raise RdfSyntaxError(str(exc).replace("\n", " "), source=str(path), line=line) from None
    except MemoryError:  # pyoxigraph's parser holds at most 16 MiB of one statement (a line, a literal)
        raise RdfSyntaxError(
            f"a statement (a line or a literal) is longer than the parser's limit of {_BUFFER_MIB} MiB",
            source=str(path),
        ) from None
    db.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    db.execute("CREATE INDEX t_s ON t (s)")
    # a primaryTopic makes an owner only of a dcat:CatalogRecord (typed anywhere in the file)
    db.execute("INSERT INTO concept SELECT owner, s FROM topic WHERE s IN (SELECT s FROM typed)")
    db.execute("CREATE INDEX concept_scheme ON concept (scheme)")
    db.execute("CREATE INDEX concept_s ON concept (s)")


def _closure(db: sqlite3.Connection, roots: list[str]) -> list[str]:
    """N-Triples lines of the roots and of everything they own (blank nodes, non-root IRIs, concepts,
    catalog records); a node another root owns is left to that root's chunk."""
    queue = list(roots)
    for r in roots:  # a scheme owns its concepts, a record its catalog record
        queue += [s for (s,) in db.execute("SELECT s FROM concept WHERE scheme = ?", (r,))]
    seen = set(queue)
    chunk = set(roots)
    lines: list[str] = []
    while queue:
        node = queue.pop()
        for o, line in db.execute("SELECT o, line FROM t WHERE s = ?", (node,)):
            lines.append(line)
            if o is not None and o not in seen:
                seen.add(o)
                is_root = db.execute("SELECT 1 FROM root WHERE s = ?", (o,)).fetchone()
                owners = {w for (w,) in db.execute("SELECT scheme FROM concept WHERE s = ?", (o,))}
                if not is_root and (not owners or owners & chunk):
                    queue.append(o)
    return lines


def stream_split(
    path: Path,
    fmt: ox.RdfFormat,
    *,
    base_iri: str,
    allowed: tuple[str, ...],
    chunk: int = 200,
    document_iri: str | None = None,
) -> Iterator[SplitResult]:
    """Records of a large file; relative IRIs resolve against `document_iri` when given (else
    `base_iri`, under which blank roots are minted either way)."""
    with tempfile.TemporaryDirectory(prefix="fairgrid-import-") as tmp:
        db = sqlite3.connect(Path(tmp) / "triples.db")
        try:
            _load(db, path, fmt, document_iri or base_iri)
            roots = [s for (s,) in db.execute("SELECT s FROM root ORDER BY seq")]
            for i in range(0, len(roots), chunk):
                text = "\n".join(_closure(db, roots[i : i + chunk]))
                triples = [q.triple for q in ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)]
                yield split(triples, base_iri=base_iri, allowed=allowed, source=str(path))
        finally:
            db.close()
