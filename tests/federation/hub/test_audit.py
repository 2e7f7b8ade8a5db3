"""The hub's audit log names who asked even for a question that never finished at the hub."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.hub.audit import HubAudit
from federation.hub.broker import Broker
from federation.hub.feasibility import FeasibilityService
from federation.hub.sites import SiteDirectory
from registry.errors import AuditUnavailable
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


def test_publications_of_the_former_jsonl_log_are_imported_once(tmp_path: Path) -> None:
    # registry/services/publish.py wrote one JSON line per publication to <home>/publish/audit.jsonl
    legacy = tmp_path / "publish" / "audit.jsonl"
    legacy.parent.mkdir()
    old = {"at": "2026-11-02T10:00:00+00:00", "event": "published", "iri": "https://w3id.org/fairgrid/model/m",
           "revision": 1, "target": "https://zenodo.org", "doi": "10.5281/zenodo.1", "concept_doi":
           "10.5281/zenodo.0", "by": "urn:fairgrid:agent:member-1"}  # fmt: skip
    legacy.write_text(json.dumps(old) + "\n[not an entry]\n")
    for _ in range(2):  # opened again (another worker, a restart): nothing twice
        audit = HubAudit(tmp_path / "audit.sqlite")
        try:
            (entry,) = audit.entries()
        finally:
            audit.close()
        # the user as entries of today hold it (the subject), not the agent IRI the old line had
        assert (entry["user"], entry["source"], entry["query"]) == ("member-1", "published", old["iri"])
        assert entry["at"] == 1793613600.0 and entry["detail"]["doi"] == "10.5281/zenodo.1"
        assert not legacy.exists() and (tmp_path / "publish" / "audit.jsonl.imported").exists()


def test_hostile_lines_of_the_former_log_are_skipped_and_the_log_opens(tmp_path: Path) -> None:
    # the import runs when the hub's log opens (serve, `fairgrid audit`): a line it cannot take must not
    # keep the hub from starting, nor land in the log as something `entries` or the CLI cannot show
    good = {"at": "2026-11-02T10:00:00+00:00", "event": "published", "iri": "https://w3id.org/fairgrid/model/m",
            "doi": "10.5281/zenodo.1", "by": "urn:fairgrid:agent:member-1"}  # fmt: skip
    head = '{"at": "2026-11-02T10:00:00+00:00", "event": "published", "iri": '
    hostile = [
        "[" * 100_000 + "]" * 100_000,  # nested too deeply for json.loads
        head + '"https://e.org/x", "d": ' + "[" * 100_000 + "]" * 100_000 + "}",
        head + '"https://e.org/\\ud800"}',  # a lone surrogate: no UTF-8 for SQLite
        head + '"https://e.org/x", "by": "\\udcff"}',
        head + '"https://e.org/x", "n": NaN}',  # not JSON that `fairgrid audit --json` could print
        head + '"https://e.org/x", "d": "' + "x" * (2 * 2**20) + '"}',  # 2 MiB: no publication entry
        '{"at": "0001-01-01T00:00:00+23:59", "event": "published", "iri": "https://e.org/x"}',  # year 0
        '{"at": "9999-12-31T23:59:59-23:59", "event": "published", "iri": "https://e.org/x"}',  # 10000
        "5",
        "null",
    ]
    legacy = tmp_path / "publish" / "audit.jsonl"
    legacy.parent.mkdir()
    legacy.write_text("\n".join([*hostile, json.dumps(good)]) + "\n", encoding="utf-8")
    audit = HubAudit(tmp_path / "audit.sqlite")
    try:
        (entry,) = audit.entries()
        assert (entry["query"], entry["user"], entry["detail"]) == (
            good["iri"],
            "member-1",
            {"doi": good["doi"]},
        )
    finally:
        audit.close()
    imported = tmp_path / "publish" / "audit.jsonl.imported"
    assert not legacy.exists() and imported.exists()
    imported.replace(legacy)  # as a second process finds it, before the first renamed it: nothing twice
    audit = HubAudit(tmp_path / "audit.sqlite")
    try:
        assert len(audit.entries()) == 1
    finally:
        audit.close()


@pytest.mark.parametrize(
    ("user", "detail"),
    [("u", {"doi": object()}), ("u", {"doi": float("nan")}), ("\udcff", {"doi": "10.5281/zenodo.1"})],
    ids=["not JSON-able", "NaN", "lone surrogate"],
)
def test_an_event_the_log_cannot_keep_is_audit_unavailable(tmp_path: Path, user: str, detail: dict) -> None:
    # the AuditSink port's one error: PublishService warns on it (the publication stands); any other
    # exception reported a publication that had happened as a failure
    audit = HubAudit(tmp_path / "audit.sqlite")
    try:
        with pytest.raises(AuditUnavailable):
            audit.record_event(user, "published", "https://w3id.org/fairgrid/model/m", detail)
        assert audit.entries() == []
    finally:
        audit.close()


def test_a_second_former_log_does_not_replace_the_first_ones_leftovers(tmp_path: Path) -> None:
    # the rename replaced an earlier audit.jsonl.imported: the lines that import could not take, kept
    # only there, were gone when a former log appeared again (an older process still writing, a restore)
    legacy = tmp_path / "publish" / "audit.jsonl"
    legacy.parent.mkdir()
    first = tmp_path / "publish" / "audit.jsonl.imported"
    first.write_text("[an entry the first import could not take]\n")
    entry = {
        "at": "2026-11-02T10:00:00+00:00",
        "event": "published",
        "iri": "https://e.org/m",
        "doi": "10.1/2",
    }
    legacy.write_text(json.dumps(entry) + "\n")
    HubAudit(tmp_path / "audit.sqlite").close()
    assert not legacy.exists() and first.read_text() == "[an entry the first import could not take]\n"
    (second,) = [p for p in legacy.parent.iterdir() if p.name.startswith("audit.jsonl.imported.")]
    assert json.loads(second.read_text()) == entry


def test_an_undecodable_line_of_the_former_log_is_skipped_and_the_rest_imported_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # the whole file was read as UTF-8: one bad byte held back every entry, with a warning at each open
    legacy = tmp_path / "publish" / "audit.jsonl"
    legacy.parent.mkdir()
    entry = {"at": "2026-11-02T10:00:00+00:00", "event": "published", "by": "urn:fairgrid:agent:member-1"}
    first, third = (json.dumps({**entry, "iri": f"https://e.org/m{n}"}).encode() for n in (1, 3))
    bad = json.dumps({**entry, "iri": "https://e.org/m2-XX"}).encode().replace(b"XX", b"\xff")
    legacy.write_bytes(b"\n".join([first, bad, third]) + b"\n")
    with caplog.at_level("WARNING", logger="fairgrid.audit"):
        HubAudit(tmp_path / "audit.sqlite").close()
    (warning,) = caplog.records
    assert "line 2" in warning.getMessage() and "UTF-8" in warning.getMessage(), warning.getMessage()
    caplog.clear()
    with caplog.at_level("WARNING", logger="fairgrid.audit"):
        audit = HubAudit(tmp_path / "audit.sqlite")
    try:
        assert [e["query"] for e in audit.entries()] == ["https://e.org/m1", "https://e.org/m3"]
    finally:
        audit.close()
    assert caplog.records == [] and not legacy.exists()
