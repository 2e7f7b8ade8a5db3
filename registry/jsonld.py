"""JSON-LD to RDF with pyld, the JSON-LD 1.1 reference processor.

pyoxigraph's JSON-LD parser keeps only the last of several type-scoped contexts, so the properties
the others define vanish (a node typed both dcat:Dataset and dcat:Resource, each type bringing its
own terms). pyld passes the JSON-LD 1.1 test suite. Its document loader here refuses every URL: the
registry never fetches a context a document names (that would let input make the hub send requests).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pyoxigraph as ox
from pyld import jsonld  # type: ignore[import-untyped]

from registry import json_text
from registry.errors import RdfSyntaxError


class _Refused(Exception):
    """Raised by the document loader: no context is ever fetched."""


def _refuse(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    raise _Refused(url)


def to_quads(data: bytes, *, source: str, base_iri: str | None) -> list[ox.Quad]:
    try:
        doc = json_text.loads(data)
    except json.JSONDecodeError as exc:
        raise RdfSyntaxError(f"invalid JSON: {exc.msg}", source=source, line=exc.lineno) from None
    except json_text.NotJson as exc:
        raise RdfSyntaxError(f"invalid JSON: {exc}", source=source) from None
    except (UnicodeDecodeError, RecursionError) as exc:
        raise RdfSyntaxError(f"invalid JSON: {_first_line(exc)}", source=source) from None
    if not isinstance(doc, dict | list):  # pyld would take a string for a URL to load
        raise RdfSyntaxError("invalid JSON-LD: a document is a JSON object or array", source=source)
    options: dict[str, Any] = {"format": "application/n-quads", "documentLoader": _refuse}
    if base_iri:
        options["base"] = base_iri
    try:
        nquads = jsonld.to_rdf(doc, options)
    except jsonld.JsonLdError as exc:
        causes = list(_causes(exc))
        if any(isinstance(c, _Refused) for c in causes):
            err = RdfSyntaxError(
                "the JSON-LD names a remote @context, and remote contexts are not fetched", source=source
            )
            err.hint = "put the context inline (an @context object) or send the record as Turtle"
            raise err from None
        inner = [c for c in causes if isinstance(c, jsonld.JsonLdError)][-1]
        code = f" ({inner.code})" if inner.code else ""
        raise RdfSyntaxError(f"invalid JSON-LD: {_first_line(inner)}{code}", source=source) from None
    except RecursionError:
        raise RdfSyntaxError("invalid JSON-LD: nested too deeply", source=source) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        # pyld trips over some malformed documents instead of naming the JSON-LD error (found by fuzzing)
        raise RdfSyntaxError(f"invalid JSON-LD (near {exc!s:.80})", source=source) from None
    except _Refused:  # in case pyld lets the loader's refusal through unwrapped
        raise RdfSyntaxError(
            "the JSON-LD names a URL to load, and nothing is fetched", source=source
        ) from None
    try:
        return list(ox.parse(nquads.encode("utf-8"), format=ox.RdfFormat.N_QUADS))
    except SyntaxError as exc:  # pyld passes some values N-Quads cannot hold (a malformed IRI, say)
        raise RdfSyntaxError(f"invalid JSON-LD value: {_first_line(exc)}", source=source) from None


def _causes(exc: BaseException) -> Iterator[BaseException]:
    e: BaseException | None = exc
    while e is not None:
        yield e
        details = getattr(e, "details", None)
        cause = details.get("cause") if isinstance(details, dict) else None
        e = cause if isinstance(cause, BaseException) else (e.__cause__ or e.__context__)


def _first_line(exc: BaseException) -> str:
    text = str(exc.args[0]) if exc.args else str(exc)
    return text.replace("\n", " ").strip()
