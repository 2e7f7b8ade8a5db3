"""GA4GH Beacon v2 routes: info, map, filtering terms (public), individuals (signed-in callers)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.rest import get_identity
from api.rest.json_body import StrictJsonRoute
from federation.hub.beacon import BeaconFilter, BeaconService
from registry.errors import InputError
from registry.identity import Identity

router = APIRouter(prefix="/beacon/v2", tags=["beacon"], route_class=StrictJsonRoute)


def _beacon(request: Request) -> BeaconService:
    service: BeaconService = request.app.state.beacon
    return service


@router.get("/info", summary="Beacon information")
@router.get("", include_in_schema=False)
def info(request: Request) -> dict[str, Any]:
    return _beacon(request).info()


@router.get("/map", summary="Beacon map: the endpoints this beacon serves")
def beacon_map(request: Request) -> dict[str, Any]:
    return _beacon(request).map(str(request.base_url).rstrip("/"))


@router.get("/filtering_terms", summary="The ontology terms filters may use (ICD-10, ORPHA, HPO)")
def filtering_terms(request: Request) -> dict[str, Any]:
    return _beacon(request).filtering_terms()


class FilterIn(BaseModel):
    id: str = Field(max_length=200)
    includeDescendantTerms: bool = True


class QueryIn(BaseModel):
    filters: list[FilterIn | str] = Field(default_factory=list, max_length=32)
    requestedGranularity: str = "boolean"


class RequestIn(BaseModel):
    meta: dict[str, Any] = Field(default_factory=dict)
    query: QueryIn = Field(default_factory=QueryIn)


NO_SITE: dict[int | str, dict[str, Any]] = {
    503: {"description": "no site could answer: a Beacon error response with each site's reason"}
}


def _answer(body: dict[str, Any]) -> JSONResponse:
    """A Beacon error response goes with its errorCode as the HTTP status."""
    return JSONResponse(body, status_code=int(body["error"]["errorCode"]) if "error" in body else 200)


@router.get("/individuals", summary="Whether, or how many, individuals match the filters (comma separated)",
            response_model=None, responses=NO_SITE)  # fmt: skip
async def individuals_get(
    request: Request,
    filters: str = "",
    requestedGranularity: str = "boolean",
    who: Identity = Depends(get_identity),
) -> JSONResponse:
    parsed = [BeaconFilter(f) for f in filters.split(",") if f.strip()]
    if len(parsed) > 32:
        raise InputError("at most 32 filters")
    return _answer(await _beacon(request).individuals(who, parsed, requestedGranularity))


@router.post("/individuals", summary="Whether, or how many, individuals match (Beacon request body)",
             response_model=None, responses=NO_SITE)  # fmt: skip
async def individuals_post(
    body: RequestIn, request: Request, who: Identity = Depends(get_identity)
) -> JSONResponse:
    parsed = [
        BeaconFilter(f) if isinstance(f, str) else BeaconFilter(f.id, f.includeDescendantTerms)
        for f in body.query.filters
    ]
    return _answer(await _beacon(request).individuals(who, parsed, body.query.requestedGranularity))
