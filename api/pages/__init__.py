"""HTML for people: Jinja2 templates (autoescaping on, so no value reaches a page unescaped), the
static assets they use (served from the package, so the pages work offline), the security headers
every response carries, and the rule for which IRIs a page may turn into links."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static"
# No inline script anywhere (the JSON-LD block is data, which CSP does not run), no inline style, nothing
# from another origin; data: images for the icons Swagger UI's and GraphiQL's CSS embed.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
# Schemes a page links to. Anything else (javascript:, data:, vbscript:, file:, urn:) is shown as text:
# a record's IRIs come from whoever wrote it, and a link is a click away from running it.
LINK_SCHEMES = ("http://", "https://", "mailto:")

_env = Environment(
    loader=PackageLoader("api.pages", "templates"),
    autoescape=True,
    undefined=StrictUndefined,  # a misspelt variable fails the render instead of printing nothing
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(template: str, **context: Any) -> str:
    return _env.get_template(template).render(static=STATIC_PATH, **context)


def safe_href(target: str | None) -> str | None:
    """`target` when a page may link to it (http, https, mailto), else None (show it as text)."""
    if not target:
        return None
    return target if target.lower().startswith(LINK_SCHEMES) else None


_EM = re.compile(r"(</?em>)")


def snippet_markup(snippet: str) -> Markup:
    """A search snippet with only its <em> highlight marks kept as HTML. The indexes escape snippets
    already; this re-escapes whatever they return, so no index (or a future adapter) can inject."""
    parts = _EM.split(snippet)
    return Markup("".join(p if p in ("<em>", "</em>") else html.escape(html.unescape(p)) for p in parts))


def security_headers(app: ASGIApp) -> ASGIApp:
    """ASGI middleware adding SECURITY_HEADERS to every response that has none of its own (plain ASGI:
    the search hot path pays for a header list, not for a request/response wrapper)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped
