"""The hub applies each site's registered fg:disclosureThreshold as a floor on what it passes on, and passes
a site's refusal on as such."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.hub.audit import HubAudit
from federation.hub.broker import Broker, SiteStatus
from federation.hub.feasibility import FeasibilityResult, FeasibilityService
from federation.hub.sites import SiteDirectory
from federation.signing import seal
from federation.site.disclosure import Answer, Status
from registry.identity import Identity, Role
from tests.api.rest.conftest import loaded_registry
from tests.federation.hub.test_broker import Pipe

QUESTION = {"inclusion": [[{"type": "sex", "value": "female"}]]}
SITE = "leiden-01"  # fg:disclosureThreshold 10 in the example catalogue


def _asked(tmp_path: Path, answer: dict[str, Any]) -> FeasibilityResult:
    reg = loaded_registry(tmp_path / "home")
    audit = HubAudit(tmp_path / "audit.sqlite")
    directory = SiteDirectory(reg.records)
    broker = Broker(Ed25519PrivateKey.generate(), directory.key)
    site_key, pipe = Ed25519PrivateKey.generate(), Pipe()
    broker.attach(SITE, pipe, site_key.public_key())
    service = FeasibilityService(broker, directory, reg.terms, reg.records, reg.search, audit)

    async def scenario() -> FeasibilityResult:
        task = asyncio.create_task(
            service.ask(Identity("eve", frozenset({Role.RESEARCHER})), QUESTION, [SITE], 30000)
        )
        while not pipe.sent:
            await asyncio.sleep(0.01)
        qid = pipe.sent[0]["body"]["id"]
        broker.receive(SITE, seal({"type": "answer", "id": qid, "site": SITE, "answer": answer}, site_key))
        return await task

    try:
        return asyncio.run(scenario())
    finally:
        audit.close()
        reg.close()


def test_a_count_under_the_sites_registered_threshold_does_not_pass_the_hub(tmp_path: Path) -> None:
    # the site's own policy file let 3 out (threshold 1, or a hostile agent); its record says 10
    r = _asked(tmp_path, {"status": "OK", "count": 3, "precision": "EXACT", "epsilon": 0.0})
    (site,) = r.sites
    assert (site.status, site.count, site.precision, site.threshold) == (
        SiteStatus.OK,
        None,
        "BELOW_THRESHOLD",
        10,
    )
    assert (r.total.count, r.total.precision, r.total.upper) == (0, "LOWER_BOUND", 9)


def test_a_count_at_the_threshold_passes(tmp_path: Path) -> None:
    r = _asked(tmp_path, {"status": "OK", "count": 10, "precision": "ROUNDED", "epsilon": 0.0})
    assert (r.sites[0].count, r.sites[0].precision) == (10, "ROUNDED")


def test_a_site_refusing_for_its_budget_is_refused_to_the_caller_and_audited(tmp_path: Path) -> None:
    # what a site's ledger answers once the user's privacy budget is spent (federation.site.disclosure)
    refusal = Answer(Status.REFUSED, reason="privacy budget spent (2 of 2)").to_json()
    r = _asked(tmp_path, refusal)
    (site,) = r.sites
    assert (site.status, site.count, site.reason) == (
        SiteStatus.REFUSED,
        None,
        "privacy budget spent (2 of 2)",
    )
    assert (r.total.count, r.total.precision, r.missing_sites) == (None, None, [SITE])
    audit = HubAudit(tmp_path / "audit.sqlite")
    try:
        (entry,) = audit.entries()
    finally:
        audit.close()
    assert entry["sites"] == [{"site": SITE, "status": "REFUSED", "precision": None, "epsilon": 0.0}]
