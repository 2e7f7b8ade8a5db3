"""GraphQL enums and input types, and their translation into service-level values."""

from __future__ import annotations

from datetime import date
from enum import Enum

import pyoxigraph as ox
import strawberry

from api.graphql.scalars import BigInt
from registry.rdf import format_named
from registry.search.port import Facet, SearchFilter, SearchSort
from registry.vocab import Kind

RecordKind = strawberry.enum(Kind, name="RecordKind", description="What a record is (its main rdf:type).")
FacetName = strawberry.enum(Facet, name="Facet", description="A field search can count values of.")
SortOrder = strawberry.enum(SearchSort, name="SearchSort", description="Order of search hits.")


@strawberry.enum(description="RDF serialisation of a record.")
class RdfFormat(Enum):
    TURTLE = "turtle"
    JSON_LD = "json-ld"
    XML = "xml"
    NT = "nt"

    @property
    def oxigraph(self) -> ox.RdfFormat:
        return format_named(self.value)


@strawberry.input(name="SearchFilter", description="Values of one field OR together; fields AND together.")
class SearchFilterInput:
    kinds: list[Kind] | None = None
    themes: list[str] | None = strawberry.field(default=None, description="Data theme IRIs or codes (HEAL).")
    keywords: list[str] | None = None
    publishers: list[str] | None = strawberry.field(
        default=None,
        description="Publisher or site IRIs (a record matches if published by or hosted at one).",
    )
    access_rights: list[str] | None = strawberry.field(
        default=None, description="Access-right IRIs or codes (PUBLIC, RESTRICTED, NON_PUBLIC)."
    )
    licenses: list[str] | None = strawberry.field(
        default=None, description="Licence IRIs or codes (CC_BY_4_0)."
    )
    health_categories: list[str] | None = strawberry.field(
        default=None, description="HealthDCAT-AP health category IRIs or codes (MRMR)."
    )
    coding_systems: list[str] | None = None
    diseases: list[str] | None = strawberry.field(
        default=None,
        description="Terminology concept IRIs or codes (D46, ORPHA:52688); descendants match too.",
    )
    min_unique_individuals: BigInt | None = None
    min_quality: float | None = strawberry.field(
        default=None, description="Metadata-quality points (MQA, of 405) at least this; unscored never match."
    )
    issued_from: date | None = strawberry.field(
        default=None,
        description="Issued on or after this day; a record issued in a year or month (2019, 2019-05) that"
        " overlaps the range matches.",
    )
    issued_to: date | None = strawberry.field(default=None, description="Issued on or before this day.")
    modified_from: date | None = strawberry.field(
        default=None, description="Modified on or after this day (a year or month overlapping it matches)."
    )
    modified_to: date | None = strawberry.field(default=None, description="Modified on or before this day.")
    include_deprecated: bool = False

    def to_filter(self) -> SearchFilter:
        return SearchFilter(
            kinds=[Kind(k).value for k in self.kinds or []],
            themes=list(self.themes or []),
            keywords=list(self.keywords or []),
            publishers=list(self.publishers or []),
            access_rights=list(self.access_rights or []),
            licenses=list(self.licenses or []),
            health_categories=list(self.health_categories or []),
            coding_systems=list(self.coding_systems or []),
            diseases=list(self.diseases or []),
            min_unique_individuals=self.min_unique_individuals,
            min_quality=self.min_quality,
            issued_from=self.issued_from,
            issued_to=self.issued_to,
            modified_from=self.modified_from,
            modified_to=self.modified_to,
            include_deprecated=self.include_deprecated,
        )
