"""Request bodies larger than any request needs are refused (413) as they arrive, never read whole.

Without a limit, an anonymous POST of 300 MB to /graphql raised the server's memory by 690 MB (the body,
then its JSON): a few such requests at once exhaust the machine. The largest body a request needs is a
record (FAIRGRID_MAX_RECORD_BYTES) sent through GraphQL, whose JSON escapes make it longer: the limit is
that size, a quarter more, and 1 MiB for the rest of the request.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def body_limit(max_record_bytes: int) -> int:
    return max_record_bytes + max_record_bytes // 4 + 1024 * 1024


class BodyLimit:
    """ASGI middleware: the body may not pass `limit` bytes, as declared (Content-Length) or as sent
    (chunked). Refused with an HTTPException(413) from `receive`, where the route reads the body, so
    the app's own error handling answers (a problem document; a GraphQL error)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        too_long = declared.isdigit() and int(declared) > self.limit
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            if too_long:
                raise self._refusal()
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise self._refusal()
            return message

        await self.app(scope, limited, send)

    def _refusal(self) -> HTTPException:
        return HTTPException(413, f"the request body is over the limit of {self.limit:,} bytes")
