"""Query and Mutation roots, and the schema that maps fairgrid errors and enforces the deadline.

Resolvers parse input, call one service with the caller's Identity and map the result; every rule
(roles, visibility, validation, page sizes) lives in the services.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import strawberry
from graphql import FieldNode, FragmentSpreadNode, GraphQLError, InlineFragmentNode, SelectionSetNode
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult

from api.errors import graphql_extensions, short_words
from api.graphql import jobs, publish
from api.graphql.concepts import Concept, Ctx
from api.graphql.executor import executor_for
from api.graphql.feasibility import FeasibilityResult, FeasibilitySource
from api.graphql.feasibility import resolve as resolve_feasibility
from api.graphql.inputs import RdfFormat, SearchFilterInput
from api.graphql.limits import Limits, OperationTimeout, is_limit_message
from api.graphql.results import RecordPayload, RegisterRecordPayload, SearchConnection
from api.graphql.review import NonConformantRecord
from api.graphql.review import resolve as resolve_non_conformant
from api.graphql.scalars import SCALARS
from api.graphql.types import NODE_TYPES, RecordNode, to_node
from registry.errors import FairgridError, LimitExceeded
from registry.search.port import Facet, SearchQuery, SearchSort

log = logging.getLogger(__name__)


@strawberry.type
class Query:
    training_job: jobs.TrainingJob = strawberry.field(
        resolver=jobs.training_job, description="A training job (consortium members)."
    )

    @strawberry.field(
        description=(
            "Full-text and faceted search over published records. `text`: every word must match, as"
            " written or in its other spelling (anaemia, anemia), without case or accents; `a OR b`"
            " takes either word, `-word` leaves out the records that have it; quotes are not syntax."
        )
    )
    async def search(
        self,
        info: Ctx,
        text: str | None = None,
        filter: SearchFilterInput | None = None,
        facets: list[Facet] | None = None,
        first: int = 20,
        after: str | None = None,
        sort: SearchSort = SearchSort.RELEVANCE,
    ) -> SearchConnection:
        ctx = info.context
        query = SearchQuery(
            text=text,
            filters=filter.to_filter() if filter is not None else SearchQuery().filters,
            facets=list(facets or []),
            first=first,
            after=after,
            sort=sort,
            snippets=_selects(info, "hits", "snippet"),
        )
        # In a worker thread like every service call, even on the embedded index: on the event loop nothing
        # could interrupt it at the deadline (a slow terminology check, a huge facet count), and every
        # other request of this process would wait behind it.
        result = await ctx.run(ctx.registry.search.search, ctx.identity, query)
        return SearchConnection.of(result)

    @strawberry.field(
        description="How many patients match the criteria (GET /schemas/criteria.json), per site and in all,"
        " after each site's disclosure control; sites that did not answer in time are named."
    )
    async def feasibility(
        self,
        info: Ctx,
        criteria: JSON,
        sites: list[str] | None = None,
        deadline_ms: int | None = None,
        source: FeasibilitySource = FeasibilitySource.SITES,
    ) -> FeasibilityResult:
        return await resolve_feasibility(info.context, criteria, sites, deadline_ms, source)

    @strawberry.field(description="A record by IRI: the latest revision you may see, or a given one.")
    async def record(self, info: Ctx, iri: str, revision: int | None = None) -> RecordNode | None:
        ctx = info.context
        rec = await ctx.run(ctx.registry.records.get, ctx.identity, iri, revision)
        return to_node(rec)

    @strawberry.field(
        description="Curators: harvested records kept as drafts because they violate the shapes (one source)."
    )
    async def non_conformant(self, info: Ctx, source: str | None = None) -> list[NonConformantRecord]:
        return await resolve_non_conformant(info, source)

    @strawberry.field(description="A terminology concept by IRI or code (D46, ORPHA:52688, HP:0001903).")
    async def concept(self, info: Ctx, iri: str) -> Concept | None:
        ctx = info.context
        return Concept(c=await ctx.run(ctx.registry.terms.concept, ctx.identity, iri))

    @strawberry.field(description="Concepts whose code or label matches `text`, best first.")
    async def concepts(
        self, info: Ctx, text: str, scheme: str | None = None, first: int = 50
    ) -> list[Concept]:
        ctx = info.context
        ctx.limits.check_page(first)
        found = await ctx.run(ctx.registry.terms.search, ctx.identity, text, scheme, first)
        return [Concept(c=c) for c in found]


def _selects(info: Ctx, *path: str) -> bool:
    """Whether the query selects the field at `path` below this one (through fragments too): work
    nobody asked for is skipped, such as highlighting the snippets of a page whose snippets are not
    shown. Walks graphql-core's nodes, each fragment once per remaining path: Strawberry's
    `info.selected_fields` expands every spread anew, and a document whose fragments each spread the
    next twice kept the event loop busy for minutes."""
    raw = info._raw_info  # graphql-core's resolve info: this field's nodes and the document's fragments
    seen: set[tuple[str, tuple[str, ...]]] = set()

    def walk(node: SelectionSetNode | None, path: tuple[str, ...]) -> bool:
        for sel in node.selections if node is not None else ():
            if isinstance(sel, FieldNode):
                if sel.name.value == path[0] and (len(path) == 1 or walk(sel.selection_set, path[1:])):
                    return True
            elif isinstance(sel, InlineFragmentNode):
                if walk(sel.selection_set, path):
                    return True
            elif isinstance(sel, FragmentSpreadNode) and (sel.name.value, path) not in seen:
                seen.add((sel.name.value, path))
                frag = raw.fragments.get(sel.name.value)
                if frag is not None and walk(frag.selection_set, path):
                    return True
        return False

    return any(walk(node.selection_set, path) for node in raw.field_nodes)


@strawberry.type
class Mutation:
    submit_training_job: jobs.TrainingJob = strawberry.mutation(
        resolver=jobs.submit, description="Submit a training job. Consortium members and curators."
    )
    approve_training_job: jobs.TrainingJob = strawberry.mutation(
        resolver=jobs.approve,
        description="Governance approval (consortium members, admins; not the requester), or with "
        "`custodianApproval` a document the site signed with its own key (that site's operator).",
    )
    start_training_job: jobs.TrainingJob = strawberry.mutation(
        resolver=jobs.start,
        description="Start an approved job on the SuperLink, with the sites whose approvals are valid and "
        "whose resources fit; `minSites` (default 2) is how many must answer each round.",
    )
    reject_training_job: jobs.TrainingJob = strawberry.mutation(
        resolver=jobs.reject, description="Reject a job; its governance approvals are revoked."
    )
    publish_record_to_zenodo: publish.ZenodoPublication = strawberry.mutation(
        resolver=publish.publish_to_zenodo,
        description="Publish a record to Zenodo (consortium members); the DOI is written back as a new "
        "revision. With dryRun, the exact payload; nothing is sent.",
    )
    revoke_approval: jobs.TrainingJob = strawberry.mutation(
        resolver=jobs.revoke,
        description="Revoke an approval: governance signs its own; a custodian's revocation is signed "
        "at the site.",
    )

    # A mutation returns once its write is committed; the search index catches up in the background
    # (the outbox drainer in api/app.py), so a slow or absent index never delays or fails a write.
    @strawberry.mutation(description="Register every record in an RDF document (all or none). Curators.")
    async def register_record(
        self, info: Ctx, rdf: str, format: RdfFormat = RdfFormat.TURTLE, publish: bool = True
    ) -> RegisterRecordPayload:
        ctx = info.context
        records = ctx.registry.records
        created = await ctx.run(records.create, ctx.identity, rdf, format.oxigraph, "registerRecord", publish)
        return RegisterRecordPayload.of(created)

    @strawberry.mutation(description="A new revision of a record, based on `baseRevision`. Curators.")
    async def update_record(
        self,
        info: Ctx,
        iri: str,
        rdf: str,
        base_revision: int,
        format: RdfFormat = RdfFormat.TURTLE,
        publish: bool = True,
    ) -> RecordPayload:
        ctx = info.context
        svc = ctx.registry.records
        rec = await ctx.run(
            svc.update, ctx.identity, iri, rdf, format.oxigraph, base_revision, "updateRecord", publish
        )
        return RecordPayload.of(rec)

    @strawberry.mutation(description="Deprecate a record, saying why. Curators.")
    async def deprecate_record(
        self, info: Ctx, iri: str, reason: str, base_revision: int | None = None
    ) -> RecordPayload:
        ctx = info.context
        rec = await ctx.run(ctx.registry.records.deprecate, ctx.identity, iri, reason, base_revision)
        return RecordPayload.of(rec)

    @strawberry.mutation(description="Publish a record's draft revision. Curators.")
    async def publish_record(self, info: Ctx, iri: str, base_revision: int | None = None) -> RecordPayload:
        ctx = info.context
        rec = await ctx.run(ctx.registry.records.publish, ctx.identity, iri, base_revision)
        return RecordPayload.of(rec)


INVALID_QUERY_HINT = (
    "fix the document against the schema (GraphiQL at /graphql completes and checks it as you type); "
    "graphql-core reports at most 100 problems per document"
)


def map_error(err: GraphQLError) -> GraphQLError:
    """fairgrid errors get their code, hint, status and details as extensions (api/errors decides);
    limit rules get code limit_exceeded; anything unexpected inside a resolver is masked."""
    orig = err.original_error
    ext: dict[str, Any] | None = None
    message = err.message
    if isinstance(orig, FairgridError):
        ext, message = graphql_extensions(orig), short_words(message)
    elif orig is None and is_limit_message(err.message):
        ext = graphql_extensions(LimitExceeded(err.message))
    elif orig is None and err.path is None:  # graphql-core's syntax and validation errors
        ext = {"code": "invalid_query", "status": 400, "hint": INVALID_QUERY_HINT}
    elif orig is not None and not isinstance(orig, GraphQLError) and err.path is not None:
        log.error("unexpected error in %s", ".".join(map(str, err.path)), exc_info=orig)
        message, ext = "internal error", {"code": "internal_error", "status": 500}
    if ext is None:
        return err
    return GraphQLError(
        message,
        nodes=err.nodes,
        source=err.source,
        positions=err.positions,
        path=err.path,
        original_error=orig,
        extensions={**(err.extensions or {}), **ext},
    )


class FairgridSchema(strawberry.Schema):
    def __init__(self, limits: Limits) -> None:
        # Limits also brings the parse and validation caches: clients send the same documents with new
        # variables, so each document is parsed and validated once.
        super().__init__(
            query=Query,
            mutation=Mutation,
            types=list(NODE_TYPES.values()),
            extensions=limits.extensions(),
            config=StrawberryConfig(scalar_map=SCALARS),
        )
        self.execution_context_class = executor_for(self._schema)  # plain leaves read directly
        self.limits = limits

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        try:
            async with asyncio.timeout(self.limits.timeout_s):
                result = await super().execute(*args, **kwargs)
        except TimeoutError:
            exc = OperationTimeout(
                f"the operation did not finish within {self.limits.timeout_s:g} s and was cancelled"
            )
            return ExecutionResult(
                data=None,
                errors=[GraphQLError(exc.message, original_error=exc, extensions=graphql_extensions(exc))],
            )
        if result.errors:
            result.errors = [map_error(e) for e in result.errors]
        return result

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # fairgrid errors are answers, not failures: log only the rest (Strawberry logs every error)
        unexpected = [
            e
            for e in errors
            if not isinstance(e.original_error, FairgridError) and not is_limit_message(e.message)
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(limits: Limits | None = None) -> FairgridSchema:
    return FairgridSchema(limits or Limits())
