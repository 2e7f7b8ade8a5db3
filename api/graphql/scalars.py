"""GraphQL's Int is 32-bit, but the counts fairgrid serves are not: HealthDCAT-AP's numberOfRecords and
numberOfUniqueIndividuals are xsd:nonNegativeInteger (no bound), and a national registry's record count
passes 2,147,483,647. As Int, such a value was null with an error beside it."""

from __future__ import annotations

from typing import Any, NewType

import strawberry
from graphql import IntValueNode, ValueNode
from strawberry.types.scalar import ScalarDefinition

LIMIT = 2**63  # what the search indexes hold (tantivy's i64, OpenSearch's long)
_DIGITS = 20  # a longer literal is out of range whatever it says: int() of 5,000 digits is slow


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"BigInt takes a whole number, not {type(value).__name__}")
    if not -LIMIT <= value < LIMIT:
        raise ValueError("BigInt holds whole numbers from -2^63 to 2^63 - 1")
    return value


def _literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> int:
    if not isinstance(node, IntValueNode):
        raise TypeError("BigInt takes a whole number")
    if len(node.value.lstrip("-")) > _DIGITS:
        raise ValueError("BigInt holds whole numbers from -2^63 to 2^63 - 1")
    return _whole(int(node.value))


BigInt = NewType("BigInt", int)
SCALARS: dict[object, ScalarDefinition] = {
    BigInt: strawberry.scalar(
        name="BigInt",
        description=(
            "A whole number from -2^63 to 2^63 - 1, for counts that outgrow GraphQL's 32-bit Int. A "
            "JSON number: JavaScript reads it exactly up to 2^53 - 1."
        ),
        serialize=_whole,
        parse_value=_whole,
        parse_literal=_literal,
    )
}


def big(n: int | None) -> BigInt | None:
    return None if n is None else BigInt(n)
