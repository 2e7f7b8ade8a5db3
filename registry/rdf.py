"""Parsing and serialising RDF with pyoxigraph, with errors that name the source and line."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

from registry import xml_entities
from registry.errors import InputError, RdfSyntaxError
from registry.jsonld import to_quads

Term = ox.NamedNode | ox.BlankNode | ox.Literal

# Names the CLI and API accept, mapped to pyoxigraph formats.
FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ttl": ox.RdfFormat.TURTLE,
    "json-ld": ox.RdfFormat.JSON_LD,
    "jsonld": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML,
    "rdf-xml": ox.RdfFormat.RDF_XML,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "nt": ox.RdfFormat.N_TRIPLES,
    "n-triples": ox.RdfFormat.N_TRIPLES,
    "ntriples": ox.RdfFormat.N_TRIPLES,
}

MEDIA_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
}

EXTENSIONS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".nt": ox.RdfFormat.N_TRIPLES,
}

_LINE = re.compile(r"line (\d+)")

# Editors on Windows (Notepad, Excel's "UTF-8" export) start a UTF-8 file with a byte order mark.
# pyoxigraph's Turtle, N-Triples and N-Quads parsers read it as the first subject and refuse the file;
# JSON (RFC 8259, 8.1) and XML readers skip it, and so does fairgrid now for every RDF input.
UTF8_BOM = b"\xef\xbb\xbf"


# "Unicode" in Notepad's Save dialog is UTF-16. pyoxigraph reads RDF as UTF-8 only (JSON-LD is read by
# fairgrid's JSON reader, which takes UTF-16 and UTF-32 too): say so instead of "invalid UTF-8 at line 1".
_WIDE_MARKS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def without_bom(data: bytes, fmt: ox.RdfFormat, source: str) -> bytes:
    """`data` without a leading UTF-8 byte order mark; RdfSyntaxError for text in UTF-16 or UTF-32."""
    if data.startswith(UTF8_BOM):
        return data[len(UTF8_BOM) :]
    if fmt != ox.RdfFormat.JSON_LD:
        for mark, name in _WIDE_MARKS:
            if data.startswith(mark):
                raise RdfSyntaxError(
                    f"the text is {name} (it starts with that byte order mark); fairgrid reads RDF as UTF-8",
                    source=source,
                    line=1,
                    hint="save the file as UTF-8 (in Notepad: Save as, Encoding: UTF-8) and send it again",
                )
    return data


def quads_in(path: Path, fmt: ox.RdfFormat, *, base_iri: str | None = None) -> Iterator[ox.Quad]:
    """The statements of a file as the parser streams them, a leading byte order mark skipped.
    RDF/XML is checked for entity expansion first. Raises OSError, SyntaxError as pyoxigraph does,
    RdfSyntaxError for a file in UTF-16 or UTF-32."""
    if fmt == ox.RdfFormat.RDF_XML:
        xml_entities.check_file(path, str(path))  # before the parser expands any
    with path.open("rb") as fh:
        head = fh.read(4)
        fh.seek(len(head) - len(without_bom(head, fmt, str(path))))
        yield from ox.parse(fh, format=fmt, base_iri=base_iri)


def format_named(name: str) -> ox.RdfFormat:
    fmt = FORMATS.get(name.lower()) or MEDIA_TYPES.get(name.lower().split(";")[0].strip())
    if fmt is None:
        known = ", ".join(sorted({"turtle", "json-ld", "xml", "nt"}))
        raise InputError(f"unknown RDF format {name!r}", hint=f"use one of: {known}")
    return fmt


def format_for_path(path: Path) -> ox.RdfFormat:
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path}: cannot tell the RDF format from the extension {path.suffix!r}",
            hint="use .ttl, .jsonld, .rdf/.xml or .nt",
        )
    return fmt


def parse(
    data: bytes | str, fmt: ox.RdfFormat, *, source: str = "<input>", base_iri: str | None = None
) -> list[ox.Triple]:
    """Parse a whole document; any syntax error raises RdfSyntaxError naming source and line."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    data = without_bom(data, fmt, source)
    try:
        if fmt == ox.RdfFormat.JSON_LD:  # type-scoped contexts need a JSON-LD 1.1 processor
            quads = to_quads(data, source=source, base_iri=base_iri)
        else:
            if fmt == ox.RdfFormat.RDF_XML:
                xml_entities.check_bytes(data, source)  # before the parser expands any
            quads = list(ox.parse(data, format=fmt, base_iri=base_iri))
    except SyntaxError as exc:
        line = getattr(exc, "lineno", None)
        if line is None:
            m = _LINE.search(str(exc))
            line = int(m.group(1)) if m else None
        raise RdfSyntaxError(_clean(str(exc)), source=source, line=line) from None
    except (ValueError, OSError) as exc:
        raise RdfSyntaxError(_clean(str(exc)), source=source) from None
    out: list[ox.Triple] = []
    for q in quads:
        if not isinstance(q.graph_name, ox.DefaultGraph):
            raise InputError(
                f"{source}: named graphs are not accepted in record input", hint="send triples only"
            )
        out.append(q.triple)
    return out


def serialize(
    triples: Iterable[ox.Triple], fmt: ox.RdfFormat, prefixes: dict[str, str] | None = None
) -> bytes:
    if fmt == ox.RdfFormat.TURTLE or fmt == ox.RdfFormat.RDF_XML or fmt == ox.RdfFormat.JSON_LD:
        out = ox.serialize(triples, format=fmt, prefixes=prefixes or {})
    else:
        out = ox.serialize(triples, format=fmt)
    assert out is not None
    return out


def is_iri(value: str) -> bool:
    try:
        ox.NamedNode(value)
    except ValueError:
        return False
    return True


def term_key(term: Term) -> str:
    """Stable string form of a term, for reports and comparisons."""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return str(term)


def _clean(msg: str) -> str:
    return msg.replace("\n", " ").strip()


COMMON_PREFIXES: dict[str, str] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "healthdcatap": "http://healthdataportal.eu/ns/health#",
    "mldcat": "http://data.europa.eu/it6/",
    "dcatap": "http://data.europa.eu/r5r/",
    "adms": "http://www.w3.org/ns/adms#",
    "fg": "https://w3id.org/fairgrid/ns#",
}
