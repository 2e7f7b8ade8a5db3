"""registry/fetch.py against a real HTTP server on localhost: what a harvest source can do to a fetch."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from registry.errors import RecordTooLarge, Unavailable, UnreadableInput
from registry.fetch import SourceFetcher

TURTLE = b"<https://example.org/a> <https://example.org/b> <https://example.org/c> .\n"


class _Source(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        if self.path == "/drip":  # a byte every 0.2 s: no single read ever times out
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle")
            self.end_headers()
            try:
                for _ in range(200):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:  # the fetcher hung up
                return
            return
        status, body = {"/ok": (200, TURTLE), "/big": (200, b" " * 5000), "/gone": (404, b"")}.get(
            self.path, (503, b"")
        )
        self.send_response(status)
        self.send_header("Content-Type", "text/turtle")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def source() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Source)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_source_that_drips_its_body_is_cut_off_at_the_total_deadline(source: str) -> None:
    # httpx's timeouts are per read: before, this held the fetch (and every scheduled harvest) 40 s
    fetcher = SourceFetcher(max_bytes=10_000, timeout_s=5, total_s=1.0)
    start = time.monotonic()
    with pytest.raises(Unavailable, match="not sent within 1 s"):
        fetcher.fetch(f"{source}/drip")
    assert time.monotonic() - start < 5


def test_what_a_source_answers_is_a_body_or_a_clear_error(source: str) -> None:
    fetcher = SourceFetcher(max_bytes=1000, timeout_s=5)
    assert fetcher.fetch(f"{source}/ok").body == TURTLE
    with pytest.raises(RecordTooLarge):
        fetcher.fetch(f"{source}/big")
    with pytest.raises(UnreadableInput, match="404"):
        fetcher.fetch(f"{source}/gone")
    with pytest.raises(Unavailable, match="503"):
        fetcher.fetch(f"{source}/down")
