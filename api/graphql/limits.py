"""Protection against abusive queries: document size, depth, aliases, page size and a deadline.

Depth, aliases and tokens are checked before execution (Strawberry's validation extensions), so an
abusive document costs nothing but parsing. Page sizes are checked where the page is requested (the
search port's `SearchQuery.check` for search). The deadline bounds the whole operation: resolvers await
service calls that run in worker threads, so an expired deadline cancels the operation promptly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
)
from strawberry.schema.schema import validate_document

from api.errors import short_words
from registry.config import LimitSettings
from registry.errors import LimitExceeded
from registry.search.port import MAX_FIRST


@dataclass(frozen=True)
class Limits:
    max_depth: int = LimitSettings.graphql_max_depth
    max_aliases: int = LimitSettings.graphql_max_aliases
    max_tokens: int = LimitSettings.graphql_max_tokens
    max_page: int = MAX_FIRST
    timeout_s: float = LimitSettings.graphql_timeout_s

    @classmethod
    def from_settings(cls, s: LimitSettings) -> Limits:
        """From the `limits` section of the Settings (FAIRGRID_GRAPHQL_MAX_DEPTH, ..._MAX_ALIASES,
        ..._MAX_TOKENS, ..._TIMEOUT_S)."""
        return cls(
            max_depth=s.graphql_max_depth,
            max_aliases=s.graphql_max_aliases,
            max_tokens=s.graphql_max_tokens,
            timeout_s=s.graphql_timeout_s,
        )

    def extensions(self) -> list[Callable[[], SchemaExtension]]:
        """Factories (a fresh extension per request), sharing rule classes built once: the limiters
        make a new rule class per instance, and stable classes let Strawberry's ValidationCache
        recognise a document it has already validated."""
        rules: list[type[ASTValidationRule]] = [document_limits(self.max_depth, self.max_aliases)]
        return [
            partial(MaxTokensLimiter, max_token_count=self.max_tokens),
            partial(AddValidationRules, rules),
            partial(ParserCache, maxsize=512),
            QueryTextValidationCache,
        ]

    def check_page(self, first: int, what: str = "first") -> None:
        if first > self.max_page:
            raise LimitExceeded(f"{what}={first} exceeds the maximum page size {self.max_page}")
        if first < 0:
            raise LimitExceeded(f"{what}={first} must not be negative")


class _Validation:
    """What the validation cache is keyed on: the schema, the query text and the rules. The text
    stands for its document (ParserCache parses each text once, and a document is only ever parsed
    from its text), and a string keeps its hash: Strawberry's ValidationCache keys on the parsed
    document, whose hash walks all its nodes on every request (a tenth of a search's GraphQL CPU)."""

    __slots__ = ("document", "key")

    def __init__(self, schema: GraphQLSchema, query: str, document: DocumentNode, rules: tuple[Any, ...]):
        self.key = (schema, query, rules)
        self.document = document

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Validation) and self.key == other.key


@lru_cache(maxsize=512)
def _validate(v: _Validation) -> list[GraphQLError]:
    schema, _query, rules = v.key
    return [_plain(e) for e in validate_document(schema, v.document, rules)]


# Python's own words when a literal has over 4,300 digits, which graphql-core passes on, followed by
# the whole literal: advice to call a Python function, in an answer kilobytes long.
_DIGIT_LIMIT = "Exceeds the limit (4300 digits) for integer string conversion"


def _plain(e: GraphQLError) -> GraphQLError:
    if _DIGIT_LIMIT in e.message:
        text = "a number literal has more than 4,300 digits (an Int is 32-bit, a Float a double)"
        return GraphQLError(text, e.nodes, extensions=e.extensions)
    # graphql-core quotes a refused literal whole: 4,000 digits refused as an Int came back 4,000 long
    text = short_words(e.message)
    return e if text == e.message else GraphQLError(text, e.nodes, extensions=e.extensions)


class QueryTextValidationCache(SchemaExtension):
    """Validates each (schema, query text, rules) once, as Strawberry's ValidationCache does per document."""

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.query is not None and ec.graphql_document is not None and ec.validation_rules:
            v = _Validation(ec.schema._schema, ec.query, ec.graphql_document, ec.validation_rules)
            ec.pre_execution_errors = _validate(v) + _variable_errors(ec.variables)
        yield  # otherwise Strawberry validates as it would without a cache


# graphql-core coerces every item of the variables before any resolver runs: 1,000,000 keywords in a
# search filter (an 11 MB body, any anonymous caller) cost 2.9 s of CPU. No operation needs more items.
MAX_VARIABLE_ITEMS = 10_000


def _variable_errors(variables: dict[str, Any] | None) -> list[GraphQLError]:
    items, stack = 0, [variables]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            items += len(value)
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
        if items > MAX_VARIABLE_ITEMS:
            msg = f"the variables hold lists of over {MAX_VARIABLE_ITEMS:,} items in all"
            return [GraphQLError(msg, original_error=LimitExceeded(msg))]
    return []


class _Measure:
    """Depth and alias count of selections, fragments expanded as Strawberry's QueryDepthLimiter and
    MaxAliasesLimiter count them (introspection fields add no depth; every spread counts its
    fragment's aliases again), but each fragment measured once. Theirs walk a fragment anew at every
    spread: 25 fragments that each spread the next twice kept the event loop busy for minutes. Depth
    is measured up to `cap` (anything deeper is refused anyway), which also bounds the recursion."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode], cap: int) -> None:
        self.fragments = fragments
        self.cap = cap
        self.done: dict[str, tuple[int, int]] = {}
        self.open: set[str] = set()  # a cycle is reported by graphql-core's own rule

    def selections(self, node: SelectionSetNode, level: int = 0) -> tuple[int, int]:
        depth = aliases = 0
        for sel in node.selections:
            d = a = 0
            if isinstance(sel, FieldNode):
                a = 1 if sel.alias else 0
                if sel.selection_set is not None and level < self.cap:
                    child_depth, child_aliases = self.selections(sel.selection_set, level + 1)
                    a += child_aliases
                    d = 0 if sel.name.value.startswith("__") else 1 + child_depth
            elif isinstance(sel, InlineFragmentNode):
                d, a = self.selections(sel.selection_set, level)
            elif isinstance(sel, FragmentSpreadNode):
                d, a = self.fragment(sel.name.value)
            depth, aliases = max(depth, d), aliases + a
        return depth, aliases

    def fragment(self, name: str) -> tuple[int, int]:
        if name in self.done:
            return self.done[name]
        frag = self.fragments.get(name)
        if frag is None or name in self.open:  # unknown (graphql-core reports it) or a cycle
            return 0, 0
        self.open.add(name)
        self.done[name] = self.selections(frag.selection_set)
        self.open.discard(name)
        return self.done[name]


def document_limits(max_depth: int, max_aliases: int) -> type[ValidationRule]:
    """One validation rule for the depth of each operation and the aliases of the document."""

    class DocumentLimits(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            defs = context.document.definitions
            fragments = {d.name.value: d for d in defs if isinstance(d, FragmentDefinitionNode)}
            measure = _Measure(fragments, cap=max_depth + 1)
            total = 0
            try:
                for op in defs:
                    if not isinstance(op, OperationDefinitionNode):
                        continue
                    depth, aliases = measure.selections(op.selection_set)
                    total += aliases
                    if depth > max_depth:
                        name = op.name.value if op.name else "anonymous"
                        msg = f"'{name}' exceeds maximum operation depth of {max_depth}"
                        context.report_error(GraphQLError(msg, [op]))
            except RecursionError:  # fragments chained hundreds deep
                context.report_error(
                    GraphQLError(f"the document exceeds maximum operation depth of {max_depth}")
                )
                return
            if total > max_aliases:
                context.report_error(GraphQLError(f"{total} aliases found. Allowed: {max_aliases}"))

    return DocumentLimits


class OperationTimeout(LimitExceeded):
    """The operation ran past its deadline; what had not finished was cancelled."""

    code = "timeout"
    hint = (
        "ask for less (fewer fields, smaller pages, no deep nesting) or retry later; a write that was "
        "running may still have completed, check the record's revisions"
    )


# Messages of the validation rules above (Strawberry/graphql-core word them); they get code limit_exceeded.
_LIMIT_MESSAGES = re.compile(
    r"exceeds maximum operation depth|aliases found\. Allowed|more than \d+ tokens", re.IGNORECASE
)


def is_limit_message(message: str) -> bool:
    return _LIMIT_MESSAGES.search(message) is not None
