"""The harvest service against a real local HTTP server: paging with a loop, an FDP tree, conditional
requests, vanished records, a server failing mid-harvest, and non-conformant records kept as drafts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest

from registry.config import Settings
from registry.errors import (
    InputError,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)
from registry.identity import ANONYMOUS
from registry.rdf import serialize
from registry.search.port import SearchFilter, SearchQuery
from registry.services.harvest import HARVEST_SOURCE, HarvestSource
from registry.vocab import DCT, XSD, Kind
from registry.wiring import Registry, open_registry
from tests.conftest import CURATOR, RESEARCHER, OxigraphServer
from tests.harvest_server import Example, HarvestServer, harvest_server
from tests.indexing import caught_up


@pytest.fixture
def srv() -> Iterator[HarvestServer]:
    with harvest_server() as s:
        yield s


@pytest.fixture
def ex(srv: HarvestServer) -> Example:
    return Example(srv.base)


def paged_source(srv: HarvestServer) -> HarvestSource:
    return HarvestSource("src", srv.url("/catalog?page=1"))


def test_paged_catalogue_with_a_loop_reads_each_page_once(
    reg: Registry, srv: HarvestServer, ex: Example
) -> None:
    srv.serve(ex.paged(3))
    result = reg.harvest.harvest(CURATOR, paged_source(srv))
    assert result.documents == 3
    assert dict(srv.requests) == {f"/catalog?page={n}": 1 for n in (1, 2, 3)}  # page 3 links back to 1
    assert result.counts == {"imported": len(ex.records)}
    cat = reg.records.get(RESEARCHER, ex.catalog)
    listed = {v.value for v in cat.values("http://www.w3.org/ns/dcat#dataset")}
    assert listed == set(ex.of(Kind.DATASET))  # the catalogue's links from every page, merged
    assert cat.value(HARVEST_SOURCE) == "src"


def test_fdp_tree_follows_catalogue_dataset_distribution_links(
    reg: Registry, srv: HarvestServer, ex: Example
) -> None:
    docs = ex.fdp()
    srv.serve(docs)
    seen: list[tuple[str, int]] = []
    result = reg.harvest.harvest(
        CURATOR, HarvestSource("fdp", srv.url("/fdp")), progress=lambda url, n: seen.append((url, n))
    )
    assert result.counts == {"imported": len(ex.records)}
    assert set(srv.requests) == set(docs) and set(srv.requests.values()) == {1}
    # progress after every document read, in order: what the CLI's bar shows on a large FDP
    assert [n for _, n in seen] == list(range(1, result.documents + 1))
    assert seen[0][0] == srv.url("/fdp") and {srv.url(d) for d in docs} == {u for u, _ in seen}
    with pytest.raises(NotFound):  # the FDP root is navigation, not a record
        reg.records.get(CURATOR, srv.url("/fdp"))


def test_non_conformant_record_is_a_curator_only_draft_until_the_source_fixes_it(
    reg: Registry, srv: HarvestServer, ex: Example
) -> None:
    bad = ex.of(Kind.DATASET)[0]
    ex.untitle(bad)
    srv.serve(ex.paged())
    result = reg.harvest.harvest(CURATOR, paged_source(srv))
    assert result.counts == {"imported": len(ex.records) - 1, "non-conformant": 1}
    (queued,) = reg.harvest.non_conformant(CURATOR, "src")
    assert queued.iri == bad and queued.source == "src"
    assert [v.path for v in queued.violations] == [DCT + "title"]
    assert reg.harvest.non_conformant(CURATOR, "other") == []
    with pytest.raises(PermissionDenied):
        reg.harvest.non_conformant(RESEARCHER)
    # kept with everything the source sent, for curators only: not readable, not in the catalogue or search
    assert reg.records.get(CURATOR, bad).revision.published is False  # type: ignore[union-attr]
    for who in (ANONYMOUS, RESEARCHER):
        with pytest.raises(NotFound):
            reg.records.get(who, bad)
        assert bad not in {r.iri for r in reg.catalog.page(who, None, 0, 1000).records}
    caught_up(reg)
    found = reg.search.search(ANONYMOUS, SearchQuery(filters=SearchFilter(kinds=["Dataset"]), first=100))
    assert bad not in {h.iri for h in found.hits} and found.total == len(ex.of(Kind.DATASET)) - 1
    with pytest.raises(ValidationFailed):  # publishing it by hand is refused too
        reg.records.publish(CURATOR, bad)
    # the source's next version conforms: published at once, and the queue is empty
    ex.retitle(bad, "Fixed at the source")
    srv.serve(ex.paged())
    result = reg.harvest.harvest(CURATOR, paged_source(srv))
    assert result.counts["updated"] == 1 and result.counts["non-conformant"] == 0
    assert reg.records.get(ANONYMOUS, bad).value(DCT + "title") == "Fixed at the source"
    assert reg.harvest.non_conformant(CURATOR) == []


def test_a_non_conformant_record_that_vanishes_is_deprecated_and_never_published(
    reg: Registry, srv: HarvestServer, ex: Example
) -> None:
    bad = ex.of(Kind.DATASET)[0]
    ex.untitle(bad)
    srv.serve(ex.paged())
    reg.harvest.harvest(CURATOR, paged_source(srv))
    ex.drop(bad)
    srv.serve(ex.paged())
    result = reg.harvest.harvest(CURATOR, paged_source(srv))
    assert bad in {i.iri for i in result.items if i.status == "deprecated"}
    tombstone = reg.records.get(CURATOR, bad)
    assert tombstone.deprecated and tombstone.revision is not None and not tombstone.revision.published
    with pytest.raises(NotFound):  # its content violates the shapes: the tombstone is not published either
        reg.records.get(ANONYMOUS, bad)
    assert reg.harvest.non_conformant(CURATOR) == []


def test_a_published_record_with_a_pending_non_conformant_draft_that_vanishes_is_deprecated_publicly(
    reg: Registry, srv: HarvestServer, ex: Example
) -> None:
    # published first, then the source sends a version that violates the shapes (a draft), then drops it
    bad = ex.of(Kind.DATASET)[0]
    srv.serve(ex.paged())
    reg.harvest.harvest(CURATOR, paged_source(srv))
    published = reg.records.get(ANONYMOUS, bad)
    ex.untitle(bad)
    srv.serve(ex.paged())
    reg.harvest.harvest(CURATOR, paged_source(srv))
    assert [q.iri for q in reg.harvest.non_conformant(CURATOR, "src")] == [bad]
    ex.drop(bad)
    srv.serve(ex.paged())
    result = reg.harvest.harvest(CURATOR, paged_source(srv))
    assert bad in {i.iri for i in result.items if i.status == "deprecated"}
    for who in (
        ANONYMOUS,
        RESEARCHER,
        CURATOR,
    ):  # one tombstone for everybody, as for a record without drafts
        tombstone = reg.records.get(who, bad)
        assert tombstone.deprecated and tombstone.revision is not None and tombstone.revision.published
        assert tombstone.value(DCT + "title") == published.value(DCT + "title")  # the last published content
    assert reg.harvest.non_conformant(CURATOR) == []  # the pending draft is withdrawn from the queue
    assert all(i.status != "deprecated" for i in reg.harvest.harvest(CURATOR, paged_source(srv)).items)


def test_a_curators_fix_is_published_and_stays_while_the_source_resends_the_same(
    settings: Settings, srv: HarvestServer, ex: Example
) -> None:
    # a configured source's IRIs are allowed bases: curators may edit its records
    reg = open_registry(replace(settings, harvest_sources=(("src", srv.url("/catalog?page=1")),)))
    bad = ex.of(Kind.DATASET)[0]
    ex.untitle(bad)
    srv.serve(ex.paged())
    reg.harvest.harvest(CURATOR, paged_source(srv))
    draft = reg.records.get(CURATOR, bad)
    assert draft.revision is not None
    fixed = serialize(draft.triples, ox.RdfFormat.N_TRIPLES).decode() + f'<{bad}> <{DCT}title> "Fixed"@en .\n'
    reg.records.update(CURATOR, bad, fixed, ox.RdfFormat.N_TRIPLES, base_revision=draft.revision.number)
    assert reg.records.get(ANONYMOUS, bad).value(DCT + "title") == "Fixed"
    assert reg.harvest.non_conformant(CURATOR) == []
    result = reg.harvest.harvest(CURATOR, paged_source(srv))  # the source still sends the old version
    assert result.counts == {"unchanged": len(ex.records)}
    assert reg.records.get(ANONYMOUS, bad).value(DCT + "title") == "Fixed"
    reg.close()


def test_conditional_requests_then_vanished_records_are_deprecated(
    reg: Registry, srv: HarvestServer, ex: Example
) -> None:
    srv.serve(ex.paged())
    reg.harvest.harvest(CURATOR, paged_source(srv))
    again = reg.harvest.harvest(CURATOR, paged_source(srv))
    assert again.not_modified == 3 and dict(srv.not_modified) == {f"/catalog?page={n}": 1 for n in (1, 2, 3)}
    assert again.counts == {"unchanged": len(ex.records)}
    gone = ex.of(Kind.DATASET)[1]
    dists = ex.distributions([gone])
    ex.drop(gone)
    srv.serve(ex.paged())
    result = reg.harvest.harvest(CURATOR, paged_source(srv))
    assert sorted(i.iri for i in result.items if i.status == "deprecated") == sorted([gone, *dists])
    assert dists and result.counts["updated"] == 1  # the catalogue lost a link
    rec = reg.records.get(RESEARCHER, gone)
    assert rec.deprecated and rec.revision is not None and "src" in (rec.revision.reason or "")


def test_a_server_failing_mid_harvest_changes_nothing_and_a_rerun_completes(
    reg: Registry, srv: HarvestServer, ex: Example
) -> None:
    srv.serve(ex.paged())
    reg.harvest.harvest(CURATOR, paged_source(srv))
    changed = ex.of(Kind.DATASET)[2]
    ex.retitle(changed, "A new title")
    ex.drop(ex.of(Kind.DATASET)[3])
    srv.serve(ex.paged())
    before = reg.store.dump()
    for mode in ("500", "drop"):
        srv.fail["/catalog?page=3"] = mode
        with pytest.raises(Unavailable, match="page=3"):
            reg.harvest.harvest(CURATOR, paged_source(srv))
        assert reg.store.dump() == before  # nothing half-imported, nothing deprecated
    srv.fail.clear()
    srv.not_modified.clear()
    result = reg.harvest.harvest(CURATOR, paged_source(srv))
    assert result.counts["deprecated"] >= 1 and result.counts["updated"] == 2  # the dataset and catalogue
    assert reg.records.get(ANONYMOUS, changed).value(DCT + "title") == "A new title"
    assert srv.not_modified["/catalog?page=1"] == 1  # pages read before the failure came from the cache


def test_any_rdf_format_and_ill_typed_literals_are_kept_as_non_conformant(
    reg: Registry, srv: HarvestServer, ex: Example
) -> None:
    bad = ex.of(Kind.DATASET)[0]
    ex.records[bad].append(ox.Triple(ox.NamedNode(bad), ox.NamedNode(DCT + "issued"),
                                     ox.Literal("last spring", datatype=ox.NamedNode(XSD + "date"))))  # fmt: skip
    doc = ox.serialize([t for ts in ex.records.values() for t in ts], format=ox.RdfFormat.JSON_LD)
    srv.docs = {"/export.jsonld": (doc or b"").decode()}
    srv.media["/export.jsonld"] = "application/ld+json"
    result = reg.harvest.harvest(CURATOR, HarvestSource("json", srv.url("/export.jsonld")))
    assert result.counts == {"imported": len(ex.records) - 1, "non-conformant": 1}
    (queued,) = reg.harvest.non_conformant(CURATOR, "json")
    assert queued.iri == bad and any("last spring" in (v.value or v.message) for v in queued.violations)
    kept = reg.records.get(CURATOR, bad)  # exactly as sent, the ill-typed literal too
    assert ox.Literal("last spring", datatype=ox.NamedNode(XSD + "date")) in kept.values(DCT + "issued")


def test_dry_run_changes_nothing(reg: Registry, srv: HarvestServer, ex: Example) -> None:
    srv.serve(ex.paged())
    before = reg.store.dump()
    result = reg.harvest.harvest(CURATOR, paged_source(srv), dry_run=True)
    assert result.counts == {"valid": len(ex.records)}
    assert reg.store.dump() == before
    assert not (reg.settings.home / "harvest").exists()  # no cached pages either


def test_a_harvest_never_touches_records_it_did_not_create(
    reg: Registry, srv: HarvestServer, ex: Example
) -> None:
    srv.serve(ex.paged())
    reg.harvest.harvest(CURATOR, paged_source(srv))
    before = reg.store.dump()
    other = reg.harvest.harvest(CURATOR, HarvestSource("other", srv.url("/catalog?page=1")))
    assert other.counts == {"rejected": len(ex.records)}
    assert "not by harvest source other" in (other.items[0].error.message if other.items[0].error else "")
    assert reg.store.dump() == before


def test_refused_requests_change_nothing(reg: Registry, srv: HarvestServer, ex: Example) -> None:
    srv.serve(ex.paged())
    with pytest.raises(Unauthenticated):
        reg.harvest.harvest(ANONYMOUS, paged_source(srv))
    with pytest.raises(PermissionDenied):
        reg.harvest.harvest(RESEARCHER, paged_source(srv))
    with pytest.raises(InputError, match="not valid"):
        reg.harvest.harvest(CURATOR, HarvestSource("Bad Id!", srv.url("/catalog?page=1")))
    with pytest.raises(InputError, match="404"):
        reg.harvest.harvest(CURATOR, HarvestSource("src", srv.url("/nothing-here")))
    assert reg.store.count() == 0


def test_harvest_sources_setting() -> None:
    s = Settings.from_env({"FAIRGRID_HARVEST_SOURCES": "a=https://x.example/fdp, b=/data/export.ttl",
                           "FAIRGRID_HARVEST_INTERVAL_S": "60"})  # fmt: skip
    assert s.harvest_sources == (("a", "https://x.example/fdp"), ("b", "/data/export.ttl"))
    assert s.harvest_interval_s == 60.0
    for bad in ("no-equals-sign", "a=x,a=y", "=x"):
        with pytest.raises(InputError, match="FAIRGRID_HARVEST_SOURCES"):
            Settings.from_env({"FAIRGRID_HARVEST_SOURCES": bad})


def test_harvest_through_an_oxigraph_server(
    settings: Settings, srv: HarvestServer, ex: Example, tmp_path: Path
) -> None:
    """The same life cycle on the scale-out store (`oxigraph serve`): the harvest's queries and its one
    commit go through the SPARQL protocol."""
    server = OxigraphServer(tmp_path / "server-store")
    server.start()
    try:
        with open_registry(replace(settings, store_url=server.url + "/query")) as reg:
            assert reg.store.shared  # the server, not an embedded store
            bad, gone = ex.of(Kind.DATASET)[:2]
            ex.untitle(bad)
            srv.serve(ex.paged())
            first = reg.harvest.harvest(CURATOR, paged_source(srv))
            assert first.counts == {"imported": len(ex.records) - 1, "non-conformant": 1}
            assert [q.iri for q in reg.harvest.non_conformant(CURATOR, "src")] == [bad]
            ex.drop(gone)
            srv.serve(ex.paged())
            again = reg.harvest.harvest(CURATOR, paged_source(srv))
            assert gone in {i.iri for i in again.items if i.status == "deprecated"}
            assert reg.records.get(RESEARCHER, gone).deprecated
    finally:
        server.stop()
