"""Running the HTTP API: one process (the default), or several worker processes on one port.

One process serves everything from the registry it opened. Python runs one request's code at a time
per process, so on a machine with several cores `--workers N` starts N processes (uvicorn's
supervisor, which also replaces a worker that dies). Each worker builds the app itself from the
FAIRGRID_* settings (`api.app:app_from_env`), so they must share what they open:

- the store must be a server (FAIRGRID_STORE_URL): the embedded store's files can only be opened by
  one process at a time;
- the embedded search index is shared through its folder (one writer at a time, any number of
  readers; a reader reloads when another process commits);
- only one worker at a time drains the outbox (a lease file under FAIRGRID_HOME).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Literal, TypedDict

import httpx

from federation.protocol import WS_MAX_BYTES
from registry.config import Settings
from registry.errors import InputError, Unavailable


class ServerOptions(TypedDict):
    ws_max_size: int
    lifespan: Literal["on"]


def server_options() -> ServerOptions:
    """Options every uvicorn server of the API gets, one worker or several."""
    # uvicorn reads a whole WebSocket message (16 MiB by default) before the app sees it: a larger one
    # is refused (close 1009) instead of buffered. The site agent keeps its answers under MAX_MESSAGE.
    return {"ws_max_size": WS_MAX_BYTES, "lifespan": "on"}


def worker_count(requested: int) -> int:
    """0 means one worker per CPU core."""
    if requested < 0:
        raise InputError(f"--workers {requested}: give 1 or more, or 0 for one per CPU core")
    return requested or os.cpu_count() or 1


def check_workers(settings: Settings, workers: int) -> None:
    if workers > 1 and not settings.store_url:
        raise InputError(
            f"{workers} workers need the store as a server: the embedded store's files can be opened "
            "by one process only",
            hint=(
                "start one, e.g. `oxigraph serve --location $FAIRGRID_HOME/store --bind 127.0.0.1:7878`, "
                "and set FAIRGRID_STORE_URL=http://127.0.0.1:7878/query; or serve with --workers 1"
            ),
        )


def wait_ready(base: str, timeout_s: float, alive: Callable[[], bool]) -> httpx.Response | None:
    """/readyz once it answers, or None when the server died or the time ran out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and alive():
        try:
            return httpx.get(f"{base}/readyz", timeout=10)
        except httpx.HTTPError:
            time.sleep(0.1)
    return None


def run_workers(
    settings: Settings,
    host: str,
    port: int,
    workers: int,
    log_level: str,
    on_ready: Callable[[httpx.Response], None] | None = None,
) -> bool:
    """Serve with `workers` processes until interrupted. With `on_ready`, stop as soon as /readyz
    answered (and hand it that answer); returns False when no worker came up."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    check_workers(settings, workers)
    if settings.auth.dev:
        from api.auth import dev_private_key

        dev_private_key(settings.home)  # made once here, not raced by the workers
    # Each worker builds its app from the environment: tell it there are several (api/federation.py).
    os.environ["FAIRGRID_WORKERS"] = str(workers)
    config = uvicorn.Config(
        "api.app:app_from_env", factory=True, host=host, port=port, workers=workers,
        log_level=log_level, **server_options(),
        # uvicorn pings each worker and kills one that does not answer in time (5 s by default): a worker
        # still starting on a busy machine (imports, the terminologies loaded) is not hung
        timeout_worker_healthcheck=60,
    )  # fmt: skip
    try:
        sock = config.bind_socket()
    except SystemExit as exc:  # uvicorn exits when the port is taken
        raise Unavailable(f"cannot listen on {host}:{port}", hint="choose another --port") from exc
    # uvicorn's own way to serve with workers: each process runs a Server over the shared socket
    supervisor = Multiprocess(config, target=uvicorn.Server(config).run, sockets=[sock])
    answered: list[httpx.Response] = []
    if on_ready is not None:

        def watch() -> None:
            ready = wait_ready(f"http://{host}:{port}", 120, lambda: not supervisor.should_exit.is_set())
            if ready is not None:
                answered.append(ready)
                on_ready(ready)
            supervisor.should_exit.set()

        threading.Thread(target=watch, daemon=True).start()
    try:
        supervisor.run()
    finally:
        sock.close()
    return on_ready is None or bool(answered)
