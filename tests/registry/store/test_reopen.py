"""An exclusive bulk import closes and reopens the embedded store between batches (memory held by
RocksDB's caches grows with the store otherwise); nothing is lost and other callers never see it."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.config import Settings
from registry.identity import local_operator
from registry.io.generate import documents
from registry.model import content_hash
from registry.store import oxigraph
from registry.store.oxigraph import OxigraphStore
from registry.wiring import open_registry


def write_docs(folder: Path, n: int, seed: int) -> Path:
    folder.mkdir()
    for i, doc in enumerate(documents(n, seed=seed)):
        (folder / f"d{i:03d}.ttl").write_text(doc)
    return folder


def count_reopens(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    reopened: list[int] = []
    real = OxigraphStore.release_memory

    def counting(self: OxigraphStore) -> bool:
        done = real(self)
        if done:
            reopened.append(self.local_commits)
        return done

    monkeypatch.setattr(OxigraphStore, "release_memory", counting)
    return reopened


def test_exclusive_import_reopens_the_store_and_keeps_every_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(oxigraph, "REOPEN_COMMITS", 2)
    reopened = count_reopens(monkeypatch)
    src = write_docs(tmp_path / "in", 30, seed=5)
    home = tmp_path / "home"
    reg = open_registry(Settings(home=home))
    try:
        reg.importer.batch_size = 10
        summary = reg.importer.run(local_operator("t"), [src], exclusive=True)
        assert summary.rejected == 0 and summary.imported >= 30 * 3
        assert len(reopened) >= 2, "the store was never reopened"
        assert reg.store.count() == summary.imported  # the reopened store reads and writes
        again = reg.importer.run(local_operator("t"), [src], exclusive=True)
        assert again.imported == 0 and again.unchanged == summary.imported + summary.unchanged
    finally:
        reg.close()
    store = OxigraphStore(home / "store")
    try:
        heads = store.list_records(limit=1000)
        assert len(heads) == summary.imported
        for head in heads:
            rec = store.get(head.iri)
            assert rec is not None and rec.revision is not None
            assert content_hash(rec.triples) == rec.revision.content_hash
        assert len(store.pending(10_000)) == summary.imported  # one outbox entry per write
    finally:
        store.close()


def test_import_not_declared_exclusive_never_reopens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oxigraph, "REOPEN_COMMITS", 1)
    reopened = count_reopens(monkeypatch)
    src = write_docs(tmp_path / "in", 12, seed=6)
    reg = open_registry(Settings(home=tmp_path / "home"))
    try:
        reg.importer.batch_size = 6
        summary = reg.importer.run(local_operator("t"), [src])  # as the server's import runs it
        assert summary.imported >= 12 * 3 and reopened == []
    finally:
        reg.close()


def test_a_store_answering_caller_queries_is_never_reopened(tmp_path: Path) -> None:
    store = OxigraphStore(tmp_path / "store", query_workers=1)
    try:
        store.query_dataset("SELECT * WHERE { ?s ?p ?o } LIMIT 1", [], timeout_s=30)
        store.local_commits = 10_000  # as after a long import
        assert store.release_memory() is False  # its worker pool reads checkpoints of this store
    finally:
        store.close()


def test_in_memory_and_read_only_stores_are_never_reopened(tmp_path: Path) -> None:
    OxigraphStore(tmp_path / "store").close()
    for store in (OxigraphStore(), OxigraphStore(tmp_path / "store", read_only=True)):
        store.local_commits = 10_000
        assert store.release_memory() is False
        store.close()
