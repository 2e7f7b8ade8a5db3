"""GraphQL types of feasibility answers: per site, the total and its precision, the sites missing."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.graphql.scalars import BigInt, big
from federation.hub import feasibility as hub
from federation.hub.broker import SiteStatus as HubSiteStatus
from registry.errors import Unavailable


@strawberry.enum(description="How a site answered (OK: the count below is what its policy disclosed).")
class SiteStatus(Enum):
    OK = "OK"
    TIMEOUT = "TIMEOUT"
    ERROR = "ERROR"
    REFUSED = "REFUSED"
    NOT_CONNECTED = "NOT_CONNECTED"


@strawberry.enum(
    description="SITES asks the sites; CATALOGUE sums the dataset records' counts (an upper bound)."
)
class FeasibilitySource(Enum):
    SITES = "SITES"
    CATALOGUE = "CATALOGUE"


@strawberry.type(description="One site's disclosed answer.")
class SiteCount:
    site: str
    status: SiteStatus
    count: BigInt | None = strawberry.field(description="null when the site gave no number (see precision)")
    precision: str | None = strawberry.field(description="EXACT, ROUNDED, NOISY or BELOW_THRESHOLD")
    threshold: BigInt | None = strawberry.field(description="with BELOW_THRESHOLD: the count is below this")
    epsilon: float = strawberry.field(description="privacy budget this answer spent at the site")
    reason: str | None


@strawberry.type(description="The sum of what the sites disclosed, and how exact it is.")
class FeasibilityTotal:
    count: BigInt | None
    precision: str | None = strawberry.field(
        description="EXACT, ROUNDED, NOISY, LOWER_BOUND (some site was below its threshold) or UPPER_BOUND"
    )
    upper: BigInt | None = strawberry.field(description="with LOWER_BOUND: the most the total can be")


@strawberry.type
class FeasibilityResult:
    query_id: str
    criteria_key: str = strawberry.field(description="stable id of the normalised criteria")
    source: FeasibilitySource
    total: FeasibilityTotal
    sites: list[SiteCount]
    missing_sites: list[str] = strawberry.field(description="sites asked that gave no count")


def to_result(r: hub.FeasibilityResult) -> FeasibilityResult:
    return FeasibilityResult(
        query_id=r.query_id,
        criteria_key=r.criteria_key,
        source=FeasibilitySource(r.source),
        total=FeasibilityTotal(
            count=big(r.total.count), precision=r.total.precision, upper=big(r.total.upper)
        ),
        sites=[
            SiteCount(
                site=s.site,
                status=SiteStatus(HubSiteStatus(s.status).value),
                count=big(s.count),
                precision=s.precision,
                threshold=big(s.threshold),
                epsilon=s.epsilon,
                reason=s.reason,
            )
            for s in r.sites
        ],
        missing_sites=r.missing_sites,
    )


async def resolve(
    ctx: Any, criteria: JSON, sites: list[str] | None, deadline_ms: int | None, source: FeasibilitySource
) -> FeasibilityResult:
    service: hub.FeasibilityService | None = getattr(ctx, "feasibility", None)
    if service is None:
        raise Unavailable("feasibility is not served by this process")
    if source is FeasibilitySource.CATALOGUE:
        return to_result(await ctx.run(service.catalogue, ctx.identity, criteria))
    return to_result(await service.ask(ctx.identity, criteria, sites, deadline_ms))
