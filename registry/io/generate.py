"""Generated HealthDCAT-AP dataset records, for benchmarks and load tests.

Each record is one dataset with two distributions, five keywords and three ICD-10 codes, published
by an organisation described in the same document, under the health data access body every document
names (shared records use IRIs for their parts, so documents concatenated into one still describe each
once); complete under HealthDCAT-AP Release 5; deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

BASE = "https://w3id.org/fairgrid/"

PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix healthdcatap: <http://healthdataportal.eu/ns/health#> .
@prefix theme: <http://publications.europa.eu/resource/authority/data-theme/> .
@prefix access: <http://publications.europa.eu/resource/authority/access-right/> .
@prefix licence: <http://publications.europa.eu/resource/authority/licence/> .
@prefix filetype: <http://publications.europa.eu/resource/authority/file-type/> .
@prefix icd10: <http://id.who.int/icd/release/10/2019/> .
@prefix dcatap: <http://data.europa.eu/r5r/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ptype: <http://purl.org/adms/publishertype/> .
@prefix hc: <https://hdeu-dcat.data.health.europa.eu/resource/authority/healthcategories/> .
@prefix dt: <https://w3id.org/fairgrid/vocab/dataset-type/> .
@prefix avail: <http://publications.europa.eu/resource/authority/planned-availability/> .
"""
EHDS = "<http://data.europa.eu/eli/reg/2025/327/oj>"  # applicable legislation: the EHDS regulation
# official HealthDCAT-AP codes: medical registries, genomic data, research cohorts
CATEGORIES = ["MRMR", "HGPD", "RQSH"]

DISEASES = {
    "myelodysplastic syndromes": ["D46.0", "D46.1", "D46.2", "D46.4", "D46.5", "D46.6", "D46.7", "D46.9"],
    "sickle cell disease": ["D57.0", "D57.1", "D57.2", "D57.3", "D57.8"],
    "multiple myeloma": ["C90.0", "C90.1", "C90.2", "C90.3"],
}
WORDS = [
    "registry", "cohort", "outcomes", "transfusion", "genomics", "NGS", "cytogenetics", "survival",
    "hydroxyurea", "azacitidine", "lenalidomide", "bortezomib", "transplant", "paediatric", "adults",
    "real-world", "biobank", "imaging", "laboratory", "follow-up", "quality of life", "crisis",
]  # fmt: skip
CITIES = ["Paris", "Milan", "Leiden", "Lyon", "Madrid", "Lisbon", "Ghent", "Vienna", "Prague", "Turku"]
ACCESS = ["PUBLIC", "RESTRICTED", "NON_PUBLIC"]


def dataset_ttl(i: int, rng: random.Random, prefix: str = "gen") -> str:
    disease = rng.choice(list(DISEASES))
    codes = rng.sample(DISEASES[disease], 3)
    city = rng.choice(CITIES)
    access = rng.choice(ACCESS)
    words = rng.sample(WORDS, 4)
    n = rng.randint(20, 20_000)
    year = rng.randint(2005, 2024)
    ds = f"<{BASE}dataset/{prefix}-{i}>"
    lic = " ; dct:license licence:CC_BY_4_0" if access == "PUBLIC" else ""
    dists = []
    for k, (fmt, mt) in enumerate([("CSV", "text/csv"), ("JSON", "application/json")]):
        dists.append(
            f"""<{BASE}distribution/{prefix}-{i}-{k}> a dcat:Distribution ;
    dct:title "{disease.capitalize()} data, {fmt}"@en ;
    dct:description "{disease.capitalize()} data as {fmt}, on approved request."@en ;
    dcatap:applicableLegislation {EHDS} ;
    dcatap:availability avail:AVAILABLE ;
    dcat:accessURL <{BASE}access/{prefix}-{i}/{k}> ;
    dct:format filetype:{fmt} ;
    dcat:mediaType <http://www.iana.org/assignments/media-types/{mt}>{lic} ."""
        )
    return f"""{ds} a dcat:Dataset ;
    dct:identifier "{prefix}-{i}" ;
    dcatap:applicableLegislation {EHDS} ;
    dct:type dt:PATIENT_LEVEL ;
    dct:provenance [ a dct:ProvenanceStatement ; rdfs:label "Generated for benchmarks (not real patients)."@en ] ;
    healthdcatap:healthCategory hc:{rng.choice(CATEGORIES)} ;
    healthdcatap:hdab <{BASE}organization/national-hdab> ;
    dct:title "{disease.capitalize()} {words[0]} {i} — {city}"@en ;
    dct:description "Generated record {i}: {disease} {words[1]} of {n} patients in {city}, {words[2]} and {words[3]}."@en ;
    dcat:keyword "{disease}"@en , "{words[0]}"@en , "{words[1]}"@en , "{words[2]}"@en , "{city}"@en ;
    dcat:theme theme:HEAL ;
    dct:accessRights access:{access} ;
    dct:publisher <{BASE}organization/{city.lower()}-hospital> ;
    dcat:contactPoint [ a vcard:Kind ; vcard:fn "Data desk {city}" ; vcard:hasEmail <mailto:data@{city.lower()}.example.org> ] ;
    dct:issued "{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"^^xsd:date ;
    healthdcatap:hasCodingSystem <http://id.who.int/icd/release/10/2019> ;
    healthdcatap:hasCodeValues icd10:{codes[0]} , icd10:{codes[1]} , icd10:{codes[2]} ;
    healthdcatap:numberOfRecords "{n * 12}"^^xsd:nonNegativeInteger ;
    healthdcatap:numberOfUniqueIndividuals "{n}"^^xsd:nonNegativeInteger ;
    dcat:distribution <{BASE}distribution/{prefix}-{i}-0> , <{BASE}distribution/{prefix}-{i}-1> .
{dists[0]}
{dists[1]}
<{BASE}organization/{city.lower()}-hospital> a foaf:Organization, foaf:Agent ; foaf:name "{city} University Hospital (generated)"@en ;
    dct:type ptype:Academia-ScientificOrganisation ;
    dcat:contactPoint <{BASE}contact/{city.lower()}-office> .
<{BASE}contact/{city.lower()}-office> a vcard:Kind ; vcard:fn "Data office {city}"@en ; vcard:hasEmail <mailto:office@{city.lower()}.example.org> .
<{BASE}organization/national-hdab> a foaf:Organization, foaf:Agent ; foaf:name "National health data access body (generated)"@en ;
    dct:type ptype:NationalAuthority ;
    dcat:contactPoint <{BASE}contact/hdab-desk> .
<{BASE}contact/hdab-desk> a vcard:Kind ; vcard:fn "Access desk"@en ; vcard:hasEmail <mailto:access@hdab.example.org> .
"""


def documents(n: int, seed: int = 1, prefix: str = "gen") -> Iterator[str]:
    """n Turtle documents, one dataset (with its distributions and publisher) each."""
    rng = random.Random(seed)
    for i in range(n):
        yield PREFIXES + dataset_ttl(i, rng, prefix)
