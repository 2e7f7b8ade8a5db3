"""Signed envelopes: forged, altered, stale and replayed messages are refused; keys are private to their owner."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.signing import (
    ProtocolError,
    ReplayGuard,
    load_or_create_key,
    open_envelope,
    public_key,
    public_text,
    seal,
)


def test_a_sealed_message_opens_once() -> None:
    key = Ed25519PrivateKey.generate()
    guard = ReplayGuard()
    msg = seal({"type": "answer", "id": "q1"}, key)
    assert open_envelope(msg, key.public_key(), guard)["id"] == "q1"
    with pytest.raises(ProtocolError, match="replayed"):
        open_envelope(msg, key.public_key(), guard)


def test_forged_altered_and_stale_messages_are_refused() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    guard = ReplayGuard()
    with pytest.raises(ProtocolError, match="signature"):
        open_envelope(seal({"type": "answer"}, other), key.public_key(), guard)
    altered = seal({"type": "answer", "answer": {"count": 15}}, key)
    altered["body"]["answer"]["count"] = 1500
    with pytest.raises(ProtocolError, match="signature"):
        open_envelope(altered, key.public_key(), guard)
    with pytest.raises(ProtocolError, match="stale"):
        open_envelope(seal({"type": "answer"}, key, now=1_000_000.0), key.public_key(), guard)
    for junk in (None, [], {"body": {}}, {"body": [], "sig": "x"}, {"body": {}, "sig": "not base64!"}):
        with pytest.raises(ProtocolError):
            open_envelope(junk, key.public_key(), guard)


def test_keys_are_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "k.pem"
    a = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert public_text(load_or_create_key(path)) == public_text(a)
    assert public_text(public_key(public_text(a))) == public_text(a)
    for bad in ("", "abc", "A" * 44):
        with pytest.raises(ProtocolError):
            public_key(bad)
