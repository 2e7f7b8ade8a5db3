"""Embedded adapter: a persistent Oxigraph (RocksDB) store under $FAIRGRID_HOME/store.

Oxigraph runs each SPARQL update in one transaction, so a process killed mid-commit leaves the
store at the previous commit. Only one process may open the store for writing at a time.

Caller queries (`query_dataset`, for /sparql) run in worker processes over a checkpoint of the store,
killed at their deadline (registry/store/isolated.py): Oxigraph cannot cancel a query in process.
"""

from __future__ import annotations

import ctypes
import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from registry.errors import Unavailable
from registry.store import sparql as queries
from registry.store.base import SparqlBackedStore
from registry.store.isolated import QueryPool, Snapshots
from registry.store.port import Write

QUERY_WORKERS = 6  # the SPARQL service's concurrency slots, signed-in and anonymous together
FLUSH_BYTES = 8 * 1024 * 1024  # update text between flushes of the memtable (about 25 MB of it)
REOPEN_COMMITS = 24  # an exclusive bulk import closes and reopens the store after this many commits


def _text_size(w: Write) -> int:
    """About the size of the update text that would write `w` (within 10% on generated datasets):
    the flush threshold counts both paths alike. Content is written twice (queryable, verbatim)."""
    rev = w.record.revision
    scores = len(rev.quality or "") + len(rev.report or "") if rev is not None else 0
    return 1200 + scores + 300 * len(w.record.triples)


def _libc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not glibc: nothing to give back this way
        return None


_MALLOC_TRIM = _libc_trim()


def _trim_heap() -> None:
    """Give the heap freed since the last flush back to the system. A flushed memtable and a batch's
    Python objects are freed, but glibc keeps most of it (its mmap threshold rises as large blocks
    are freed, so the next memtable comes from the heap): an import's resident memory grew with the
    number of records, ~40 MB more at 6,000 documents than after malloc_trim."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


class OxigraphStore(SparqlBackedStore):
    def __init__(
        self, path: Path | None = None, *, read_only: bool = False, query_workers: int = QUERY_WORKERS
    ):
        super().__init__()
        self.path = path
        self.query_workers = query_workers
        self._pool: QueryPool | None = None
        self._snapshots: Snapshots | None = None
        self._unflushed = 0  # update text applied since the last flush to disk
        self._read_only = read_only
        self._commits_at_open = 0  # local_commits when the store was last (re)opened
        self._store = self._open()

    def _open(self) -> ox.Store:
        path = self.path
        try:
            if path is None:
                return ox.Store()
            if self._read_only:
                return ox.Store.read_only(str(path))
            path.mkdir(parents=True, exist_ok=True)
            return ox.Store(str(path))
        except OSError as exc:
            held = "lock" in str(exc).lower()  # RocksDB's LOCK file: one process at a time
            raise Unavailable(
                f"cannot open the record store at {path}: {exc}",
                hint="another fairgrid process may hold it; stop it or use the API of the running one"
                if held
                else "check that the folder exists and can be written (FAIRGRID_HOME)",
            ) from exc

    def _select(self, query: str, timeout_s: float = 30.0) -> list[queries.Row]:
        result = self._store.query(query)
        return queries.rows(result)

    def _update(self, update: str) -> None:
        self._store.update(update)
        self._written(len(update))

    def _apply(self, writes: Sequence[Write]) -> None:
        """New records only (a bulk import): their quads added as term objects in one transaction
        (`Store.extend`: all or nothing), no SPARQL text to build, parse and plan. The guard the
        update would evaluate is the head check `commit` just made: it ran under this instance's
        commit lock, and no other process can write this store (RocksDB locks it for one writer),
        so no head can have appeared since. Updates of existing records keep the guarded update."""
        iris = {w.record.iri for w in writes}
        if len(iris) != len(writes) or any(w.expected_head is not None for w in writes):
            super()._apply(writes)
            return
        tx = f"urn:fairgrid:tx:{uuid.uuid4()}"
        quads = [q for w in writes for q in queries.write_quads(w, tx)]
        try:
            self._store.extend(quads)
        finally:
            self.local_commits += 1
        del quads
        self._written(sum(_text_size(w) for w in writes))

    def _written(self, size: int) -> None:
        # RocksDB keeps every write in its memtable until flushed, so without this a bulk import
        # (or a long-running hub) grows by ~80 MB per 1,000 documents; flushing bounds that.
        self._unflushed += size
        if self.path is not None and self._unflushed > FLUSH_BYTES:
            self._store.flush()
            self._unflushed = 0
            _trim_heap()

    def release_memory(self) -> bool:
        """Close and reopen the store every REOPEN_COMMITS commits, if nothing else holds it: RocksDB's
        block cache and the index data of each file it has opened grow with the store, and pyoxigraph
        exposes no option to bound them; closing gives them back (at 6,000 documents resident memory
        fell from 203 to 121 MB). Only for a caller that owns this instance alone and has no query,
        transaction or iterator open (an exclusive bulk import, between its batches): the instance is
        unusable to other threads while this runs. Every commit is already durable in RocksDB's log,
        so a process killed here loses nothing. True when the store was reopened."""
        if self.path is None or self._read_only or self._pool is not None:
            return False  # in memory: nothing to give back; a query pool holds the store
        with self._lock:
            if self.local_commits - self._commits_at_open < REOPEN_COMMITS:
                return False
            self._store.flush()
            self._unflushed = 0
            del self._store  # the last reference: RocksDB closes and frees its caches and tables
            _trim_heap()
            self._store = self._open()
            self._commits_at_open = self.local_commits
        return True

    def query_dataset(
        self, text: str, graphs: Sequence[str], timeout_s: float, max_rows: int | None = None
    ) -> tuple[str, bytes]:
        if self.path is None:
            raise Unavailable("an in-memory store cannot answer caller queries", hint="open a registry home")
        with self._lock:
            if self._pool is None or self._snapshots is None:
                # per process and instance: another process on the same home keeps its own checkpoints
                folder = self.path.parent / ".sparql-snapshots" / f"{os.getpid()}-{id(self):x}"
                Snapshots.remove_orphans(folder.parent)
                self._snapshots, self._pool = Snapshots(self._store, folder), QueryPool(self.query_workers)
        snapshot = self._snapshots.acquire(self.local_commits)
        request = {"snapshot": str(snapshot), "text": text, "max_rows": max_rows}
        try:
            reply: Any = self._pool.run(request, graphs, timeout_s)
        except EOFError as exc:
            raise Unavailable(f"the query worker failed: {exc}") from exc
        finally:
            self._snapshots.release(snapshot)
        if reply[0] == "syntax":
            raise SyntaxError(reply[1])
        if reply[0] == "error":
            raise Unavailable(f"the store failed while answering: {reply[1]}")
        return reply[1], reply[2]

    def query_workers_pids(self) -> list[int]:
        """The running query workers."""
        return self._pool.pids() if self._pool is not None else []

    def killed_query_workers(self) -> list[int]:
        """The query workers killed at a deadline so far (tests check that they are gone)."""
        return list(self._pool.killed) if self._pool is not None else []

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        if self._pool is not None and self._snapshots is not None:
            self._pool.close()
            self._snapshots.close()
        if "_store" not in self.__dict__:  # a reopen failed (release_memory): nothing is open
            return
        if self.path is not None and not self._read_only:  # RocksDB refuses to flush a read-only one
            self._store.flush()
        del self._store
