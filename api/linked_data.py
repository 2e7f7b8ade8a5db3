"""Content negotiation and record representations (RDF serialisations and the HTML landing page).

Negotiation follows RFC 9110: the most specific media range in Accept that matches a type decides that
type's q-value; the highest q wins, ties go to the server's order (Turtle first for RDF, so `*/*` and a
missing Accept get Turtle; browsers ask for text/html first and get the landing page). `?format=` (a
name such as `ttl`, `jsonld`, `xml`, `nt`, `html`, or a media type) overrides Accept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

import pyoxigraph as ox
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import short_words
from registry.errors import InputError
from registry.model import Record, RevisionInfo, provenance
from registry.rdf import COMMON_PREFIXES, serialize

HTML = "text/html"
RDF_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
}
RECORD_TYPES: tuple[str, ...] = (*RDF_TYPES, HTML)
# Other names clients use for a type we serve (lower server preference than the canonical names).
ALIASES: dict[str, str] = {
    "application/json": "application/ld+json",
    "application/x-turtle": "text/turtle",
    "application/xhtml+xml": HTML,
}
FORMAT_NAMES: dict[str, str] = {
    "turtle": "text/turtle",
    "ttl": "text/turtle",
    "json-ld": "application/ld+json",
    "jsonld": "application/ld+json",
    "xml": "application/rdf+xml",
    "rdf": "application/rdf+xml",
    "rdf-xml": "application/rdf+xml",
    "rdfxml": "application/rdf+xml",
    "nt": "application/n-triples",
    "n-triples": "application/n-triples",
    "ntriples": "application/n-triples",
    "html": HTML,
    "json": "application/json",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}


class ProtocolError(Exception):
    """An HTTP-level refusal that is not a domain error (406, 415, 428); rendered as problem+json."""

    def __init__(self, status: int, code: str, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = short_words(detail)  # it can quote a header of any length
        self.extra = extra

    def response(self) -> JSONResponse:
        body = {
            "type": f"https://w3id.org/fairgrid/problems/{self.code}",
            "title": self.code.replace("_", " "),
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            **self.extra,
        }
        return JSONResponse(body, status_code=self.status, media_type="application/problem+json")


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float

    def matches(self, media_type: str) -> int:
        """Specificity of the match (3 exact, 2 type/*, 1 */*), 0 for none."""
        t, _, s = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 1
        if self.type == t and self.subtype == "*":
            return 2
        return 3 if (self.type, self.subtype) == (t, s) else 0


def parse_accept(header: str) -> list[MediaRange]:
    out: list[MediaRange] = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        t, _, s = fields[0].lower().partition("/")
        if not t or not s:
            continue
        q = 1.0
        for p in fields[1:]:
            name, _, value = p.partition("=")
            if name.strip().lower() == "q":
                # A q that is not a number is ignored (q stays 1): one bad parameter does not make the
                # range, or the header, unacceptable (RFC 9110 12.4.2 / 5.6.6); others are clamped to 0..1.
                try:
                    parsed = float(value)
                except ValueError:
                    continue
                q = max(0.0, min(1.0, parsed))
        out.append(MediaRange(t, s, q))
    return out


def quality(media_type: str, ranges: Sequence[MediaRange]) -> float:
    best, q = 0, 0.0
    for r in ranges:
        m = r.matches(media_type)
        if m > best:
            best, q = m, r.q
    return q


def negotiate(accept: str | None, fmt: str | None, offered: Sequence[str], aliases: dict[str, str]) -> str:
    """The canonical media type to answer with; ProtocolError 406 when nothing offered is acceptable."""
    supported = list(offered)
    if fmt:
        wanted = FORMAT_NAMES.get(fmt.lower(), fmt.lower().split(";")[0].strip())
        wanted = aliases.get(wanted, wanted)
        if wanted not in supported:
            raise InputError(
                f"unknown or unsupported format {fmt!r}",
                hint="use one of: " + ", ".join(sorted(supported)),
                details={"supported": supported},
            )
        return wanted
    if not accept or not accept.strip():
        return supported[0]
    ranges = parse_accept(accept)
    candidates = [(t, t) for t in supported] + [(a, c) for a, c in aliases.items() if c in supported]
    best, best_q = None, 0.0
    for name, canonical in candidates:
        q = quality(name, ranges)
        if q > best_q:  # strict: ties keep the server's order
            best, best_q = canonical, q
    if best is None:
        raise ProtocolError(
            406,
            "not_acceptable",
            f"none of the requested media types ({accept}) can be served here",
            supported=supported,
        )
    return best


def rdf_response(triples: Sequence[ox.Triple], media_type: str, headers: dict[str, str]) -> Response:
    body = serialize(triples, RDF_TYPES[media_type], COMMON_PREFIXES)
    ctype = media_type + ("; charset=utf-8" if media_type.startswith("text/") else "")
    return Response(body, media_type=ctype, headers=headers)


def head_as_get(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: HEAD on any route is its GET without the body (RFC 9110 9.3.2). FastAPI's
    routes take only the methods they name, so HEAD got 405 where GET serves, or fell through to the
    record-IRI catch-all (a 404 for /schemas/criteria.json). The server sees the request's own
    scope (HEAD) and sends no body either; Content-Length stays the GET's."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await app(scope, receive, send)
            return

        async def without_body_send(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await app({**scope, "method": "GET"}, receive, without_body_send)

    return wrapped


# Printable ASCII stays as it is: IRI to URI (RFC 3987 3.1) percent-encodes only what is not ASCII.
_URI_CHARS = "".join(chr(c) for c in range(0x21, 0x7F))
_PATH_CHARS = _URI_CHARS.translate({ord(c): None for c in "%?#"})


def as_uri(iri: str) -> str:
    """An IRI (or an IRI's path) as a URI: non-ASCII characters percent-encoded as UTF-8, the rest
    unchanged. What HTTP headers (Latin-1 at most, and read as ASCII) and links can carry."""
    return iri if iri.isascii() else quote(iri, safe=_URI_CHARS)


def request_path(request: Request) -> str:
    """The path as the client sent it (percent-encoded, so a record IRI with non-ASCII characters or
    an encoded whole IRI keeps its form), not the decoded one the routes see."""
    raw = request.scope.get("raw_path")
    return as_uri(raw.decode("utf-8", "replace") if raw else request.url.path)


def alternates(path: str, types: Sequence[str]) -> str:
    """A Link header advertising the other serialisations (FAIR signposting)."""
    names = {v: k for k, v in reversed(FORMAT_NAMES.items())}
    path = as_uri(path)
    return ", ".join(f'<{path}?format={names[t]}>; rel="alternate"; type="{t}"' for t in types)


def record_triples(rec: Record) -> list[ox.Triple]:
    """The record's content plus the PROV of the revision shown."""
    return list(rec.triples) + (provenance(rec.revision) if rec.revision is not None else [])


def record_headers(request: Request, rev: RevisionInfo | None) -> dict[str, str]:
    headers = {"Vary": "Accept", "Link": alternates(request_path(request), RECORD_TYPES)}
    if rev is not None:
        headers["ETag"] = f'"{rev.number}"'
        # how many validation warnings this revision has; GET /revisions/{id} lists them
        headers["Fairgrid-Validation-Warnings"] = str(len(rev.findings))
    return headers


def local_path(iri: str, base: str) -> str:
    """Where this server answers for `iri`: the path under the base (as a URI path), else
    /records/{encoded IRI}."""
    if iri.startswith(base) and len(iri) > len(base):
        # '%', '?' and '#' of the IRI itself are encoded too: the router decodes the path once, and
        # must find the IRI again (not a query, a fragment or another character)
        return "/" + quote(iri[len(base) :], safe=_PATH_CHARS)
    return "/records/" + quote(iri, safe="")
