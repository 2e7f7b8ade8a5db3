"""`GET|POST /sparql`: the SPARQL 1.1 protocol, queries only.

The dataset is fixed (see registry/services/sparql.py): the default graph is the union of the record graphs
the caller may read, and each record is a named graph named by its IRI (latest revision). Anonymous callers
query public metadata, with a lower row cap and their own share of the concurrent queries.
`default-graph-uri`, `named-graph-uri` and FROM / FROM NAMED are refused rather than silently ignored.
Updates are refused with 400. Results: SELECT as application/sparql-results+json, text/csv or
text/tab-separated-values; ASK as JSON; CONSTRUCT and DESCRIBE as Turtle, N-Triples, JSON-LD or RDF/XML.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Any
from urllib.parse import parse_qs

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.linked_data import ProtocolError, negotiate, rdf_response
from api.rest import get_identity
from api.rest.json_body import StrictJsonRoute
from registry.errors import InputError
from registry.identity import Identity
from registry.services.sparql import SparqlResult, SparqlService

router = APIRouter(tags=["sparql"], route_class=StrictJsonRoute)
RESULTS_JSON = "application/sparql-results+json"
TABLE_TYPES = (RESULTS_JSON, "text/csv", "text/tab-separated-values")
ASK_TYPES = (RESULTS_JSON,)
GRAPH_TYPES = ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml")
ALIASES = {"application/json": RESULTS_JSON, "text/plain": "application/n-triples"}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {t: {} for t in (*TABLE_TYPES, *GRAPH_TYPES)}},
    400: {"description": "syntax error, update refused, result cap or time limit exceeded (query stopped)"},
    401: {"description": "the bearer token is not valid"},
    503: {"description": "too many queries are running, or the store is down"},
}


def get_sparql(request: Request) -> SparqlService:
    svc: SparqlService = request.app.state.sparql
    return svc


def _json_term(term: Any) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


def _csv_term(term: Any) -> str:
    return "_:" + term.value if isinstance(term, ox.BlankNode) else str(term.value)


def render(result: SparqlResult, media: str) -> bytes:
    if result.boolean is not None:
        return json.dumps({"head": {}, "boolean": result.boolean}).encode()
    assert result.rows is not None
    if media == RESULTS_JSON:
        bindings = [{k: _json_term(v) for k, v in row.items()} for row in result.rows]
        return json.dumps({"head": {"vars": result.variables}, "results": {"bindings": bindings}}).encode()
    buf = io.StringIO()
    if media == "text/csv":
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(result.variables)
        for row in result.rows:
            w.writerow([_csv_term(row[v]) if v in row else "" for v in result.variables])
    else:
        buf.write("\t".join("?" + v for v in result.variables) + "\n")
        for row in result.rows:
            buf.write("\t".join(str(row[v]) if v in row else "" for v in result.variables) + "\n")
    return buf.getvalue().encode()


def answer(request: Request, svc: SparqlService, who: Identity, text: str) -> Response:
    result = svc.query(who, text)
    accept = request.headers.get("accept")
    fmt = request.query_params.get("format")
    if result.form == "graph":
        media = negotiate(accept, fmt, GRAPH_TYPES, ALIASES)
        return rdf_response(result.triples or [], media, {"Vary": "Accept"})
    media = negotiate(accept, fmt, TABLE_TYPES if result.form == "select" else ASK_TYPES, ALIASES)
    ctype = media + ("; charset=utf-8" if media.startswith("text/") else "")
    return Response(render(result, media), media_type=ctype, headers={"Vary": "Accept"})


def _refuse_dataset(request: Request, params: Any) -> None:
    for name in ("default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri"):
        if name in params or name in request.query_params:
            raise InputError(
                f"{name} is not supported: the dataset of this endpoint is fixed",
                hint="use GRAPH <record IRI> { ... } to query one record's graph",
            )


def _refuse_update() -> None:
    raise InputError(
        "SPARQL updates are not accepted: this endpoint is read only",
        hint="change records through POST/PUT /records (curators), not SPARQL",
        details={"update": True},
    )


@router.get("/sparql", summary="Run a SPARQL query (anonymous: public metadata)", responses=_RESPONSES)
def sparql_get(
    request: Request,
    svc: Annotated[SparqlService, Depends(get_sparql)],
    who: Annotated[Identity, Depends(get_identity)],
    query: Annotated[str | None, Query(description="the SPARQL query")] = None,
) -> Response:
    if "update" in request.query_params:
        _refuse_update()
    _refuse_dataset(request, {})
    return answer(request, svc, who, query or "")


@router.post(
    "/sparql",
    summary="Run a SPARQL query sent as a form or as application/sparql-query",
    responses=_RESPONSES,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/sparql-query": {"schema": {"type": "string"}},
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "properties": {"query": {"type": "string"}}}
                },
            }
        }
    },
)
async def sparql_post(
    request: Request,
    svc: Annotated[SparqlService, Depends(get_sparql)],
    who: Annotated[Identity, Depends(get_identity)],
) -> Response:
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype == "application/sparql-update":
        _refuse_update()
    if ctype == "application/sparql-query":
        _refuse_dataset(request, {})
        text = (await request.body()).decode("utf-8", errors="replace")
    elif ctype == "application/x-www-form-urlencoded":
        # parsed here: Starlette's form parser needs python-multipart, which this needs not
        raw = (await request.body()).decode("utf-8", errors="replace")
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        if "update" in form:
            _refuse_update()
        _refuse_dataset(request, form)
        text = form.get("query", "")
    else:
        raise ProtocolError(
            415,
            "unsupported_media_type",
            f"send the query as application/sparql-query or a form, not {ctype or '(none)'}",
            supported=["application/sparql-query", "application/x-www-form-urlencoded"],
        )
    return await run_in_threadpool(answer, request, svc, who, text)
