"""The record types an import's files declare, kept on disk so a large import stays small in memory.

A record may point at one that a later file of the same import describes; validation must then
know that record's type before it is stored. One pass over the files notes the type of every
record root in a temporary SQLite file; each batch then looks up only the IRIs it refers to.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType

import pyoxigraph as ox

from registry.errors import FairgridError
from registry.io.split import kind_of
from registry.rdf import format_for_path, quads_in
from registry.vocab import RDF_TYPE

_TYPE = ox.NamedNode(RDF_TYPE)
_CHUNK = 500  # IRIs per lookup query (SQLite allows 999 parameters by default)


class KnownTypes:
    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="fairgrid-types-")
        self._db = sqlite3.connect(Path(self._dir.name) / "types.db")
        self._db.execute("CREATE TABLE t (s TEXT, type TEXT, PRIMARY KEY (s, type)) WITHOUT ROWID")

    @classmethod
    def scan(cls, files: Iterable[Path]) -> KnownTypes:
        """The types of every typed IRI subject in the files (unreadable files are skipped here)."""
        known = cls()
        for f in files:
            rows: list[tuple[str, str]] = []
            try:
                for q in quads_in(f, format_for_path(f)):
                    if (
                        q.predicate == _TYPE
                        and isinstance(q.subject, ox.NamedNode)
                        and isinstance(q.object, ox.NamedNode)
                    ):
                        rows.append((q.subject.value, q.object.value))
                        if len(rows) >= 10_000:  # a large file's subjects go to disk as they come
                            known._add(rows)
                            rows = []
            except (SyntaxError, OSError, ValueError, FairgridError):
                pass  # reported by the main pass
            known._add(rows)
        known._db.commit()
        return known

    def _add(self, rows: list[tuple[str, str]]) -> None:
        self._db.executemany("INSERT OR IGNORE INTO t VALUES (?, ?)", rows)

    def lookup(self, iris: Sequence[str]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        unique = list(dict.fromkeys(iris))
        for i in range(0, len(unique), _CHUNK):
            part = unique[i : i + _CHUNK]
            marks = ",".join("?" * len(part))
            for s, ty in self._db.execute(f"SELECT s, type FROM t WHERE s IN ({marks})", part):
                out.setdefault(s, set()).add(ty)
        # only types that make a record kind say the reference is to a record of this import
        return {s: tys for s, tys in out.items() if kind_of([ox.NamedNode(t) for t in tys]) is not None}

    def close(self) -> None:
        self._db.close()
        self._dir.cleanup()

    def __enter__(self) -> KnownTypes:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
