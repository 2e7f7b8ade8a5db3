"""Owned parts (blank-node agents, contact points) travel with their record; re-imports change nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from registry.identity import local_operator
from registry.wiring import Registry
from tests.conftest import CURATOR
from tests.registry.services.test_records import BASE, dataset

ME = local_operator("tester")
ORG = re.compile(rf"<{re.escape(BASE)}organization/test-org> a foaf:Organization .*? \.\n", re.S)
BLANK_ORG = '[ a foaf:Organization ; foaf:name "Test organisation"@en ]'


def blank_publisher(name: str = "ds1", title: str = "Sickle cell cohort") -> str:
    text, n = ORG.subn("", dataset(name=name, title=title))
    assert n == 1
    return text.replace(f"<{BASE}organization/test-org>", BLANK_ORG)


def blank_dataset() -> str:
    """A dataset without an IRI (its IRI is minted), with a blank-node publisher."""
    text = blank_publisher(name="anon", title="Anonymous cohort")
    text = text.replace(f"<{BASE}dataset/anon> a dcat:Dataset ;", "[] a dcat:Dataset ;", 1)
    assert "[] a dcat:Dataset" in text
    return text


@pytest.mark.parametrize("streamed", [False, True], ids=["in-memory", "streamed"])
def test_reimporting_a_file_three_times_changes_nothing(
    reg: Registry, tmp_path: Path, streamed: bool
) -> None:
    if streamed:  # large files are split from an on-disk index; the records must be the same
        reg.importer.stream_threshold = 0
    f = tmp_path / "cohorts.ttl"
    f.write_text(blank_publisher() + blank_dataset())
    first = reg.importer.run(ME, [f], keep_items=True)
    assert first.rejected == 0, [r.error for r in first.rejections]
    assert first.imported == 2  # the two datasets; their publishers are part of them, not records
    count = reg.store.count()
    assert count == 2
    for _ in range(2):
        again = reg.importer.run(ME, [f], keep_items=True)
        assert (again.imported, again.updated, again.unchanged, again.rejected) == (0, 0, 2, 0)
        assert reg.store.count() == count
    assert {i.iri for i in again.items} == {i.iri for i in first.items}


def test_rejected_dataset_leaves_no_publisher_behind(reg: Registry, tmp_path: Path) -> None:
    f = tmp_path / "bad.ttl"
    f.write_text(blank_publisher().replace('dct:title "Sickle cell cohort"@en ;', ""))
    summary = reg.importer.run(ME, [f], keep_items=True)
    assert summary.rejected == 1 and summary.imported == 0
    assert reg.store.count() == 0


def test_publisher_is_stored_with_its_dataset(reg: Registry) -> None:
    from registry.rdf import FORMATS

    created = reg.records.create(CURATOR, blank_publisher(), FORMATS["turtle"])
    assert [c.iri for c in created] == [f"{BASE}dataset/ds1"]
    rec = reg.store.get(f"{BASE}dataset/ds1")
    assert rec is not None
    names = [t.object.value for t in rec.triples if t.predicate.value == "http://xmlns.com/foaf/0.1/name"]  # type: ignore[union-attr]
    assert names == ["Test organisation"]


def test_every_record_of_a_file_is_in_the_report(reg: Registry, tmp_path: Path) -> None:
    f = tmp_path / "fdp.ttl"
    foreign = '<http://elsewhere.org/dataset/d> a dcat:Dataset ; dct:title "theirs" .\n'
    container = (
        f"<{BASE}datasets> a <http://www.w3.org/ns/ldp#DirectContainer> ;\n"
        f"    <http://www.w3.org/ns/ldp#contains> <{BASE}dataset/ds1>, <http://elsewhere.org/dataset/d> .\n"
    )
    f.write_text(dataset() + container + foreign)
    summary = reg.importer.run(ME, [f], keep_items=True)
    assert {(i.iri, i.status) for i in summary.items} == {
        (f"{BASE}dataset/ds1", "imported"),
        (f"{BASE}organization/test-org", "imported"),
        ("http://elsewhere.org/dataset/d", "rejected"),
    }
    assert "not under an allowed base" in summary.rejections[0].error.message  # type: ignore[union-attr]


def test_a_catalog_record_is_imported_with_the_dataset_it_describes(reg: Registry, tmp_path: Path) -> None:
    f = tmp_path / "with-record.ttl"
    f.write_text(
        dataset()
        + f"<{BASE}record/ds1> a dcat:CatalogRecord ; foaf:primaryTopic <{BASE}dataset/ds1> ;\n"
        + '    dct:modified "2024-05-01"^^xsd:date .\n'
    )
    summary = reg.importer.run(ME, [f], keep_items=True)
    assert summary.rejected == 0, [r.error for r in summary.rejections]
    assert summary.imported == 2  # the dataset (its catalog record inside) and its organisation
    rec = reg.store.get(f"{BASE}dataset/ds1")
    assert rec is not None
    assert any(t.subject == ox.NamedNode(f"{BASE}record/ds1") for t in rec.triples)
    again = reg.importer.run(ME, [f])
    assert again.unchanged == 2 and reg.store.count() == 2
