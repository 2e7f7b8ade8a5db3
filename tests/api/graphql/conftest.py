"""Fixtures: a real registry (embedded Oxigraph + tantivy) behind a counting store, and a tiny app."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth import Authenticator, dev_token
from api.graphql import Limits, graphql_router
from registry.config import Settings
from registry.identity import Role, local_operator
from registry.validation.bundle import terminology_files
from registry.wiring import Registry, open_store
from tests.conftest import DEV_AUTH

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "ontologies" / "examples" / "consortium.ttl"
BASE = "https://w3id.org/fairgrid/"
BULK = 14  # with the example's 7 datasets: 21, more than one page of 20

PREFIXES = """@base <https://w3id.org/fairgrid/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dcatap: <http://data.europa.eu/r5r/> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix dqv: <http://www.w3.org/ns/dqv#> .
@prefix fg: <https://w3id.org/fairgrid/ns#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix healthdcatap: <http://healthdataportal.eu/ns/health#> .
@prefix mldcat: <http://data.europa.eu/it6/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix access: <http://publications.europa.eu/resource/authority/access-right/> .
@prefix theme: <http://publications.europa.eu/resource/authority/data-theme/> .
@prefix filetype: <http://publications.europa.eu/resource/authority/file-type/> .
@prefix freq: <http://publications.europa.eu/resource/authority/frequency/> .
@prefix lang: <http://publications.europa.eu/resource/authority/language/> .
@prefix licence: <http://publications.europa.eu/resource/authority/licence/> .
@prefix avail: <http://publications.europa.eu/resource/authority/planned-availability/> .
@prefix ptype: <http://purl.org/adms/publishertype/> .
@prefix icd10: <http://id.who.int/icd/release/10/2019/> .
@prefix hc: <https://hdeu-dcat.data.health.europa.eu/resource/authority/healthcategories/> .
"""

BULK_DATASET = """
<dataset/bulk-{i}> a dcat:Dataset ;
    dct:title "Bulk aggregate counts {i}"@en ;
    dct:description "Fictional example {i}: public aggregate counts used to exercise paging."@en ;
    dcat:keyword "bulk"@en ;
    dcat:theme theme:HEAL ;
    dct:accessRights access:PUBLIC ;
    dct:publisher <organization/consortium> ;
    dcat:contactPoint <contact/consortium> ;
    dct:language lang:ENG ;
    dct:accrualPeriodicity freq:ANNUAL ;
    dct:issued "2024-02-01"^^xsd:date ;
    dct:modified "2025-06-30"^^xsd:date ;
    mldcat:collectionDate "2025-06-30"^^xsd:date ;
    healthdcatap:hasCodingSystem <http://id.who.int/icd/release/10/2019> ;
    healthdcatap:hasCodeValues icd10:C90.0 ;
    healthdcatap:healthCategory hc:NRPE ;
    healthdcatap:numberOfRecords "{i}"^^xsd:nonNegativeInteger ;
    healthdcatap:minTypicalAge "0"^^xsd:nonNegativeInteger ;
    healthdcatap:maxTypicalAge "97"^^xsd:nonNegativeInteger ;
    healthdcatap:populationCoverage "Everyone, aggregated."@en ;
    fg:hostedAt <site/paris> ;
    dcat:distribution <distribution/bulk-{i}-csv> .

<distribution/bulk-{i}-csv> a dcat:Distribution ;
    dct:title "Bulk counts {i} (CSV)"@en ;
    dct:description "Bulk counts {i} (CSV). Openly downloadable."@en ;
    dcat:accessURL <download/bulk-{i}/csv> ;
    dcat:downloadURL <download/bulk-{i}/csv> ;
    dct:license licence:CC_BY_4_0 ;
    dcatap:availability avail:STABLE ;
    dct:format filetype:CSV ;
    dcat:mediaType <http://www.iana.org/assignments/media-types/text/csv> ;
    dqv:hasQualityMeasurement <quality/bulk-{i}-csv-completeness> .

<quality/bulk-{i}-csv-completeness> a dqv:QualityMeasurement ;
    dct:type <quality-type/completeness> ;
    dqv:computedOn <distribution/bulk-{i}-csv> ;
    dqv:value "1.0"^^xsd:decimal .

<download/bulk-{i}/csv> a dcat:Resource .
"""

BULK_SHARED = """
<contact/consortium> a vcard:Kind, vcard:Organization ;
    vcard:fn "Consortium data office"@en ;
    vcard:hasEmail <mailto:data-office@example.org> .

<quality-type/completeness> a mldcat:DataQuality ;
    dct:identifier "completeness" ;
    dct:title "Completeness of core variables"@en ;
    dct:description "Share of records in which every core variable is filled in."@en .
"""


def organization(slug: str, name: str = "Example organisation") -> str:
    """A minimal valid record (an organisation), in Turtle."""
    return (
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix dct: <http://purl.org/dc/terms/> .\n"
        f'<{BASE}organization/{slug}> a foaf:Organization, foaf:Agent ; foaf:name "{name}"@en ;\n'
        "  dct:type <http://purl.org/adms/publishertype/Academia-ScientificOrganisation> .\n"
    )


HOLD_S = 120.0  # only a bound: a held call waits for the test to let it go


class CountingStore:
    """The real store, counting calls through the RecordStore port; inside `hold()` every call waits."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()
        self._gate: threading.Event | None = None
        self.answered = threading.Event()  # a held call went through to the store

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if name.startswith("_") or not callable(attr):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            gate = self._gate
            if gate is None:
                return attr(*args, **kwargs)
            gate.wait(HOLD_S)
            try:
                return attr(*args, **kwargs)
            finally:
                self.answered.set()

        return counted

    @contextmanager
    def hold(self) -> Iterator[threading.Event]:
        """Store calls made in the block wait until it ends (HOLD_S at most), then go through; yields the
        event set once a held call has reached the store."""
        self._gate, self.answered = threading.Event(), threading.Event()
        try:
            yield self.answered
        finally:
            gate, self._gate = self._gate, None
            gate.set()

    def total(self) -> int:
        return sum(self.calls.values())


@dataclass
class Env:
    settings: Settings
    reg: Registry
    store: CountingStore
    client: TestClient
    make_client: Callable[[Limits], TestClient]

    def token(self, *roles: Role, subject: str = "alice") -> str:
        return dev_token(self.settings.home, subject, list(roles))

    def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        roles: tuple[Role, ...] | None = None,
        client: TestClient | None = None,
    ) -> dict[str, Any]:
        """POST a GraphQL operation; roles None is anonymous, () a signed-in user without roles."""
        headers = {} if roles is None else {"Authorization": f"Bearer {self.token(*roles)}"}
        resp = (client or self.client).post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        return body


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code", "") for e in body.get("errors") or []]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    settings = Settings(home=tmp_path / "home", auth=DEV_AUTH)
    store = CountingStore(open_store(settings))
    reg = Registry(settings, store)  # type: ignore[arg-type]
    bulk = tmp_path / "bulk.ttl"
    bulk.write_text(PREFIXES + BULK_SHARED + "".join(BULK_DATASET.format(i=i) for i in range(BULK)))
    summary = reg.importer.run(local_operator(), [*terminology_files(), EXAMPLE, bulk])
    assert summary.rejected == 0, [(r.where, r.error) for r in summary.rejections]
    assert reg.search.sync().pending == 0
    authenticator = Authenticator(settings)

    def make_client(limits: Limits) -> TestClient:
        app = FastAPI()
        app.include_router(graphql_router(lambda: reg, authenticator, limits))
        return TestClient(app)

    with make_client(Limits()) as client:
        yield Env(settings, reg, store, client, make_client)
    reg.close()
