"""HTTP for the local Zenodo: Zenodo's deposit, files and records routes, plus `/_dev/` routes for tests.

Routes parse the request, sign the caller in and call `Deposits`; answers are shaped by `Shapes`. Sign-in is
Zenodo's: `Authorization: Bearer <token>` or `?access_token=<token>`. Without a token the deposit routes
answer 403 (as issue 12 asks: zenodo-rdm refuses the anonymous user the permission, it does not ask for
credentials); an unknown token answers 401. Tokens never reach a log line: only paths are logged.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from api.dev_zenodo import faults as fault_mod
from api.dev_zenodo.deposit import Deposits, ZenodoError
from api.dev_zenodo.serialize import Shapes
from api.dev_zenodo.state import Store

log = logging.getLogger("fairgrid.dev_zenodo")
DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024
NOTICE = (
    "LOCAL STAND-IN for Zenodo (fairgrid dev-zenodo), not Zenodo: nothing here is published, DOIs are fake."
)

Handler = Callable[[Request], Awaitable[Response]]

_PAGE = Environment(autoescape=True).from_string(
    """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><p><strong>{{ notice }}</strong></p><h1>{{ title }}</h1>
<p>DOI: <a href="https://doi.org/{{ doi }}">{{ doi }}</a> (concept DOI {{ conceptdoi }}),
version {{ version }}</p><p>{{ description }}</p><ul>{% for f in files %}
<li><a href="{{ f.url }}">{{ f.name }}</a> ({{ f.size }} bytes, md5 {{ f.md5 }})</li>
{% endfor %}</ul></body></html>"""
)

_DRAFT = Environment(autoescape=True).from_string(
    """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Deposition {{ id }}</title></head>
<body><p><strong>{{ notice }}</strong></p><p>Deposition {{ id }}: {{ state }}.</p></body></html>"""
)


@dataclass
class Config:
    base_url: str
    tokens: Sequence[str]
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    fault_rate: float = 0.0
    seed: int | None = None
    rate_limit: int = 0  # requests per minute per client address; 0: no limit, no X-RateLimit headers
    initial_faults: Sequence[fault_mod.Fault] = field(default_factory=tuple)


class DevZenodo:
    """One local Zenodo over one state file: its Starlette app is `.app`."""

    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config
        self.deposits = Deposits(store)
        self.shapes = Shapes(self.deposits, config.base_url)
        self.faults = fault_mod.Faults(config.fault_rate, config.seed)
        for f in config.initial_faults:
            self.faults.add(f)
        self.limiter = fault_mod.RateLimit(config.rate_limit) if config.rate_limit > 0 else None
        self.requests: deque[dict[str, Any]] = deque(maxlen=2000)
        self.app = Starlette(routes=self._routes(), exception_handlers={HTTPException: _http_error})

    # -- plumbing -----------------------------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        w = self._wrap
        dep = "/api/deposit/depositions"
        return [
            Route("/", w(self.home), methods=["GET"]),
            Route(dep, w(self.list_depositions), methods=["GET"]),
            Route(dep, w(self.create), methods=["POST"]),
            Route(dep + "/{id:int}", w(self.get), methods=["GET"]),
            Route(dep + "/{id:int}", w(self.update), methods=["PUT"]),
            Route(dep + "/{id:int}", w(self.delete), methods=["DELETE"]),
            Route(dep + "/{id:int}/actions/{action}", w(self.action), methods=["POST"]),
            Route(dep + "/{id:int}/files", w(self.list_files), methods=["GET"]),
            Route(dep + "/{id:int}/files/{file_id}", w(self.get_file), methods=["GET"]),
            Route(dep + "/{id:int}/files/{file_id}", w(self.remove_file), methods=["DELETE"]),
            Route("/api/files/{bucket}", w(self.bucket_list), methods=["GET"]),
            Route("/api/files/{bucket}/{key}", w(self.upload), methods=["PUT"]),
            Route("/api/files/{bucket}/{key}", w(self.bucket_get), methods=["GET"]),
            Route("/api/files/{bucket}/{key}", w(self.bucket_delete), methods=["DELETE"]),
            Route("/api/records/{id:int}", w(self.record), methods=["GET"]),
            Route("/api/records/{id:int}/files", w(self.record_files), methods=["GET"]),
            Route("/api/records/{id:int}/versions", w(self.versions), methods=["GET"]),
            Route("/api/records/{id:int}/files/{key}/content", w(self.download), methods=["GET"]),
            Route("/records/{id:int}", w(self.page), methods=["GET"]),
            Route("/deposit/{id:int}", w(self.draft_page), methods=["GET"]),
            Route("/_dev/state", self.dev_state, methods=["GET"]),
            Route("/_dev/faults", self.dev_add_fault, methods=["POST"]),
            Route("/_dev/faults", self.dev_clear_faults, methods=["DELETE"]),
        ]

    def _wrap(self, handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            method, path = request.method, request.url.path
            limit_headers: dict[str, str] = {}
            fault = None
            if self.limiter is not None and path.startswith("/api/"):
                limit_headers, fault = self.limiter.check(request.client.host if request.client else "")
            fault = fault or self.faults.take(method, path, after=False)
            if fault is not None:
                response: Response = _fault(fault)
            else:
                try:
                    response = await handler(request)
                except ZenodoError as exc:
                    response = JSONResponse(exc.body(), status_code=exc.status)
                except Exception:  # a bug of the double: say so as Zenodo would, in JSON
                    log.exception("%s %s failed", method, path)
                    response = JSONResponse(
                        {"status": 500, "message": "Internal server error."}, status_code=500
                    )
                late = self.faults.take(method, path, after=True)
                if late is not None:
                    response = _fault(late)
            response.headers.update(limit_headers)
            self.requests.append({"method": method, "path": path, "status": response.status_code})
            log.info("%s %s %s", method, path, response.status_code)
            return response

        return endpoint

    def owner(self, request: Request) -> int:
        """The signed-in user's number (1 for the first configured token), or 403/401."""
        token = None
        auth = request.headers.get("authorization", "")
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            token = value.strip()
        elif "access_token" in request.query_params:
            token = request.query_params["access_token"]
        if not token:
            raise ZenodoError(403, "You don't have the permission to access the requested resource. "
                                   "It is either read-protected or not readable by the server.")  # fmt: skip
        for number, known in enumerate(self.config.tokens, start=1):
            if hmac.compare_digest(token.encode(), known.encode()):
                return number
        raise ZenodoError(
            401, "The server could not verify that you are authorized to access the URL requested."
        )

    async def json_body(self, request: Request) -> object:
        raw = await request.body()
        if not raw.strip():
            return None
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise ZenodoError(415, "Unsupported media type: send application/json.")
        return _parse_json(raw)

    # -- deposit API --------------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        return PlainTextResponse(f"{NOTICE}\nSet FAIRGRID_ZENODO_URL={self.config.base_url}\n")

    async def list_depositions(self, request: Request) -> Response:
        user = self.owner(request)
        return JSONResponse(
            [self.shapes.deposition(d) for d in self.deposits.search(user, request.query_params)]
        )

    async def create(self, request: Request) -> Response:
        user = self.owner(request)
        dep = self.deposits.create(user, await self.json_body(request))
        return JSONResponse(self.shapes.deposition(dep), status_code=201)

    async def get(self, request: Request) -> Response:
        dep = self.deposits.get(self.owner(request), request.path_params["id"])
        return JSONResponse(self.shapes.deposition(dep))

    async def update(self, request: Request) -> Response:
        user = self.owner(request)
        dep = self.deposits.update(user, request.path_params["id"], await self.json_body(request))
        return JSONResponse(self.shapes.deposition(dep))

    async def delete(self, request: Request) -> Response:
        self.deposits.delete(self.owner(request), request.path_params["id"])
        return Response(status_code=204)

    async def action(self, request: Request) -> Response:
        user, dep_id, action = self.owner(request), request.path_params["id"], request.path_params["action"]
        if action == "publish":
            return JSONResponse(self.shapes.deposition(self.deposits.publish(user, dep_id)), status_code=202)
        if action == "edit":
            return JSONResponse(self.shapes.deposition(self.deposits.edit(user, dep_id)), status_code=201)
        if action == "discard":
            kept = self.deposits.discard(user, dep_id)
            if kept is None:
                return Response(status_code=204)
            return JSONResponse(self.shapes.deposition(kept), status_code=201)
        if action == "newversion":
            return JSONResponse(
                self.shapes.deposition(self.deposits.new_version(user, dep_id)), status_code=201
            )
        raise ZenodoError(404, "The requested URL was not found on the server.")

    async def list_files(self, request: Request) -> Response:
        dep, files = self.deposits.files(self.owner(request), request.path_params["id"])
        return JSONResponse([self.shapes.deposit_file(dep, f) for f in files])

    async def get_file(self, request: Request) -> Response:
        user = self.owner(request)
        dep, f = self.deposits.file_by_id(user, request.path_params["id"], request.path_params["file_id"])
        return JSONResponse(self.shapes.deposit_file(dep, f))

    async def remove_file(self, request: Request) -> Response:
        user = self.owner(request)
        dep, f = self.deposits.file_by_id(user, request.path_params["id"], request.path_params["file_id"])
        self.deposits.delete_file(user, dep.bucket, f.key)
        return Response(status_code=204)

    # -- bucket (files) API -------------------------------------------------------------------------------

    async def upload(self, request: Request) -> Response:
        user = self.owner(request)
        bucket, key = request.path_params["bucket"], request.path_params["key"]
        self.deposits.bucket(user, bucket)  # 404/403 before reading a body that is not wanted
        limit = self.config.max_file_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
        stored = self.deposits.put_file(user, bucket, key, b"".join(chunks))
        dep = self.deposits.bucket(user, bucket)
        return JSONResponse(self.shapes.bucket_object(dep, stored), status_code=201)

    async def bucket_list(self, request: Request) -> Response:
        dep = self.deposits.bucket(self.owner(request), request.path_params["bucket"])
        contents = [self.shapes.bucket_object(dep, f) for f in self.store.files(dep.id)]
        return JSONResponse(
            {
                "id": dep.bucket,
                "contents": contents,
                "links": {"self": self.shapes.api(f"/files/{dep.bucket}")},
            }
        )

    async def bucket_get(self, request: Request) -> Response:
        dep = self.deposits.bucket(self.owner(request), request.path_params["bucket"])
        return self._content(dep.id, request.path_params["key"])

    async def bucket_delete(self, request: Request) -> Response:
        user = self.owner(request)
        self.deposits.delete_file(user, request.path_params["bucket"], request.path_params["key"])
        return Response(status_code=204)

    def _content(self, dep_id: int, key: str) -> Response:
        data = self.store.content(dep_id, key)
        if data is None:
            raise ZenodoError(404, "Object does not exist.")
        return Response(data, media_type="application/octet-stream")

    # -- records (public) ---------------------------------------------------------------------------------

    async def record(self, request: Request) -> Response:
        return JSONResponse(self.shapes.record(self.deposits.record(request.path_params["id"])))

    async def record_files(self, request: Request) -> Response:
        return JSONResponse(self.shapes.record_files(self.deposits.record(request.path_params["id"])))

    async def versions(self, request: Request) -> Response:
        return JSONResponse(self.shapes.versions(self.deposits.record(request.path_params["id"])))

    async def download(self, request: Request) -> Response:
        dep = self.deposits.record(request.path_params["id"])
        return self._content(dep.id, request.path_params["key"])

    async def page(self, request: Request) -> Response:
        body = self.shapes.record(self.deposits.record(request.path_params["id"]))
        meta = body["metadata"]
        files = [{"name": f["key"], "size": f["size"], "md5": f["checksum"], "url": f["links"]["self"]}
                 for f in body["files"]]  # fmt: skip
        html = _PAGE.render(
            notice=NOTICE, title=body["title"], doi=body["doi"], conceptdoi=body["conceptdoi"],
            version=meta.get("version", ""), description=meta.get("description", ""), files=files,
        )  # fmt: skip
        return HTMLResponse(html)

    async def draft_page(self, request: Request) -> Response:
        """A draft's `links.html`. Drafts are private and browsers send no token: only the state shows."""
        dep = self.store.get(request.path_params["id"]) if request.path_params["id"] < 2**63 else None
        if dep is None:
            raise ZenodoError(404, "PID does not exist.")
        return HTMLResponse(_DRAFT.render(notice=NOTICE, id=dep.id, state=dep.state))

    # -- /_dev: for tests only; the real Zenodo has nothing like it ---------------------------------------

    async def dev_state(self, request: Request) -> Response:
        state = self.store.summary()
        state.update(
            {
                "faults": self.faults.listed(),
                "injected": self.faults.injected,
                "requests": list(self.requests),
            }
        )
        return JSONResponse(state)

    async def dev_add_fault(self, request: Request) -> Response:
        try:
            fault = fault_mod.parse(_parse_json(await request.body()))
        except (ZenodoError, fault_mod.FaultError) as exc:
            return JSONResponse({"status": 400, "message": str(exc)}, status_code=400)
        self.faults.add(fault)
        return JSONResponse({"faults": self.faults.listed()}, status_code=201)

    async def dev_clear_faults(self, request: Request) -> Response:
        self.faults.clear()
        return Response(status_code=204)


def _parse_json(raw: bytes) -> object:
    """JSON that can also be answered back: no lone surrogates (they cannot be encoded as UTF-8 again)."""
    try:
        value = json.loads(raw)
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError, RecursionError):
        raise ZenodoError(400, "The request body is not valid JSON.") from None
    return value


def _fault(fault: fault_mod.Fault) -> Response:
    return JSONResponse(fault_mod.body(fault), status_code=fault.status, headers=fault_mod.headers(fault))


def _too_large(limit: int) -> ZenodoError:
    return ZenodoError(413, f"File size limit exceeded: at most {limit} bytes per file.")


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = (
        "The requested URL was not found on the server." if status == 404 else str(getattr(exc, "detail", ""))
    )
    return JSONResponse({"status": status, "message": message}, status_code=status)
