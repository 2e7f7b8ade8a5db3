"""`GET /catalog` for a browser: the same page of records as the DCAT-AP one, as a list to click through.

Browsers ask for text/html first, so the menu's "Catalogue" link opens this page; RDF clients, `*/*` and a
missing Accept still get Turtle (HTML is offered last). The records, their order and the count are the
catalogue service's, so a person sees what an RDF client of the same identity sees.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from api.linked_data import local_path
from api.pages import render
from registry.model import Record
from registry.titles import record_title
from registry.vocab import Kind

FORMATS = (("Turtle", "ttl"), ("JSON-LD", "jsonld"), ("RDF/XML", "xml"), ("N-Triples", "nt"))


def _url(page: int, size: int, kind: Kind | None, fmt: str = "") -> str:
    params: list[tuple[str, str | int]] = [("page", page), ("size", size)]
    if kind is not None:
        params.append(("kind", kind.slug))
    if fmt:
        params.append(("format", fmt))
    return "/catalog?" + urlencode(params)


def catalog_html(
    records: list[Record], total: int, page: int, size: int, kind: Kind | None, base: str, signed_in: bool
) -> str:
    last = max(1, -(-total // size))
    items: list[dict[str, Any]] = [
        {"href": local_path(r.iri, base) + "?format=html", "title": record_title(r), "kind": r.kind.value,
         "deprecated": r.deprecated}
        for r in records
    ]  # fmt: skip
    return render(
        "catalog.html.j2",
        items=items,
        total=total,
        page=page,
        last=last,
        first_number=(page - 1) * size + 1,
        kind=kind.value if kind else None,
        kinds=[(k.value, _url(1, size, k)) for k in Kind],
        all_kinds=_url(1, size, None),
        prev=_url(page - 1, size, kind) if page > 1 else None,
        next=_url(page + 1, size, kind) if page < last else None,
        formats=[(label, _url(page, size, kind, fmt)) for label, fmt in FORMATS],
        signed_in=signed_in,
    )
