"""Reading property values out of a record's triples for the GraphQL types (no I/O)."""

from __future__ import annotations

import pyoxigraph as ox

from api.graphql.scalars import BigInt
from registry.model import Record
from registry.services.indexing import whole_i64

Node = ox.NamedNode | ox.BlankNode


def objects(
    rec: Record, pred: str, subject: Node | None = None
) -> list[ox.NamedNode | ox.BlankNode | ox.Literal]:
    s = subject if subject is not None else rec.subject
    p = ox.NamedNode(pred)
    return [t.object for t in rec.triples if t.subject == s and t.predicate == p]  # type: ignore[misc]


def iris(rec: Record, pred: str, subject: Node | None = None) -> list[str]:
    return sorted({o.value for o in objects(rec, pred, subject) if isinstance(o, ox.NamedNode)})


def nodes(rec: Record, pred: str, subject: Node | None = None) -> list[Node]:
    return [o for o in objects(rec, pred, subject) if isinstance(o, ox.NamedNode | ox.BlankNode)]


def text(rec: Record, pred: str, subject: Node | None = None) -> str | None:
    """The English (or untagged) literal, else any literal."""
    lits = [o for o in objects(rec, pred, subject) if isinstance(o, ox.Literal)]
    en = [x for x in lits if (x.language or "en").startswith("en")]
    pick = en or lits
    return pick[0].value if pick else None


def texts(rec: Record, pred: str, subject: Node | None = None) -> list[str]:
    return sorted({o.value for o in objects(rec, pred, subject) if isinstance(o, ox.Literal)})


def value(rec: Record, pred: str, subject: Node | None = None) -> str | None:
    """The first value, literal or IRI, as a string."""
    vals = [o for o in objects(rec, pred, subject) if not isinstance(o, ox.BlankNode)]
    return vals[0].value if vals else None


def integer(rec: Record, pred: str, subject: Node | None = None) -> BigInt | None:
    """The first value that is a whole number within BigInt's range (the search indexes' too)."""
    for o in objects(rec, pred, subject):
        n = whole_i64(o.value) if isinstance(o, ox.Literal) else None
        if n is not None:
            return BigInt(n)
    return None


def values(rec: Record, pred: str) -> list[str]:
    """Every value of the record's main subject (IRIs and literal lexical forms; blank nodes left out)."""
    return [o.value for o in objects(rec, pred) if not isinstance(o, ox.BlankNode)]
