"""Files of the models training jobs registered (`<hub home>/models/<slug>/`): the weights and metrics
their MLDCAT-AP records point at (mldcat:url). Only the artifacts' own names are served, nothing else
from the hub's home."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from api.rest import get_registry
from api.rest.json_body import StrictJsonRoute
from federation.jobs.dispatch import model_file
from registry.wiring import Registry

router = APIRouter(tags=["models"], route_class=StrictJsonRoute)
MEDIA = {
    "model.safetensors": "application/octet-stream",
    "metrics.json": "application/json",
    "model-card.md": "text/markdown; charset=utf-8",
}


@router.get(
    "/models/{slug}/{name}",
    summary="A trained model's weights (safetensors), metrics (JSON) or model card (Markdown)",
)
def trained_model_file(slug: str, name: str, reg: Registry = Depends(get_registry)) -> FileResponse:
    path = model_file(reg.settings.home, slug, name)
    return FileResponse(path, media_type=MEDIA[name], filename=f"{slug}-{name}")
