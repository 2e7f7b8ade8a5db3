"""A path parameter that keeps every character the caller sent: `{name:whole}`.

Starlette's `path` convertor matches `.*` inside `^...$`: `.` stops at a newline and `$` also matches
before a final one, so `/records/https%3A%2F%2Fx%2F%0A` was routed as the record `https://x/` (the
newline dropped without a word) and a newline inside an identifier gave "nothing is served here".
With `whole`, the IRI check sees what was sent and refuses it (400 invalid_iri).
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor


class WholePath(Convertor[str]):
    regex = "(?s:.*)"  # newlines included; greedy, so `$` can only match at the very end

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("whole", WholePath())
