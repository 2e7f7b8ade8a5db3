"""`fairgrid serve --workers 2`: two real worker processes on one port, a real Oxigraph server as the
store, the embedded index shared through its folder. A write through one worker is soon searchable through
either (the draining worker wakes on the commit's doorbell); a killed worker is replaced and nothing is
lost; only one worker drains the outbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from api.auth import dev_token
from registry.config import Settings
from registry.identity import Role, local_operator
from registry.locks import Lease
from registry.store.remote import SparqlEndpointStore
from registry.wiring import open_registry
from tests.api.rest.conftest import loaded_registry
from tests.api.rest.test_writes import BASE, record_doc
from tests.conftest import EXAMPLE, OxigraphServer, free_port
from tests.indexing import wait_until

FIND = "query($t: String) { search(text: $t) { totalCount hits { iri title } } }"


def children(pid: int) -> list[int]:
    """The supervisor's worker processes (multiprocessing's spawn children)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    out = []
    for child in path.read_text().split():
        cmd = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        if b"multiprocessing" in cmd and b"resource_tracker" not in cmd:
            out.append(int(child))
    return out


class Workers:
    def __init__(self, home: Path, store_url: str) -> None:
        self.home, self.port, self.store_url = home, free_port(), store_url
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "FAIRGRID_HOME": str(home), "FAIRGRID_STORE_URL": store_url}
        cmd = [str(Path(sys.executable).parent / "fairgrid"), "serve", "--workers", "2"]
        self.proc = subprocess.Popen([*cmd, "--port", str(self.port), "--log-level", "warning"], env=env)
        self.wait_for(lambda: httpx.get(self.base + "/readyz", timeout=2).status_code == 200)
        self.wait_for(lambda: len(children(self.proc.pid)) == 2)

    def wait_for(self, ok: object, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "the server exited"
            try:
                if ok():  # type: ignore[operator]
                    return
            except (httpx.HTTPError, OSError):
                pass
            time.sleep(0.2)
        pytest.fail("timed out waiting for the workers")

    def find(self, text: str) -> list[str]:
        """Search on a fresh connection each time, so requests spread over the workers."""
        r = httpx.post(self.base + "/graphql", json={"query": FIND, "variables": {"t": text}}, timeout=30)
        body = r.json()
        assert r.status_code == 200 and "errors" not in body, body
        return [h["iri"] for h in body["data"]["search"]["hits"]]

    def curator(self) -> dict[str, str]:
        token = dev_token(self.home, "c", [Role.CURATOR])
        return {"Authorization": f"Bearer {token}", "Content-Type": "text/turtle"}

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    store = OxigraphServer(tmp_path / "store")
    store.start()
    home = tmp_path / "home"
    loaded_registry(home, store_url=store.url + "/query").close()  # example catalogue, indexed
    w = Workers(home, store.url + "/query")
    try:
        yield w
    finally:
        w.stop()
        store.stop()


def retitled(tmp_path: Path, iri: str, titles: list[str]) -> list[bytes]:
    """Documents of the example dataset `iri` under each title, made with a local registry of the examples."""
    with open_registry(Settings(home=tmp_path / "doc-home")) as local:
        local.importer.run(local_operator(), [EXAMPLE])
        return [record_doc(local, iri, title) for title in titles]


@pytest.mark.slow
def test_two_workers_share_writes_and_survive_a_killed_worker(workers: Workers, tmp_path: Path) -> None:
    curator = workers.curator()
    iri = BASE + "dataset/scd-multiworker-audit"
    doc, doc2 = retitled(
        tmp_path, iri, ["Multiworker transfusion audit", "Multiworker transfusion audit revised"]
    )
    r = httpx.post(workers.base + "/records", content=doc, headers=curator, timeout=30)
    assert r.status_code == 201, r.text
    # the write returned once committed; the draining worker (woken by the commit's doorbell, whichever
    # worker took the write) indexes it, and then both workers see it
    wait_until(lambda: iri in workers.find("multiworker audit"), "the write to reach the index")
    for _ in range(12):
        assert iri in workers.find("multiworker audit")

    victim = children(workers.proc.pid)[0]
    os.kill(victim, signal.SIGKILL)
    workers.wait_for(
        lambda: victim not in children(workers.proc.pid) and len(children(workers.proc.pid)) == 2
    )
    put = dict(curator, **{"If-Match": '"1"'})
    r = httpx.put(
        workers.base + "/records/dataset/scd-multiworker-audit", content=doc2, headers=put, timeout=30
    )
    assert r.status_code == 200, r.text
    wait_until(lambda: iri in workers.find("revised"), "the update to reach the index")
    for _ in range(12):
        assert iri in workers.find("revised")
    ready = httpx.get(workers.base + "/readyz", timeout=10).json()
    assert ready["status"] == "ready" and ready["outbox_pending"] == 0


@pytest.mark.slow
def test_racing_updates_through_both_workers_have_one_winner(workers: Workers, tmp_path: Path) -> None:
    """Six curators update the same revision at once, over fresh connections spread across the workers:
    one 200 per round, every other a 409, and the record's history a chain of the winners."""
    curator, rounds, racers = workers.curator(), 4, 6
    iri = BASE + "dataset/scd-race-audit"
    turns = [(r, n) for r in range(rounds) for n in range(racers)]
    first, *rest = retitled(
        tmp_path, iri, ["Race audit", *(f"Race audit round {r} by {n}" for r, n in turns)]
    )
    docs = dict(zip(turns, rest, strict=True))
    assert (
        httpx.post(workers.base + "/records", content=first, headers=curator, timeout=30).status_code == 201
    )
    url = workers.base + "/records/dataset/scd-race-audit"

    def put(r: int, n: int) -> int:
        headers = dict(curator, **{"If-Match": f'"{r + 1}"'})
        return httpx.put(url, content=docs[r, n], headers=headers, timeout=60).status_code

    for r in range(rounds):
        with ThreadPoolExecutor(racers) as pool:
            codes = sorted(pool.map(put, [r] * racers, range(racers)))
        assert codes == [200] + [409] * (racers - 1), f"round {r}: {codes}"
    store = SparqlEndpointStore(workers.store_url)
    assert [h.number for h in store.history(iri)] == list(range(1, rounds + 2))
    store.close()


def test_only_one_process_holds_the_drain_lease(tmp_path: Path) -> None:
    first, second = Lease(tmp_path / "lease"), Lease(tmp_path / "lease")
    assert first.held() and first.held()
    assert not second.held()
    first.release()  # as when the holder dies
    assert second.held()
    second.release()
