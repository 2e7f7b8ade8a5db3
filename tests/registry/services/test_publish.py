"""PublishService against the local Zenodo over real HTTP: roles, drafts, dry run, DOI write-back, versions."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from api.dev_zenodo.server import Running
from api.federation import hub_audit, publish_service
from federation.hub.audit import HubAudit
from registry.errors import PermissionDenied, Unauthenticated
from registry.identity import ANONYMOUS, Identity, Role
from registry.publish.writeback import CONCEPT_LABEL, VERSION_LABEL
from registry.services.publish import DraftNotPublishable
from registry.vocab import ADMS, DCAT, DCT, RDFS, SKOS
from registry.wiring import Registry
from tests.conftest import CURATOR, RESEARCHER
from tests.registry.publish.trained_model import MODEL_IRI
from tests.registry.services.conftest import MEMBER, edit_model
from tests.zenodo_env import zenodo_state

DATASET = "https://w3id.org/fairgrid/dataset/mds-registry-hub-a"


def _dois(reg: Registry, iri: str) -> dict[str, list[str]]:
    rec = reg.records.get(MEMBER, iri)
    out: dict[str, list[str]] = {VERSION_LABEL: [], CONCEPT_LABEL: []}
    for t in rec.values(ADMS + "identifier"):
        node = [x for x in rec.triples if x.subject == t]
        label = next(str(getattr(x.object, "value", "")) for x in node if x.predicate.value == RDFS + "label")
        out[label] += [
            str(getattr(x.object, "value", "")) for x in node if x.predicate.value == SKOS + "notation"
        ]
    return out


def test_only_consortium_members_and_admins_publish(hub: Registry, zenodo: Running) -> None:
    with pytest.raises(Unauthenticated):
        publish_service(hub).publish(ANONYMOUS, MODEL_IRI)
    for who in (RESEARCHER, CURATOR):
        with pytest.raises(PermissionDenied):
            publish_service(hub).publish(who, MODEL_IRI)
    assert zenodo_state(zenodo)["depositions"] == 0


def test_dry_run_sends_and_writes_nothing(hub: Registry, zenodo: Running) -> None:
    result = publish_service(hub).publish(MEMBER, MODEL_IRI, dry_run=True)
    assert result.dry_run and result.payload is not None
    assert result.payload["metadata"]["metadata"]["upload_type"] == "software"
    assert [f["name"] for f in result.payload["files"]] == [
        "model.safetensors", "metrics.json", "model-card.md", "ro-crate-metadata.json",
    ]  # fmt: skip
    assert zenodo_state(zenodo)["depositions"] == 0 and not zenodo_state(zenodo)["requests"]
    assert hub.records.get(MEMBER, MODEL_IRI).revision.number == 1  # type: ignore[union-attr]


def test_publish_writes_the_doi_back_and_a_second_call_publishes_nothing(
    hub: Registry, zenodo: Running
) -> None:
    seen: list[str] = []
    result = publish_service(hub).publish(MEMBER, MODEL_IRI, progress=seen.append)
    pub = result.published
    assert pub is not None and pub.doi.startswith("10.5072/") and result.revision == 2
    assert any("uploading model.safetensors" in m for m in seen)
    rec = hub.records.get(MEMBER, MODEL_IRI)
    assert rec.revision is not None and rec.revision.attributed_to == MEMBER.agent_iri
    assert _dois(hub, MODEL_IRI) == {VERSION_LABEL: [pub.doi], CONCEPT_LABEL: [pub.concept_doi]}
    dist = [d for d in rec.values(DCAT + "distribution")]
    assert len(dist) == 1
    urls = {
        t.predicate.value: str(getattr(t.object, "value", "")) for t in rec.triples if t.subject == dist[0]
    }
    assert urls[DCAT + "downloadURL"] == pub.files["model.safetensors"]
    assert urls[DCAT + "accessURL"] == pub.record_url
    assert (
        httpx.get(pub.files["model.safetensors"], timeout=10).content
        == (hub.settings.home / "models" / "test-fed-mds" / "model.safetensors").read_bytes()
    )
    (entry,) = hub_audit(hub).entries()  # the hub's log, as `fairgrid audit` shows it
    assert (entry["user"], entry["source"], entry["query"]) == (MEMBER.subject, "published", MODEL_IRI)
    assert entry["detail"] == {"doi": pub.doi, "concept_doi": pub.concept_doi, "revision": 1,
                               "target": zenodo.url, "doi_revision": 2, "writeback_error": None}  # fmt: skip

    again = publish_service(hub).publish(
        MEMBER, MODEL_IRI
    )  # answered from the journal: no HTTP write, no revision
    assert again.published == pub and again.revision == 2
    state = zenodo_state(zenodo)
    assert state["depositions"] == 1 and state["published"] == 1


def test_a_changed_record_is_a_new_version_under_the_same_concept_doi(hub: Registry, zenodo: Running) -> None:
    first = publish_service(hub).publish(MEMBER, MODEL_IRI).published
    assert first is not None
    edit_model(hub, version="0.2.0", seen_by=MEMBER)
    second = publish_service(hub).publish(MEMBER, MODEL_IRI)
    pub = second.published
    assert pub is not None and pub.doi != first.doi and pub.concept_doi == first.concept_doi
    assert pub.version == "0.2.0"
    assert _dois(hub, MODEL_IRI) == {VERSION_LABEL: [pub.doi], CONCEPT_LABEL: [first.concept_doi]}
    assert len(hub.records.get(MEMBER, MODEL_IRI).values(DCAT + "distribution")) == 1  # replaced, not added
    state = zenodo_state(zenodo)
    assert state["published"] == 2 and list(state["concepts"].values()) == [
        [first.deposition_id, pub.deposition_id]
    ]
    entries = hub_audit(hub).entries()
    assert [(e["source"], e["detail"]["doi"], e["detail"]["revision"]) for e in entries] == [
        ("published", first.doi, 1), ("new-version", pub.doi, 3),
    ]  # fmt: skip


def test_dataset_description_is_published_with_its_rdf(hub: Registry, zenodo: Running) -> None:
    result = publish_service(hub).publish(MEMBER, DATASET)
    pub = result.published
    assert pub is not None and sorted(pub.files) == [
        "dataset.jsonld",
        "dataset.ttl",
        "ro-crate-metadata.json",
    ]
    rec = hub.records.get(MEMBER, DATASET)
    assert f"https://doi.org/{pub.doi}" in [v.value for v in rec.values(DCT + "identifier")]
    assert result.writeback_error is None and result.revision == 2


def test_drafts_and_other_kinds_are_refused(hub: Registry, zenodo: Running) -> None:
    rec = hub.records.get(CURATOR, DATASET)
    assert rec.revision is not None
    data = ox.serialize(list(rec.triples), format=ox.RdfFormat.N_TRIPLES)
    assert data is not None
    hub.records.update(
        CURATOR, DATASET, data + b"", ox.RdfFormat.N_TRIPLES, rec.revision.number, publish=False
    )
    admin = Identity("admin-1", frozenset({Role.ADMIN}))
    with pytest.raises(DraftNotPublishable):
        publish_service(hub).publish(admin, DATASET)
    with pytest.raises(DraftNotPublishable):
        publish_service(hub).publish(MEMBER, DATASET)
    with pytest.raises(Exception, match="only models, datasets"):
        publish_service(hub).publish(MEMBER, "https://w3id.org/fairgrid/site/paris")
    assert zenodo_state(zenodo)["depositions"] == 0


def test_an_edit_during_the_upload_keeps_its_content_and_gets_the_doi(hub: Registry, zenodo: Running) -> None:
    def meanwhile(message: str) -> None:
        if message == "publishing":
            edit_model(hub)

    result = publish_service(hub).publish(MEMBER, MODEL_IRI, progress=meanwhile)
    pub = result.published
    assert pub is not None and pub.version == "0.1.0" and result.revision == 3
    rec = hub.records.get(MEMBER, MODEL_IRI)
    assert rec.value(DCAT + "version") == "0.3.0" and _dois(hub, MODEL_IRI)[VERSION_LABEL] == [pub.doi]
    assert rec.revision is not None and "revision 1 was published" in (rec.revision.note or "")
    later = publish_service(hub).publish(MEMBER, MODEL_IRI).published  # the edited content: a new version
    assert later is not None and later.version == "0.3.0" and later.concept_doi == pub.concept_doi


def test_a_draft_made_during_the_upload_waits_for_the_doi(hub: Registry, zenodo: Running) -> None:
    def meanwhile(message: str) -> None:
        if message == "publishing":
            edit_model(hub, publish=False)

    result = publish_service(hub).publish(MEMBER, MODEL_IRI, progress=meanwhile)
    assert result.published is not None and result.revision is None
    assert result.writeback_error is not None and "draft" in result.writeback_error
    assert zenodo_state(zenodo)["published"] == 1
    (entry,) = hub_audit(hub).entries()
    assert entry["source"] == "published" and entry["detail"]["doi"] == result.published.doi
    assert entry["detail"]["doi_revision"] is None and "draft" in entry["detail"]["writeback_error"]


def test_a_model_the_training_flow_registered(hub: Registry, zenodo: Running) -> None:
    """The record federation/jobs/model_record.py writes (no dct:creator: the sites that trained it are)."""
    from datetime import UTC, datetime

    from federation.jobs.model_record import TrainedModel, model_triples
    from tests.registry.publish.trained_model import METRICS, WEIGHTS

    base = "https://w3id.org/fairgrid/"
    m = TrainedModel(
        iri=base + "model/job-1", slug="job-1", job=base + "job/1", job_title="MDS to AML", task="mds-aml",
        run_id="42", started=datetime(2026, 12, 1, 10, tzinfo=UTC), ended=datetime(2026, 12, 1, 10, 5, tzinfo=UTC),
        rounds=2, run_config={"strategy": "FedAvg", "privacy": "none"}, approvals=("a1",),
        sites=(base + "site/paris", base + "site/milan"), datasets=(DATASET,), metrics={"auc": 0.71},
        history=tuple(METRICS["rounds"]), download_base=base + "models/job-1/",
    )  # fmt: skip
    data = ox.serialize(model_triples(m), format=ox.RdfFormat.N_TRIPLES)
    assert data is not None
    hub.records.create(CURATOR, data, ox.RdfFormat.N_TRIPLES, source="training")
    folder = hub.settings.home / "models" / "job-1"
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(WEIGHTS)
    result = publish_service(hub).publish(MEMBER, m.iri, dry_run=True)
    assert result.payload is not None
    meta = result.payload["metadata"]["metadata"]
    assert [c["name"] for c in meta["creators"]] == [
        "Hôpital universitaire Exemple Paris (example site)", "Ospedale universitario Esempio Milano (example site)",
    ]  # fmt: skip
    assert (
        meta["license"] == "cc-by-4.0"
        and meta["version"] == "42"
        and meta["publication_date"] == "2026-12-01"
    )
    done = publish_service(hub).publish(MEMBER, m.iri)
    assert done.published is not None and done.revision == 2 and done.writeback_error is None


def test_the_dry_run_payload_is_what_zenodo_receives(hub: Registry, zenodo: Running) -> None:
    dry = publish_service(hub).publish(MEMBER, DATASET, dry_run=True).payload
    pub = publish_service(hub).publish(MEMBER, DATASET).published
    assert dry is not None and pub is not None
    auth = {"Authorization": f"Bearer {zenodo.token}"}
    dep = httpx.get(
        f"{zenodo.url}/api/deposit/depositions/{pub.deposition_id}", headers=auth, timeout=10
    ).json()
    sent = dry["metadata"]["metadata"]
    assert {k: dep["metadata"].get(k) for k in sent} == sent
    files = {f["filename"]: (f["filesize"], f["checksum"].removeprefix("md5:")) for f in dep["files"]}
    assert files == {f["name"]: (f["size"], f["md5"]) for f in dry["files"]}


def test_consortium_only_metadata_of_related_records_is_not_published(hub: Registry, zenodo: Running) -> None:
    # a public model trained on a dataset whose metadata is for the consortium only: the member who
    # publishes may read that dataset, the public Zenodo record must not repeat it (title, DOI, names)
    fg = "https://w3id.org/fairgrid/ns#"
    ds = hub.records.get(CURATOR, DATASET)
    assert ds.revision is not None
    hidden = [t for t in ds.triples if t.predicate.value != fg + "metadataVisibility"]
    hidden.append(
        ox.Triple(
            ox.NamedNode(DATASET),
            ox.NamedNode(fg + "metadataVisibility"),
            ox.NamedNode(fg + "ConsortiumMetadata"),
        )
    )
    data = ox.serialize(hidden, format=ox.RdfFormat.N_TRIPLES)
    assert data is not None
    hub.records.update(CURATOR, DATASET, data, ox.RdfFormat.N_TRIPLES, base_revision=ds.revision.number)
    title = str(hub.records.get(MEMBER, DATASET).value(DCT + "title"))
    assert title and title != "None"
    pub = publish_service(hub).publish(MEMBER, MODEL_IRI).published
    assert pub is not None
    deposited = json.dumps(zenodo_state(zenodo))
    for name, url in pub.files.items():
        deposited += httpx.get(url, timeout=10).text if not name.endswith(".safetensors") else ""
    assert title not in deposited
    assert DATASET in deposited  # the model's own (public) metadata still names what it was trained on


def test_after_a_failed_write_back_the_next_publication_is_a_new_version(
    hub: Registry, zenodo: Running
) -> None:
    # the hint of the failed write-back: publish the draft, then publish again (a new version gets the DOI)
    def meanwhile(message: str) -> None:
        if message == "publishing":
            edit_model(hub, publish=False)

    first = publish_service(hub).publish(MEMBER, MODEL_IRI, progress=meanwhile)
    assert first.published is not None and first.writeback_error is not None
    hub.records.publish(CURATOR, MODEL_IRI)
    later = publish_service(hub).publish(MEMBER, MODEL_IRI).published
    assert later is not None and later.version == "0.3.0" and later.doi != first.published.doi
    assert later.concept_doi == first.published.concept_doi  # not a second, unrelated concept
    assert _dois(hub, MODEL_IRI) == {VERSION_LABEL: [later.doi], CONCEPT_LABEL: [later.concept_doi]}
    state = zenodo_state(zenodo)
    assert list(state["concepts"].values()) == [[first.published.deposition_id, later.deposition_id]]


def test_a_failed_audit_write_warns_and_the_publication_stands(
    hub: Registry, zenodo: Running, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    audit = HubAudit(tmp_path / "closed-audit.sqlite")
    audit.close()  # every write now fails (sqlite3.ProgrammingError)
    service = publish_service(hub)
    service.audit = audit
    with caplog.at_level(logging.WARNING, logger="fairgrid.audit"):
        result = service.publish(MEMBER, MODEL_IRI)
    pub = result.published
    assert pub is not None and result.revision == 2 and result.writeback_error is None
    assert _dois(hub, MODEL_IRI)[VERSION_LABEL] == [pub.doi] and zenodo_state(zenodo)["published"] == 1
    assert result.audit_warning is not None and pub.doi in result.audit_warning
    assert "audit log did not take" in caplog.text and pub.doi in caplog.text
