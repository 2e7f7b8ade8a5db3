"""A process killed in the middle of an import leaves every record at its previous revision or at
the new one, never half-written; the store reopens and the outbox still matches."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from registry.model import content_hash
from registry.store.oxigraph import OxigraphStore

REPO = Path(__file__).resolve().parents[3]

WRITER = textwrap.dedent(
    """
    import sys, pathlib
    from registry.config import Settings
    from registry.identity import local_operator
    from registry.io.generate import documents
    from registry.store import oxigraph
    from registry.wiring import open_registry
    home, src, exclusive = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3] == "1"
    oxigraph.REOPEN_COMMITS = 1  # an exclusive import reopens the store after every commit
    reg = open_registry(Settings(home=home))
    reg.importer.batch_size = 40
    print("ready", flush=True)
    tick = lambda s, d, t: print("done", d, flush=True)
    reg.importer.run(local_operator("crash"), [src], progress=tick, exclusive=exclusive)
    print("finished", flush=True)
    """
)


@pytest.mark.parametrize(("kill_after_docs", "exclusive"), [(35, False), (130, False), (90, True)])
def test_kill_during_import_leaves_no_half_written_record(
    tmp_path: Path, kill_after_docs: int, exclusive: bool
) -> None:
    from registry.io.generate import documents

    src = tmp_path / "in"
    src.mkdir()
    for i, doc in enumerate(documents(400, seed=kill_after_docs)):
        (src / f"d{i:04d}.ttl").write_text(doc)
    home = tmp_path / "home"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(home), str(src), "1" if exclusive else "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        if line.startswith("done") and int(line.split()[1]) >= kill_after_docs:
            break
        assert time.monotonic() < deadline, "writer too slow"
    time.sleep(0.05 * (kill_after_docs % 7))  # land somewhere inside a batch
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)

    store = OxigraphStore(home / "store")  # reopens after a crash
    try:
        heads = store.list_records(limit=1000)
        assert heads, "nothing was committed before the kill"
        assert len(heads) < 1210, "the kill came after the import finished"
        for head in heads:
            rec = store.get(head.iri)
            assert rec is not None and rec.revision is not None
            assert content_hash(rec.triples) == rec.revision.content_hash, f"{head.iri} is half-written"
        # every dataset's distributions were written in the same transaction as the dataset
        iris = {h.iri for h in heads}
        for iri in iris:
            if "/dataset/" in iri:
                assert iri.replace("/dataset/", "/distribution/") + "-0" in iris
        # each committed write left exactly one outbox entry
        assert {iri for iri, _n in store.pending(10_000)} == iris
    finally:
        store.close()
