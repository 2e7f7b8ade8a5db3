"""record(): one type per kind with its links, revisions and RDF; concepts."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
import pytest

from registry.identity import Role, local_operator
from tests.api.graphql.conftest import BASE, Env, error_codes, organization

RECORD = """
query($iri: String!) {
  record(iri: $iri) {
    iri kind title deprecated deprecationReason published revision { number published }
    ... on Catalog { homepage datasets { iri } services { iri } resources { iri kind } }
    ... on Dataset {
      numberOfRecords numberOfUniqueIndividuals minTypicalAge maxTypicalAge hasCodingSystem hasCodeValues
      healthCategory populationCoverage useCase accessRights
      codeConcepts { notation } distributions { iri title format } hostedAt { iri siteId }
      contactPoints { name email } temporal { startDate endDate } hdab { name }
    }
    ... on Distribution { accessUrl downloadUrl format mediaType availability license }
    ... on DataService { endpointUrl conformsTo servesDataset { iri } }
    ... on MachineLearningModel { version created trainedOn { iri title } files { identifier url } }
    ... on Terminology { topConcepts { notation label } }
    ... on Organization { name operatesSite { iri } }
    ... on Site { name siteId country cpuCores gpuCount gpuModel disclosureThreshold datasets { iri } }
  }
}
"""
CURATOR = (Role.CURATOR,)
RESEARCHER = (Role.RESEARCHER,)


def record(env: Env, iri: str, roles: tuple[Role, ...] | None = RESEARCHER) -> dict[str, Any]:
    body = env.gql(RECORD, {"iri": iri}, roles=roles)
    assert "errors" not in body, body
    rec: dict[str, Any] = body["data"]["record"]
    return rec


def test_dataset_with_health_properties_and_links(env: Env) -> None:
    d = record(env, BASE + "dataset/mds-registry-hub-a")
    assert d["kind"] == "DATASET" and d["title"].startswith("MDS clinical registry")
    assert (d["numberOfRecords"], d["numberOfUniqueIndividuals"]) == (48210, 1240)
    assert (d["minTypicalAge"], d["maxTypicalAge"]) == (18, 97)
    assert d["hasCodingSystem"] == ["http://id.who.int/icd/release/10/2019"]
    assert "D46.2" in {c["notation"] for c in d["codeConcepts"]} and len(d["hasCodeValues"]) == 8
    assert d["populationCoverage"].startswith("Adults")
    assert [x["iri"] for x in d["distributions"]] == [BASE + "distribution/mds-registry-hub-a-csv-extract"]
    assert d["distributions"][0]["format"].endswith("/CSV")
    assert d["hostedAt"] == [{"iri": BASE + "site/paris", "siteId": "paris-01"}]
    assert d["contactPoints"][0]["email"] == "mailto:mds-registry.paris@example.org"
    assert d["temporal"] == [{"startDate": "2008-01-01", "endDate": "2024-12-31"}]
    assert d["hdab"][0]["name"].startswith("Example national health data access body")
    assert d["revision"] == {"number": 1, "published": True} and d["deprecated"] is False


def test_every_kind_resolves_to_its_type(env: Env) -> None:
    cat = record(env, BASE + "catalog/consortium")
    assert cat["kind"] == "CATALOG" and len(cat["datasets"]) == 7
    assert cat["services"] == [{"iri": BASE + "service/feasibility-api"}]
    assert cat["resources"] == [{"iri": BASE + "model/mds-aml-progression", "kind": "MODEL"}]

    dist = record(env, BASE + "distribution/consortium-aggregate-statistics-csv")
    assert dist["kind"] == "DISTRIBUTION" and dist["downloadUrl"] and dist["mediaType"].endswith("text/csv")

    svc = record(env, BASE + "service/feasibility-api")
    assert svc["kind"] == "DATA_SERVICE" and len(svc["servesDataset"]) == 6
    assert svc["conformsTo"] == ["https://spec.openapis.org/oas/v3.1.0"]

    model = record(env, BASE + "model/mds-aml-progression")
    assert model["kind"] == "MODEL" and model["version"] == "1.2.0"
    assert {d["iri"] for d in model["trainedOn"]} == {
        BASE + "dataset/mds-registry-hub-a",
        BASE + "dataset/mds-ngs-milan",
    }
    assert model["files"][0]["identifier"] == "mds-aml-progression-1.2.0.zip"

    icd = record(env, "http://id.who.int/icd/release/10/2019")
    assert icd["kind"] == "TERMINOLOGY"
    assert {c["notation"] for c in icd["topConcepts"]} == {"II", "III"}

    org = record(env, BASE + "organization/consortium")
    assert org["kind"] == "ORGANIZATION" and len(org["operatesSite"]) == 3

    site = record(env, BASE + "site/milan")
    assert site["kind"] == "SITE" and (site["gpuCount"], site["gpuModel"]) == (2, "NVIDIA A100 80GB")
    assert {d["iri"] for d in site["datasets"]} == {
        BASE + "dataset/mds-ngs-milan",
        BASE + "dataset/mm-outcomes-milan",
    }


def test_links_to_restricted_datasets_are_public(env: Env) -> None:
    model = record(env, BASE + "model/mds-aml-progression", roles=None)
    trained = {d["iri"] for d in model["trainedOn"]}
    assert trained == {
        BASE + "dataset/mds-registry-hub-a",
        BASE + "dataset/mds-ngs-milan",
    }  # RESTRICTED, NON_PUBLIC
    site = record(env, BASE + "site/paris", roles=None)
    assert {BASE + "dataset/scd-cohort-paris", BASE + "dataset/bulk-0"} <= {
        d["iri"] for d in site["datasets"]
    }
    body = env.gql(RECORD, {"iri": BASE + "dataset/scd-cohort-paris"})
    assert "errors" not in body and body["data"]["record"]["iri"] == BASE + "dataset/scd-cohort-paris"


def test_unknown_record_and_bad_token(env: Env) -> None:
    body = env.gql(RECORD, {"iri": BASE + "dataset/nope"}, roles=RESEARCHER)
    assert error_codes(body) == ["not_found"]
    assert body["errors"][0]["extensions"]["status"] == 404
    resp = env.client.post(
        "/graphql",
        json={"query": '{ concept(iri: "D46") { label } }'},
        headers={"Authorization": "Bearer x.y.z"},
    )
    assert error_codes(resp.json()) == ["unauthenticated"]


@pytest.mark.parametrize("fmt", ["TURTLE", "JSON_LD", "XML", "NT"])
def test_rdf_in_every_format(env: Env, fmt: str) -> None:
    iri = BASE + "dataset/mds-registry-hub-a"
    body = env.gql(
        "query($iri: String!, $f: RdfFormat!) { record(iri: $iri) { rdf(format: $f) } }",
        {"iri": iri, "f": fmt},
        roles=RESEARCHER,
    )
    assert "errors" not in body, body
    ox_fmt = {"TURTLE": ox.RdfFormat.TURTLE, "JSON_LD": ox.RdfFormat.JSON_LD, "XML": ox.RdfFormat.RDF_XML}
    triples = list(
        ox.parse(body["data"]["record"]["rdf"].encode(), format=ox_fmt.get(fmt, ox.RdfFormat.N_TRIPLES))
    )
    assert (
        ox.Quad(
            ox.NamedNode(iri),
            ox.NamedNode("http://healthdataportal.eu/ns/health#numberOfRecords"),
            ox.Literal("48210", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#nonNegativeInteger")),
        )
        in triples
    )  # exactly as registered, datatype included


def test_revisions_drafts_and_deprecation(env: Env) -> None:
    iri = BASE + "organization/rev-test"
    env.reg.records.create(local_operator(), organization("rev-test"), ox.RdfFormat.TURTLE)
    env.reg.records.update(
        local_operator(), iri, organization("rev-test", "Renamed"), ox.RdfFormat.TURTLE, 1, publish=False
    )
    query = "query($iri: String!) { record(iri: $iri) { title published revisions { number published attributedTo } } }"
    seen_by_researcher = env.gql(query, {"iri": iri}, roles=RESEARCHER)["data"]["record"]
    assert seen_by_researcher["title"] == "Example organisation"
    assert [r["number"] for r in seen_by_researcher["revisions"]] == [1]
    seen_by_curator = env.gql(query, {"iri": iri}, roles=CURATOR)["data"]["record"]
    assert seen_by_curator["title"] == "Renamed" and seen_by_curator["published"] is False
    assert [(r["number"], r["published"]) for r in seen_by_curator["revisions"]] == [(1, True), (2, False)]

    env.reg.records.deprecate(local_operator(), iri, "superseded by organization/consortium")
    rec = record(env, iri, roles=CURATOR)
    assert rec["deprecated"] is True and rec["deprecationReason"] == "superseded by organization/consortium"


def test_concepts_and_hierarchy(env: Env) -> None:
    body = env.gql(
        """{ concept(iri: "D46") { iri label scheme broader { notation } narrower { notation }
                                   descendants { notation } }
             concepts(text: "myeloma") { notation label } }"""
    )
    assert "errors" not in body, body
    c = body["data"]["concept"]
    assert c["iri"] == "http://id.who.int/icd/release/10/2019/D46"
    assert c["scheme"] == "http://id.who.int/icd/release/10/2019"
    assert [x["notation"] for x in c["broader"]] == ["D37-D48"]
    assert "D46.2" in {x["notation"] for x in c["narrower"]}
    assert {x["notation"] for x in c["descendants"]} >= {x["notation"] for x in c["narrower"]}
    assert "C90.0" in {x["notation"] for x in body["data"]["concepts"]}
    scoped = env.gql(
        '{ concepts(text: "myeloma", scheme: "http://www.orpha.net/ontology/orphanet.owl") { iri } }'
    )
    assert all(x["iri"].startswith("http://www.orpha.net/") for x in scoped["data"]["concepts"])
    assert error_codes(env.gql('{ concept(iri: "Z99.9") { label } }')) == ["not_found"]


def test_titles_and_descriptions_in_every_language(env: Env) -> None:
    """`title` gives one language; the French and Dutch titles a curator wrote could be had from the RDF only."""
    from tests.api.rest.test_writes import record_doc
    from tests.conftest import CURATOR

    iri = ox.NamedNode(BASE + "dataset/multilingual")
    title = ox.NamedNode("http://purl.org/dc/terms/title")
    doc = list(ox.parse(record_doc(env.reg, iri.value, "Sickle cell registry"), format=ox.RdfFormat.TURTLE))
    doc += [
        ox.Triple(iri, title, ox.Literal("Sikkelcelziekte register", language="nl")),
        ox.Triple(iri, title, ox.Literal("Registre de la drépanocytose", language="fr")),
    ]
    env.reg.records.create(CURATOR, ox.serialize(doc, format=ox.RdfFormat.TURTLE), ox.RdfFormat.TURTLE)
    q = "query($iri: String!) { record(iri: $iri) { title titles { text language } descriptions { language } } }"
    got = env.gql(q, {"iri": iri.value})["data"]["record"]
    assert got["title"] == "Sickle cell registry"
    assert got["titles"] == [
        {"text": "Sickle cell registry", "language": "en"},
        {"text": "Registre de la drépanocytose", "language": "fr"},
        {"text": "Sikkelcelziekte register", "language": "nl"},
    ]
    assert [d["language"] for d in got["descriptions"]] == ["en"]
