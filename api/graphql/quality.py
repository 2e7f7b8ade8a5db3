"""GraphQL view of a revision's metadata-quality score (registry/services/quality.py)."""

from __future__ import annotations

import strawberry

from registry.services.quality import MAX_TOTAL, QualityScore


@strawberry.type(description="One MQA check: a property's points, or a check that needs the network.")
class QualityCheck:
    dimension: str
    name: str
    weight: int = strawberry.field(description="The MQA's points for this check.")
    points: float
    assessed: bool = strawberry.field(description="False for checks that need the network (not run).")


@strawberry.type(description="One MQA dimension (findability, accessibility, ...).")
class QualityDimension:
    name: str
    points: float
    max_assessed: int = strawberry.field(description="The most this registry could assess here.")
    max: int = strawberry.field(description="The MQA's maximum for the dimension.")


@strawberry.type(description="Metadata quality after the data.europa.eu MQA, computed when stored.")
class Quality:
    score: strawberry.Private[QualityScore]

    @strawberry.field
    def total(self) -> float:
        return self.score.total

    @strawberry.field(description="Points the assessed checks could earn (network checks left out).")
    def max_assessed(self) -> int:
        return self.score.max_assessed

    @strawberry.field(description="The MQA's maximum (405).")
    def max(self) -> int:
        return MAX_TOTAL

    @strawberry.field(
        description="The MQA rating band of the points earned: excellent, good, sufficient, bad."
    )
    def rating(self) -> str:
        return self.score.rating

    @strawberry.field
    def dimensions(self) -> list[QualityDimension]:
        return [QualityDimension(name=d.name, points=d.points, max_assessed=d.max_assessed, max=d.max)
                for d in self.score.dimensions]  # fmt: skip

    @strawberry.field
    def checks(self) -> list[QualityCheck]:
        return [QualityCheck(dimension=c.dimension, name=c.name, weight=c.weight, points=c.points,
                             assessed=c.assessed) for c in self.score.checks]  # fmt: skip


def quality_of(text: str | None) -> Quality | None:
    return Quality(score=QualityScore.from_json(text)) if text else None
