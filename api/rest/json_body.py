"""Request bodies that FastAPI parses as JSON are read by registry.json_text: standard JSON only.

Starlette's `Request.json()` is Python's json.loads: it takes NaN and Infinity, and an escaped lone
surrogate ("\\ud800") becomes a str that cannot be encoded again. In a criteria document that was a 500
(the parser's error message could not be written). Every REST router uses this route class, so a body
is refused as a 422 with the reason, like any other JSON that does not parse.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from registry import json_text


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = json_text.loads(body)
            except (json_text.NotJson, RecursionError) as exc:
                why = str(exc) if isinstance(exc, json_text.NotJson) else "the JSON is nested too deeply"
                raise json.JSONDecodeError(why, "", 0) from None  # FastAPI's 422 for undecodable JSON
        return self._json


class StrictJsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict
