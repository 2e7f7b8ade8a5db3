"""Codes of the EU licence and place tables that fairgrid does not bundle: accepted, with a warning.

The Publications Office's authority tables (NALs) `licence` and `place` are not reachable offline in
full (ontologies/README.md); fairgrid bundles 16 licence codes and no place codes. A real code must not
be refused for want of the table, so an IRI object

- of dct:license in http://publications.europa.eu/resource/authority/licence/<CODE>, or
- of dct:spatial in http://publications.europa.eu/resource/authority/place/<CODE>,

with CODE in the NALs' code form (upper-case letters, digits, `_`, `-`, `.`; every bundled licence
code and every NAL country code has it), is taken as an entry of that table: skos:inScheme the
table (every NAL entry is a concept of its table), and of the class range.ttl asks of the property:
the licence table lists licence documents (dct:LicenseDocument), and the place table is one of the
lists DCAT-AP names for dct:spatial, whose values are dct:Location (DCAT-AP 1.1 onwards, see
https://joinup.ec.europa.eu/release/how-should-dctspatial-and-dctlocation-be-used; DCAT-AP 3's
mdr-vocabularies.shape.ttl accepts a place by `:PlaceRestriction`, skos:inScheme the table). The
table itself is a skos:ConceptScheme, which `:PlaceRestriction` asks of it. Whether the Publications
Office's own RDF types its entries so could not be checked offline; the rule is fairgrid's reading.

Nothing offline confirms that such a code exists, so every one that is not bundled gets one warning
(sh:Warning, never a violation) saying where to check it. Bundled codes get no warning and are typed
by the bundle as before. Any other value (another namespace, a literal, a blank node) is left to the
shapes, which refuse it as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyoxigraph as ox

from registry.errors import Violation
from registry.validation.graph import Graph
from registry.validation.report import WARNING, finding_on
from registry.vocab import DCT, FG, RDF_TYPE, SKOS

AUTHORITY = "http://publications.europa.eu/resource/authority/"
UNCONFIRMED = FG + "UnconfirmedCode"  # the rule the warning reports (not a SHACL component)
_CODE = re.compile(r"[A-Z0-9][A-Z0-9_.-]*")
_TYPE = ox.NamedNode(RDF_TYPE)
_IN_SCHEME = ox.NamedNode(SKOS + "inScheme")
_SCHEME = ox.NamedNode(SKOS + "ConceptScheme")


class _Table:
    def __init__(self, name: str, prop: str, cls: str, bundled_in: str, browse: str):
        self.scheme = ox.NamedNode(AUTHORITY + name)
        self.prop = ox.NamedNode(prop)
        self.cls = ox.NamedNode(cls)
        self.prefix = AUTHORITY + name + "/"
        self.bundled_in = bundled_in
        self.browse = browse

    def holds(self, iri: ox.NamedNode) -> bool:
        return iri.value.startswith(self.prefix) and bool(_CODE.fullmatch(iri.value[len(self.prefix) :]))


_VOCABULARIES = "https://op.europa.eu/en/web/eu-vocabularies/concept-scheme/-/resource?uri="
TABLES = (
    _Table(
        "licence",
        DCT + "license",
        DCT + "LicenseDocument",
        "ontologies/vocabularies/licence.ttl",
        _VOCABULARIES + AUTHORITY + "licence",
    ),
    _Table(
        "place",
        DCT + "spatial",
        DCT + "Location",
        "none of its codes; countries and continents: ontologies/vocabularies/country.ttl, continent.ttl",
        _VOCABULARIES + AUTHORITY + "place",
    ),
)


def _codes_in(triples: Iterable[ox.Triple]) -> Iterable[tuple[ox.Triple, _Table, ox.NamedNode]]:
    """(triple, table, code) for each triple whose object is a code of one of the tables."""
    for t in triples:
        if isinstance(t.object, ox.NamedNode):
            for table in TABLES:
                if t.predicate == table.prop and table.holds(t.object):
                    yield t, table, t.object


def table_entries(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """What the table states of each code the record uses: its class, its scheme, the scheme's type."""
    out: set[ox.Triple] = set()
    for _, table, code in _codes_in(triples):
        out |= {
            ox.Triple(code, _TYPE, table.cls),
            ox.Triple(code, _IN_SCHEME, table.scheme),
            ox.Triple(table.scheme, _TYPE, _SCHEME),
        }
    return sorted(out, key=str)


def _squeezed(code: str) -> str:
    return code.replace("_", "")


class BundledCodes:
    """Which codes of the tables the bundle has; warns of the others a record uses."""

    def __init__(self, background: Graph):
        self.codes: dict[ox.NamedNode, set[str]] = {}
        for table in TABLES:
            codes = {n.value for n in background.subjects(_IN_SCHEME, table.scheme)}
            self.codes[table.scheme] = {c for c in codes if c.startswith(table.prefix)}

    def warnings(self, triples: Iterable[ox.Triple]) -> list[Violation]:
        """One sh:Warning per code a record uses that is in the tables' form but not bundled."""
        out: list[Violation] = []
        seen: set[str] = set()
        for t, table, code in _codes_in(triples):
            if code.value in seen or code.value in self.codes[table.scheme]:
                continue
            seen.add(code.value)
            out.append(finding_on(t, UNCONFIRMED, WARNING, self._message(table, code.value), code.value))
        return out

    def _message(self, table: _Table, iri: str) -> str:
        prop, name = "dct:" + table.prop.value[len(DCT) :], table.scheme.value[len(AUTHORITY) :]
        text = (
            f"{prop} <{iri}> is not in fairgrid's bundled part of the EU {name} table ({table.bundled_in});"
            f" it could not be confirmed offline: check the code at {table.browse}"
        )
        # a bundled code with the same letters: the NAL writes Creative Commons codes without inner
        # underscores (CC_BYNC_4_0), publishers often with them (ontologies/README.md)
        code = iri[len(table.prefix) :]
        near = sorted(
            c for c in self.codes[table.scheme] if _squeezed(c[len(table.prefix) :]) == _squeezed(code)
        )
        if near:
            text += f"; fairgrid's bundled table has <{near[0]}>, which differs only in its underscores"
        return text
