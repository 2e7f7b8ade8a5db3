"""Writers in separate processes, each with its own store instance, racing from the same base revision
(what `fairgrid serve --workers N` does): exactly one wins each round, every other gets StaleRevision,
and the history stays a chain with the winner's content at every revision.

Threads cannot show this (one instance's lock serialises them). Two ways to be safe are tested:
- an Oxigraph server applies racing updates that read the same state, so fairgrid's writers sharing
  a registry home queue on its commit lock (the store as `open_store` builds it from settings);
- Fuseki serialises updates itself, so its writers run here WITHOUT fairgrid's lock, and only the
  commit's own check tells the losers.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
from collections import Counter
from collections.abc import Iterator
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from registry.config import Settings
from registry.errors import StaleRevision, Unavailable
from registry.model import content_hash
from registry.store.port import RecordStore
from registry.store.remote import SparqlEndpointStore
from registry.wiring import open_store
from tests.conftest import OxigraphServer
from tests.fuseki import fresh_dataset
from tests.registry.store.test_conformance import dataset, write

WRITERS = 6
ROUNDS = 15
WAIT_S = 120.0  # a bound on a stuck writer, never a timing assertion
NAME = "race"


def title(writer: int, round_: int) -> str:
    return f"writer {writer} round {round_}"


def writer(url: str, home: str | None, number: int, barrier: Barrier, results: mp.Queue) -> None:  # type: ignore[type-arg]
    """One writer process: each round, from the revision the round starts at, commit its own edit."""
    store = open_store(Settings(home=Path(home), store_url=url)) if home else SparqlEndpointStore(url)
    iri = dataset(NAME, "")[0]
    try:
        for r in range(1, ROUNDS + 1):
            _, triples = dataset(NAME, title(number, r))
            barrier.wait(WAIT_S)  # everyone starts the round together...
            try:
                store.commit([write(iri, triples, r + 1, r)])
                results.put((r, number, "ok"))
            except StaleRevision:
                results.put((r, number, "stale"))
            barrier.wait(WAIT_S)  # ...and the next one only after everyone answered
    except Exception as exc:  # reported to the test rather than lost in a child's stderr
        results.put((0, number, f"error: {exc!r}"))
        barrier.abort()
    finally:
        store.close()


@pytest.fixture(params=["oxigraph-server", pytest.param("fuseki-mem", marks=pytest.mark.fuseki),
                        pytest.param("fuseki-tdb2", marks=pytest.mark.fuseki)])  # fmt: skip
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """(query URL, registry home for the commit lock, or None for no fairgrid lock)."""
    if request.param == "oxigraph-server":
        server = OxigraphServer(tmp_path / "store")
        server.start()
        yield server.url + "/query", str(tmp_path / "home")
        server.stop()
    else:
        with fresh_dataset(request.param.removeprefix("fuseki-")) as url:
            yield url, None


def test_racing_writer_processes_one_winner_per_round(target: tuple[str, str | None]) -> None:
    url, home = target
    check: RecordStore = SparqlEndpointStore(url)
    iri, base = dataset(NAME, "base")
    check.commit([write(iri, base, 1, None)])
    ctx = mp.get_context("spawn")  # fresh interpreters: nothing shared but the store server
    barrier = ctx.Barrier(WRITERS)
    results: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [ctx.Process(target=writer, args=(url, home, n, barrier, results)) for n in range(WRITERS)]
    for p in procs:
        p.start()
    outcomes: list[tuple[int, int, str]] = []
    try:
        while len(outcomes) < WRITERS * ROUNDS:
            outcomes.append(results.get(timeout=WAIT_S))
            assert not outcomes[-1][2].startswith("error"), outcomes[-1]
    except queue.Empty:
        pytest.fail(f"writers stopped answering after {len(outcomes)} outcomes")
    finally:
        for p in procs:
            p.join(WAIT_S)
            if p.is_alive():
                p.kill()
    winners = {r: n for r, n, outcome in outcomes if outcome == "ok"}
    per_round = Counter(r for r, _n, outcome in outcomes if outcome == "ok")
    assert per_round == Counter(dict.fromkeys(range(1, ROUNDS + 1), 1)), "not exactly one winner per round"
    assert Counter(outcome for _r, _n, outcome in outcomes) == {"ok": ROUNDS, "stale": ROUNDS * (WRITERS - 1)}
    # a chain: one revision per number (a revision written twice would come back as several rows)
    assert [h.number for h in check.history(iri)] == list(range(1, ROUNDS + 2))
    for r, n in winners.items():
        rec = check.get(iri, r + 1)
        assert rec is not None and rec.revision is not None
        assert (
            content_hash(rec.triples)
            == content_hash(dataset(NAME, title(n, r))[1])
            == rec.revision.content_hash
        )
    check.close()


def test_a_commit_lock_that_cannot_be_taken_is_unavailable_and_writes_nothing(
    oxigraph_server: OxigraphServer, tmp_path: Path
) -> None:
    """A registry home that is not a folder (or not writable) stops the commit with a clear error (HTTP 503,
    exit code 3), never an OSError traceback, and nothing reaches the store."""
    not_a_folder = tmp_path / "home"
    not_a_folder.write_text("a file where the registry home should be")
    url = oxigraph_server.url + "/query"
    iri, triples = dataset("unlockable", "Unlockable")
    a_folder = tmp_path / "store-commit.lock"
    a_folder.mkdir()
    for lock in (not_a_folder / "store-commit.lock", not_a_folder / "sub" / "store-commit.lock", a_folder):
        store = SparqlEndpointStore(url, commit_lock=lock)
        with pytest.raises(Unavailable, match="lock"):
            store.commit([write(iri, triples, 1, None)])
        assert store.head(iri) is None
        store.close()
