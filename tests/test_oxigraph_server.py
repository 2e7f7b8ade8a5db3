"""The tests' Oxigraph server helper when another process took its port first (xdist workers and other
test runs pick free ports at the same time)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from tests.conftest import OxigraphServer, listens


class _Other(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_port_taken_meanwhile_gets_the_server_another_port(tmp_path: Path) -> None:
    other = ThreadingHTTPServer(("127.0.0.1", 0), _Other)  # answers every query, as a server would
    threading.Thread(target=other.serve_forever, daemon=True).start()
    server = OxigraphServer(tmp_path / "store")
    taken = other.server_address[1]
    server.port = taken  # as if `free_port` had handed out a port that someone bound since
    try:
        server.start()
        assert server.proc is not None and server.port != taken
        assert listens(server.proc.pid, server.port) and not listens(server.proc.pid, taken)
        r = httpx.get(
            server.url + "/query", params={"query": "ASK {}"}, headers={"Accept": "application/json"}
        )
        assert r.json() == {"head": {}, "boolean": True}  # Oxigraph's answer, not the other server's
    finally:
        server.stop()
        other.shutdown()
        other.server_close()
