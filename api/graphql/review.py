"""The curators' review queue in GraphQL: harvested records kept as drafts because they violate the shapes."""

from __future__ import annotations

import strawberry

from api.graphql.concepts import Ctx
from registry.errors import Violation
from registry.services.harvest import NonConformant
from registry.vocab import Kind


@strawberry.type(description="One SHACL result: where (focus node, path), which rule, what it says.")
class ShaclResult:
    focus_node: str
    path: str | None
    constraint: str
    severity: str
    message: str
    value: str | None

    @staticmethod
    def of(v: Violation) -> ShaclResult:
        return ShaclResult(
            focus_node=v.focus_node, path=v.path, constraint=v.constraint, severity=v.severity,
            message=v.message, value=v.value,
        )  # fmt: skip


@strawberry.type(description="A harvested record kept as a draft (never published) with its violations.")
class NonConformantRecord:
    iri: str
    kind: Kind
    source: str | None = strawberry.field(description="The harvest source id it came from.")
    revision: int
    violations: list[ShaclResult]

    @staticmethod
    def of(n: NonConformant) -> NonConformantRecord:
        return NonConformantRecord(
            iri=n.iri, kind=n.kind, source=n.source, revision=n.revision,
            violations=[ShaclResult.of(v) for v in n.violations],
        )  # fmt: skip


async def resolve(info: Ctx, source: str | None) -> list[NonConformantRecord]:
    ctx = info.context
    queue = await ctx.run(ctx.registry.harvest.non_conformant, ctx.identity, source)
    return [NonConformantRecord.of(n) for n in queue]
