"""SparqlService deadlines that stop the work: runaway queries release their slot and their CPU, on the
embedded store (worker processes killed) and on a store server (request cut; the server's own limit)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from registry.config import Settings
from registry.errors import FairgridError, InputError, LimitExceeded, Unauthenticated
from registry.identity import ANONYMOUS, Identity, Role
from registry.services.sparql import SparqlService
from registry.store.oxigraph import OxigraphStore
from registry.store.remote import SparqlEndpointStore
from registry.vocab import FG
from registry.wiring import Registry
from tests.api.rest.conftest import PUBLIC_DATASET, loaded_registry
from tests.api.rest.test_writes import BASE, record_doc
from tests.conftest import CURATOR, RESEARCHER, OxigraphServer
from tests.fuseki import fresh_dataset, fuseki_pid

DATASETS = "SELECT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }"
# An aggregate over a cross product of every triple: no row comes out until it is done (N^3 for some
# hundreds of triples N: minutes). ENDLESS takes hours; it runs only on the embedded store, as the Oxigraph
# server checks its own limit only between inner products (minutes apart for it).
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
HUB_TIMEOUT_S = 2.0
SERVER_TIMEOUT_S = 3.0  # above the hub's: the hub answers first, the server then stops the work


@pytest.fixture(
    scope="module", params=["embedded", "store-server", pytest.param("fuseki-mem", marks=pytest.mark.fuseki)]
)
def setup(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Registry, OxigraphServer | None]]:
    """The registry, and the Oxigraph server it queries (None on the embedded store and on Fuseki, a
    shared node that no test starts or stops)."""
    home = tmp_path_factory.mktemp("sparql-deadline") / "home"
    if request.param == "embedded":
        reg = loaded_registry(home)
        yield reg, None
        reg.close()
        return
    if request.param == "fuseki-mem":  # alone: the runaway test checks that the node's threads go idle
        with fresh_dataset("mem", alone=True) as url:
            reg = loaded_registry(home, store_url=url)
            yield reg, None
            reg.close()
        return
    server = OxigraphServer(tmp_path_factory.mktemp("sparql-store"), timeout_s=SERVER_TIMEOUT_S)
    server.start()
    try:
        reg = loaded_registry(home, store_url=server.url + "/query")
        yield reg, server
        reg.close()
    finally:
        server.stop()


def _threads_running(pid: int) -> list[int]:
    """The threads of process `pid` that are on a CPU or waiting for one (state R)."""
    running = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            state = (task / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        if state == "R":
            running.append(int(task.name))
    return running


def _eventually(condition: Callable[[], bool], rounds: int = 300) -> bool:
    """Whether `condition` holds within `rounds` checks 0.1 s apart (a bound, not a measurement)."""
    event = threading.Event()
    for _ in range(rounds):
        if condition():
            return True
        event.wait(0.1)
    return condition()


def _start(svc: SparqlService, who: Identity, n: int) -> tuple[list[threading.Thread], list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            svc.query(who, RUNAWAY)
        except FairgridError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    return threads, errors


def test_runaway_queries_are_stopped_and_release_slot_and_cpu(
    setup: tuple[Registry, OxigraphServer | None],
) -> None:
    reg, server = setup
    svc = SparqlService(reg.store, timeout_s=HUB_TIMEOUT_S, concurrency=4)
    expected = _datasets(svc, RESEARCHER)
    assert expected
    threads, errors = _start(svc, RESEARCHER, 4)
    assert _eventually(lambda: svc.running() == 4)  # the four hold every signed-in slot
    store = reg.store
    killed_before = store.killed_query_workers() if isinstance(store, OxigraphStore) else []

    other = Identity("researcher-2", frozenset({Role.RESEARCHER}))
    fifth = _datasets(svc, other)  # waits for a slot: a runaway frees its own at its deadline
    assert fifth == expected
    for t in threads:
        t.join()
    assert len(errors) == 4 and all(isinstance(e, LimitExceeded) for e in errors), errors
    assert all("was stopped" in str(e) for e in errors)
    assert svc.running() == 0

    if isinstance(store, OxigraphStore):
        killed = store.killed_query_workers()[len(killed_before) :]
        assert len(killed) == 4  # the runaways' workers were killed and reaped:
        assert not [pid for pid in killed if Path(f"/proc/{pid}").exists()]
        for pid in store.query_workers_pids():  # the pool's remaining workers are idle
            assert _eventually(lambda: not _threads_running(pid)), pid  # noqa: B023 - called at once
    elif server is not None:
        assert server.proc is not None
        # the server stops them at its own limit: no thread of it keeps computing
        assert _eventually(lambda: not _threads_running(server.proc.pid))  # type: ignore[union-attr]
    else:  # Fuseki is sent each query's deadline and stops the query there
        assert isinstance(store, SparqlEndpointStore) and store.stops_at_timeout
        node = fuseki_pid()
        if node is not None:
            assert _eventually(lambda: not _threads_running(node))


def test_anonymous_share_is_separate(setup: tuple[Registry, OxigraphServer | None]) -> None:
    """Anonymous runaways fill only the anonymous share; signed-in users still get answers, and the
    other way round. (Not on the Oxigraph server: its own limit, below this test's, ends them early.)"""
    reg, server = setup
    if server is not None:
        pytest.skip("the Oxigraph server stops the runaways at its own limit, before the hub's")
    svc = SparqlService(reg.store, timeout_s=5.0, concurrency=2, anonymous_concurrency=2)
    svc.graphs(ANONYMOUS)  # computed before the runaways start, as a warm server would have it
    threads, errors = _start(svc, ANONYMOUS, 2)
    assert _eventually(lambda: svc.running(anonymous=True) == 2)
    assert _datasets(svc, RESEARCHER)
    # answered while both anonymous runaways still held their share: one shared pool of two slots
    # would have kept the signed-in caller waiting until a runaway was stopped
    assert svc.running(anonymous=True) == 2
    for t in threads:
        t.join()
    assert len(errors) == 2 and all(isinstance(e, LimitExceeded) for e in errors)


def _datasets(svc: SparqlService, who: Identity) -> set[str]:
    return {r["d"].value for r in svc.query(who, DATASETS).rows or []}


def test_each_caller_queries_what_it_may_read_and_anonymous_rows_are_capped(
    setup: tuple[Registry, OxigraphServer | None],
) -> None:
    """Anonymous callers and researchers outside the consortium see public metadata, consortium roles
    also consortium-only records, curators drafts too (the visibility service's rule)."""
    reg, _ = setup
    hidden, draft = BASE + "dataset/consortium-only", BASE + "dataset/draft-only"
    mark = f"<{hidden}> <{FG}metadataVisibility> <{FG}ConsortiumMetadata> .\n".encode()
    reg.records.create(CURATOR, record_doc(reg, hidden) + b"\n" + mark, ox.RdfFormat.TURTLE)
    reg.records.create(CURATOR, record_doc(reg, draft), ox.RdfFormat.TURTLE, publish=False)
    svc = SparqlService(reg.store, anonymous_max_rows=100)
    member = Identity("member-1", frozenset({Role.CONSORTIUM_MEMBER}))
    anonymous, outsider = _datasets(svc, ANONYMOUS), _datasets(svc, RESEARCHER)
    members, curators = _datasets(svc, member), _datasets(svc, CURATOR)
    assert anonymous == outsider and BASE + PUBLIC_DATASET in anonymous
    assert hidden not in anonymous and members == anonymous | {hidden}
    assert curators == members | {draft}

    capped = SparqlService(reg.store, max_rows=100, anonymous_max_rows=2)
    with pytest.raises(LimitExceeded, match="more than 2 rows") as err:
        capped.query(ANONYMOUS, DATASETS)
    assert err.value.details == {"max_rows": 2}
    assert len(capped.query(ANONYMOUS, DATASETS + " LIMIT 2").rows or []) == 2
    assert _datasets(capped, RESEARCHER) == outsider  # signed in: the higher cap


_KILLED_PARENT = """
import sys, threading
from pathlib import Path
from registry.identity import Identity, Role
from registry.services.sparql import SparqlService
from registry.store.oxigraph import OxigraphStore
store = OxigraphStore(Path(sys.argv[1]))
svc = SparqlService(store, timeout_s=600)
who = Identity("researcher-1", frozenset({Role.RESEARCHER}))
threading.Thread(target=svc.query, args=(who, sys.argv[2]), daemon=True).start()
while svc.running() == 0 or len(store.query_workers_pids()) < 2:
    threading.Event().wait(0.05)
print(" ".join(map(str, store.query_workers_pids())), flush=True)
threading.Event().wait()
"""


def test_a_killed_api_process_leaves_no_query_running(tmp_path: Path) -> None:
    """kill -9 of the process that runs the service: its query workers die with it (none is left to
    run a runaway query for ever)."""
    import signal
    import subprocess
    import sys

    reg = loaded_registry(tmp_path / "home")
    reg.close()
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_PARENT, str(tmp_path / "home" / "store"), ENDLESS],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    workers = [int(pid) for pid in proc.stdout.readline().split()]
    assert len(workers) >= 2 and all(Path(f"/proc/{pid}").exists() for pid in workers)
    # the runaway is being computed (a start takes well under 3 s of CPU), not waiting in a pipe
    assert _eventually(lambda: max(_cpu_s(pid) for pid in workers) > 3.0, rounds=1200)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _eventually(lambda: not any(_alive(pid) for pid in workers))


def _cpu_s(pid: int) -> float:
    """CPU seconds process `pid` has used (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for its reaper counts as gone: it holds no CPU)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_settings_size_the_shares_and_can_turn_anonymous_sparql_off(
    setup: tuple[Registry, OxigraphServer | None],
) -> None:
    reg, _ = setup
    limits = Settings.from_env({"FAIRGRID_SPARQL_ANONYMOUS_CONCURRENCY": "0"}).limits
    svc = SparqlService(
        reg.store, anonymous_max_rows=limits.sparql_anonymous_max_rows, anonymous_concurrency=0
    )
    with pytest.raises(Unauthenticated):
        svc.query(ANONYMOUS, DATASETS)
    assert _datasets(svc, RESEARCHER)
    assert (limits.sparql_concurrency, limits.sparql_anonymous_max_rows) == (4, 1000)
    with pytest.raises(InputError, match="FAIRGRID_SPARQL_CONCURRENCY"):
        Settings.from_env({"FAIRGRID_SPARQL_CONCURRENCY": "many"})
