"""GraphQL for publishing a record to Zenodo (registry/services/publish.py); the schema wires it in.

The mutation is `publishRecordToZenodo`: `publishRecord` already names making a draft revision public.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.federation import publish_service
from api.graphql.concepts import Ctx
from registry.services.publish import PublishResult


@strawberry.enum(description="Where a record is deposited.")
class PublishTarget(Enum):
    ZENODO = "zenodo"
    ZENODO_SANDBOX = "zenodo-sandbox"


@strawberry.type(description="A Zenodo publication of a record, or with dryRun what would be sent.")
class ZenodoPublication:
    iri: str
    target: str = strawberry.field(description="the Zenodo base URL")
    dry_run: bool
    doi: str | None = strawberry.field(description="this version's DOI")
    concept_doi: str | None = strawberry.field(description="the DOI of all versions")
    record_url: str | None = strawberry.field(description="the record's page on Zenodo")
    files: JSON | None = strawberry.field(description="file name -> download URL on Zenodo")
    revision: int | None = strawberry.field(description="the registry revision that holds the DOI")
    payload: JSON | None = strawberry.field(description="dry run: the exact metadata body and file list")
    writeback_error: str | None = strawberry.field(
        description="published, but the DOI is not in the registry yet: why (publish again to write it)"
    )
    audit_warning: str | None = strawberry.field(
        description="published, but the hub's audit log did not take the entry: why"
    )

    @staticmethod
    def of(r: PublishResult) -> ZenodoPublication:
        p = r.published
        files: Any = dict(p.files) if p else None
        payload: Any = r.payload
        return ZenodoPublication(
            iri=r.iri,
            target=r.target,
            dry_run=r.dry_run,
            doi=p.doi if p else None,
            concept_doi=p.concept_doi if p else None,
            record_url=p.record_url if p else None,
            files=files,
            revision=r.revision,
            payload=payload,
            writeback_error=r.writeback_error,
            audit_warning=r.audit_warning,
        )


async def publish_to_zenodo(
    info: Ctx, iri: str, target: PublishTarget = PublishTarget.ZENODO, dry_run: bool = False
) -> ZenodoPublication:
    ctx = info.context
    svc = publish_service(ctx.registry)
    sandbox = target is PublishTarget.ZENODO_SANDBOX
    return ZenodoPublication.of(
        await ctx.run(svc.publish, ctx.identity, iri, sandbox=sandbox, dry_run=dry_run)
    )
