"""Signed messages between hub and sites: Ed25519 over the canonical JSON of a body with a nonce and a time.

Every request from the hub and every answer from a site is a `{"body": {...}, "sig": "<base64>"}` envelope.
The receiver checks the signature with the sender's public key (the site's from its registry record, the
hub's pinned at the site), that the time is within `MAX_SKEW_S` of its own clock, and that it has not seen
the nonce before: a forged, altered or replayed message is refused.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from registry.errors import InputError

MAX_SKEW_S = 30.0


class ProtocolError(InputError):
    code = "bad_message"
    hint = "check both clocks and keys; a replayed or altered message is never accepted"


def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The private key at `path` (PEM, mode 0600), created on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # never readable by others
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        try:
            os.link(tmp, path)  # a concurrent creator may have won: then use its key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ProtocolError(f"{path} is not an Ed25519 private key", hint="remove it to have a new one made")
    return loaded


def public_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def public_key(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError("not an Ed25519 public key (base64 of 32 bytes)") from exc


def seal(body: dict[str, Any], key: Ed25519PrivateKey, *, now: float | None = None) -> dict[str, Any]:
    """The envelope for `body`, with a fresh nonce and the current time added."""
    full = {**body, "nonce": secrets.token_hex(16), "ts": time.time() if now is None else now}
    return {"body": full, "sig": base64.b64encode(key.sign(canonical(full))).decode("ascii")}


class ReplayGuard:
    """Nonces seen within the skew window; a message older than the window is refused by its time anyway."""

    def __init__(self, window_s: float = 2 * MAX_SKEW_S, limit: int = 200_000) -> None:
        self.window_s, self.limit = window_s, limit
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, nonce: str, now: float) -> None:
        with self._lock:
            while self._seen and (
                next(iter(self._seen.values())) < now - self.window_s or len(self._seen) > self.limit
            ):
                self._seen.popitem(last=False)
            if nonce in self._seen:
                raise ProtocolError("replayed message (nonce seen before)")
            self._seen[nonce] = now


def open_envelope(
    msg: Any, key: Ed25519PublicKey, guard: ReplayGuard, *, now: float | None = None
) -> dict[str, Any]:
    """The verified body of `msg`, or ProtocolError (forged, altered, stale or replayed)."""
    if (
        not isinstance(msg, dict)
        or not isinstance(msg.get("body"), dict)
        or not isinstance(msg.get("sig"), str)
    ):
        raise ProtocolError("not a signed envelope")
    body = msg["body"]
    try:
        key.verify(base64.b64decode(msg["sig"], validate=True), canonical(body))
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise ProtocolError("bad signature: the message is forged or was altered") from exc
    now = time.time() if now is None else now
    ts, nonce = body.get("ts"), body.get("nonce")
    if not isinstance(ts, int | float) or abs(now - ts) > MAX_SKEW_S:
        raise ProtocolError("stale or future-dated message")
    if not isinstance(nonce, str) or len(nonce) < 16:
        raise ProtocolError("message without a nonce")
    guard.check(nonce, now)
    return body
