"""`GET /`: search the registry in a browser — a search box, facets to narrow by, results that link to
the records' landing pages. The same search service as GraphQL; only the presentation differs."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from api.linked_data import local_path
from api.pages import render, snippet_markup
from api.pages.session import has_session
from api.rest.json_body import StrictJsonRoute
from api.rest.records import Reg, Who
from registry.search.port import Facet, SearchFilter, SearchQuery, SearchResult

router = APIRouter(tags=["browse"], route_class=StrictJsonRoute)

# Facets a person narrows by, with the query parameter each one sets.
FACETS: list[tuple[Facet, str, str]] = [
    (Facet.KIND, "kind", "Kind"),
    (Facet.DISEASE, "disease", "Condition"),
    (Facet.ACCESS_RIGHTS, "access", "Access"),
    (Facet.THEME, "theme", "Theme"),
    (Facet.PUBLISHER, "publisher", "Publisher"),
]
PAGE = 20


@router.get("/", response_class=HTMLResponse, summary="Search the registry (HTML, for people)")
async def browse(
    request: Request,
    reg: Reg,
    who: Who,
    q: Annotated[str | None, Query(description="words to look for")] = None,
    kind: Annotated[list[str] | None, Query()] = None,
    disease: Annotated[list[str] | None, Query(description="concept IRI or code; descendants match")] = None,
    access: Annotated[list[str] | None, Query()] = None,
    theme: Annotated[list[str] | None, Query()] = None,
    publisher: Annotated[list[str] | None, Query()] = None,
    after: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    chosen = {"kind": kind or [], "disease": disease or [], "access": access or [], "theme": theme or [],
              "publisher": publisher or []}  # fmt: skip
    query = SearchQuery(
        text=q or None,
        filters=SearchFilter(
            kinds=chosen["kind"],
            diseases=chosen["disease"],
            access_rights=chosen["access"],
            themes=chosen["theme"],
            publishers=chosen["publisher"],
        ),  # fmt: skip
        facets=[f for f, _, _ in FACETS],
        first=PAGE,
        after=after,
    )
    result = await run_in_threadpool(reg.search.search, who, query)
    html = _page(q or "", chosen, result, reg.settings.base_iri, has_session(request))
    return HTMLResponse(html)


def _url(q: str, chosen: dict[str, list[str]], **change: list[str] | str | None) -> str:
    params: list[tuple[str, str]] = [("q", q)] if q else []
    for name, values in {**chosen, **{k: v for k, v in change.items() if k != "after"}}.items():
        params += [(name, v) for v in values or []]  # type: ignore[union-attr]
    if isinstance(change.get("after"), str):
        params.append(("after", str(change["after"])))
    return "/?" + urlencode(params)


def _page(q: str, chosen: dict[str, list[str]], r: SearchResult, base: str, signed_in: bool) -> str:
    side = []
    for facet, param, title in FACETS:
        items = []
        for b in r.facets.get(str(facet), [])[:12]:
            on = b.value in chosen[param]
            values = [v for v in chosen[param] if v != b.value] if on else [*chosen[param], b.value]
            href = _url(q, chosen, **{param: values})
            items.append({"href": href, "on": on, "label": b.label, "count": b.count})
        if items:
            side.append((title, items))
    hits: list[dict[str, Any]] = [
        {"href": local_path(h.iri, base) + "?format=html", "title": h.title, "kind": h.kind,
         "snippet": snippet_markup(h.snippet)}
        for h in r.hits
    ]  # fmt: skip
    return render(
        "search.html.j2",
        q=q,
        hidden=[(p, v) for p, vs in chosen.items() for v in vs],
        total=r.total,
        facets=side,
        hits=hits,
        more=_url(q, chosen, after=r.end_cursor) if r.has_next and r.end_cursor else None,
        page_size=PAGE,
        signed_in=signed_in,
    )
