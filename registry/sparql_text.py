"""SPARQL term text made from pyoxigraph term objects, never from raw strings.

Every IRI and literal that fairgrid writes into a SPARQL query or update goes through here. pyoxigraph
checks an IRI (and a language tag) when it builds the term and writes it in N-Triples form, where no
value can close its own term: an IRI cannot contain `>`, spaces or braces, a literal's quotes and line
breaks are escaped. So a value can only ever be one term, and cannot change the shape of the query.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from registry.errors import InputError, InvalidIri

Term = ox.NamedNode | ox.BlankNode | ox.Literal
_SHOWN = 120  # how much of a refused value an error message repeats


def named_node(value: str, what: str = "IRI") -> ox.NamedNode:
    """The IRI as a term; InvalidIri (a clear 400 / exit 1) when `value` is not an absolute IRI."""
    try:
        return ox.NamedNode(value)
    except (ValueError, TypeError) as exc:
        raise InvalidIri(f"{what} {shown(value)} is not a valid IRI: {exc}") from None


def iri(value: str, what: str = "IRI") -> str:
    """`<value>` for a checked IRI."""
    return str(named_node(value, what))


def literal(value: str, *, datatype: str | None = None, language: str | None = None) -> str:
    """A quoted, escaped literal; a bad language tag or datatype IRI is refused (InputError)."""
    try:
        if language is not None:
            return str(ox.Literal(value, language=language))
        if datatype is not None:
            return str(ox.Literal(value, datatype=named_node(datatype, "datatype")))
        return str(ox.Literal(value))
    except ValueError as exc:
        raise InputError(f"language tag {shown(language or '')} is not valid: {exc}") from None


def integer(value: int) -> str:
    # int() refuses anything that is not a number, so the text is digits and a sign only.
    return str(int(value))


def term(value: Term | ox.Triple) -> str:
    """A term that already exists as an object (parsed, or read from the store): pyoxigraph checked
    it when it was made."""
    return str(value)


def values(iris: Iterable[str], what: str = "IRI") -> str:
    """The body of a VALUES block: checked IRIs separated by spaces."""
    return " ".join(iri(i, what) for i in iris)


def shown(value: str) -> str:
    """A value as an error message repeats it: quoted, control characters escaped, cut short."""
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 4] + "...'"
