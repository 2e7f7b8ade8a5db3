"""The catalogue export conforms to the official DCAT-AP 3.0.1 shapes, checked by plain pySHACL."""

from __future__ import annotations

import io

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from rdflib.compare import isomorphic

from registry.identity import local_operator
from registry.validation.bundle import SHAPES_DIR, background_files, terminology_files
from registry.wiring import Registry
from tests.conftest import EXAMPLE, RESEARCHER

ME = local_operator("tester")


def test_export_of_the_example_catalogue_conforms(reg: Registry) -> None:
    """Every format reads back (rdflib) as the same graph; that graph conforms to the official shapes
    (validated once: SHACL results do not depend on blank-node labels, so isomorphic graphs agree)."""
    reg.importer.run(ME, [*terminology_files(), EXAMPLE])
    graphs = {}
    for fmt, rdf_fmt in (("turtle", ox.RdfFormat.TURTLE), ("json-ld", ox.RdfFormat.JSON_LD),
                         ("xml", ox.RdfFormat.RDF_XML), ("nt", ox.RdfFormat.N_TRIPLES)):  # fmt: skip
        buf = io.BytesIO()
        reg.exporter.write(RESEARCHER, buf, rdf_fmt)
        graphs[fmt] = rdflib.Graph().parse(data=buf.getvalue(), format=fmt)
    exported = graphs["turtle"]
    assert len(exported) > 500
    for fmt, g in graphs.items():
        assert isomorphic(g, exported), f"{fmt} export differs from the Turtle one"
    data = rdflib.Graph()
    data += exported
    for f in background_files():  # the bundled vocabularies, as background data
        data.parse(f)
    shapes = rdflib.Graph()
    for name in ("shapes.ttl", "range.ttl"):
        shapes.parse(SHAPES_DIR / "official" / name)
    conforms, _g, text = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    assert conforms, text


@pytest.mark.parametrize(
    ("fmt", "suffix"),
    [
        (ox.RdfFormat.TURTLE, "ttl"),
        (ox.RdfFormat.JSON_LD, "jsonld"),
        (ox.RdfFormat.RDF_XML, "rdf"),
        (ox.RdfFormat.N_TRIPLES, "nt"),
    ],  # fmt: skip
)
def test_export_imports_back_unchanged_in_every_format(reg: Registry, fmt: ox.RdfFormat, suffix: str) -> None:
    reg.importer.run(ME, [EXAMPLE])
    buf = io.BytesIO()
    reg.exporter.write(RESEARCHER, buf, fmt)
    n = reg.store.count()
    dump = reg.settings.home / f"dump.{suffix}"
    dump.write_bytes(buf.getvalue())
    summary = reg.importer.run(ME, [dump])
    assert summary.unchanged == n and summary.imported == summary.updated == summary.rejected == 0
