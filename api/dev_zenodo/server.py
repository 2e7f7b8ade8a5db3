"""Running the local Zenodo: on a socket bound first (port 0 gives a free port), in this thread or another.

`running(...)` is for tests: `with running(tmp_path) as zen: client(base_url=zen.url, token=zen.token)`.
"""

from __future__ import annotations

import secrets
import socket
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from api.dev_zenodo.app import DEFAULT_MAX_FILE_BYTES, Config, DevZenodo
from api.dev_zenodo.faults import Fault
from api.dev_zenodo.state import Store

STATE_FILE = "zenodo.sqlite3"


@dataclass
class Running:
    url: str
    tokens: list[str]
    zenodo: DevZenodo
    server: uvicorn.Server

    @property
    def token(self) -> str:
        return self.tokens[0]


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def build(
    sock: socket.socket,
    data: Path | None,
    tokens: Sequence[str] = (),
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    fault_rate: float = 0.0,
    seed: int | None = None,
    rate_limit: int = 0,
    faults: Sequence[Fault] = (),
    log_level: str = "warning",
) -> Running:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}"
    folder = data if data is not None else Path(tempfile.mkdtemp(prefix="dev-zenodo-"))
    token_list = list(tokens) or [secrets.token_urlsafe(24)]
    config = Config(url, token_list, max_file_bytes, fault_rate, seed, rate_limit, tuple(faults))
    zenodo = DevZenodo(Store(folder / STATE_FILE), config)
    # access_log off: a client may send its token as ?access_token=, and uvicorn logs query strings.
    server = uvicorn.Server(
        uvicorn.Config(zenodo.app, log_level=log_level, access_log=False, lifespan="off", ws="none")
    )
    return Running(url, token_list, zenodo, server)


@contextmanager
def running(data: Path | None = None, tokens: Sequence[str] = (), **options: object) -> Iterator[Running]:
    """A local Zenodo on a free port of 127.0.0.1, served from a thread for the duration of the block."""
    sock = bind("127.0.0.1", 0)
    run = build(sock, data, tokens, **options)  # type: ignore[arg-type]
    thread = threading.Thread(target=run.server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    while not run.server.started and thread.is_alive():
        started.wait(0.01)
    try:
        if not run.server.started:
            raise RuntimeError("the local Zenodo did not start")
        yield run
    finally:
        run.server.should_exit = True
        thread.join(10)
        sock.close()
        run.zenodo.store.close()
