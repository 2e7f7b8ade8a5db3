"""The executor's direct path for plain fields answers exactly as graphql-core's own executor, errors
included: nulls in non-null fields and list items, values a type refuses, enums, awaitables, fields
with resolvers, aliases, fragments and directives."""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.graphql.executor import LeafExecutor, executor_for


@strawberry.enum
class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Item:
    name: str
    count: int
    colour: Colour
    maybe: str | None = None
    score: float = 0.5

    @strawberry.field
    def doubled(self) -> int:
        return self.count * 2


async def _later() -> str:
    return "awaited"


def items() -> list[Any]:
    return [
        Item(name="a", count=1, colour=Colour.RED),
        Item(name="b", count=2, colour=Colour.BLUE, maybe="here"),
    ]


@strawberry.type
class Query:
    @strawberry.field
    def good(self) -> list[Item]:
        return items()

    @strawberry.field
    def null_name(self) -> list[Item]:
        return [*items(), Item(name=None, count=3, colour=Colour.RED)]  # type: ignore[arg-type]

    @strawberry.field
    def null_item(self) -> list[Item | None]:
        return [items()[0], None]

    @strawberry.field
    def null_in_non_null_list(self) -> list[Item]:
        return [items()[0], None]  # type: ignore[list-item]

    @strawberry.field
    def refused(self) -> list[Item]:
        return [Item(name={"not": "a string"}, count="x", colour="green")]  # type: ignore[arg-type]

    @strawberry.field
    def awaitable(self) -> list[Item]:
        return [Item(name=_later(), count=1, colour=Colour.RED)]  # type: ignore[arg-type]

    @strawberry.field
    def one(self) -> Item:
        return Item(name="solo", count=7, colour=Colour.BLUE, score=1e-7)


FIELDS = "name count colour maybe score"
DOCUMENTS = [
    f"{{ good {{ {FIELDS} }} }}",
    f"{{ good {{ {FIELDS} doubled __typename }} one {{ n: name name c: count ...on Item {{ colour }} }} }}",
    "fragment F on Item { name count } { good { ...F colour @include(if: true) score @skip(if: true) } }",
    f"{{ nullName {{ {FIELDS} }} }}",
    f"{{ nullItem {{ {FIELDS} }} }}",
    f"{{ nullInNonNullList {{ {FIELDS} }} }}",
    f"{{ refused {{ {FIELDS} }} }}",
    "{ refused { count } good { name } }",
    "{ awaitable { name count } }",
    f"{{ one {{ {FIELDS} }} }}",
]


def run(executor: type[StrawberryGraphQLCoreExecutionContext], document: str) -> dict[str, Any]:
    schema = strawberry.Schema(query=Query)
    schema.execution_context_class = (
        executor if executor is not LeafExecutor else executor_for(schema._schema)
    )
    result = asyncio.run(schema.execute(document))
    return {
        "data": result.data,
        "errors": [(e.message, e.path, e.locations) for e in result.errors or []],
    }


@pytest.mark.parametrize("document", DOCUMENTS)
def test_same_answer_as_graphql_core(document: str) -> None:
    assert run(LeafExecutor, document) == run(StrawberryGraphQLCoreExecutionContext, document)


def test_plain_fields_are_the_ones_without_resolvers() -> None:
    schema = strawberry.Schema(query=Query)
    plain = executor_for(schema._schema).plain
    assert {f for t, f in plain if t == "Item"} == {"name", "count", "colour", "maybe", "score"}
    assert not {f for t, f in plain if t == "Query"}  # resolvers, and object types
