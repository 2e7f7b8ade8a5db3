"""Feasibility over HTTP: the site agents' WebSocket, `POST /feasibility`, the criteria schema.

Presentation only: authenticate, parse the body, call the feasibility service, shape the answer.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Request, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.rest import get_identity
from api.rest.json_body import StrictJsonRoute
from federation.criteria import schema
from federation.hub.broker import Broker
from federation.hub.feasibility import FeasibilityResult, FeasibilityService
from federation.protocol import MAX_MESSAGE
from registry import json_text
from registry.errors import FairgridError, InputError
from registry.identity import Identity, Role

log = logging.getLogger("fairgrid.federation")
router = APIRouter(tags=["feasibility"], route_class=StrictJsonRoute)


class FeasibilityRequest(BaseModel):
    criteria: dict[str, Any] = Field(description="a criteria document (GET /schemas/criteria.json)")
    sites: list[str] | None = Field(None, description="site ids to ask (default: every registered site)")
    deadline_ms: int | None = Field(None, description="how long to wait for the sites (default 2000)")
    source: str = Field("SITES", description="SITES (ask the sites) or CATALOGUE (dataset records' counts)")


def result_json(r: FeasibilityResult) -> dict[str, Any]:
    return {
        "query_id": r.query_id,
        "criteria_key": r.criteria_key,
        "source": r.source,
        "total": asdict(r.total),
        "sites": [{**asdict(s), "status": s.status.value} for s in r.sites],
        "missing_sites": r.missing_sites,
    }


def _service(request: Request) -> FeasibilityService:
    service: FeasibilityService = request.app.state.feasibility
    return service


@router.get("/schemas/criteria.json", summary="JSON Schema of the criteria language")
def criteria_schema() -> JSONResponse:
    return JSONResponse(schema(), media_type="application/schema+json")


@router.post(
    "/feasibility",
    summary="How many patients match, per site and in total, after each site's disclosure control",
    responses={400: {"description": "invalid criteria (names the part by JSON pointer)"}, 401: {}, 403: {}},
)
async def feasibility(
    body: FeasibilityRequest, request: Request, who: Identity = Depends(get_identity)
) -> dict[str, Any]:
    service = _service(request)
    service.require_asker(who)
    if body.source == "CATALOGUE":  # searches and reads records: off the event loop
        return result_json(await run_in_threadpool(service.catalogue, who, body.criteria))
    if body.source != "SITES":
        raise InputError(f"source {body.source!r} is not SITES or CATALOGUE")
    return result_json(await service.ask(who, body.criteria, body.sites, body.deadline_ms))


@router.get("/federation/sites", summary="The registered sites and whether each one's agent is connected")
def sites(request: Request, who: Identity = Depends(get_identity)) -> list[dict[str, Any]]:
    return _service(request).site_status(who)


class _WsLink:
    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws

    async def send_text(self, data: str) -> None:
        await self.ws.send_text(data)


@router.websocket("/federation/agent")
async def agent(ws: WebSocket) -> None:
    """A site agent's connection: a site-operator token naming its site, then a hello signed by the site."""
    broker: Broker = ws.app.state.broker
    try:
        ws.app.state.feasibility.check_single_process()
    except FairgridError as exc:
        await ws.close(code=4503, reason=exc.message[:120])
        return
    try:
        who: Identity = ws.app.state.authenticator.identity(ws.headers.get("authorization"))
        if not who.has(Role.SITE_OPERATOR) or not who.site:
            await ws.close(code=4403, reason="needs a site-operator token naming its site")
            return
    except FairgridError as exc:
        await ws.close(code=4401, reason=exc.message[:120])
        return
    site = who.site
    await ws.accept()
    await ws.send_text(json.dumps({"type": "hub-hello", "hub_key": broker.public_key}))
    link = _WsLink(ws)
    try:
        key = await _welcome(broker, site, await _receive(ws))
        if key is None:
            await ws.close(code=4403, reason="the site's hello did not verify with its registered key")
            return
        broker.attach(site, link, key)
        while True:
            msg = await _receive(ws)
            if msg is None:
                log.warning("site %s sent something that is not JSON", site)
            else:
                broker.receive(site, msg)
    except _Refused as exc:
        log.warning("site %s: %s; connection closed", site, exc.why)
        broker.cut_off(site, link, exc.why)
        await ws.close(code=exc.code, reason=exc.close_reason)
    except (WebSocketDisconnect, ValueError):
        pass
    finally:
        broker.detach(site, link)


class _Refused(Exception):
    """A message the hub does not read: the site's open questions are ERROR (`why`), it is closed."""

    def __init__(self, why: str, code: int, close_reason: str) -> None:
        super().__init__(why)
        self.why, self.code, self.close_reason = why, code, close_reason


def _oversize(size: int, unit: str) -> _Refused:
    why = f"the site sent a message of {size:,} {unit}, over the {MAX_MESSAGE // 1024} KiB one may take"
    return _Refused(why, 1009, "message too big")


async def _receive(ws: WebSocket) -> Any:
    """A site's next message as JSON; None when it is not standard JSON (registry/json_text: no NaN, no
    lone surrogate) or nested too deeply to read. Not read, _Refused: over MAX_MESSAGE (1009), or a
    binary frame (1003: sites send JSON text only; over MAX_MESSAGE bytes it is 1009 too)."""
    message = await ws.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    if not isinstance(text, str):
        data = message.get("bytes")
        size = len(data) if isinstance(data, bytes | bytearray) else 0
        if size > MAX_MESSAGE:
            raise _oversize(size, "bytes")
        why = f"the site sent a binary frame ({size:,} bytes); sites send JSON text only"
        raise _Refused(why, 1003, "binary frames are not accepted")
    if len(text) > MAX_MESSAGE:
        raise _oversize(len(text), "characters")
    try:
        return json_text.loads(text)
    except (ValueError, RecursionError):
        return None


async def _welcome(broker: Broker, site: str, hello: Any) -> Any:
    try:
        return await run_in_threadpool(broker.welcome, site, hello)  # reads the site's registry record
    except FairgridError as exc:
        log.warning("site %s refused: %s", site, exc.message)
        return None
