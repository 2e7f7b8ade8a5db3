"""The embedded store flushes its memtable as writes accumulate, so memory does not grow with them."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.config import Settings
from registry.identity import local_operator
from registry.io.generate import documents
from registry.store import oxigraph
from registry.wiring import open_registry


def sst_files(path: Path) -> int:
    return sum(1 for f in path.iterdir() if f.suffix == ".sst")


def test_writes_reach_disk_before_close(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # RocksDB would otherwise keep every write in memory until the store is closed.
    monkeypatch.setattr(oxigraph, "FLUSH_BYTES", 20_000)
    src = tmp_path / "in"
    src.mkdir()
    for i, doc in enumerate(documents(12, seed=3)):
        (src / f"d{i}.ttl").write_text(doc)
    reg = open_registry(Settings(home=tmp_path / "home"))
    try:
        store_dir = tmp_path / "home" / "store"
        before = sst_files(store_dir)
        reg.importer.batch_size = 6
        summary = reg.importer.run(local_operator("t"), [src])
        assert summary.rejected == 0 and summary.imported >= 12 * 3  # datasets, distributions, publishers
        assert sst_files(store_dir) > before
    finally:
        reg.close()
