"""The record service on a real embedded store: write rules, revisions, visibility, conflicts."""

from __future__ import annotations

import threading

import pyoxigraph as ox
import pytest

from registry.config import Settings
from registry.errors import (
    AlreadyExists,
    DatatypeError,
    Deprecated,
    IriNotAllowed,
    NotFound,
    NoTypedSubject,
    PermissionDenied,
    RdfSyntaxError,
    RecordTooLarge,
    StaleRevision,
    Unauthenticated,
    ValidationFailed,
)
from registry.identity import ANONYMOUS, Identity, Role
from registry.services.records import Checked
from registry.vocab import Kind
from registry.wiring import Registry, open_registry
from tests.conftest import CURATOR, RESEARCHER

TTL = ox.RdfFormat.TURTLE
BASE = "https://w3id.org/fairgrid/"

PREFIXES = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix healthdcatap: <http://healthdataportal.eu/ns/health#> .
@prefix theme: <http://publications.europa.eu/resource/authority/data-theme/> .
@prefix access: <http://publications.europa.eu/resource/authority/access-right/> .
"""

# What HealthDCAT-AP Release 5 asks of a RESTRICTED or NON_PUBLIC health dataset (shapes/README.md):
# the test organisation is publisher and HDAB, with the one contact point both need.
HEALTHDCAT = (
    'dct:identifier "{name}" ; dcat:keyword "sickle cell"@en ; dcat:distribution <'
    + BASE
    + "distribution/{name}> ;\n"
    "    <http://data.europa.eu/r5r/applicableLegislation> <http://data.europa.eu/eli/reg/2025/327/oj> ;\n"
    "    healthdcatap:healthCategory <https://hdeu-dcat.data.health.europa.eu/resource/authority/healthcategories/RQSH> ;\n"
    "    healthdcatap:hdab <" + BASE + "organization/test-org> ;\n"
    "    dct:type <https://w3id.org/fairgrid/vocab/dataset-type/PATIENT_LEVEL> ;\n"
    '    dct:provenance [ a dct:ProvenanceStatement ; dct:description "Test data."@en ] ;'
)
HEALTHDCAT_MORE = (
    "<" + BASE + "distribution/{name}> a dcat:Distribution ; dcat:accessURL <" + BASE + "access/{name}> ;\n"
    "    dct:license <http://publications.europa.eu/resource/authority/licence/CC_BY_4_0> ;\n"
    "    <http://data.europa.eu/r5r/applicableLegislation> <http://data.europa.eu/eli/reg/2025/327/oj> ."
)


def dataset(
    name: str = "ds1", title: str = "Sickle cell cohort", access: str = "PUBLIC", extra: str = ""
) -> str:
    return (
        PREFIXES
        + f"""
<{BASE}dataset/{name}> a dcat:Dataset ;
    dct:title "{title}"@en ;
    dct:description "Adults with sickle cell disease followed at one site."@en ;
    dcat:theme theme:HEAL ;
    dct:accessRights access:{access} ;
    dct:publisher <{BASE}organization/test-org> ;
    dcat:contactPoint [ a vcard:Kind ; vcard:fn "Registry team" ; vcard:hasEmail <mailto:team@example.org> ] ;
    {HEALTHDCAT.format(name=name) if access != "PUBLIC" else ""}
    healthdcatap:numberOfUniqueIndividuals "120"^^xsd:nonNegativeInteger {extra} .
<{BASE}organization/test-org> a foaf:Organization ; foaf:name "Test organisation"@en ;
    dcat:contactPoint [ a vcard:Kind ; vcard:hasEmail <mailto:office@example.org> ] .
{HEALTHDCAT_MORE.format(name=name) if access != "PUBLIC" else ""}
"""
    )


@pytest.fixture
def r(reg: Registry) -> Registry:
    return reg


def test_create_get_update_history_diff(r: Registry) -> None:
    created = r.records.create(CURATOR, dataset(), TTL)
    assert sorted(c.iri for c in created) == [f"{BASE}dataset/ds1", f"{BASE}organization/test-org"]
    rec = r.records.get(RESEARCHER, f"{BASE}dataset/ds1")
    assert rec.revision is not None and rec.revision.number == 1
    assert rec.revision.attributed_to == "urn:fairgrid:agent:curator-1"
    updated = r.records.update(
        CURATOR, f"{BASE}dataset/ds1", dataset(title="SCD cohort v2"), TTL, base_revision=1
    )
    assert updated.revision is not None and updated.revision.number == 2
    assert [h.number for h in r.records.history(RESEARCHER, f"{BASE}dataset/ds1")] == [1, 2]
    old = r.records.get(RESEARCHER, f"{BASE}dataset/ds1", revision=1)
    assert old.value("http://purl.org/dc/terms/title") == "Sickle cell cohort"
    d = r.records.diff(RESEARCHER, f"{BASE}dataset/ds1", 1, 2)
    assert [t.object.value for t in d.added] == ["SCD cohort v2"]  # type: ignore[union-attr]
    assert [t.object.value for t in d.removed] == ["Sickle cell cohort"]  # type: ignore[union-attr]


def test_stale_update_is_a_conflict(r: Registry) -> None:
    r.records.create(CURATOR, dataset(), TTL)
    r.records.update(CURATOR, f"{BASE}dataset/ds1", dataset(title="A"), TTL, base_revision=1)
    with pytest.raises(StaleRevision):
        r.records.update(CURATOR, f"{BASE}dataset/ds1", dataset(title="B"), TTL, base_revision=1)
    assert r.records.get(CURATOR, f"{BASE}dataset/ds1").value("http://purl.org/dc/terms/title") == "A"


def test_two_curators_editing_at_once_lose_nothing(r: Registry) -> None:
    r.records.create(CURATOR, dataset(), TTL)
    results: list[str] = []

    def edit(title: str) -> None:
        try:
            r.records.update(CURATOR, f"{BASE}dataset/ds1", dataset(title=title), TTL, base_revision=1)
            results.append(title)
        except StaleRevision:
            results.append("conflict")

    threads = [threading.Thread(target=edit, args=(t,)) for t in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("conflict") == 1
    winner = next(x for x in results if x != "conflict")
    assert r.records.get(CURATOR, f"{BASE}dataset/ds1").value("http://purl.org/dc/terms/title") == winner


def test_violation_rejects_and_stores_nothing(r: Registry) -> None:
    bad = dataset().replace('dct:title "Sickle cell cohort"@en ;', "")
    with pytest.raises(ValidationFailed) as err:
        r.records.create(CURATOR, bad, TTL)
    v = err.value.violations
    assert any(
        x.path == "http://purl.org/dc/terms/title" and x.constraint.endswith("MinCountConstraintComponent")
        for x in v
    )
    assert all(x.focus_node and x.message for x in v)
    assert r.store.count() == 0


def test_access_rights_choose_the_profile(r: Registry) -> None:
    no_contact = dataset(access="RESTRICTED").replace(
        'dcat:contactPoint [ a vcard:Kind ; vcard:fn "Registry team" ; vcard:hasEmail <mailto:team@example.org> ] ;',
        "",
    )
    with pytest.raises(ValidationFailed) as err:
        r.records.create(CURATOR, no_contact, TTL)
    assert any(v.path == "http://www.w3.org/ns/dcat#contactPoint" for v in err.value.violations)
    # the same record is acceptable as PUBLIC (contact point is only recommended there)
    r.records.create(CURATOR, no_contact.replace("access:RESTRICTED", "access:PUBLIC"), TTL)


def test_bad_inputs_have_clear_errors(r: Registry) -> None:
    with pytest.raises(RdfSyntaxError) as syn:
        r.records.create(CURATOR, dataset() + "\n<oops> <p> .", TTL, source="upload.ttl")
    assert syn.value.line is not None and "upload.ttl" in syn.value.message
    with pytest.raises(IriNotAllowed):
        r.records.create(CURATOR, dataset().replace(f"{BASE}dataset/ds1", "http://elsewhere.example/ds"), TTL)
    with pytest.raises(NoTypedSubject):
        r.records.create(CURATOR, PREFIXES + '<https://w3id.org/fairgrid/x> dct:title "untyped" .', TTL)
    with pytest.raises(DatatypeError) as dt:
        r.records.create(CURATOR, dataset(extra='; dct:issued "31/12/2024"^^xsd:date'), TTL)
    assert "31/12/2024" in dt.value.message
    remote = '{"@context": "http://169.254.169.254/ctx.jsonld", "@id": "https://w3id.org/fairgrid/x"}'
    with pytest.raises(RdfSyntaxError) as ctx:  # never fetched: a document must not make the hub call out
        r.records.create(CURATOR, remote, ox.RdfFormat.JSON_LD, source="upload.jsonld")
    assert "remote @context" in ctx.value.message and "inline" in ctx.value.hint
    assert r.store.count() == 0


def test_oversized_record(tmp_path: object) -> None:
    from pathlib import Path

    reg = open_registry(Settings(home=Path(str(tmp_path)) / "h", max_record_bytes=2_000))
    try:
        with pytest.raises(RecordTooLarge):
            reg.records.create(CURATOR, dataset(extra='; dct:alternative "' + "x" * 5_000 + '"'), TTL)
    finally:
        reg.close()


def test_blank_node_root_gets_a_minted_iri(r: Registry) -> None:
    text = dataset().replace(f"<{BASE}dataset/ds1>", "[]", 1).replace(" .\n<https", " .\n<https", 1)
    text = text.replace("[] a dcat:Dataset", "[ a dcat:Dataset", 1).replace(
        '"120"^^xsd:nonNegativeInteger  .', '"120"^^xsd:nonNegativeInteger ] .'
    )
    created = r.records.create(CURATOR, text, TTL)
    minted = [c.iri for c in created if "/dataset/" in c.iri]
    assert len(minted) == 1 and minted[0].startswith(f"{BASE}dataset/")


def test_create_of_an_existing_record_is_refused_unless_identical(r: Registry) -> None:
    r.records.create(CURATOR, dataset(), TTL)
    assert r.records.create(CURATOR, dataset(), TTL) == []  # a retried registration changes nothing
    with pytest.raises(AlreadyExists):
        r.records.create(CURATOR, dataset(title="Changed"), TTL)
    assert r.store.count() == 2


def test_roles_and_visibility(r: Registry) -> None:
    with pytest.raises(PermissionDenied):
        r.records.create(RESEARCHER, dataset(), TTL)
    r.records.create(CURATOR, dataset(name="open"), TTL)
    r.records.create(CURATOR, dataset(name="closed", access="NON_PUBLIC"), TTL)
    hidden = " ; <https://w3id.org/fairgrid/ns#metadataVisibility> <https://w3id.org/fairgrid/ns#ConsortiumMetadata>"
    r.records.create(CURATOR, dataset(name="hidden", access="RESTRICTED", extra=hidden), TTL)
    assert r.records.get(ANONYMOUS, f"{BASE}dataset/open").iri.endswith("open")
    # dct:accessRights is about the data: published metadata of a non-public dataset is public
    assert r.records.get(ANONYMOUS, f"{BASE}dataset/closed").iri.endswith("closed")
    # metadata marked consortium-only needs a consortium role
    with pytest.raises(Unauthenticated):
        r.records.get(ANONYMOUS, f"{BASE}dataset/hidden")
    with pytest.raises(PermissionDenied):
        r.records.get(RESEARCHER, f"{BASE}dataset/hidden")
    member = Identity("member-1", frozenset({Role.CONSORTIUM_MEMBER}))
    assert r.records.get(member, f"{BASE}dataset/hidden").iri.endswith("hidden")
    got = r.records.get_many(ANONYMOUS, [f"{BASE}dataset/closed", f"{BASE}dataset/hidden"])
    assert not isinstance(got[f"{BASE}dataset/closed"], Exception)
    assert isinstance(got[f"{BASE}dataset/hidden"], Unauthenticated)


def test_drafts_are_for_curators_until_published(r: Registry) -> None:
    r.records.create(CURATOR, dataset(), TTL)
    r.records.update(
        CURATOR, f"{BASE}dataset/ds1", dataset(title="Draft title"), TTL, base_revision=1, publish=False
    )
    title = "http://purl.org/dc/terms/title"
    assert r.records.get(CURATOR, f"{BASE}dataset/ds1").value(title) == "Draft title"
    assert r.records.get(RESEARCHER, f"{BASE}dataset/ds1").value(title) == "Sickle cell cohort"
    assert [h.number for h in r.records.history(RESEARCHER, f"{BASE}dataset/ds1")] == [1]
    with pytest.raises(NotFound):
        r.records.get(RESEARCHER, f"{BASE}dataset/ds1", revision=2)
    r.records.publish(CURATOR, f"{BASE}dataset/ds1")
    assert r.records.get(RESEARCHER, f"{BASE}dataset/ds1").value(title) == "Draft title"


def test_deprecate_keeps_the_record_resolvable(r: Registry) -> None:
    r.records.create(CURATOR, dataset(), TTL)
    with pytest.raises(PermissionDenied):
        r.records.deprecate(RESEARCHER, f"{BASE}dataset/ds1", "no")
    rec = r.records.deprecate(CURATOR, f"{BASE}dataset/ds1", "superseded by ds2")
    assert rec.deprecated and rec.revision is not None and rec.revision.reason == "superseded by ds2"
    again = r.records.get(ANONYMOUS, f"{BASE}dataset/ds1")
    assert again.deprecated
    assert again.value("https://w3id.org/fairgrid/ns#deprecationReason") == "superseded by ds2"
    with pytest.raises(Deprecated):
        r.records.update(CURATOR, f"{BASE}dataset/ds1", dataset(), TTL, base_revision=2)
    with pytest.raises(NotFound):
        r.records.get(CURATOR, f"{BASE}dataset/nope")


def test_warnings_are_stored_and_reported(r: Registry) -> None:
    drafts = r.records.parse_drafts(dataset(), TTL)[0]
    checked = [c for c in r.records.check(CURATOR, drafts) if isinstance(c, Checked)]
    ds = next(c for c in checked if c.draft.kind == Kind.DATASET)
    assert ds.report.conforms
    assert ds.report.warnings  # recommended properties missing: stored anyway, and reported
    r.records.create(CURATOR, dataset(), TTL)
    head = r.store.head(ds.draft.iri)
    assert head is not None and len(head.findings) == len(ds.report.warnings)
    assert {f["path"] for f in head.findings} == {w.path for w in ds.report.warnings}


def test_a_distribution_follows_a_consortium_only_dataset(r: Registry) -> None:
    from registry.identity import local_operator
    from tests.conftest import EXAMPLE
    from tests.visibility_marks import mark_visibility

    me = local_operator()
    r.importer.run(me, [EXAMPLE])
    dataset = "https://w3id.org/fairgrid/dataset/mds-registry-hub-a"
    part = "https://w3id.org/fairgrid/distribution/mds-registry-hub-a-csv-extract"
    open_one = "https://w3id.org/fairgrid/distribution/consortium-aggregate-statistics-csv"
    assert r.records.get(ANONYMOUS, part).iri == part  # the dataset is RESTRICTED: its metadata is public
    mark_visibility(r, dataset, by=CURATOR)
    with pytest.raises(Unauthenticated):
        r.records.get(ANONYMOUS, part)
    with pytest.raises(PermissionDenied):
        r.records.get(RESEARCHER, part)
    assert r.records.get(CURATOR, part).iri == part
    assert r.records.get(ANONYMOUS, open_one).iri == open_one
    many = r.records.get_many(ANONYMOUS, [part, open_one])
    assert isinstance(many[part], Unauthenticated) and not isinstance(many[open_one], Exception)


def test_metadata_visibility_must_be_one_known_value(r: Registry) -> None:
    fg = "https://w3id.org/fairgrid/ns#"
    for extra in (
        f" ; <{fg}metadataVisibility> <{fg}Secret>",
        f" ; <{fg}metadataVisibility> <{fg}PublicMetadata> , <{fg}ConsortiumMetadata>",
    ):
        with pytest.raises(ValidationFailed) as err:
            r.records.create(CURATOR, dataset(name="typo", extra=extra), TTL)
        assert "fg:metadataVisibility must be one value" in str(err.value.violations)
    assert r.store.count() == 0
    r.records.create(
        CURATOR, dataset(name="ok", extra=f" ; <{fg}metadataVisibility> <{fg}PublicMetadata>"), TTL
    )
