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


def _signed_answer(tmp_path: Path, junk: int) -> tuple[bytes, list[dict[str, object]]]:
    """A hub's answer: one real approval pair for this site among `junk` unsigned or foreign documents."""
    import json

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from federation.jobs.approvals import Approval, Revocation, sign_approval, sign_revocation
    from federation.signing import public_text
    from federation.site.keys import site_key

    governance, custodian, stranger = (
        Ed25519PrivateKey.generate(),
        site_key(tmp_path),
        Ed25519PrivateKey.generate(),
    )

    def approval(authority: str, key: Ed25519PrivateKey, site: str = "site-a") -> dict[str, object]:
        return sign_approval(Approval(f"appr-{authority}-{site}", authority, "https://hub.example/job/j1",  # type: ignore[arg-type]
                                      "0" * 64, site, "purpose", {}, 2e9, "someone"), key)  # fmt: skip

    real = [approval("governance", governance), approval("custodian", custodian)]
    fake = {"body": {"type": "approval", "approval_id": "x", "site": "site-a"}, "sig": "AAAA"}
    foreign = [approval("governance", stranger), approval("governance", governance, site="site-b")]
    revs = [sign_revocation(Revocation("appr-x", "governance", 1.0, "r"), stranger)] + [fake] * junk
    body = {"governance_key": public_text(governance),
            "jobs": [{"iri": "https://hub.example/job/j1", "approvals": real + foreign + [fake] * junk,
                      "revocations": revs}]}  # fmt: skip
    return json.dumps(body).encode(), real


def test_only_documents_signed_for_this_site_are_held(
    tmp_path: Path, hostile_hub: tuple[str, type[_Hostile]]
) -> None:
    # A hub (or what stands between it and the site) could otherwise fill the held file with documents no
    # key signed: revocations are kept forever, and every gate check verifies every held document.
    url, handler = hostile_hub
    handler.body, real = _signed_answer(tmp_path, junk=2_000)
    held = ApprovalsStore(tmp_path).sync(url, "token", "site-a", timeout_s=30)
    assert list(held.approvals) == real
    assert held.revocations == ()
    assert ApprovalsStore(tmp_path).read().approvals == tuple(real)


def test_an_oversized_answer_is_refused_and_nothing_is_held(
    tmp_path: Path, hostile_hub: tuple[str, type[_Hostile]]
) -> None:
    from federation.site import approvals_store

    url, handler = hostile_hub
    handler.body = b'{"jobs": [], "pad": "' + b"x" * (approvals_store.MAX_ANSWER_BYTES + 1) + b'"}'
    store = ApprovalsStore(tmp_path)
    with pytest.raises(FairgridError, match="larger than"):
        store.sync(url, "token", "site-a", timeout_s=30)
    assert store.read().synced_at is None
