"""A text in the language its record gives it: titles and descriptions come in several languages."""

from __future__ import annotations

import pyoxigraph as ox
import strawberry

from api.graphql import rdfview as rv
from registry.model import Record


@strawberry.type(
    description="A text and its language tag (BCP 47, e.g. `fr`); `language` is null when untagged."
)
class LanguageText:
    text: str
    language: str | None

    @staticmethod
    def all(rec: Record, pred: str) -> list[LanguageText]:
        """Every literal of `pred` on the record's subject: the English (or untagged) first, then by tag."""
        lits = [o for o in rv.objects(rec, pred) if isinstance(o, ox.Literal)]
        lits.sort(
            key=lambda lit: (not (lit.language or "en").startswith("en"), lit.language or "", lit.value)
        )
        return [LanguageText(text=lit.value, language=lit.language or None) for lit in lits]
