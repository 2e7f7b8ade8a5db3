"""graphql-core's executor with a shorter way through plain leaf fields.

A search answer is mostly leaves read straight off an object (a hit's iri and title, a bucket's value
and count: about 80 of its 90 fields). For each, graphql-core builds a resolve info, calls Strawberry's
wrapper around `getattr` and completes the value through four nested calls; that was a third of the
GraphQL layer's CPU per search. Here such a field is read and coerced at once, with the same
`coerce_output_value` graphql-core uses. Anything unusual (a null, an awaitable, a value the type
refuses, an error, field middleware) takes graphql-core's own path, which reports it as it always has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
    is_specified_scalar_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

# how to read a plain field: Strawberry's default resolver (getattr), the Python attribute, its type
Plain = tuple[Callable[[Any, str], Any], str, GraphQLLeafType]


def plain_field(field: GraphQLField) -> Plain | None:
    """How to read `field` directly, or None when it needs its resolver: Strawberry marks a field
    without resolver, permission classes or field extensions as basic (its resolver only reads the
    attribute); the type must be a built-in scalar or an enum, whose coercion is plain Python."""
    if not getattr(field.resolve, "_is_default", False) or field.args:
        return None
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or not definition.is_basic_field:
        return None
    leaf = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    if not isinstance(leaf, GraphQLEnumType | GraphQLScalarType) or not (
        isinstance(leaf, GraphQLEnumType) or is_specified_scalar_type(leaf)
    ):
        return None
    name = definition.python_name
    if name is None:
        return None
    return definition.default_resolver, name, leaf  # type: ignore[return-value]


def plain_fields(schema: GraphQLSchema) -> dict[tuple[str, str], Plain]:
    """Every plain field of the schema's object types, by (type name, field name)."""
    out: dict[tuple[str, str], Plain] = {}
    for type_ in schema.type_map.values():
        if isinstance(type_, GraphQLObjectType) and not type_.name.startswith("__"):
            for name, field in type_.fields.items():
                plain = plain_field(field)
                if plain is not None:
                    out[type_.name, name] = plain
    return out


_FAILED = object()  # a plain read that must take graphql-core's path


class LeafExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor; `executor_for` makes one per schema, with that schema's plain fields."""

    plain: dict[tuple[str, str], Plain] = {}

    def _read(self, plain: Plain, source: Any) -> Any:
        """The field's completed value, or _FAILED for anything graphql-core must handle itself."""
        resolve, name, leaf = plain
        try:
            value = resolve(source, name)
            if value is None or isinstance(value, Exception) or self.is_awaitable(value):
                return _FAILED
            coerced = leaf.coerce_output_value(value)
        except Exception:  # graphql-core's path meets it again and reports it
            return _FAILED
        return _FAILED if coerced is None or coerced is Undefined else coerced

    def _plain_here(self, parent_type: GraphQLObjectType, node: FieldNode) -> Plain | None:
        middleware = self.middleware_manager
        if node.arguments or (middleware is not None and middleware.middlewares):
            return None
        return self.plain.get((parent_type.name, node.name.value))

    def _all_plain(
        self, parent_type: GraphQLObjectType, fields: GroupedFieldSet
    ) -> list[tuple[str, Plain]] | None:
        """The selection as (response name, plain field) when every field in it is plain, else None.
        Worked out once per selection: the items of a list share theirs (graphql-core memoizes it)."""
        memo: dict[int, tuple[GroupedFieldSet, list[tuple[str, Plain]] | None]]
        memo = self.__dict__.setdefault("_all_plain_memo", {})
        found = memo.get(id(fields))
        if found is None:
            plan: list[tuple[str, Plain]] | None = []
            for response_name, details in fields.items():
                plain = self._plain_here(parent_type, details[0].node)
                if plain is None or plan is None:
                    plan = None
                    break
                plan.append((response_name, plain))
            found = memo[id(fields)] = (fields, plan)  # the selection is kept, so its id is not reused
        return found[1]

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        plan = self._all_plain(parent_type, grouped_field_set) if position_context is None else None
        if plan:
            results = self._plain_object(plan, source_value)
            if results is not None:
                return results
        return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)

    def _plain_object(self, plan: list[tuple[str, Plain]], source: Any) -> dict[str, Any] | None:
        results: dict[str, Any] = {}
        for response_name, plain in plan:
            value = self._read(plain, source)
            if value is _FAILED:
                return None
            results[response_name] = value
        return results

    def complete_list_value(
        self,
        return_type: GraphQLList[Any],
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """A list of objects whose selection is all plain fields (a page of hits, a facet's buckets)
        is completed item by item here; any other list, or any item that is not simple (a null, an
        error, an awaitable), goes through graphql-core."""
        item_type = return_type.of_type
        object_type = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if (
            isinstance(result, list)
            and isinstance(object_type, GraphQLObjectType)
            and object_type.is_type_of is None
            and position_context is None
            and self.get_stream_usage(field_details_list, path) is None
        ):
            grouped_field_set, new_defer_usages, _forbidden = self.collect_subfields(
                object_type, field_details_list
            )
            plan = None if new_defer_usages else self._all_plain(object_type, grouped_field_set)
            if plan:
                completed = []
                for item in result:
                    done = (
                        None
                        if item is None or isinstance(item, Exception)
                        else self._plain_object(plan, item)
                    )
                    if done is None:
                        break
                    completed.append(done)
                else:
                    return completed
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        plain = self._plain_here(parent_type, field_details_list[0].node)
        if plain is not None:
            value = self._read(plain, source)
            if value is not _FAILED:
                return value
        return super().execute_field(parent_type, source, field_details_list, path, position_context)


def executor_for(schema: GraphQLSchema) -> type[LeafExecutor]:
    return type("SchemaLeafExecutor", (LeafExecutor,), {"plain": plain_fields(schema)})
