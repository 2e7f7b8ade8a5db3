"""The Zenodo client against the local Zenodo over real HTTP: calls, retries, errors, and the token kept out."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry.config import Secret
from registry.errors import InputError, NotFound, Unavailable
from registry.publish.zenodo import (
    ZenodoClient,
    ZenodoRejected,
    ZenodoTokenRejected,
    ZenodoUnavailable,
    md5_of,
)
from tests.registry.publish.conftest import LocalZenodo

META: dict[str, Any] = {
    "upload_type": "dataset",
    "title": "A test package",
    "description": "made by fairgrid's tests",
    "creators": [{"name": "Doe, Jane", "affiliation": "Test"}],
    "access_right": "open",
    "license": "cc-by-4.0",
}


def client(zenodo: LocalZenodo, sleeps: list[float] | None = None, **kw: Any) -> ZenodoClient:
    record = sleeps if sleeps is not None else []
    return ZenodoClient(zenodo.url, Secret(zenodo.token), sleep=record.append, **kw)


def test_a_deposition_from_create_to_record(local_zenodo: LocalZenodo, tmp_path: Path) -> None:
    data = tmp_path / "weights.bin"
    data.write_bytes(bytes(range(256)) * 5000)  # over one upload chunk
    with client(local_zenodo) as z:
        dep = z.create()
        assert dep["state"] == "unsubmitted" and dep["submitted"] is False
        stored = z.upload(dep["links"]["bucket"], "weights.bin", data, md5=md5_of(data))
        assert stored["checksum"] == f"md5:{md5_of(data)}" and stored["size"] == data.stat().st_size
        files = z.list_files(dep["id"])
        assert [(f["filename"], f["checksum"]) for f in files] == [("weights.bin", md5_of(data))]
        assert z.put_metadata(dep["id"], META)["metadata"]["title"] == META["title"]
        done = z.publish(dep["id"])
        assert done["submitted"] is True and done["doi"].startswith("10.5072/")
        record = z.get_record(done["id"])
        assert record["doi"] == done["doi"] and record["conceptdoi"] == done["conceptdoi"]
        assert local_zenodo.state()["published"] == 1


def test_edit_discard_delete_and_new_version(local_zenodo: LocalZenodo, tmp_path: Path) -> None:
    data = tmp_path / "a.txt"
    data.write_text("a")
    with client(local_zenodo) as z:
        scrap = z.create()
        z.delete(scrap["id"])
        with pytest.raises(NotFound):
            z.get(scrap["id"])
        dep = z.create()
        z.upload(dep["links"]["bucket"], "a.txt", data)
        z.put_metadata(dep["id"], META)
        z.publish(dep["id"])
        assert z.edit(dep["id"])["state"] == "inprogress"
        assert z.discard(dep["id"])["state"] == "done"
        answer = z.new_version(dep["id"])
        draft = z.get_url(answer["links"]["latest_draft"])
        assert draft["id"] != dep["id"] and draft["submitted"] is False
        assert [f["filename"] for f in z.list_files(draft["id"])] == ["a.txt"]  # inherited
        z.delete_file(draft["id"], z.list_files(draft["id"])[0]["id"])
        assert z.list_files(draft["id"]) == []
        assert z.drafts()[0]["id"] == draft["id"]


def test_429_waits_as_long_as_retry_after_says(local_zenodo: LocalZenodo) -> None:
    local_zenodo.fault(route="/api/deposit/depositions", method="POST", status=429, count=2, retry_after=7)
    sleeps: list[float] = []
    with client(local_zenodo, sleeps) as z:
        dep = z.create()  # not idempotent, but a 429 means Zenodo did nothing
    assert sleeps == [7.0, 7.0]
    assert local_zenodo.state()["depositions"] == 1 and dep["id"]


def test_5xx_is_retried_with_growing_backoff(local_zenodo: LocalZenodo) -> None:
    sleeps: list[float] = []
    with client(local_zenodo, sleeps, backoff_s=1.0) as z:
        dep = z.create()
        local_zenodo.fault(route=f"/api/deposit/depositions/{dep['id']}", method="PUT", status=503, count=3)
        assert z.put_metadata(dep["id"], META)["metadata"]["title"] == META["title"]
    assert len(sleeps) == 3
    # full jitter within [half, all] of 1, 2, 4 seconds
    for wait, base in zip(sleeps, (1, 2, 4), strict=True):
        assert base / 2 <= wait <= base


def test_retries_run_out_and_a_lost_create_is_not_repeated(local_zenodo: LocalZenodo) -> None:
    sleeps: list[float] = []
    with client(local_zenodo, sleeps, max_retries=2) as z:
        dep = z.create()
        local_zenodo.fault(route=f"/api/deposit/depositions/{dep['id']}", method="GET", status=502, count=5)
        with pytest.raises(ZenodoUnavailable) as failed:
            z.get(dep["id"])
        assert isinstance(failed.value, Unavailable) and "after 2 retries" in failed.value.message
        # a 5xx on create may have created a draft: not sent again (it would make a second deposition)
        local_zenodo.fault(route="/api/deposit/depositions", method="POST", status=500, count=1, after=True)
        with pytest.raises(ZenodoUnavailable):
            z.create()
    assert local_zenodo.state()["depositions"] == 2  # the first and the lost one, no third


def test_field_errors_are_surfaced(local_zenodo: LocalZenodo) -> None:
    with client(local_zenodo) as z:
        dep = z.create()
        with pytest.raises(ZenodoRejected) as refused:
            z.put_metadata(dep["id"], {**META, "upload_type": "spaceship", "colour": "blue"})
        assert isinstance(refused.value, InputError) and refused.value.status == 400
        fields = {e["field"] for e in refused.value.field_errors}
        assert any("upload_type" in f for f in fields) and any("colour" in f for f in fields)
        assert all(e["messages"] for e in refused.value.field_errors)
        with pytest.raises(ZenodoRejected) as no_files:
            z.publish(dep["id"])  # no files, no metadata
        assert any("files" in e["field"] for e in no_files.value.field_errors)
        with pytest.raises(NotFound):
            z.get(dep["id"] + 1000)


def test_the_token_stays_out_of_urls_messages_and_logs(
    local_zenodo: LocalZenodo, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore log every request at DEBUG/INFO
    sent: list[httpx.Request] = []
    z = client(local_zenodo, max_retries=1)
    z._http.event_hooks["request"].append(sent.append)
    dep = z.create()
    local_zenodo.fault(route=f"/api/deposit/depositions/{dep['id']}", method="GET", status=503, count=1)
    assert z.get(dep["id"])["id"] == dep["id"]
    data = tmp_path / "a.txt"
    data.write_text("hello")
    z.upload(dep["links"]["bucket"], "a.txt", data)
    errors: list[Exception] = []
    for call in (lambda: z.get(10**9), lambda: z.publish(dep["id"])):
        with pytest.raises(Exception) as caught:
            call()
        errors.append(caught.value)
    wrong = ZenodoClient(local_zenodo.url, "not-the-token-0000", sleep=lambda _s: None)
    with pytest.raises(ZenodoTokenRejected) as rejected:
        wrong.create()
    assert "FAIRGRID_ZENODO_TOKEN" in rejected.value.hint and rejected.value.status in (401, 403)
    errors.append(rejected.value)
    with pytest.raises(ZenodoRejected):
        z.get_url("http://example.org/api/deposit/depositions/1")  # a link elsewhere gets no token
    assert sent and all(local_zenodo.token not in str(r.url) for r in sent)
    assert all(r.headers["Authorization"] == f"Bearer {local_zenodo.token}" for r in sent)
    texts = [str(e) for e in errors] + [repr(e) for e in errors] + [str(e.to_dict()) for e in errors]  # type: ignore[attr-defined]
    texts += [repr(z), repr(wrong), repr(Secret(local_zenodo.token)), caplog.text]
    assert caplog.text  # the retry was logged
    for text in texts:
        assert local_zenodo.token not in text and "not-the-token-0000" not in text
    z.close()
    wrong.close()


def test_a_file_changed_during_upload_is_refused(local_zenodo: LocalZenodo, tmp_path: Path) -> None:
    data = tmp_path / "a.txt"
    data.write_text("now")
    with client(local_zenodo) as z:
        dep = z.create()
        with pytest.raises(ZenodoUnavailable, match="changed while it was uploaded"):
            z.upload(dep["links"]["bucket"], "a.txt", data, md5="0" * 32)


@contextmanager
def _served_by(handler: type[BaseHTTPRequestHandler], token: str = "t") -> Iterator[ZenodoClient]:
    """A client of `handler` served from a thread on a free port (a Zenodo that is not one), no retry waits."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with ZenodoClient(f"http://127.0.0.1:{server.server_address[1]}", token, sleep=lambda _s: None) as z:
            yield z
    finally:
        server.shutdown()
        server.server_close()


class _Echo(BaseHTTPRequestHandler):
    """A hostile server: every answer is a 400 quoting the caller's Authorization header back."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        said = self.headers.get("Authorization", "")
        body = json.dumps({"message": f"bad {said}", "errors": [{"field": said, "messages": said}]}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


def test_a_server_echoing_the_token_does_not_make_it_show() -> None:
    with _served_by(_Echo, "echoed-secret-42") as z, pytest.raises(ZenodoRejected) as refused:
        z.create()
    assert refused.value.field_errors == [{"field": "Bearer ***", "messages": ["Bearer ***"]}]
    assert "echoed-secret-42" not in f"{refused.value} {refused.value.to_dict()}"


def test_server_waits_from_headers() -> None:
    z = ZenodoClient("http://127.0.0.1:1", "t", now=lambda: 1_000_000_000.0)

    def wait(**headers: str) -> float | None:
        return z._server_wait(httpx.Response(429, headers=headers))

    assert wait(**{"Retry-After": "3"}) == 3.0
    assert wait(**{"Retry-After": "Sun, 09 Sep 2001 01:46:50 GMT"}) == 10.0  # an HTTP date
    assert wait(**{"X-RateLimit-Reset": "1000000012"}) == 12.0  # Zenodo: a Unix time
    assert wait(**{"X-RateLimit-Reset": "5"}) == 5.0
    assert wait(**{"Retry-After": "soon"}) is None and wait() is None


def test_a_wait_longer_than_allowed_is_not_slept(local_zenodo: LocalZenodo) -> None:
    local_zenodo.fault(route="/api/deposit/depositions", method="POST", status=429, count=1, retry_after=3600)
    sleeps: list[float] = []
    with client(local_zenodo, sleeps, max_wait_s=60) as z, pytest.raises(ZenodoUnavailable) as failed:
        z.create()
    assert sleeps == [] and "3600" in failed.value.message
    assert local_zenodo.state()["depositions"] == 0


def test_without_a_token_nothing_is_sent(local_zenodo: LocalZenodo) -> None:
    for token in ("", None, Secret("")):
        with ZenodoClient(local_zenodo.url, token) as z, pytest.raises(ZenodoTokenRejected) as refused:
            z.create()
        assert "FAIRGRID_ZENODO_TOKEN" in refused.value.hint
    assert local_zenodo.state()["requests"] == []


class _NoDeposition(BaseHTTPRequestHandler):
    body = b"{}"

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_GET = do_POST = _answer  # noqa: N815 - the http.server hooks

    def log_message(self, *args: object) -> None:
        pass


def _answering(body: bytes) -> type[BaseHTTPRequestHandler]:
    """A server answering every GET and POST with 201 and `body`."""
    return type("Handler", (_NoDeposition,), {"body": body})


@pytest.mark.parametrize("body", [b"", b"{}", b"[]", b'{"id": "x"}', b'{"id": true}', b'"id"'])
def test_an_answer_that_is_no_deposition_is_unavailable_not_a_crash(body: bytes) -> None:
    # a proxy or a broken Zenodo answering 2xx with something else: a Zenodo error (the publisher retries
    # or adopts the draft), never a KeyError/TypeError that ends as a 500
    with _served_by(_answering(body)) as z:
        for call in (z.create, lambda: z.get(1), lambda: z.publish(1), lambda: z.new_version(1)):
            with pytest.raises(ZenodoUnavailable, match="deposition"):
                call()


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'[1, "x", null]', "entry 0 is no file (int)"),
        (b'[{"filename": "a.txt"}, "x"]', "entry 1 is no file (str)"),
        (b"{}", "no file list (dict)"),
        (b'"files"', "no file list (str)"),
        (b"", "no file list (empty)"),
    ],
)
def test_a_file_list_that_is_no_list_of_files_is_a_zenodo_error(body: bytes, why: str) -> None:
    # the publisher reads each entry's filename and checksum: a list holding numbers or strings ended in
    # AttributeError (a 500), and an answer that was no list at all was taken as "no files" (all uploaded
    # again, a published record with no download links)
    with (
        _served_by(_answering(body)) as z,
        pytest.raises(ZenodoUnavailable, match=r"/api/deposit/depositions/7/files") as caught,
    ):
        z.list_files(7)
    assert why in caught.value.message
