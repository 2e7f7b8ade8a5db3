"""GeoNames features a record names are places (dct:Location), whether or not they are bundled.

DCAT-AP's own controlled-vocabulary shape (mdr-vocabularies.shape.ttl) accepts a dct:spatial value as a
GeoNames place by its IRI alone (`^https://sws.geonames.org`); its range shape wants a dct:Location.
Only continents and countries are bundled (ontologies/vocabularies/place-geonames.ttl), so a city such
as Thessaloniki in the official DCAT-AP examples was refused. Every GeoNames feature id denotes a named
place, so its type is stated here, from the IRI, for both validators alike. The GeoNames web pages
(`www.geonames.org/ID`) are not the feature IRIs and are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyoxigraph as ox

from registry.vocab import DCT, RDF_TYPE

_FEATURE = re.compile(r"https?://sws\.geonames\.org/[1-9][0-9]*/?")
_TYPE = ox.NamedNode(RDF_TYPE)
_LOCATION = ox.NamedNode(DCT + "Location")


def place_types(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """`<feature> a dct:Location` for each GeoNames feature IRI the triples point at."""
    found = {
        t.object for t in triples if isinstance(t.object, ox.NamedNode) and _FEATURE.fullmatch(t.object.value)
    }
    return [ox.Triple(iri, _TYPE, _LOCATION) for iri in sorted(found, key=lambda n: n.value)]
