"""The site agent: one outbound, authenticated WebSocket to the hub, kept open; no inbound port at the site.

On connecting, the hub says who it is (its public key, pinned in the site home on first contact, or given
with --hub-key; a different key later is refused) and the site says hello, signed with its own key, which
the hub checks against the key in the site's registry record. Each question from the hub must be signed by
the hub, fresh and not replayed, and addressed to this site; the site answers it from its own store under
its own disclosure policy, signs the answer and sends it back. A lost connection is retried with
exponential backoff and jitter.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation.protocol import MAX_MESSAGE
from federation.signing import ProtocolError, ReplayGuard, open_envelope, public_key, seal
from federation.site.disclosure import Answer, Status
from federation.site.feasibility import Responder
from federation.site.keys import site_key
from registry.errors import InputError

log = logging.getLogger("fairgrid.site.agent")
HUB_KEY_FILE = "hub-key.pub"
AGENT_PATH = "/federation/agent"


class HubKeyMismatch(InputError):
    code = "hub_key_mismatch"
    hint = "if the hub's key really changed, check it with the hub's operators, then delete hub-key.pub"


def agent_url(hub: str) -> str:
    parts = urlsplit(hub)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        raise InputError(f"--hub {hub!r} is not an http(s) URL", hint="e.g. --hub https://hub.example.org")
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + AGENT_PATH, "", ""))


@dataclass
class Agent:
    responder: Responder
    hub: str
    token: str
    hub_key_text: str | None = None  # given by the operator; else pinned on first contact
    max_backoff_s: float = 30.0

    def __post_init__(self) -> None:
        self.home = self.responder.home.path
        self.key = site_key(self.home)
        self.url = agent_url(self.hub)
        self.guard = ReplayGuard()
        self.connected = asyncio.Event()
        self.answered = 0

    @property
    def site_id(self) -> str:
        return self.responder.site_id

    def _hub_key(self, offered: str) -> Ed25519PublicKey:
        pinned_file = self.home / HUB_KEY_FILE
        expected = self.hub_key_text or (pinned_file.read_text().strip() if pinned_file.exists() else None)
        if expected is None:
            pinned_file.write_text(offered + "\n", encoding="utf-8")
            log.warning("pinned the hub's key on first contact: %s", offered)
            expected = offered
        if offered != expected:
            raise HubKeyMismatch(f"the hub at {self.hub} presents another key than the one pinned for it")
        return public_key(expected)

    async def run_forever(self) -> None:
        backoff = 0.5
        while True:
            started = time.monotonic()
            try:
                await self.session()
            except HubKeyMismatch:
                raise
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("connection to the hub lost (%s: %s)", type(exc).__name__, exc)
            self.connected.clear()
            if time.monotonic() - started > 10:
                backoff = 0.5  # it was up a while: start over
            await asyncio.sleep(backoff * random.uniform(0.5, 1.5))
            backoff = min(self.max_backoff_s, backoff * 2)

    async def session(self) -> None:
        from websockets.asyncio.client import connect

        headers = {"Authorization": f"Bearer {self.token}"}
        async with connect(self.url, additional_headers=headers, max_size=2**20, open_timeout=10) as ws:
            first = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
            if not isinstance(first, dict) or first.get("type") != "hub-hello":
                raise ProtocolError("the hub did not say hello")
            hub_key = self._hub_key(str(first.get("hub_key", "")))
            await ws.send(json.dumps(seal({"type": "hello", "site": self.site_id}, self.key)))
            self.connected.set()
            log.info("site %s connected to %s", self.site_id, self.url)
            async for raw in ws:
                reply = await self.handle(raw, hub_key)
                if reply is not None:
                    await ws.send(reply)

    async def handle(self, raw: str | bytes, hub_key: Ed25519PublicKey) -> str | None:
        try:
            body = open_envelope(json.loads(raw), hub_key, self.guard)
        except (ProtocolError, ValueError) as exc:
            log.warning("refused a message from the hub: %s", getattr(exc, "message", exc))
            return None
        if body.get("type") != "feasibility" or body.get("site") != self.site_id:
            log.warning("refused a message not addressed to this site's feasibility service")
            return None
        user = str(body.get("user", ""))
        answer = await asyncio.to_thread(self.responder.answer, user, body.get("criteria"))
        self.answered += 1
        reply = self._sealed(body.get("id"), answer)
        size = len(reply.encode())
        if size > MAX_MESSAGE:
            # the hub would refuse it and close the connection (over its frame limit it sees no reason at
            # all): a small error answer instead, with the epsilon the answer spent (audited here)
            why = f"answer too large: {size} bytes, limit {MAX_MESSAGE}"
            log.warning("question %.40s: %s; sent an error answer instead", body.get("id"), why)
            reply = self._sealed(body.get("id"), Answer(Status.ERROR, epsilon=answer.epsilon, reason=why))
            if len(reply.encode()) > MAX_MESSAGE:  # the hub's own id is that large: nothing to answer to
                return None
        return reply

    def _sealed(self, question_id: Any, answer: Answer) -> str:
        out: dict[str, Any] = {
            "type": "answer",
            "id": question_id,
            "site": self.site_id,
            "answer": answer.to_json(),
        }
        return json.dumps(seal(out, self.key))
