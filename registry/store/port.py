"""The record store port. Adapters: embedded Oxigraph and any SPARQL 1.1 endpoint."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import pyoxigraph as ox

from registry.model import Record, RevisionInfo
from registry.vocab import Kind


@dataclass(frozen=True)
class Write:
    """Store `record` (its `revision` set) if the record's head is still `expected_head`.

    expected_head None means the record must not exist yet.
    """

    record: Record
    expected_head: int | None


class RecordStore(Protocol):
    # Whether other processes may write to the same data (a server); caches of store content then
    # have to expire instead of trusting `local_commits` alone.
    shared: bool
    # Commits made through this object: an embedded store has no other writer, so a cache built at a
    # given count is current while the count stays the same.
    local_commits: int

    def head(self, iri: str) -> RevisionInfo | None: ...

    def heads(self, iris: Sequence[str]) -> dict[str, RevisionInfo]: ...

    def get(self, iri: str, revision: int | None = None) -> Record | None: ...

    def get_many(self, iris: Sequence[str]) -> dict[str, Record]:
        """The latest revision of each record that exists, exactly as registered; batched."""
        ...

    def history(self, iri: str) -> list[RevisionInfo]: ...

    def histories(self, iris: Sequence[str]) -> dict[str, list[RevisionInfo]]:
        """Every revision of each record that exists, oldest first; batched."""
        ...

    def commit(self, writes: Sequence[Write]) -> None:
        """Apply all writes in one transaction, or none (StaleRevision) if any head moved."""
        ...

    def list_records(
        self, kind: Kind | None = None, offset: int = 0, limit: int = 100
    ) -> list[RevisionInfo]: ...

    def count(self, kind: Kind | None = None) -> int: ...

    def iter_latest(self, kind: Kind | None = None, batch: int = 200) -> Iterator[Record]: ...

    def types_of(self, iris: Sequence[str]) -> dict[str, set[str]]: ...

    def query(
        self, sparql: str, timeout_s: float = 10.0
    ) -> list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]]:
        """SELECT over the latest records (read only)."""
        ...

    def query_dataset(
        self, text: str, graphs: Sequence[str], timeout_s: float, max_rows: int | None = None
    ) -> tuple[str, bytes]:
        """A caller's read-only query over exactly `graphs` (their union is the default graph, and they
        are the only named graphs): (media type, body), SPARQL results (JSON, or TSV for SELECT) or
        N-Triples for CONSTRUCT and DESCRIBE, with at most `max_rows` + 1 rows where the store can stop
        early. The query's work stops at `timeout_s` where the store allows it (TimeoutError then);
        SyntaxError when it does not parse."""
        ...

    def pending(self, limit: int = 500) -> list[tuple[str, int]]:
        """The outbox: (record IRI, revision) pairs not yet acknowledged by the search index."""
        ...

    def ack(self, items: Sequence[tuple[str, int]]) -> None: ...

    def dump(self) -> bytes:
        """Every quad in the store (records, revisions, metadata, outbox) as sorted N-Quads."""
        ...

    def ping(self) -> bool: ...

    def close(self) -> None: ...


@runtime_checkable
class ReleasesMemory(Protocol):
    """A store that can give back native memory between the batches of a bulk import that owns it
    alone (the embedded store: it closes and reopens RocksDB). Never called by a server."""

    def release_memory(self) -> bool: ...
