"""Zenodo metadata from registry records: the fields, escaping, creators, licences, related identifiers."""

from __future__ import annotations

from datetime import date

import pyoxigraph as ox
import pytest

from registry.errors import InputError
from registry.identity import local_operator
from registry.model import Record
from registry.publish.metadata import (
    GENOMED4ALL_GRANT,
    LICENCE_IDS,
    UPLOAD_TYPES,
    zenodo_metadata,
)
from registry.rdf import parse
from registry.vocab import Kind
from registry.wiring import Registry
from tests.registry.publish.trained_model import MODEL_IRI

ME = local_operator("test")


# developers.zenodo.org, "Deposit metadata": the upload types and relations the legacy API accepts
ZENODO_UPLOAD_TYPES = {"publication", "poster", "presentation", "dataset", "image", "video", "software",
                       "lesson", "physicalobject", "other"}  # fmt: skip
ZENODO_RELATIONS = {"isCitedBy", "cites", "isSupplementTo", "isSupplementedBy", "isNewVersionOf",
                    "isPreviousVersionOf", "isPartOf", "hasPart", "compiles", "isCompiledBy", "isIdenticalTo",
                    "isAlternateIdentifier", "isDerivedFrom", "isSourceOf", "isDocumentedBy", "documents",
                    "references", "isReferencedBy", "requires", "isRequiredBy"}  # fmt: skip


def _record(turtle: str, iri: str, kind: Kind) -> Record:
    prefixes = """@prefix dct: <http://purl.org/dc/terms/> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
    @prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix adms: <http://www.w3.org/ns/adms#> .
    @prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix org: <http://www.w3.org/ns/org#> .
    @prefix mldcat: <http://data.europa.eu/it6/> . @prefix fg: <https://w3id.org/fairgrid/ns#> .
    @prefix licence: <http://publications.europa.eu/resource/authority/licence/> .
    """
    return Record(iri, kind, tuple(parse(prefixes + turtle, ox.RdfFormat.TURTLE)))


def test_model_record_metadata(trained: Registry) -> None:
    reg = trained
    rec = reg.records.get(ME, MODEL_IRI)
    meta = zenodo_metadata(rec, reg.records.referenced(ME, rec, 100), communities=["genomed4all"])
    assert meta["upload_type"] == "software" and meta["upload_type"] in ZENODO_UPLOAD_TYPES
    assert meta["title"].startswith("Federated MDS-to-AML model")
    assert "<script>" not in meta["description"] and "&lt;script&gt;" in meta["description"]
    assert meta["creators"] == [{"name": "Example Hematology Consortium"}]
    assert meta["license"] == "apache-2.0"
    assert meta["version"] == "0.1.0" and meta["publication_date"] == "2026-12-01"
    assert meta["access_right"] == "open"
    # "federated learning" and "Federated Learning" once
    assert [k.casefold() for k in meta["keywords"]] == ["federated learning", "myelodysplastic syndromes"]
    related = {(r["identifier"], r["relation"]) for r in meta["related_identifiers"]}
    assert ("https://w3id.org/fairgrid/dataset/mds-registry-hub-a", "isDerivedFrom") in related
    assert ("https://w3id.org/fairgrid/dataset/mds-ngs-milan", "isDerivedFrom") in related
    assert (MODEL_IRI, "isSupplementTo") in related
    assert all(r["relation"] in ZENODO_RELATIONS for r in meta["related_identifiers"])
    assert meta["grants"] == [{"id": "10.13039/501100000780::101017549"}] == [{"id": GENOMED4ALL_GRANT}]
    assert meta["communities"] == [{"identifier": "genomed4all"}]


def test_dataset_description_metadata(trained: Registry) -> None:
    reg = trained
    iri = "https://w3id.org/fairgrid/dataset/mds-registry-hub-a"
    rec = reg.records.get(ME, iri)
    theme = "http://publications.europa.eu/resource/authority/data-theme/HEAL"
    meta = zenodo_metadata(rec, reg.records.referenced(ME, rec, 100), labels={theme: "Health"})
    assert meta["upload_type"] == "dataset"
    assert meta["license"] == "cc-by-4.0"  # the description's licence: the data itself is not published
    assert meta["access_right"] == "restricted" and iri in meta["access_conditions"]
    assert "Health" in meta["keywords"] and "MDS" in meta["keywords"]
    assert "communities" not in meta


def test_creators_with_orcid_and_affiliation_and_doi_sources() -> None:
    rec = _record(
        """
        <https://w3id.org/fairgrid/model/m> a mldcat:MachineLearningModel ; dct:title "M" ;
            dct:license <http://spdx.org/licenses/MIT> ;
            dct:creator <https://orcid.org/0000-0002-1825-0097> , _:b ;
            mldcat:trainedOn <https://w3id.org/fairgrid/dataset/d> ;
            foaf:page <https://example.org/docs/m> .
        <https://orcid.org/0000-0002-1825-0097> foaf:givenName "Josiah" ; foaf:familyName "Carberry" ;
            org:memberOf <https://w3id.org/fairgrid/organization/u> .
        <https://w3id.org/fairgrid/organization/u> foaf:name "Brown University" .
        _:b foaf:name "Site team" ; adms:identifier [ skos:notation "https://orcid.org/0000-0001-5109-3700" ] .
        """,
        "https://w3id.org/fairgrid/model/m",
        Kind.MODEL,
    )
    ds = _record(
        '<https://w3id.org/fairgrid/dataset/d> dct:identifier "https://doi.org/10.5072/zenodo.7" .',
        "https://w3id.org/fairgrid/dataset/d",
        Kind.DATASET,
    )
    meta = zenodo_metadata(rec, {ds.iri: ds}, today=date(2026, 12, 1), grants=())
    assert meta["creators"] == [
        {"name": "Carberry, Josiah", "affiliation": "Brown University", "orcid": "0000-0002-1825-0097"},
        {"name": "Site team", "orcid": "0000-0001-5109-3700"},
    ]
    assert meta["license"] == "mit"
    assert meta["publication_date"] == "2026-12-01" and meta["version"] == "1"
    assert {"identifier": "10.5072/zenodo.7", "relation": "isDerivedFrom", "scheme": "doi",
            "resource_type": "dataset"} in meta["related_identifiers"]  # fmt: skip
    assert {
        "identifier": "https://example.org/docs/m",
        "relation": "isDocumentedBy",
        "scheme": "url",
    } in meta["related_identifiers"]
    assert "grants" not in meta


@pytest.mark.parametrize(
    ("turtle", "message"),
    [
        ('dct:title "T" ; dct:creator [ foaf:name "A" ] ; dct:license <https://example.org/mine>', "no Zenodo licence"),
        ('dct:title "T" ; dct:creator [ foaf:name "A" ]', "no licence"),
        ("dct:title \"T\" ; dct:license licence:CC0", "no creator"),
        ('dct:creator [ foaf:name "A" ] ; dct:license licence:CC0', "no title"),
        ('dct:title "T" ; dct:creator [ foaf:name "A" ] ; dct:license licence:CC0 ; '
         "fg:metadataVisibility fg:ConsortiumMetadata", "consortium only"),
    ],
)  # fmt: skip
def test_what_zenodo_cannot_take_is_refused(turtle: str, message: str) -> None:
    rec = _record(
        f"<https://w3id.org/fairgrid/model/m> {turtle} .", "https://w3id.org/fairgrid/model/m", Kind.MODEL
    )
    with pytest.raises(InputError, match=message):
        zenodo_metadata(rec, {})


def test_only_publishable_kinds_and_known_ids() -> None:
    assert set(UPLOAD_TYPES.values()) <= ZENODO_UPLOAD_TYPES
    assert all(v == v.lower() and " " not in v for v in LICENCE_IDS.values())
    site = _record(
        '<https://w3id.org/fairgrid/site/s> dct:title "S" .', "https://w3id.org/fairgrid/site/s", Kind.SITE
    )
    with pytest.raises(InputError, match="only models, datasets"):
        zenodo_metadata(site, {})
