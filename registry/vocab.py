"""Namespace IRIs and record kinds. Plain strings: no RDF library needed to use them."""

from __future__ import annotations

from enum import StrEnum

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
VCARD = "http://www.w3.org/2006/vcard/ns#"
ADMS = "http://www.w3.org/ns/adms#"
SH = "http://www.w3.org/ns/shacl#"
DCATAP = "http://data.europa.eu/r5r/"
MLDCAT = "http://data.europa.eu/it6/"
HEALTH = "http://healthdataportal.eu/ns/health#"
FG = "https://w3id.org/fairgrid/ns#"
EU_AUTH = "http://publications.europa.eu/resource/authority/"
ACCESS_RIGHT = EU_AUTH + "access-right/"
DATA_THEME = EU_AUTH + "data-theme/"
ICD10 = "http://id.who.int/icd/release/10/2019/"
# HealthDCAT-AP health categories (ontologies/vocabularies/health-category-ehds.ttl), the scheme's own host
HEALTH_CATEGORY = "https://hdeu-dcat.data.health.europa.eu/resource/authority/healthcategories/"
ORPHA = "http://www.orpha.net/ORDO/Orphanet_"

RDF_TYPE = RDF + "type"


class Kind(StrEnum):
    """What a record is; decided by the rdf:type of its main subject."""

    CATALOG = "Catalog"
    DATASET = "Dataset"
    DISTRIBUTION = "Distribution"
    DATA_SERVICE = "DataService"
    MODEL = "MachineLearningModel"
    TERMINOLOGY = "Terminology"
    ORGANIZATION = "Organization"
    SITE = "Site"
    TRAINING_JOB = "TrainingJob"

    @property
    def type_iri(self) -> str:
        return KIND_TYPES[self]

    @property
    def slug(self) -> str:
        return KIND_SLUGS[self]


KIND_TYPES: dict[Kind, str] = {
    Kind.CATALOG: DCAT + "Catalog",
    Kind.DATASET: DCAT + "Dataset",
    Kind.DISTRIBUTION: DCAT + "Distribution",
    Kind.DATA_SERVICE: DCAT + "DataService",
    Kind.MODEL: MLDCAT + "MachineLearningModel",
    Kind.TERMINOLOGY: SKOS + "ConceptScheme",
    Kind.ORGANIZATION: FOAF + "Organization",
    Kind.SITE: FG + "Site",
    Kind.TRAINING_JOB: FG + "TrainingJob",
}

KIND_SLUGS: dict[Kind, str] = {
    Kind.CATALOG: "catalog",
    Kind.DATASET: "dataset",
    Kind.DISTRIBUTION: "distribution",
    Kind.DATA_SERVICE: "service",
    Kind.MODEL: "model",
    Kind.TERMINOLOGY: "terminology",
    Kind.ORGANIZATION: "organization",
    Kind.SITE: "site",
    Kind.TRAINING_JOB: "job",
}

# When a subject has several kind types (a Site is also a foaf:Organization), the first wins.
KIND_PRIORITY: tuple[Kind, ...] = (
    Kind.CATALOG,
    Kind.MODEL,
    Kind.DATASET,
    Kind.DATA_SERVICE,
    Kind.DISTRIBUTION,
    Kind.TERMINOLOGY,
    Kind.SITE,
    Kind.ORGANIZATION,
    Kind.TRAINING_JOB,
)

TYPE_TO_KIND: dict[str, Kind] = {v: k for k, v in KIND_TYPES.items()}
TYPE_TO_KIND[FOAF + "Agent"] = Kind.ORGANIZATION
# A series is a dataset (DCAT 3) and a main class of DCAT-AP 3: its own record, not a part copied into
# every dataset that points at it, so a dataset of a later import can reference it.
DATASET_SERIES = DCAT + "DatasetSeries"
TYPE_TO_KIND[DATASET_SERIES] = Kind.DATASET

ACCESS_PUBLIC = ACCESS_RIGHT + "PUBLIC"
ACCESS_RESTRICTED = ACCESS_RIGHT + "RESTRICTED"
ACCESS_NON_PUBLIC = ACCESS_RIGHT + "NON_PUBLIC"

# Who may read a record's *metadata* (dct:accessRights is about the data). Published metadata is public
# unless the record says fg:metadataVisibility fg:ConsortiumMetadata (ontologies/fairgrid.ttl).
METADATA_VISIBILITY = FG + "metadataVisibility"
VISIBILITY_PUBLIC = FG + "PublicMetadata"
VISIBILITY_CONSORTIUM = FG + "ConsortiumMetadata"
