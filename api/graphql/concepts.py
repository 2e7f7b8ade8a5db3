"""Small GraphQL types with no links to records: concepts, revisions and parts of records."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from api.graphql.context import GraphQLContext
from api.graphql.quality import Quality, quality_of
from registry.errors import Violation
from registry.model import RevisionInfo
from registry.services.terms import Concept as TermConcept
from registry.validation.report import findings_of

Ctx = Info[GraphQLContext, None]


@strawberry.type(description="A concept of a registered terminology (SKOS).")
class Concept:
    c: strawberry.Private[TermConcept]

    @strawberry.field
    def iri(self) -> str:
        return self.c.iri

    @strawberry.field(description="IRI of the concept scheme (the terminology record).")
    def scheme(self) -> str:
        return self.c.scheme

    @strawberry.field
    def label(self) -> str:
        return self.c.label

    @strawberry.field
    def notation(self) -> str | None:
        return self.c.notation

    @strawberry.field
    def alt_labels(self) -> list[str]:
        return list(self.c.alt_labels)

    @strawberry.field
    async def broader(self, info: Ctx) -> list[Concept]:
        return await concepts_for(info, self.c.broader)

    @strawberry.field
    async def narrower(self, info: Ctx) -> list[Concept]:
        return await concepts_for(info, sorted(self.c.narrower))

    @strawberry.field(description="Every concept below this one, at any depth.")
    async def descendants(self, info: Ctx) -> list[Concept]:
        found = await info.context.loaders.descendants.load(self.c.iri)
        return [Concept(c=c) for c in found]


async def concepts_for(info: Ctx, iris: list[str]) -> list[Concept]:
    """The concepts among `iris` that the registered terminologies define, in order."""
    if not iris:
        return []
    found = await info.context.loaders.concepts.load_many(iris)
    return [Concept(c=c) for c in found if c is not None]


@strawberry.type(description="One revision of a record (PROV: generated at, attributed to).")
class Revision:
    r: strawberry.Private[RevisionInfo]

    @strawberry.field
    def number(self) -> int:
        return self.r.number

    @strawberry.field
    def generated_at(self) -> datetime:
        return self.r.generated_at

    @strawberry.field(description="IRI of the agent who made the revision.")
    def attributed_to(self) -> str:
        return self.r.attributed_to

    @strawberry.field
    def deprecated(self) -> bool:
        return self.r.deprecated

    @strawberry.field
    def reason(self) -> str | None:
        return self.r.reason

    @strawberry.field(description="False for a draft revision (visible to curators only).")
    def published(self) -> bool:
        return self.r.published

    @strawberry.field
    def note(self) -> str | None:
        return self.r.note

    @strawberry.field(description="This revision's metadata quality (MQA points); null if unscored.")
    def quality(self) -> Quality | None:
        return quality_of(self.r.quality)

    @strawberry.field(
        description="What validation warned about when this revision was registered (SHACL warnings and "
        "infos, e.g. recommended properties left out); it conformed, so there are no violations."
    )
    def warnings(self) -> list[ValidationResult]:
        return [ValidationResult.of(v) for v in findings_of(self.r.findings)]


@strawberry.type(description="One SHACL validation result.")
class ValidationResult:
    focus_node: str
    path: str | None
    constraint: str = strawberry.field(description="The SHACL constraint component (or fairgrid rule).")
    severity: str = strawberry.field(description="sh:Violation, sh:Warning or sh:Info (full IRI).")
    message: str
    value: str | None
    shape: str | None

    @staticmethod
    def of(v: Violation) -> ValidationResult:
        return ValidationResult(
            focus_node=v.focus_node, path=v.path, constraint=v.constraint, severity=v.severity,
            message=v.message, value=v.value, shape=v.shape,
        )  # fmt: skip


@strawberry.type(description="A vCard contact point.")
class ContactPoint:
    iri: str | None
    name: str | None
    email: str | None


@strawberry.type(description="A dct:PeriodOfTime.")
class PeriodOfTime:
    start_date: str | None
    end_date: str | None


@strawberry.type(description="An mldcat:File of a model (weights, pipeline).")
class ModelFile:
    iri: str | None
    identifier: str | None
    title: str | None
    format: str | None
    url: str | None
