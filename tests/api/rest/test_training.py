"""A site's gate syncs its jobs' signed documents from the hub: only that site's operators may read them,
and a revocation given at the hub reaches the site with the next sync and refuses there."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api.auth import dev_token
from federation.jobs.approvals import governance_key
from federation.jobs.record import JobSpec
from federation.jobs.service import JobService, custodian_approval
from federation.signing import public_key, public_text
from federation.site.approvals_store import GOVERNANCE_KEY_FILE, ApprovalsStore
from federation.site.gate import GateKeys, decide
from federation.site.keys import site_key
from registry.errors import InputError
from registry.identity import Identity, Role, local_operator
from registry.wiring import Registry
from tests.api.rest.conftest import client_for, loaded_registry

FAB = hashlib.sha256(b"the app").hexdigest()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, TestClient, Path]]:
    root = tmp_path_factory.mktemp("training")
    reg = loaded_registry(root / "hub")
    site_home = root / "site-a"
    ttl = (
        "@prefix fg: <https://w3id.org/fairgrid/ns#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
        '<https://w3id.org/fairgrid/site/site-a> a fg:Site, foaf:Organization ; foaf:name "A" ;\n'
        f'  fg:siteId "site-a" ; fg:signingKey "{public_text(site_key(site_home))}" .\n'
    )
    reg.records.create(local_operator(), ttl, ox.RdfFormat.TURTLE)
    yield reg, client_for(reg), site_home
    reg.close()


def token(reg: Registry, subject: str, *roles: Role, site: str | None = None) -> str:
    return dev_token(reg.settings.home, subject, list(roles), site=site)


def test_documents_reach_the_site_and_so_do_revocations(hub: tuple[Registry, TestClient, Path]) -> None:
    reg, client, home = hub
    jobs = JobService(reg.records, governance_key(reg.settings.home))
    spec = JobSpec(
        title="t", model="https://w3id.org/fairgrid/model/mds-aml-progression", fab_hash=FAB,
        criteria={"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "D46"}]]},
        sites=("site-a",), rounds=2, strategy="FedAvg", purpose="p",
        expires=datetime.now(UTC) + timedelta(days=1),
    )  # fmt: skip
    job = jobs.submit(Identity("alice", frozenset({Role.CONSORTIUM_MEMBER})), spec)
    job = jobs.approve(Identity("board", frozenset({Role.CONSORTIUM_MEMBER})), job.iri)
    operator = Identity("op-a", frozenset({Role.SITE_OPERATOR}), site="site-a")
    job = jobs.add_custodian_approval(
        operator, job.iri, custodian_approval(site_key(home), job, "site-a", "c")
    )

    url = "/federation/training/documents"
    assert client.get(url, params={"site": "site-a"}).status_code == 401
    other = token(reg, "op-b", Role.SITE_OPERATOR, site="site-b")
    r = client.get(url, params={"site": "site-a"}, headers={"Authorization": f"Bearer {other}"})
    assert r.status_code == 403
    mine = token(reg, "op-a", Role.SITE_OPERATOR, site="site-a")
    r = client.get(url, params={"site": "not a site"}, headers={"Authorization": f"Bearer {mine}"})
    assert r.status_code == 400

    store = ApprovalsStore(home)
    held = store.sync("http://testserver", mine, "site-a", http=client)
    assert [j for j in held.jobs] == [job.iri] and len(held.approvals) == 2 and not held.revocations
    assert held.synced_at is not None and held.jobs[job.iri]["cohort"] == job.criteria
    pinned = (home / GOVERNANCE_KEY_FILE).read_text("utf-8").strip()
    keys = GateKeys(public_key(pinned), site_key(home).public_key())
    assert decide("site-a", keys, FAB, job.run_config, held.approvals, held.revocations, time.time()).allowed

    gov_id = next(d["body"]["approval_id"] for d in job.approvals if d["body"]["authority"] == "governance")
    jobs.revoke(Identity("board", frozenset({Role.CONSORTIUM_MEMBER})), job.iri, gov_id, reason="stop")
    held = store.sync("http://testserver", mine, "site-a", http=client)
    d = decide("site-a", keys, FAB, job.run_config, held.approvals, held.revocations, time.time())
    assert not d.allowed and "revoked" in d.reason

    # a hub that later presents another governance key is refused, and the held documents stay as they were
    (home / GOVERNANCE_KEY_FILE).write_text(public_text(site_key(home)) + "\n", "utf-8")
    with pytest.raises(InputError):
        store.sync("http://testserver", mine, "site-a", http=client)
    assert store.read().revocations == held.revocations
