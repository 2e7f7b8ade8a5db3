"""Training over HTTP: the signed documents a site's gate syncs. Presentation only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from api.federation import job_service
from api.rest import get_identity
from api.rest.json_body import StrictJsonRoute
from federation.jobs.site_documents import documents_for_site
from registry.identity import Identity

router = APIRouter(tags=["training"], route_class=StrictJsonRoute)


@router.get(
    "/federation/training/documents",
    summary="Signed approvals and revocations of the training jobs that target a site (its gate syncs them)",
    responses={400: {}, 401: {}, 403: {"description": "not a site-operator of this site"}},
)
def documents(
    request: Request, site: str = Query(description="site id"), who: Identity = Depends(get_identity)
) -> dict[str, Any]:
    return documents_for_site(job_service(request.app.state.registry), who, site)
