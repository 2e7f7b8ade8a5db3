"""The `Record` interface and one GraphQL type per record kind (DCAT, HealthDCAT-AP, MLDCAT-AP).

Each type wraps a stored record and reads its values from the record's triples. Links to other records
go through the request's DataLoader; a linked record the caller may not read is left out of the list.
"""

from __future__ import annotations

from typing import TypeVar

import pyoxigraph as ox
import strawberry

from api.graphql import rdfview as rv
from api.graphql.concepts import Concept, ContactPoint, Ctx, ModelFile, PeriodOfTime, Revision, concepts_for
from api.graphql.inputs import RdfFormat
from api.graphql.quality import Quality, quality_of
from api.graphql.scalars import BigInt
from api.graphql.texts import LanguageText
from registry.model import DEPRECATION_REASON, Record
from registry.rdf import COMMON_PREFIXES, serialize
from registry.vocab import ADMS, DCAT, DCATAP, DCT, FG, FOAF, HEALTH, MLDCAT, SKOS, VCARD, Kind


@strawberry.interface(name="Record", description="A registered record; `kind` says which type it is.")
class RecordNode:
    rec: strawberry.Private[Record]

    @strawberry.field
    def iri(self) -> str:
        return self.rec.iri

    @strawberry.field
    def kind(self) -> Kind:
        return self.rec.kind

    @strawberry.field
    def title(self) -> str | None:
        r = self.rec
        return rv.text(r, DCT + "title") or rv.text(r, FOAF + "name") or rv.text(r, SKOS + "prefLabel")

    @strawberry.field
    def description(self) -> str | None:
        return rv.text(self.rec, DCT + "description")

    @strawberry.field(description="The title in each language the record gives (`title`: the English one).")
    def titles(self) -> list[LanguageText]:
        return LanguageText.all(self.rec, DCT + "title")

    @strawberry.field(description="The description in each language the record gives.")
    def descriptions(self) -> list[LanguageText]:
        return LanguageText.all(self.rec, DCT + "description")

    @strawberry.field
    def identifier(self) -> str | None:
        return rv.value(self.rec, DCT + "identifier")

    @strawberry.field
    def keywords(self) -> list[str]:
        return rv.texts(self.rec, DCAT + "keyword")

    @strawberry.field
    def themes(self) -> list[str]:
        return rv.iris(self.rec, DCAT + "theme")

    @strawberry.field(description="Publisher IRI.")
    def publisher(self) -> str | None:
        return rv.value(self.rec, DCT + "publisher")

    @strawberry.field
    def access_rights(self) -> str | None:
        return self.rec.access_rights

    @strawberry.field
    def license(self) -> str | None:
        return rv.value(self.rec, DCT + "license")

    @strawberry.field
    def issued(self) -> str | None:
        return rv.value(self.rec, DCT + "issued")

    @strawberry.field
    def modified(self) -> str | None:
        return rv.value(self.rec, DCT + "modified")

    @strawberry.field
    def landing_page(self) -> list[str]:
        return rv.iris(self.rec, DCAT + "landingPage")

    @strawberry.field(description="The revision shown (latest one the caller may see).")
    def revision(self) -> Revision | None:
        return Revision(r=self.rec.revision) if self.rec.revision is not None else None

    @strawberry.field(description="Metadata quality of the revision shown (MQA points); null if unscored.")
    def quality(self) -> Quality | None:
        return quality_of(self.rec.revision.quality if self.rec.revision is not None else None)

    @strawberry.field
    def published(self) -> bool:
        return self.rec.revision.published if self.rec.revision is not None else True

    @strawberry.field
    def deprecated(self) -> bool:
        return self.rec.deprecated

    @strawberry.field
    def deprecation_reason(self) -> str | None:
        rev = self.rec.revision
        return (rev.reason if rev is not None else None) or rv.text(self.rec, DEPRECATION_REASON)

    @strawberry.field(description="Every revision the caller may see, oldest first.")
    async def revisions(self, info: Ctx) -> list[Revision]:
        revs = await info.context.loaders.revisions.load(self.rec)
        return [Revision(r=r) for r in revs]

    @strawberry.field(description="The record's RDF in the given serialisation, exactly as registered.")
    async def rdf(self, info: Ctx, format: RdfFormat = RdfFormat.TURTLE) -> str:
        # records, batch-loaded or not, hold their revision's content exactly as registered
        return serialize(self.rec.triples, format.oxigraph, COMMON_PREFIXES).decode("utf-8")

    @strawberry.field(description="Values of any property of the record's main subject (IRIs, literals).")
    def values(self, predicate: str) -> list[str]:
        return rv.values(self.rec, predicate)


N = TypeVar("N", bound=RecordNode)


async def linked(info: Ctx, iris: list[str], cls: type[N]) -> list[N]:
    """The linked records of type `cls` the caller may read, loaded in one batch per request level."""
    recs = await info.context.loaders.readable(iris)
    nodes = [to_node(r) for r in recs]
    return [n for n in nodes if isinstance(n, cls)]


@strawberry.type
class Catalog(RecordNode):
    @strawberry.field
    def homepage(self) -> str | None:
        return rv.value(self.rec, FOAF + "homepage")

    @strawberry.field
    async def datasets(self, info: Ctx) -> list[Dataset]:
        return await linked(info, rv.iris(self.rec, DCAT + "dataset"), Dataset)

    @strawberry.field
    async def services(self, info: Ctx) -> list[DataService]:
        return await linked(info, rv.iris(self.rec, DCAT + "service"), DataService)

    @strawberry.field(description="Other catalogued resources (models, ...).")
    async def resources(self, info: Ctx) -> list[RecordNode]:
        return await linked(info, rv.iris(self.rec, DCAT + "resource"), RecordNode)


@strawberry.type
class Dataset(RecordNode):
    @strawberry.field
    async def distributions(self, info: Ctx) -> list[Distribution]:
        return await linked(info, rv.iris(self.rec, DCAT + "distribution"), Distribution)

    @strawberry.field
    def number_of_records(self) -> BigInt | None:
        return rv.integer(self.rec, HEALTH + "numberOfRecords")

    @strawberry.field
    def number_of_unique_individuals(self) -> BigInt | None:
        return rv.integer(self.rec, HEALTH + "numberOfUniqueIndividuals")

    @strawberry.field
    def min_typical_age(self) -> BigInt | None:
        return rv.integer(self.rec, HEALTH + "minTypicalAge")

    @strawberry.field
    def max_typical_age(self) -> BigInt | None:
        return rv.integer(self.rec, HEALTH + "maxTypicalAge")

    @strawberry.field
    def has_coding_system(self) -> list[str]:
        return rv.iris(self.rec, HEALTH + "hasCodingSystem")

    @strawberry.field
    def has_code_values(self) -> list[str]:
        return rv.iris(self.rec, HEALTH + "hasCodeValues")

    @strawberry.field(description="The code values that registered terminologies define, as concepts.")
    async def code_concepts(self, info: Ctx) -> list[Concept]:
        return await concepts_for(info, rv.iris(self.rec, HEALTH + "hasCodeValues"))

    @strawberry.field
    def health_category(self) -> list[str]:
        return rv.iris(self.rec, HEALTH + "healthCategory")

    @strawberry.field
    def population_coverage(self) -> str | None:
        return rv.text(self.rec, HEALTH + "populationCoverage")

    @strawberry.field
    def use_case(self) -> list[str]:
        return rv.iris(self.rec, FG + "useCase")

    @strawberry.field
    def language(self) -> list[str]:
        return rv.iris(self.rec, DCT + "language")

    @strawberry.field
    def accrual_periodicity(self) -> str | None:
        return rv.value(self.rec, DCT + "accrualPeriodicity")

    @strawberry.field
    def collection_date(self) -> str | None:
        return rv.value(self.rec, MLDCAT + "collectionDate")

    @strawberry.field
    def contact_points(self) -> list[ContactPoint]:
        r = self.rec
        return [
            ContactPoint(
                iri=n.value if isinstance(n, ox.NamedNode) else None,
                name=rv.text(r, VCARD + "fn", n),
                email=rv.value(r, VCARD + "hasEmail", n),
            )
            for n in rv.nodes(r, DCAT + "contactPoint")
        ]

    @strawberry.field
    def temporal(self) -> list[PeriodOfTime]:
        r = self.rec
        return [
            PeriodOfTime(
                start_date=rv.value(r, DCAT + "startDate", n), end_date=rv.value(r, DCAT + "endDate", n)
            )
            for n in rv.nodes(r, DCT + "temporal")
        ]

    @strawberry.field(description="Sites holding the data (fg:hostedAt).")
    async def hosted_at(self, info: Ctx) -> list[Site]:
        return await linked(info, rv.iris(self.rec, FG + "hostedAt"), Site)

    @strawberry.field(description="Health data access bodies (healthdcatap:hdab).")
    async def hdab(self, info: Ctx) -> list[Organization]:
        return await linked(info, rv.iris(self.rec, HEALTH + "hdab"), Organization)


@strawberry.type
class Distribution(RecordNode):
    @strawberry.field
    def access_url(self) -> list[str]:
        return rv.iris(self.rec, DCAT + "accessURL")

    @strawberry.field
    def download_url(self) -> list[str]:
        return rv.iris(self.rec, DCAT + "downloadURL")

    @strawberry.field
    def format(self) -> str | None:
        return rv.value(self.rec, DCT + "format")

    @strawberry.field
    def media_type(self) -> str | None:
        return rv.value(self.rec, DCAT + "mediaType")

    @strawberry.field
    def availability(self) -> str | None:
        return rv.value(self.rec, DCATAP + "availability")


@strawberry.type
class DataService(RecordNode):
    @strawberry.field
    def endpoint_url(self) -> list[str]:
        return rv.iris(self.rec, DCAT + "endpointURL")

    @strawberry.field
    def endpoint_description(self) -> list[str]:
        return rv.iris(self.rec, DCAT + "endpointDescription")

    @strawberry.field
    def conforms_to(self) -> list[str]:
        return rv.iris(self.rec, DCT + "conformsTo")

    @strawberry.field
    async def serves_dataset(self, info: Ctx) -> list[Dataset]:
        return await linked(info, rv.iris(self.rec, DCAT + "servesDataset"), Dataset)


@strawberry.type
class MachineLearningModel(RecordNode):
    @strawberry.field
    def version(self) -> str | None:
        return rv.value(self.rec, DCAT + "version") or rv.value(self.rec, ADMS + "version")

    @strawberry.field
    def created(self) -> str | None:
        return rv.value(self.rec, DCT + "created")

    @strawberry.field
    def creator(self) -> list[str]:
        return rv.iris(self.rec, DCT + "creator")

    @strawberry.field
    def use_case(self) -> list[str]:
        return rv.iris(self.rec, FG + "useCase")

    @strawberry.field(description="Datasets the model was trained on (mldcat:trainedOn).")
    async def trained_on(self, info: Ctx) -> list[Dataset]:
        return await linked(info, rv.iris(self.rec, MLDCAT + "trainedOn"), Dataset)

    @strawberry.field
    def files(self) -> list[ModelFile]:
        r = self.rec
        return [
            ModelFile(
                iri=n.value if isinstance(n, ox.NamedNode) else None,
                identifier=rv.value(r, DCT + "identifier", n),
                title=rv.text(r, DCT + "title", n),
                format=rv.value(r, DCT + "format", n),
                url=rv.value(r, MLDCAT + "url", n),
            )
            for n in rv.nodes(r, MLDCAT + "hasFile")
        ]


@strawberry.type(description="A SKOS concept scheme registered as a record.")
class Terminology(RecordNode):
    @strawberry.field
    async def top_concepts(self, info: Ctx) -> list[Concept]:
        return await concepts_for(info, rv.iris(self.rec, SKOS + "hasTopConcept"))


@strawberry.type
class Organization(RecordNode):
    @strawberry.field
    def name(self) -> str | None:
        return rv.text(self.rec, FOAF + "name")

    @strawberry.field
    def type(self) -> str | None:
        return rv.value(self.rec, DCT + "type")

    @strawberry.field
    async def operates_site(self, info: Ctx) -> list[Site]:
        return await linked(info, rv.iris(self.rec, FG + "operatesSite"), Site)


@strawberry.type(description="A consortium site (hospital) where data are held.")
class Site(RecordNode):
    @strawberry.field
    def name(self) -> str | None:
        return rv.text(self.rec, FOAF + "name")

    @strawberry.field
    def site_id(self) -> str | None:
        return rv.value(self.rec, FG + "siteId")

    @strawberry.field
    def country(self) -> str | None:
        return rv.value(self.rec, FG + "country")

    @strawberry.field
    def cpu_cores(self) -> BigInt | None:
        return rv.integer(self.rec, FG + "cpuCores")

    @strawberry.field
    def gpu_count(self) -> BigInt | None:
        return rv.integer(self.rec, FG + "gpuCount")

    @strawberry.field
    def gpu_model(self) -> str | None:
        return rv.value(self.rec, FG + "gpuModel")

    @strawberry.field
    def disclosure_threshold(self) -> int | None:
        return rv.integer(self.rec, FG + "disclosureThreshold")

    @strawberry.field(description="Datasets hosted at this site (records stating fg:hostedAt it).")
    async def datasets(self, info: Ctx, include_deprecated: bool = False) -> list[Dataset]:
        iris = await info.context.loaders.hosted.load(self.rec.iri)
        found = await linked(info, iris, Dataset)
        return [d for d in found if include_deprecated or not d.rec.deprecated]


@strawberry.type(description="A training job record; `trainingJob(id)` gives its state and approvals.")
class TrainingJobRecord(RecordNode):
    pass


NODE_TYPES: dict[Kind, type[RecordNode]] = {
    Kind.CATALOG: Catalog,
    Kind.DATASET: Dataset,
    Kind.DISTRIBUTION: Distribution,
    Kind.DATA_SERVICE: DataService,
    Kind.MODEL: MachineLearningModel,
    Kind.TERMINOLOGY: Terminology,
    Kind.ORGANIZATION: Organization,
    Kind.SITE: Site,
    Kind.TRAINING_JOB: TrainingJobRecord,
}


def to_node(rec: Record) -> RecordNode:
    return NODE_TYPES[rec.kind](rec=rec)
