"""Types that a record's triples entail, stated before validation, for both validators alike.

Three rules, each giving `<iri> rdf:type <class>` triples (the third also skos:inScheme) from the
record's own triples:

1. Open ranges (RDFS rule rdfs3: `s p o` and `p rdfs:range C` entail `o a C`). range.ttl asks these
   values to be typed; publishers never type them, and no vocabulary can list the web's pages or
   specifications. The table is the properties' declared rdfs:range, nothing more:

   - dcat:landingPage -> foaf:Document: DCAT 3 (W3C Recommendation, 2024-08-22),
     https://www.w3.org/TR/vocab-dcat-3/#Property:resource_landing_page
   - foaf:homepage -> foaf:Document: FOAF 0.99 (2014-01-14), http://xmlns.com/foaf/spec/#term_homepage
   - foaf:page -> foaf:Document: FOAF 0.99, http://xmlns.com/foaf/spec/#term_page (DCAT-AP's
     "documentation" of a distribution, "page" of a dataset)
   - dct:conformsTo -> dct:Standard: DCMI Metadata Terms (2020-01-20),
     https://www.dublincore.org/specifications/dublin-core/dcmi-terms/terms/conformsTo/

   Only IRI objects are typed. A literal is not a resource of any class, so range.ttl still refuses a
   page given as a string. A blank node keeps needing its own type: it exists only in the file, whose
   author can type it, and a blank node where a page is wanted is more often a description of
   something else than an anonymous page. Ranges that are controlled vocabularies (dct:license,
   dct:language, dct:format, dct:accessRights, dct:spatial, dct:accrualPeriodicity, dcat:theme, ...)
   are deliberately not here: their rdfs:range would accept any IRI, and the point of checking them
   is that the value is in the bundled lists (rule 3 is the exception, for two tables). MLDCAT-AP's
   range shapes ask foaf:Document of
   mldcat:hasDocument too; its rdfs:range was not confirmed from the vocabulary, so it is left out.

2. GeoNames features are places (dct:Location). DCAT-AP's own controlled-vocabulary shape
   (mdr-vocabularies.shape.ttl) accepts a dct:spatial value as a GeoNames place by its IRI alone
   (`^https://sws.geonames.org`); range.ttl wants a dct:Location. Only continents and countries are
   bundled (ontologies/vocabularies/place-geonames.ttl), and every GeoNames feature id denotes a named
   place, so a city such as Thessaloniki is typed from its IRI. The GeoNames web pages
   (`www.geonames.org/ID`) are not feature IRIs and are left alone.

3. Codes of the EU licence and place tables (dct:license, dct:spatial) are entries of those tables,
   typed from their namespace; the ones not bundled are accepted with a warning. Rule, sources and
   warning: registry/validation/nal.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyoxigraph as ox

from registry.validation.nal import table_entries
from registry.vocab import DCAT, DCT, FOAF, RDF_TYPE

_TYPE = ox.NamedNode(RDF_TYPE)
_LOCATION = ox.NamedNode(DCT + "Location")
_DOCUMENT = ox.NamedNode(FOAF + "Document")
_FEATURE = re.compile(r"https?://sws\.geonames\.org/[1-9][0-9]*/?")

# property -> its declared rdfs:range (sources in the module docstring)
OPEN_RANGES: dict[ox.NamedNode, ox.NamedNode] = {
    ox.NamedNode(DCAT + "landingPage"): _DOCUMENT,
    ox.NamedNode(FOAF + "homepage"): _DOCUMENT,
    ox.NamedNode(FOAF + "page"): _DOCUMENT,
    ox.NamedNode(DCT + "conformsTo"): ox.NamedNode(DCT + "Standard"),
}


def entailed_types(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """`<iri> a <class>` for each IRI object in an open range or naming a GeoNames feature, and what
    the EU licence and place tables state of their codes (nal.py)."""
    triples = list(triples)  # read twice (callers pass generators)
    found: set[tuple[ox.NamedNode, ox.NamedNode]] = set()
    for t in triples:
        if not isinstance(t.object, ox.NamedNode):
            continue
        cls = OPEN_RANGES.get(t.predicate)
        if cls is not None:
            found.add((t.object, cls))
        if _FEATURE.fullmatch(t.object.value):
            found.add((t.object, _LOCATION))
    typed = [ox.Triple(iri, _TYPE, cls) for iri, cls in sorted(found, key=lambda p: (p[0].value, p[1].value))]
    return [*typed, *table_entries(triples)]
