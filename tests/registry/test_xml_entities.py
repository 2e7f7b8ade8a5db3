"""RDF/XML entity declarations are checked before Oxigraph's parser expands them (registry/xml_entities.py).
Ten entities that each repeat the one before ten times cost 15.6 s of CPU in one write before."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from registry import rdf, xml_entities
from registry.errors import RdfSyntaxError, RecordTooLarge
from registry.identity import Role, local_operator
from tests.api.rest.conftest import auth_for, client_for, loaded_registry

RDF_NS = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/"'


def document(entities: str, title: str) -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [{entities}]>\n<rdf:RDF {RDF_NS}>'
        f'<rdf:Description rdf:about="https://w3id.org/fairgrid/dataset/x"><dct:title>{title}</dct:title>'
        "</rdf:Description></rdf:RDF>"
    ).encode()


LAUGHS = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
REFUSED = {
    "billion laughs": document(LAUGHS, "&a9;"),
    "parameter entity": document('<!ENTITY % p "x">', "t"),
    "external entity": document('<!ENTITY x SYSTEM "file:///etc/passwd">', "&x;"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_nested_parameter_and_external_entities_are_refused_unexpanded(case: str) -> None:
    start = time.process_time()
    with pytest.raises(RdfSyntaxError):
        rdf.parse(REFUSED[case], rdf.ox.RdfFormat.RDF_XML, source="doc.rdf")
    assert time.process_time() - start < 1  # 15.6 s for the billion laughs before


def test_flat_entities_as_namespace_abbreviations_still_read() -> None:
    doc = document('<!ENTITY dcat "http://www.w3.org/ns/dcat#">', "A &amp; B").replace(
        b"<dct:title>", b'<rdf:type rdf:resource="&dcat;Dataset"/><dct:title>'
    )
    triples = rdf.parse(doc, rdf.ox.RdfFormat.RDF_XML)
    assert {str(t.object) for t in triples} >= {"<http://www.w3.org/ns/dcat#Dataset>", '"A & B"'}


def test_flat_entities_that_expand_far_beyond_the_document_are_refused(tmp_path: Path) -> None:
    doc = document(f'<!ENTITY big "{"x" * 4000}">', "&big;" * 20_000)  # 100 KB that would be 80 MB
    with pytest.raises(RecordTooLarge, match="expand to 80,000,000 bytes"):
        rdf.parse(doc, rdf.ox.RdfFormat.RDF_XML, source="doc.rdf")
    path = tmp_path / "big.rdf"
    path.write_bytes(doc)
    with pytest.raises(RecordTooLarge):
        xml_entities.check_file(path, str(path))


def test_references_split_across_chunks_are_counted_once() -> None:
    doc = document('<!ENTITY e "12345">', "&e; " * 300)
    whole = xml_entities.expanded_bytes([doc], "doc")
    assert whole == 1500
    for cut in range(len(doc) - 1300, len(doc) - 1200):
        for size in (cut, 7, 300):
            parts = [doc[:cut]] + [doc[i : i + size] for i in range(cut, len(doc), size)]
            assert xml_entities.expanded_bytes(parts, "doc") == whole, (cut, size)


def test_a_billion_laughs_record_or_file_is_refused_and_stores_nothing(tmp_path: Path) -> None:
    reg = loaded_registry(tmp_path / "home")
    try:
        before = reg.store.dump()
        headers = {"Content-Type": "application/rdf+xml", **auth_for(reg)(Role.CURATOR)}
        r = client_for(reg).post("/records", content=REFUSED["billion laughs"], headers=headers)
        assert r.status_code == 400 and r.json()["code"] == "rdf_syntax", r.text
        bomb = tmp_path / "bomb.rdf"
        bomb.write_bytes(REFUSED["billion laughs"])
        result = reg.importer.run(local_operator(), [bomb])  # the streaming file import
        assert result.counts["rejected"] == 1 and reg.store.dump() == before
    finally:
        reg.close()
