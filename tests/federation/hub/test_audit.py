"""The hub's audit log names who asked even for a question that never finished at the hub."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.hub.audit import HubAudit
from federation.hub.broker import Broker
from federation.hub.feasibility import FeasibilityService
from federation.hub.sites import SiteDirectory
from registry.identity import Identity, Role
from tests.api.rest.conftest import loaded_registry
from tests.federation.hub.test_broker import Pipe

QUESTION = {"inclusion": [[{"type": "sex", "value": "female"}]]}


def test_a_question_cancelled_while_the_sites_count_is_still_audited(tmp_path: Path) -> None:
    # the request is cancelled (client gone, hub shutting down) after the question went out: the site
    # has counted it, spent budget and logged it, so the hub's log must say who asked
    reg = loaded_registry(tmp_path / "home")
    audit = HubAudit(tmp_path / "audit.sqlite")
    directory = SiteDirectory(reg.records)
    site = sorted(directory.sites())[0]
    broker = Broker(Ed25519PrivateKey.generate(), directory.key)
    pipe = Pipe()  # a site that never answers
    broker.attach(site, pipe, Ed25519PrivateKey.generate().public_key())
    service = FeasibilityService(broker, directory, reg.terms, reg.records, reg.search, audit)
    who = Identity("mallory", frozenset({Role.RESEARCHER}))

    async def scenario() -> None:
        task = asyncio.create_task(service.ask(who, QUESTION, [site], deadline_ms=30000))
        while not pipe.sent:
            await asyncio.sleep(0.01)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    try:
        asyncio.run(scenario())
        (entry,) = audit.entries()
        assert entry["user"] == "mallory" and entry["source"] == "SITES" and entry["precision"] is None
        assert entry["query"] == '{"exclusion":[],"inclusion":[[{"type":"sex","value":"female"}]]}'
        assert entry["sites"] == [{"site": site, "status": "UNFINISHED", "precision": None, "epsilon": 0.0}]
    finally:
        audit.close()
        reg.close()
