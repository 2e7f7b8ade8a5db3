"""Read-only SPARQL queries in worker processes that are killed at their deadline.

Oxigraph cannot cancel a running query from Python: an aggregate over a cross product gives no row to
check a deadline at, so in a thread it would keep a core until the process exits. A worker process can
simply be killed. Workers cannot open the live store (RocksDB lets one process hold it), so they query
a snapshot: a RocksDB checkpoint (`Store.backup`, hard links, a few ms) taken after each commit, which
nothing writes and `Store.read_only` therefore opens safely.

A small pool keeps workers started, so an ordinary query pays one pipe round trip, not a process start;
a killed worker is replaced at once. Messages are length-prefixed pickles over the worker's stdin and
stdout (the worker is our own child process, started from this module).
"""

from __future__ import annotations

import io
import os
import pickle
import queue
import select
import shutil
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

RESULTS_JSON = "application/sparql-results+json"
TSV = "text/tab-separated-values"
N_TRIPLES = "application/n-triples"
_HEADER = struct.Struct("!I")
START_TIMEOUT_S = 60.0  # a worker's start on a busy machine; its queries get their own deadline


def _send(out: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_HEADER.pack(len(data)) + data)
    out.flush()


def _read_exactly(fd: int, n: int) -> bytes:
    parts: list[bytes] = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError("the query worker closed its pipe")
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def _receive(fd: int) -> Any:
    (size,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size))
    return pickle.loads(_read_exactly(fd, size))


class Worker:
    """One worker process and what it has been sent (so unchanged graph lists are not sent again)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "registry.store.isolated"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        )
        self.graphs: Sequence[str] | None = None
        self.started = False

    def wait_started(self) -> None:
        """Wait for the worker's imports (once): a query's deadline is for the query, not a start."""
        if self.started:
            return
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], START_TIMEOUT_S)
        if not ready or _receive(fd) != ("ready",):
            raise EOFError("the query worker did not start")
        self.started = True

    @property
    def pid(self) -> int:
        return self.proc.pid

    def ask(self, request: dict[str, Any], timeout_s: float) -> Any:
        """Send one request and wait for its answer; TimeoutError when none came within `timeout_s`."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            _send(self.proc.stdin, request)
        except (BrokenPipeError, OSError) as exc:
            raise EOFError(f"the query worker is gone: {exc}") from None
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], max(0.0, timeout_s))
        if not ready:
            raise TimeoutError
        return _receive(fd)

    def kill(self) -> None:
        """SIGKILL and reap: the query's CPU and memory are released when this returns."""
        self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


class _Spawner:
    """Starts every worker from one thread that lives as long as the pool. A worker asks the kernel to
    kill it when the thread that started it ends (PR_SET_PDEATHSIG), so an API process that is killed
    leaves no query running; a request thread would not do, as thread pools retire idle threads."""

    def __init__(self) -> None:
        self._requests: queue.SimpleQueue[tuple[threading.Event, list[Worker]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="sparql-worker-spawner", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while (item := self._requests.get()) is not None:
            done, out = item
            out.append(Worker())
            done.set()
        # the thread ends here only once the pool has killed its workers

    def new(self) -> Worker:
        done, out = threading.Event(), list[Worker]()
        self._requests.put((done, out))
        done.wait()
        return out[0]

    def stop(self) -> None:
        self._requests.put(None)


class QueryPool:
    """Up to `size` workers; one spare is kept started so the next query does not wait for a start."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._spawner = _Spawner()
        self._lock = threading.Lock()
        self._idle: list[Worker] = []
        self._busy: set[Worker] = set()
        self._free = threading.Condition(self._lock)
        self._closed = False
        self.killed: list[int] = []  # pids of workers killed at a deadline (tests check they are gone)

    def pids(self) -> list[int]:
        with self._lock:
            return [w.pid for w in (*self._idle, *self._busy)]

    def _take(self, timeout_s: float) -> Worker:
        with self._free:
            if not self._idle and len(self._busy) < self.size:
                self._idle.append(self._spawner.new())
            if not self._free.wait_for(lambda: bool(self._idle) or self._closed, timeout_s):
                raise TimeoutError
            if self._closed:
                raise EOFError("the query pool is closed")
            worker = self._idle.pop(0)
            self._busy.add(worker)
            if not self._idle and len(self._busy) < self.size:
                self._idle.append(self._spawner.new())  # the spare: started now, ready by the next query
            return worker

    def _give_back(self, worker: Worker, alive: bool) -> None:
        with self._free:
            self._busy.discard(worker)
            if alive and not self._closed:
                self._idle.append(worker)
            elif not self._closed and not self._idle:
                self._idle.append(self._spawner.new())
            self._free.notify()

    def run(self, request: dict[str, Any], graphs: Sequence[str], timeout_s: float) -> Any:
        """The worker's answer to `request` over `graphs`; the worker is killed past `timeout_s`."""
        worker = self._take(timeout_s)
        alive = False
        try:
            worker.wait_started()
            deadline = time.monotonic() + timeout_s
            resend = worker.graphs is not graphs
            answer = worker.ask({**request, "graphs": list(graphs) if resend else None},
                                deadline - time.monotonic())  # fmt: skip
            worker.graphs = graphs
            alive = True
            return answer
        except TimeoutError:
            self.killed.append(worker.pid)
            raise
        finally:
            if not alive:
                worker.kill()
            self._give_back(worker, alive)

    def close(self) -> None:
        with self._free:
            self._closed = True
            workers = [*self._idle, *self._busy]
            self._idle.clear()
            self._free.notify_all()
        for w in workers:
            w.kill()
        self._spawner.stop()


class Snapshots:
    """Checkpoints of the live store, one per commit count, removed when no query reads them."""

    def __init__(self, store: Any, folder: Path) -> None:
        self.store = store
        self.folder = folder
        self._lock = threading.Lock()
        self._current: tuple[int, Path] | None = None
        self._readers: Counter[Path] = Counter()

    def acquire(self, commits: int) -> Path:
        with self._lock:
            if self._current is None or self._current[0] != commits:
                path = self.folder / f"{commits}-{uuid.uuid4().hex[:8]}"
                self.folder.mkdir(parents=True, exist_ok=True)
                self.store.backup(str(path))
                old, self._current = self._current, (commits, path)
                if old is not None and not self._readers[old[1]]:
                    shutil.rmtree(old[1], ignore_errors=True)
            path = self._current[1]
            self._readers[path] += 1
            return path

    def release(self, path: Path) -> None:
        with self._lock:
            self._readers[path] -= 1
            if not self._readers[path]:
                del self._readers[path]
                if self._current is None or self._current[1] != path:
                    shutil.rmtree(path, ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            self._current = None
            shutil.rmtree(self.folder, ignore_errors=True)

    @staticmethod
    def remove_orphans(parent: Path) -> None:
        """Checkpoints left by processes that died without closing their store (named `<pid>-...`)."""
        for folder in parent.glob("*-*"):
            try:
                os.kill(int(folder.name.split("-")[0]), 0)
            except ProcessLookupError:
                shutil.rmtree(folder, ignore_errors=True)
            except (ValueError, PermissionError):
                continue


# --- the worker side --------------------------------------------------------------------------------


class TooManyRows(Exception):
    pass


class _LineCapped(io.RawIOBase):
    """Collects what Oxigraph writes, and stops it once more lines came than the cap allows: one line
    per row in both formats used here, so a huge result is never built in full."""

    def __init__(self, max_lines: int | None) -> None:
        self.parts: list[bytes] = []
        self.lines = 0
        self.max_lines = max_lines

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.lines += chunk.count(b"\n")
        self.parts.append(chunk)
        if self.max_lines is not None and self.lines > self.max_lines:
            raise TooManyRows
        return len(chunk)


def answer(result: Any, max_rows: int | None) -> tuple[str, bytes]:
    """A query result as SPARQL results TSV (SELECT), JSON (ASK) or N-Triples (CONSTRUCT, DESCRIBE),
    serialised by Oxigraph itself; cut short a little past `max_rows` rows, which is enough for the
    caller to say the result is too large."""
    import pyoxigraph as ox

    if isinstance(result, ox.QueryBoolean):
        return RESULTS_JSON, result.serialize(format=ox.QueryResultsFormat.JSON) or b""
    select = isinstance(result, ox.QuerySolutions)
    out = _LineCapped(None if max_rows is None else max_rows + 1 + select)  # TSV has a header line
    try:
        if select:
            result.serialize(out, format=ox.QueryResultsFormat.TSV)
        else:
            result.serialize(out, format=ox.RdfFormat.N_TRIPLES)
    except TooManyRows:
        pass  # what was written holds more rows than allowed; the last line may be cut
    body = b"".join(out.parts)
    if out.max_lines is not None and out.lines > out.max_lines:
        body = b"\n".join(body.split(b"\n")[: out.max_lines]) + b"\n"
    return (TSV if select else N_TRIPLES), body


def _die_with_parent() -> None:
    """SIGKILL this worker when the thread that started it ends (Linux; elsewhere stdin's EOF ends an
    idle worker, but not one in the middle of a runaway query)."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(0)


def _serve() -> None:
    _die_with_parent()
    import pyoxigraph as ox

    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print must not corrupt the protocol
    inp = sys.stdin.buffer.fileno()
    _send(out, ("ready",))
    opened: tuple[str, ox.Store] | None = None
    graphs: list[ox.NamedNode] = []
    while True:
        try:
            req = _receive(inp)
        except EOFError:
            return
        if req["graphs"] is not None:
            graphs = [ox.NamedNode(g) for g in req["graphs"]]
        try:
            if opened is None or opened[0] != req["snapshot"]:
                opened = None  # the old snapshot's files are closed before the next one opens
                opened = (req["snapshot"], ox.Store.read_only(req["snapshot"]))
            result = opened[1].query(
                req["text"], default_graph=list(graphs) or [ox.DefaultGraph()], named_graphs=list(graphs)
            )
            reply: tuple[Any, ...] = ("ok", *answer(result, req["max_rows"]))
            del result
        except SyntaxError as exc:
            reply = ("syntax", str(exc))
        except OSError as exc:
            reply = ("error", str(exc))
        try:
            _send(out, reply)
        except BrokenPipeError:  # the pool is gone: nobody waits for this answer
            return


if __name__ == "__main__":
    _serve()
