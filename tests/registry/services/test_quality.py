"""The MQA-style quality score: points per property, distributions by share, network checks not assessed."""

from __future__ import annotations

import json

import pyoxigraph as ox

from registry.services.quality import MAX_TOTAL, QualityScore, assess, band
from registry.wiring import Registry
from tests.conftest import CURATOR
from tests.registry.services.test_records import BASE, TTL, dataset

PREFIXES = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix ft: <http://publications.europa.eu/resource/authority/file-type/> .
@prefix lic: <http://publications.europa.eu/resource/authority/licence/> .
@prefix ar: <http://publications.europa.eu/resource/authority/access-right/> .
@prefix : <https://example.org/> .
"""


def triples(ttl: str) -> list[ox.Triple]:
    return [q.triple for q in ox.parse((PREFIXES + ttl).encode(), format=ox.RdfFormat.TURTLE)]


FULL = """
:d a dcat:Dataset ; dcat:keyword "k" ; dcat:theme :t ; dct:spatial :s ; dct:temporal [ dcat:startDate "2020" ] ;
  dct:license lic:CC_BY_4_0 ; dct:accessRights ar:PUBLIC ; dcat:contactPoint :c ; dct:publisher :p ;
  dct:issued "2020-01-01" ; dct:modified "2021-01-01" ; dcat:distribution :x .
"""
DIST = """
:x a dcat:Distribution ; dcat:accessURL :a ; dcat:downloadURL :dl ; dct:format ft:CSV ;
  dcat:mediaType <http://www.iana.org/assignments/media-types/text/csv> ; dct:rights :r ; dcat:byteSize 10 .
"""


def test_a_complete_record_earns_every_assessed_point_and_nothing_for_network_checks() -> None:
    score = assess("https://example.org/d", triples(FULL), triples(DIST))
    dims = {d.name: d for d in score.dimensions}
    assert [d.max for d in score.dimensions] == [100, 100, 110, 75, 20]
    assert sum(d.max for d in score.dimensions) == MAX_TOTAL
    assert dims["findability"].points == 100
    assert (
        dims["accessibility"].points == 20 and dims["accessibility"].max_assessed == 20
    )  # 80 need the network
    assert dims["interoperability"].points == 110
    assert dims["reusability"].points == 75
    assert dims["contextuality"].points == 20
    assert score.total == 325 == score.max_assessed
    assert score.rating == "good"  # a floor: the unassessed 80 points could make it excellent
    assert [c.name for c in score.checks if not c.assessed] == [
        "dcat:accessURL reachable",
        "dcat:downloadURL reachable",
    ]


def test_an_empty_record_scores_only_compliance_and_a_non_conformant_one_not_even_that() -> None:
    bare = triples(":d a dcat:Dataset .")
    assert assess("https://example.org/d", bare).total == 30
    assert assess("https://example.org/d", bare, conforms=False).total == 0
    assert band(0) == "bad" and band(121) == "sufficient" and band(221) == "good" and band(351) == "excellent"


def test_distribution_points_go_by_the_share_of_distributions_interoperability_by_the_best() -> None:
    record = triples(FULL.replace("dcat:distribution :x", "dcat:distribution :x , :y"))
    half = assess("https://example.org/d", record, triples(DIST + ":y a dcat:Distribution ."))
    checks = {c.name: c.points for c in half.checks}
    assert checks["dcat:downloadURL"] == 10 and checks["dcat:byteSize"] == 2.5 and checks["dct:license"] == 20
    # interoperability is the best distribution's, as in the MQA (identical content, several distributions)
    assert checks["dct:format"] == 20 and checks["machine-readable format"] == 20
    proprietary = assess("https://example.org/d", triples(FULL), triples(DIST.replace("ft:CSV", "ft:DOCX")))
    by = {c.name: c.points for c in proprietary.checks}
    assert by["non-proprietary format"] == 0 and by["machine-readable format"] == 0
    assert by["format or media type from a vocabulary"] == 10


def test_free_text_licence_and_access_rights_miss_the_vocabulary_points() -> None:
    ttl = FULL.replace("lic:CC_BY_4_0", ":my-licence").replace("ar:PUBLIC", ":open")
    by = {c.name: c.points for c in assess("https://example.org/d", triples(ttl)).checks}
    assert by["dct:license"] == 20 and by["licence from a vocabulary"] == 0
    assert by["dct:accessRights"] == 10 and by["access rights from a vocabulary"] == 0


def test_the_score_survives_its_json_form() -> None:
    score = assess("https://example.org/d", triples(FULL), triples(DIST))
    again = QualityScore.from_json(score.to_json())
    assert again == score and again.total == score.total


def test_the_stored_form_is_compact_and_the_first_form_still_reads() -> None:
    score = assess("https://example.org/d", triples(FULL), triples(DIST))
    first_form = json.dumps([vars(c) for c in score.checks], separators=(",", ":"))
    assert QualityScore.from_json(first_form) == score  # revisions stored before the compact form
    # names and weights kept (an old score reads as computed), dimensions and keys not repeated
    assert len(score.to_json()) * 2 < len(first_form)
    assert any(not c.assessed for c in QualityScore.from_json(score.to_json()).checks)


def test_every_commit_stores_the_score_with_distributions_from_the_same_document_or_the_store(
    reg: Registry,
) -> None:
    iri = BASE + "dataset/q1"
    doc = dataset("q1", access="RESTRICTED").replace(
        "dcat:accessURL <", "dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;\n"
        "    dcat:accessURL <"
    )  # fmt: skip
    reg.records.create(CURATOR, doc, TTL)
    rev = reg.records.get(CURATOR, iri).revision
    assert rev is not None and rev.quality is not None
    first = QualityScore.from_json(rev.quality)
    by = {c.name: c.points for c in first.checks}
    assert by["dct:format"] == 20 and by["machine-readable format"] == 20  # read from the distribution
    assert by["dcat:theme"] == 30 and by["dct:spatial"] == 0 and by["DCAT-AP compliance"] == 30
    # an update whose distribution is already stored reads it from the store
    updated = reg.records.update(
        CURATOR,
        iri,
        doc.replace(
            "dct:title",
            "dct:spatial <http://publications.europa.eu/resource/authority/country/FRA> ; dct:title",
        ),
        TTL,
        1,
    )
    assert updated.revision is not None and updated.revision.quality is not None
    second = QualityScore.from_json(updated.revision.quality)
    assert second.total == first.total + 20
    gone = reg.records.deprecate(CURATOR, iri, "superseded")
    assert gone.revision is not None and gone.revision.quality == updated.revision.quality


def test_a_revision_kept_with_violations_loses_the_compliance_points(reg: Registry) -> None:
    """The harvest path keeps a non-conformant record as a draft: its score says it is not DCAT-AP."""
    from registry.errors import Violation
    from registry.services.records import Checked
    from registry.validation.report import ValidationReport

    drafts, _ = reg.records.parse_drafts(dataset("q2"), TTL, "<test>")
    (c,) = [
        x for x in reg.records.check(CURATOR, drafts) if isinstance(x, Checked) and x.draft.iri.endswith("q2")
    ]
    bad = ValidationReport(
        [Violation(c.draft.iri, None, "sh:MinCount", "http://www.w3.org/ns/shacl#Violation", "x")]
    )
    write = reg.records.new_revision(CURATOR, Checked(c.draft, bad, None, c.content_hash), publish=False)
    assert write.record.revision is not None and write.record.revision.quality is not None
    by = {x.name: x.points for x in QualityScore.from_json(write.record.revision.quality).checks}
    assert by["DCAT-AP compliance"] == 0 and by["dcat:theme"] == 30
