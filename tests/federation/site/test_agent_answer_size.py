"""The site agent and the size of its answers: over the hub's limit it sends a small error answer instead.

Over a real WebSocket, to a scripted hub that runs the hub's real Broker. The real hub (`fairgrid serve`)
never sends a question that makes such an answer: it checks criteria more strictly than a site does, and
the site's reason for refusing criteria quotes them. A hub of another version could, and the hub then
saw the answer only as a closed connection ("the site disconnected", over its frame limit) or cut the
connection itself (over MAX_MESSAGE).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.hub.broker import Broker, SiteReply, SiteStatus
from federation.protocol import MAX_MESSAGE, WS_MAX_BYTES
from federation.site.agent import Agent
from federation.site.feasibility import Responder
from federation.site.home import init_site
from federation.site.keys import site_public_key
from federation.site.store import SiteStore
from tests.conftest import free_port

SMALL = {"inclusion": [[{"type": "sex", "value": "female"}]]}
# criteria the site refuses, quoting them: its reason (and answer) is over MAX_MESSAGE
HUGE = {"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "D46.1"}] * 8000]}


@pytest.fixture
def agent(tmp_path: Path) -> Agent:
    home = init_site(tmp_path / "site", "site-a", secret="s")
    SiteStore(home.store_path).close()
    port = free_port()
    return Agent(Responder.open(home.path), f"http://127.0.0.1:{port}", "token")


async def _ask_over_a_socket(agent: Agent, criteria: Any) -> tuple[SiteReply, list[int]]:
    """The hub's side: its Broker behind a WebSocket server with the hub's frame limit, as the hub's
    endpoint uses it; the agent's own session dials it. The site's reply and the sizes of the messages
    the server received."""
    from websockets.asyncio.server import ServerConnection, serve
    from websockets.exceptions import ConnectionClosed

    broker = Broker(Ed25519PrivateKey.generate(), {"site-a": site_public_key(agent.home)}.get)
    received: list[int] = []
    asked: list[asyncio.Task[dict[str, SiteReply]]] = []

    class Link:
        def __init__(self, ws: ServerConnection) -> None:
            self.ws = ws

        async def send_text(self, data: str) -> None:
            await self.ws.send(data)

    async def hub(ws: ServerConnection) -> None:
        await ws.send(json.dumps({"type": "hub-hello", "hub_key": broker.public_key}))
        link = Link(ws)
        broker.attach("site-a", link, broker.welcome("site-a", json.loads(await ws.recv())))
        asked.append(asyncio.create_task(broker.ask(["site-a"], "researcher-1", criteria, 20.0)))
        try:
            async for message in ws:
                received.append(len(message))
                broker.receive("site-a", json.loads(message))
        except ConnectionClosed:
            pass
        finally:
            broker.detach("site-a", link)  # its open question is ERROR: "the site disconnected"

    port = int(agent.url.rsplit(":", 1)[1].split("/")[0])
    async with serve(hub, "127.0.0.1", port, max_size=WS_MAX_BYTES):
        session = asyncio.create_task(agent.session())
        try:
            async with asyncio.timeout(30):
                while not asked:
                    await asyncio.sleep(0.05)
                reply = (await asked[0])["site-a"]
        finally:
            session.cancel()
            await asyncio.gather(session, return_exceptions=True)
    return reply, received


def test_an_answer_over_the_hubs_limit_is_a_small_error_answer(agent: Agent) -> None:
    full = json.dumps(agent.responder.answer("researcher-1", HUGE).to_json())
    assert len(full) > WS_MAX_BYTES  # what the site would have sent
    reply, sizes = asyncio.run(_ask_over_a_socket(agent, HUGE))
    assert reply.status is SiteStatus.ERROR and reply.reason is not None, reply
    assert reply.reason.startswith("answer too large: ") and f"bytes, limit {MAX_MESSAGE}" in reply.reason
    n = int(reply.reason.removeprefix("answer too large: ").split(" ")[0])
    assert n > len(full)  # the signed message's size, envelope included
    assert len(sizes) == 1 and sizes[0] <= 2048, sizes  # what it sent instead: a small answer


def test_an_answer_within_the_limit_is_sent_as_it_is(agent: Agent) -> None:
    reply, _ = asyncio.run(_ask_over_a_socket(agent, SMALL))
    assert reply.status is SiteStatus.OK and reply.answer is not None  # signed and verified as before
