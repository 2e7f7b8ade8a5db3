"""Splitting large documents into records without holding them in memory.

The document is parsed as a stream into a temporary SQLite file (each triple kept as its exact
N-Triples line, indexed by subject: RDF stores would normalise literal datatypes); records are then
cut out a chunk of roots at a time, each root with the descriptions it owns, exactly as `split`
does for a document in memory. Subjects that no record owns are not reported in this mode.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

from registry.errors import RdfSyntaxError
from registry.io.split import IN_SCHEME, SplitResult, split
from registry.vocab import KIND_TYPES, RDF_TYPE

_KIND_TYPES = {f"<{t}>" for t in KIND_TYPES.values()}
_TYPE = f"<{RDF_TYPE}>"
_IN_SCHEME = str(IN_SCHEME)


def _load(db: sqlite3.Connection, path: Path, fmt: ox.RdfFormat, base_iri: str) -> None:
    db.execute("CREATE TABLE t (s TEXT, o TEXT, line TEXT)")
    db.execute("CREATE TABLE root (s TEXT PRIMARY KEY, seq INTEGER)")
    db.execute("CREATE TABLE concept (scheme TEXT, s TEXT)")
    rows: list[tuple[str, str | None, str]] = []
    try:
        for n, q in enumerate(ox.parse(path=str(path), format=fmt, base_iri=base_iri)):
            s, p, o = str(q.subject), str(q.predicate), str(q.object)
            obj = o if isinstance(q.object, ox.NamedNode | ox.BlankNode) else None
            rows.append((s, obj, f"{s} {p} {o} ."))
            if p == _TYPE and o in _KIND_TYPES:
                db.execute("INSERT OR IGNORE INTO root VALUES (?, ?)", (s, n))
            elif p == _IN_SCHEME and obj is not None:
                db.execute("INSERT INTO concept VALUES (?, ?)", (obj, s))
            if len(rows) >= 50_000:
                db.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
                rows = []
    except SyntaxError as exc:
        line = getattr(exc, "lineno", None)
        raise RdfSyntaxError(str(exc).replace("\n", " "), source=str(path), line=line) from None
    db.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    db.execute("CREATE INDEX t_s ON t (s)")
    db.execute("CREATE INDEX concept_scheme ON concept (scheme)")


def _closure(db: sqlite3.Connection, roots: list[str]) -> list[str]:
    """N-Triples lines of the roots and of everything they own (blank nodes, non-root IRIs, concepts)."""
    queue = list(roots)
    for r in roots:  # a scheme owns its concepts
        queue += [s for (s,) in db.execute("SELECT s FROM concept WHERE scheme = ?", (r,))]
    seen = set(queue)
    lines: list[str] = []
    while queue:
        node = queue.pop()
        for o, line in db.execute("SELECT o, line FROM t WHERE s = ?", (node,)):
            lines.append(line)
            if o is not None and o not in seen:
                seen.add(o)
                is_root = db.execute("SELECT 1 FROM root WHERE s = ?", (o,)).fetchone()
                if not is_root:
                    queue.append(o)
    return lines


def stream_split(
    path: Path, fmt: ox.RdfFormat, *, base_iri: str, allowed: tuple[str, ...], chunk: int = 200
) -> Iterator[SplitResult]:
    with tempfile.TemporaryDirectory(prefix="fairgrid-import-") as tmp:
        db = sqlite3.connect(Path(tmp) / "triples.db")
        try:
            _load(db, path, fmt, base_iri)
            roots = [s for (s,) in db.execute("SELECT s FROM root ORDER BY seq")]
            for i in range(0, len(roots), chunk):
                text = "\n".join(_closure(db, roots[i : i + chunk]))
                triples = [q.triple for q in ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)]
                yield split(triples, base_iri=base_iri, allowed=allowed, source=str(path))
        finally:
            db.close()
