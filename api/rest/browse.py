"""`GET /`: search the registry in a browser — a search box, facets to narrow by, results that link to
the records' landing pages. The same search service as GraphQL; only the presentation differs."""

from __future__ import annotations

from html import escape
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from api.landing import CSS
from api.linked_data import local_path
from api.rest.records import Reg, Who
from registry.search.port import Facet, SearchFilter, SearchQuery, SearchResult

router = APIRouter(tags=["browse"])

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
    return HTMLResponse(_page(q or "", chosen, result, reg.settings.base_iri))


def _url(q: str, chosen: dict[str, list[str]], **change: list[str] | str | None) -> str:
    params: list[tuple[str, str]] = [("q", q)] if q else []
    for name, values in {**chosen, **{k: v for k, v in change.items() if k != "after"}}.items():
        params += [(name, v) for v in values or []]  # type: ignore[union-attr]
    if isinstance(change.get("after"), str):
        params.append(("after", str(change["after"])))
    return "/?" + urlencode(params)


def _page(q: str, chosen: dict[str, list[str]], r: SearchResult, base: str) -> str:
    side = []
    for facet, param, title in FACETS:
        items = []
        for b in r.facets.get(str(facet), [])[:12]:
            on = b.value in chosen[param]
            values = [v for v in chosen[param] if v != b.value] if on else [*chosen[param], b.value]
            mark = "✓ " if on else ""
            link = escape(_url(q, chosen, **{param: values}))
            items.append(f'<li><a href="{link}">{mark}{escape(b.label)}</a> ({b.count})</li>')
        if items:
            side.append(f"<h3>{title}</h3><ul>{''.join(items)}</ul>")
    hits = "".join(
        f'<li><a href="{escape(local_path(h.iri, base))}?format=html">{escape(h.title)}</a> '
        f"<span class=kind>{escape(h.kind)}</span><br><small>{h.snippet}</small></li>"
        for h in r.hits
    )  # the snippet is escaped by the index, with <em> marks kept
    more = (
        f'<p><a href="{escape(_url(q, chosen, after=r.end_cursor))}">Next {PAGE} →</a></p>'
        if r.has_next and r.end_cursor else ""
    )  # fmt: skip
    return f"""<!doctype html><html lang=en><head><meta charset=utf-8><title>fairgrid search</title>
<style>{CSS} .cols{{display:flex;gap:2rem}} .cols aside{{min-width:14rem}} ul{{padding-left:1.1rem}}
</style></head><body>
<p><a href="/docs">API</a> · <a href="/graphql">GraphQL</a> · <a href="/catalog">DCAT-AP catalogue</a></p>
<h1>Find datasets, models and terminologies</h1>
<form action="/"><input name=q value="{escape(q)}" size=50 placeholder="e.g. myeloma registry">
{"".join(f'<input type=hidden name="{p}" value="{escape(v)}">' for p, vs in chosen.items() for v in vs)}
<button>Search</button></form>
<p>{r.total} record(s)</p>
<div class=cols><aside>{"".join(side)}</aside><main><ol>{hits}</ol>{more}</main></div>
</body></html>"""
