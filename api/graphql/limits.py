"""Protection against abusive queries: document size, depth, aliases, page size and a deadline.

Depth, aliases and tokens are checked before execution (Strawberry's validation extensions), so an
abusive document costs nothing but parsing. Page sizes are checked where the page is requested (the
search port's `SearchQuery.check` for search). The deadline bounds the whole operation: resolvers await
service calls that run in worker threads, so an expired deadline cancels the operation promptly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

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
        rules = [
            *QueryDepthLimiter(max_depth=self.max_depth).validation_rules,
            *MaxAliasesLimiter(max_alias_count=self.max_aliases).validation_rules,
        ]
        return [
            partial(MaxTokensLimiter, max_token_count=self.max_tokens),
            partial(AddValidationRules, rules),
            partial(ParserCache, maxsize=512),
            partial(ValidationCache, maxsize=512),
        ]

    def check_page(self, first: int, what: str = "first") -> None:
        if first > self.max_page:
            raise LimitExceeded(f"{what}={first} exceeds the maximum page size {self.max_page}")
        if first < 0:
            raise LimitExceeded(f"{what}={first} must not be negative")


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
