"""The RecordStore implementation over three primitives an adapter provides: select, update, graph."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import pyoxigraph as ox

from registry import locks
from registry.errors import FairgridError, InvalidIri, StaleRevision, Unavailable
from registry.model import Record, RevisionInfo, names_a_store_graph
from registry.sparql_text import shown, term
from registry.store import sparql as queries
from registry.store.port import Write
from registry.vocab import Kind


class SparqlBackedStore(ABC):
    shared = False

    def __init__(self) -> None:
        self.local_commits = 0
        # Serialises this process's commits; the SPARQL guards protect against other processes.
        self._lock = threading.Lock()
        # A file lock that every process writing to the same store on this host takes around a commit
        # (set for store servers: the Oxigraph server applies racing updates that read the same state).
        self.commit_lock: Path | None = None

    @abstractmethod
    def _select(self, query: str, timeout_s: float = 30.0) -> list[queries.Row]: ...

    @abstractmethod
    def _update(self, update: str) -> None: ...

    def head(self, iri: str) -> RevisionInfo | None:
        return self.heads([iri]).get(iri)

    def heads(self, iris: Sequence[str]) -> dict[str, RevisionInfo]:
        out: dict[str, RevisionInfo] = {}
        for part in queries.chunks(list(dict.fromkeys(iris)), 500):
            for row in self._select(queries.heads_query(part)):
                out[row["r"].value] = queries.rev_from_row(row["r"].value, row)
        return out

    def get(self, iri: str, revision: int | None = None) -> Record | None:
        if revision is None:
            rev = self.head(iri)
        else:
            rows = self._select(queries.revision_query(iri, revision))
            rev = queries.rev_from_row(iri, rows[0]) if rows else None
        if rev is None:
            return None
        return queries.record_from(iri, rev, self._content(rev.revision_iri))

    def get_many(self, iris: Sequence[str]) -> dict[str, Record]:
        heads = self.heads(iris)
        graphs = [h.revision_iri for h in heads.values()]
        contents: dict[str, list[ox.Triple]] = {}
        for part in queries.chunks(graphs, 200):
            for row in self._select(queries.contents_query(part)):
                contents[row["g"].value] = queries.parse_content(row["c"].value)
        return {i: queries.record_from(i, h, contents.get(h.revision_iri, [])) for i, h in heads.items()}

    def _content(self, revision_graph: str) -> list[ox.Triple]:
        rows = self._select(queries.content_query(revision_graph))
        return queries.parse_content(rows[0]["c"].value) if rows else []

    def history(self, iri: str) -> list[RevisionInfo]:
        revs = [queries.rev_from_row(iri, row) for row in self._select(queries.history_query(iri))]
        return sorted(revs, key=lambda r: r.number)  # the number is in the IRI: sorted here, not by SPARQL

    def histories(self, iris: Sequence[str]) -> dict[str, list[RevisionInfo]]:
        out: dict[str, list[RevisionInfo]] = {}
        for part in queries.chunks(list(dict.fromkeys(iris)), 200):
            for row in self._select(queries.histories_query(part)):
                out.setdefault(row["r"].value, []).append(queries.rev_from_row(row["r"].value, row))
        return {i: sorted(revs, key=lambda r: r.number) for i, revs in sorted(out.items())}

    def commit(self, writes: Sequence[Write]) -> None:
        if not writes:
            return
        # A revision is written once: rewriting one (its number not the base's next) would give it a
        # second commit, time and hash, a history that is no longer a chain. Only a bug asks for that.
        misnumbered = [
            w.record.iri for w in writes
            if w.record.revision is None or w.record.revision.number != (w.expected_head or 0) + 1
        ]  # fmt: skip
        if misnumbered:
            raise ValueError(f"a write must add the revision after its base: {', '.join(misnumbered[:5])}")
        # Written, a record named like the store's own graph would replace that graph's content (a
        # record `urn:fairgrid:meta` deleted every head): refused before anything is sent.
        if reserved := [w.record.iri for w in writes if names_a_store_graph(w.record.iri)]:
            raise InvalidIri(f"record IRI {shown(reserved[0])} names one of the store's own graphs")
        with self._lock, self._writers_queue():
            current = self.heads([w.record.iri for w in writes])
            stale = [
                w.record.iri
                for w in writes
                if (current[w.record.iri].number if w.record.iri in current else None) != w.expected_head
            ]
            if stale:
                raise StaleRevision(
                    f"{len(stale)} record(s) are no longer at the revision the change was based on: "
                    + ", ".join(stale[:5])
                )
            self._apply(writes)

    def _apply(self, writes: Sequence[Write]) -> None:
        """Write a commit whose heads were just checked (under the commit locks): one guarded SPARQL
        update, then its own commit id is checked on the heads it wrote."""
        update, tx = queries.commit_update(writes)
        try:
            self._update(update)
        except Unavailable:
            # A server may commit and then lose its answer: this commit's own id tells, and
            # "unavailable" would make the caller retry into a conflict with its own write.
            if not self._landed_alone(writes, tx):
                raise
        finally:  # even a failed update may have committed on a server: let caches look again
            self.local_commits += 1
        queries.check_committed(writes, tx, self._landed(writes))

    def _landed(self, writes: Sequence[Write]) -> list[queries.Row]:
        parts = queries.chunks([w.record.iri for w in writes], 500)
        return [row for part in parts for row in self._select(queries.landed_query(part))]

    def _landed_alone(self, writes: Sequence[Write], tx: str) -> bool:
        try:
            queries.check_committed(writes, tx, self._landed(writes))
        except (FairgridError, ValueError):  # not landed, or the server still cannot answer
            return False
        return True

    def _writers_queue(self) -> AbstractContextManager[None]:
        if self.commit_lock is None:
            return nullcontext()
        try:
            self.commit_lock.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise Unavailable(
                f"cannot create the folder of the store commit lock {self.commit_lock}: {exc.strerror}",
                hint="FAIRGRID_HOME must be a folder this process can write",
            ) from None
        return locks.exclusive(self.commit_lock, what="the store commit lock")

    def list_records(self, kind: Kind | None = None, offset: int = 0, limit: int = 100) -> list[RevisionInfo]:
        found = self._select(queries.list_query(kind, offset, limit))
        return [queries.rev_from_row(r["r"].value, r) for r in found]

    def count(self, kind: Kind | None = None) -> int:
        rows = self._select(queries.count_query(kind))
        return int(rows[0]["c"].value) if rows else 0

    def iter_latest(self, kind: Kind | None = None, batch: int = 200) -> Iterator[Record]:
        offset = 0
        while True:
            revs = self.list_records(kind, offset, batch)
            for rev in revs:
                yield queries.record_from(rev.iri, rev, self._content(rev.revision_iri))
            if len(revs) < batch:
                return
            offset += batch

    def types_of(self, iris: Sequence[str]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for part in queries.chunks(list(dict.fromkeys(iris)), 500):
            for row in self._select(queries.types_query(part)):
                out.setdefault(row["s"].value, set()).add(row["t"].value)
        return out

    def query(self, sparql: str, timeout_s: float = 10.0) -> list[queries.Row]:
        return self._select(sparql, timeout_s)

    def dump(self) -> bytes:
        """Every quad in the store as sorted N-Quads: a snapshot two states can be compared by."""
        lines = []
        for row in self._select(queries.DUMP_QUERY):
            names = ("s", "p", "o", "g") if "g" in row else ("s", "p", "o")
            lines.append(" ".join(term(row[n]) for n in names) + " .")
        return "\n".join(sorted(lines)).encode("utf-8")

    def pending(self, limit: int = 500) -> list[tuple[str, int]]:
        """Records written but not yet acknowledged by the search index (the outbox)."""
        return [(r["r"].value, int(r["n"].value)) for r in self._select(queries.pending_query(limit))]

    def ack(self, items: Sequence[tuple[str, int]]) -> None:
        if items:
            self._update(queries.ack_update(items))
