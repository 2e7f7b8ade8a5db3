"""Syncing approvals from a hub that answers badly: refused with a FairgridError, never a crash of the gate."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from federation.site.approvals_store import ApprovalsStore
from registry.errors import FairgridError


class _Hostile(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:  # noqa: N802 - the http.server hook
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile_hub() -> Iterator[tuple[str, type[_Hostile]]]:
    handler = type("Handler", (_Hostile,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "body",
    [
        b'{"jobs": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",  # nested too deeply for json
        b'{"jobs": [{"iri": "j", "approvals": [' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_000 + b"]}]}",
        b"not json",
        b'{"jobs": 3}',
    ],
)
def test_a_hostile_answer_is_an_error_not_a_crash(
    tmp_path: Path, hostile_hub: tuple[str, type[_Hostile]], body: bytes
) -> None:
    url, handler = hostile_hub
    handler.body = body
    store = ApprovalsStore(tmp_path)
    with pytest.raises(FairgridError):
        store.sync(url, "token", "site-a", timeout_s=30)
    assert store.read().synced_at is None  # nothing held, so the gate keeps refusing (and says why)
