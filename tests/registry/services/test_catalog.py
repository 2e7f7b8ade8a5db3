"""The catalogue served from the search index gives the pages the store gives, for every caller, and
still answers from the store when the index is down."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
import pytest

from registry.identity import ANONYMOUS, Identity, Role
from registry.model import Record, RevisionInfo, content_hash
from registry.search import SearchIndex, open_index
from registry.search.embedded import TantivyIndex
from registry.search.opensearch import OpenSearchIndex
from registry.search.port import SearchFilter
from registry.services.catalog import CatalogService
from registry.services.search import SearchService
from registry.store.port import Write
from registry.vocab import DCAT, DCT, METADATA_VISIBILITY, RDF_TYPE, VISIBILITY_CONSORTIUM, Kind
from registry.wiring import Registry
from tests.conftest import CURATOR, RESEARCHER, free_port
from tests.registry.search.test_conformance import opensearch_or_skip

BASE = "https://w3id.org/fairgrid/cat/"
MEMBER = Identity("member-1", frozenset({Role.CONSORTIUM_MEMBER}))
CALLERS = {"anonymous": ANONYMOUS, "researcher": RESEARCHER, "member": MEMBER, "curator": CURATOR}
KINDS = [Kind.DATASET, Kind.DATASET, Kind.DISTRIBUTION, Kind.DATA_SERVICE, Kind.CATALOG, Kind.MODEL]
N = 300


def _record(
    iri: str, kind: Kind, number: int, extra: list[ox.Triple], *, published: bool, deprecated: bool = False
) -> Record:
    s = ox.NamedNode(iri)
    triples = (
        ox.Triple(s, ox.NamedNode(RDF_TYPE), ox.NamedNode(kind.type_iri)),
        ox.Triple(s, ox.NamedNode(DCT + "title"), ox.Literal(f"{kind.value} {iri[-4:]} r{number}", language="en")),
        *extra,
    )  # fmt: skip
    agent = "urn:fairgrid:agent:test"
    when = datetime.now(UTC)
    info = RevisionInfo(
        iri, number, kind, when, agent, content_hash(triples), deprecated=deprecated, published=published
    )
    return Record(iri, kind, triples, info)


def build(reg: Registry) -> None:
    """N records of mixed kinds: consortium-only ones, distributions of consortium-only datasets,
    drafts never published, drafts over a published revision, deprecated ones (published and draft)."""
    hidden = [
        ox.Triple(ox.NamedNode(BASE), ox.NamedNode(METADATA_VISIBILITY), ox.NamedNode(VISIBILITY_CONSORTIUM))
    ]
    first: list[Write] = []
    second: list[Write] = []
    for i in range(N):
        kind = KINDS[i % len(KINDS)]
        # mixed case and a non-ASCII name: the order is by code point on both paths
        name = {0: f"Z{i:03d}", 1: f"é{i:03d}"}.get(i % 23, f"{kind.slug}/r{i:03d}")
        iri = BASE + name
        s = ox.NamedNode(iri)
        extra = [ox.Triple(s, t.predicate, t.object) for t in hidden] if i % 7 == 3 else []
        if kind is Kind.DATASET and i + 2 < N:  # lists the distribution two records on
            extra.append(ox.Triple(s, ox.NamedNode(DCAT + "distribution"), ox.NamedNode(f"{BASE}distribution/r{i + 2:03d}")))  # fmt: skip
        draft = i % 11 == 4
        first.append(Write(_record(iri, kind, 1, extra, published=not draft), None))
        if i % 13 == 6:  # a pending draft over the published revision
            second.append(Write(_record(iri, kind, 2, extra, published=False), 1))
        elif i % 17 == 8:  # a tombstone: published, or a draft when the record never was
            second.append(Write(_record(iri, kind, 2, extra, published=not draft, deprecated=True), 1))
    reg.store.commit(first)
    reg.store.commit(second)


def pages(
    cat: CatalogService, who: Identity, kind: Kind | None, size: int
) -> list[tuple[list[tuple[str, int]], int]]:
    out = []
    offset = 0
    while True:
        p = cat.page(who, kind, offset, size)
        out.append(([(r.iri, r.revision.number if r.revision else 0) for r in p.records], p.total))
        offset += size
        if offset >= p.total:
            return out


@pytest.fixture(params=["embedded", pytest.param("opensearch", marks=pytest.mark.opensearch)])
def index(request: pytest.FixtureRequest, reg: Registry) -> Iterator[SearchIndex]:
    if request.param == "embedded":
        yield reg.index
        return
    ix = OpenSearchIndex(
        opensearch_or_skip(), alias=f"fairgrid-test-catalog-{uuid.uuid4().hex[:8]}", refresh=True
    )
    yield ix
    ix.drop()
    ix.close()


def test_index_and_store_give_the_same_pages(reg: Registry, index: SearchIndex) -> None:
    build(reg)
    report = SearchService(reg.store, index, reg.terms).sync()
    assert report.error is None and report.pending == 0
    by_index = CatalogService(reg.store, reg.records, index)
    by_store = CatalogService(reg.store, reg.records, None)
    totals = {}
    for name, who in CALLERS.items():
        for kind in (None, Kind.DATASET, Kind.DISTRIBUTION):
            expected = pages(by_store, who, kind, 40)
            assert pages(by_index, who, kind, 40) == expected, (name, kind)
            totals[name, kind] = expected[0][1]
            # a deep page straight away, as a client following a `last` link does
            assert by_index.page(who, kind, 120, 7) == by_store.page(who, kind, 120, 7)
    # the callers do see different catalogues: drafts for curators, consortium-only metadata for members
    assert totals["anonymous", None] == totals["researcher", None] < totals["member", None]
    assert totals["member", None] < totals["curator", None]
    assert totals["anonymous", Kind.DISTRIBUTION] < totals["member", Kind.DISTRIBUTION]
    # the index answered: a store that forgot its records would change the store path's pages only
    listed = index.list_iris(SearchFilter(include_deprecated=True), 0, 5)
    first = [iri for iri, _ in pages(by_store, MEMBER, None, 5)[0][0]]
    assert listed.total == totals["member", None] and listed.iris == first


@pytest.mark.parametrize("down", ["unreachable", "never-built"])
def test_page_answers_from_the_store_when_the_index_cannot(reg: Registry, down: str, tmp_path: Path) -> None:
    """An OpenSearch that does not answer, or an index that holds nothing yet (not built, or the
    drainer has not run): the store answers, with the same pages."""
    build(reg)
    by_store = CatalogService(reg.store, reg.records, None)
    if down == "unreachable":
        stopped: SearchIndex = open_index(f"http://127.0.0.1:{free_port()}", alias="fairgrid-nowhere")
    else:
        stopped = TantivyIndex(tmp_path / "empty-index")
    cat = CatalogService(reg.store, reg.records, stopped)
    for who in CALLERS.values():
        assert cat.page(who, None, 40, 40) == by_store.page(who, None, 40, 40)
    stopped.close()
