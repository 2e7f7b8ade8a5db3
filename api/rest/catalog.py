"""`GET /catalog`: the registry's catalogue as DCAT-AP, one page of records at a time.

The catalogue itself is `<server>/catalog` (a dcat:Catalog pointing at the datasets, services, catalogues
and models on the page); each page carries the full latest revision of its records, in IRI order. Paging is
advertised twice: Link headers (rel first/prev/next/last) and Hydra triples (hydra:PartialCollectionView).
Records the caller may not read (consortium-only metadata without a consortium role, never-published
drafts for non-curators) are neither on the pages nor in the count (registry/services/catalog.py).
Non-curators' pages are listed by the search index, which follows writes moments after each commit.
"""

from __future__ import annotations

from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.linked_data import ALIASES, HTML, RDF_TYPES, alternates, negotiate, rdf_response, request_path
from api.pages.session import has_session
from api.rest import get_identity, get_registry
from api.rest.catalog_page import catalog_html
from api.rest.json_body import StrictJsonRoute
from registry.errors import InputError
from registry.identity import Identity
from registry.vocab import DCAT, DCT, RDF_TYPE, XSD, Kind
from registry.wiring import Registry

router = APIRouter(tags=["catalogue"], route_class=StrictJsonRoute)
HYDRA = "http://www.w3.org/ns/hydra/core#"
MAX_SIZE = 500
_LINKS: dict[Kind, str] = {
    Kind.DATASET: DCAT + "dataset",
    Kind.DATA_SERVICE: DCAT + "service",
    Kind.CATALOG: DCAT + "catalog",
    Kind.MODEL: DCAT + "resource",
}


def _kind(value: str | None) -> Kind | None:
    if not value:
        return None
    for k in Kind:
        if value.lower() in (k.value.lower(), k.slug):
            return k
    raise InputError(f"unknown record kind {value!r}", hint="use one of: " + ", ".join(k.slug for k in Kind))


def catalog_triples(
    reg: Registry, who: Identity, cat: ox.NamedNode, kind: Kind | None, page: int, size: int
) -> tuple[list[ox.Triple], int]:
    """The page's triples and the number of records in the catalogue this caller may see."""
    n = ox.NamedNode
    out = [
        ox.Triple(cat, n(RDF_TYPE), n(DCAT + "Catalog")),
        ox.Triple(cat, n(DCT + "title"), ox.Literal("fairgrid registry catalogue", language="en")),
        ox.Triple(
            cat,
            n(DCT + "description"),
            ox.Literal(
                "Every record registered in this fairgrid registry (latest revisions).", language="en"
            ),
        ),
    ]
    found = reg.catalog.page(who, kind, offset=(page - 1) * size, limit=size)
    for rec in found.records:
        if rec.kind in _LINKS:
            out.append(ox.Triple(cat, n(_LINKS[rec.kind]), rec.subject))
        out.extend(rec.triples)
    return out, found.total


def _page_url(request: Request, page: int) -> str:
    return str(request.url.include_query_params(page=page))


@router.get(
    "/catalog",
    summary="The catalogue as DCAT-AP, paged (Link headers and Hydra paging triples)",
    responses={
        200: {"content": {t: {} for t in [*RDF_TYPES, HTML]}},
        406: {"description": "unsupported Accept"},
    },
)
def get_catalog(
    request: Request,
    reg: Annotated[Registry, Depends(get_registry)],
    who: Annotated[Identity, Depends(get_identity)],
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_SIZE)] = 50,
    kind: Annotated[str | None, Query(description="only records of this kind (e.g. dataset)")] = None,
    format: Annotated[str | None, Query(description="override Accept: ttl, jsonld, xml, nt, html")] = None,
) -> Response:
    # HTML offered last: RDF clients, */* and no Accept get Turtle; browsers ask for text/html first
    media = negotiate(request.headers.get("accept"), format, [*RDF_TYPES, HTML], ALIASES)
    if media == HTML:
        found = reg.catalog.page(who, _kind(kind), offset=(page - 1) * size, limit=size)
        html = catalog_html(
            found.records, found.total, page, size, _kind(kind), reg.settings.base_iri, has_session(request)
        )
        return HTMLResponse(html, headers={"Vary": "Accept"})
    cat = ox.NamedNode(str(request.url_for("get_catalog")))
    triples, total = catalog_triples(reg, who, cat, _kind(kind), page, size)
    last = max(1, -(-total // size))
    links = {"first": 1, "last": last}
    if page > 1:
        links["prev"] = min(page - 1, last)
    if page < last:
        links["next"] = page + 1
    view = ox.NamedNode(_page_url(request, page))
    n = ox.NamedNode
    integer = ox.NamedNode(XSD + "integer")
    triples += [
        ox.Triple(cat, n(HYDRA + "totalItems"), ox.Literal(str(total), datatype=integer)),
        ox.Triple(cat, n(HYDRA + "view"), view),
        ox.Triple(view, n(RDF_TYPE), n(HYDRA + "PartialCollectionView")),
    ]
    hydra = {"first": "first", "last": "last", "prev": "previous", "next": "next"}
    for rel, p in links.items():
        triples.append(ox.Triple(view, n(HYDRA + hydra[rel]), n(_page_url(request, p))))
    link = ", ".join(f'<{_page_url(request, p)}>; rel="{rel}"' for rel, p in links.items())
    headers = {
        "Link": link + ", " + alternates(request_path(request), list(RDF_TYPES)),
        "Vary": "Accept",
        "X-Total-Count": str(total),
    }
    return rdf_response(triples, media, headers)
