"""Records over HTTP: dereferenceable record IRIs, `/records/{id}`, and curator writes.

`{id}` is the record IRI's path under FAIRGRID_BASE_IRI (`dataset/mds-registry-hub-a`), or the whole IRI
percent-encoded (`/records/http%3A%2F%2Fid.who.int%2Ficd%2Frelease%2F10%2F2019`) for records outside the
base (terminologies). With base `https://w3id.org/fairgrid/`, the IRI path is also served as is:
`GET /dataset/mds-registry-hub-a`.
"""

from __future__ import annotations

import re
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.landing import Page, render
from api.linked_data import (
    ALIASES,
    HTML,
    RECORD_TYPES,
    ProtocolError,
    local_path,
    negotiate,
    rdf_response,
    record_headers,
    record_triples,
)
from api.pages.session import has_session
from api.rest import get_identity, get_registry, record_iri
from api.rest import paths as _paths  # noqa: F401  (registers `{name:whole}` before the routes below)
from api.rest.json_body import StrictJsonRoute
from registry.errors import InputError
from registry.identity import Identity
from registry.model import Record, RevisionInfo
from registry.rdf import MEDIA_TYPES
from registry.services.quality import QualityScore
from registry.wiring import Registry

router = APIRouter(tags=["records"], route_class=StrictJsonRoute)
iri_router = APIRouter(tags=["linked data"], route_class=StrictJsonRoute)

Reg = Annotated[Registry, Depends(get_registry)]
Who = Annotated[Identity, Depends(get_identity)]
Revision = Annotated[int | None, Query(ge=1, description="an older revision (default: the latest)")]
Format = Annotated[
    str | None, Query(description="override Accept: ttl, jsonld, xml, nt, html or a media type")
]
RDF_BODY = {
    "content": {t: {"schema": {"type": "string"}} for t in ("text/turtle", "application/ld+json")},
    "required": True,
}
MAX_RELATED = 40  # referenced records read to label links on the landing page
_ETAG = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')


def show_record(
    request: Request, reg: Registry, who: Identity, iri: str, revision: int | None, fmt: str | None
) -> Response:
    media = negotiate(request.headers.get("accept"), fmt, RECORD_TYPES, ALIASES)
    rec = reg.records.get(who, iri, revision)
    headers = record_headers(request, rec.revision)
    if media != HTML:
        return rdf_response(record_triples(rec), media, headers)
    history = reg.records.history(who, iri)
    related = reg.records.referenced(who, rec, MAX_RELATED)
    latest = history[-1].number if history else None
    signed_in = has_session(request)
    page = Page(rec, history, reg.search.labels(), reg.settings.base_iri, related, latest, signed_in)
    return HTMLResponse(render(page), headers=headers)


@router.get(
    "/records/{ident:whole}",
    summary="A record, negotiated (Turtle, JSON-LD, RDF/XML, N-Triples or the HTML landing page)",
    responses={200: {"content": {t: {} for t in RECORD_TYPES}}, 406: {"description": "unsupported Accept"}},
)
def get_record(
    request: Request, ident: str, reg: Reg, who: Who, revision: Revision = None, format: Format = None
) -> Response:
    return show_record(request, reg, who, record_iri(reg, ident), revision, format)


@iri_router.get(
    "/{kind_slug}/{ident:whole}",
    summary="Dereference a record IRI under the base IRI (e.g. /dataset/{id})",
    responses={200: {"content": {t: {} for t in RECORD_TYPES}}, 406: {"description": "unsupported Accept"}},
)
def get_by_iri_path(
    request: Request,
    kind_slug: str,
    ident: str,
    reg: Reg,
    who: Who,
    revision: Revision = None,
    format: Format = None,
) -> Response:
    return show_record(request, reg, who, reg.settings.base_iri + f"{kind_slug}/{ident}", revision, format)


def _body_format(request: Request) -> ox.RdfFormat:
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    fmt = MEDIA_TYPES.get(ctype)
    if fmt is None:
        raise ProtocolError(
            415,
            "unsupported_media_type",
            f"cannot read a record body of type {ctype or '(none)'}",
            supported=sorted(MEDIA_TYPES),
        )
    return fmt


def _summary(reg: Registry, rec: Record) -> dict[str, object]:
    return {
        "iri": rec.iri,
        "kind": rec.kind.value,
        "revision": rec.revision.number if rec.revision else None,
        "published": rec.revision.published if rec.revision else True,
        "url": local_path(rec.iri, reg.settings.base_iri),
        # what validation warned about (the record conformed): the curator sees it with the write
        "warnings": rec.revision.findings if rec.revision else [],
    }


def _revision(reg: Registry, r: RevisionInfo) -> dict[str, object]:
    return {
        "revision": r.number,
        "generatedAt": r.generated_at.isoformat(),
        "attributedTo": r.attributed_to,
        "published": r.published,
        "deprecated": r.deprecated,
        "reason": r.reason,
        "note": r.note,
        "url": local_path(r.iri, reg.settings.base_iri) + f"?revision={r.number}",
        "warnings": r.findings,
        "quality": QualityScore.from_json(r.quality).summary() if r.quality else None,
    }


@router.get(
    "/revisions/{ident:whole}",
    summary="The revisions of a record you may see, oldest first, each with its validation warnings",
    responses={404: {"description": "no such record (or none you may see)"}},
)
def list_revisions(ident: str, reg: Reg, who: Who) -> JSONResponse:
    iri = record_iri(reg, ident)
    revs = reg.records.history(who, iri)
    return JSONResponse({"iri": iri, "revisions": [_revision(reg, r) for r in revs]})


@router.post(
    "/records",
    status_code=201,
    summary="Register the records an RDF document describes (curators); all or none",
    openapi_extra={"requestBody": RDF_BODY},
)
async def create_records(
    request: Request,
    reg: Reg,
    who: Who,
    draft: Annotated[bool, Query(description="store as drafts (curators only see them)")] = False,
) -> JSONResponse:
    fmt = _body_format(request)
    body = await request.body()
    recs = await run_in_threadpool(
        reg.records.create, who, body, fmt, source="<request body>", publish=not draft
    )
    out = [_summary(reg, r) for r in recs]
    headers = {"Location": str(out[0]["url"])} if out else {}
    return JSONResponse({"records": out}, status_code=201, headers=headers)


@router.put(
    "/records/{ident:whole}",
    summary="A new revision of a record (curators); needs If-Match: <revision> or ?baseRevision=",
    openapi_extra={"requestBody": RDF_BODY},
    responses={409: {"description": "stale base revision"}, 428: {"description": "no base revision"}},
)
async def update_record(
    request: Request,
    ident: str,
    reg: Reg,
    who: Who,
    if_match: Annotated[str | None, Header(description='the base revision, e.g. "3"')] = None,
    base_revision: Annotated[int | None, Query(alias="baseRevision", ge=1)] = None,
    draft: Annotated[bool, Query(description="store as a draft revision")] = False,
) -> JSONResponse:
    iri = record_iri(reg, ident)
    if base_revision is None and if_match is None:
        raise ProtocolError(
            428,
            "precondition_required",
            "an update must say which revision it is based on",
            hint='send If-Match: "<revision>" (the ETag of GET) or ?baseRevision=<revision>',
        )
    if base_revision is None:
        m = _ETAG.match(if_match or "")
        if m is None:
            raise InputError(f"If-Match {if_match!r} is not a revision number", hint='send If-Match: "3"')
        base_revision = int(m.group(1))
    fmt = _body_format(request)
    body = await request.body()
    rec = await run_in_threadpool(
        reg.records.update, who, iri, body, fmt, base_revision,
        source="<request body>", publish=not draft,
    )  # fmt: skip
    etag = f'"{rec.revision.number}"' if rec.revision else ""
    return JSONResponse(_summary(reg, rec), headers={"ETag": etag} if etag else {})
