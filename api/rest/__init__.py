"""REST and linked-data routes. Shared dependencies: the registry, the caller, index catch-up."""

from __future__ import annotations

import logging
import threading

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.pages.session import page_authorization
from registry.identity import Identity
from registry.services.search import SyncReport
from registry.wiring import Registry

log = logging.getLogger(__name__)
# Documents bearer auth in OpenAPI; the Authenticator reads the raw header itself.
bearer = HTTPBearer(auto_error=False, description="`fairgrid dev-token --role ROLE` in development")


class IndexSync:
    """Drains the outbox into the search index; one drain at a time per process."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._lock = threading.Lock()

    def __call__(self) -> SyncReport:
        with self._lock:
            try:
                return self.registry.search.sync()
            except Exception as exc:  # sync() reports outages itself; anything else must not kill the loop
                log.exception("index sync failed")
                return SyncReport(0, 0, -1, str(exc))


def get_registry(request: Request) -> Registry:
    reg: Registry = request.app.state.registry
    return reg


def get_identity(request: Request, _creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Identity:
    # The Authorization header, or on GET/HEAD the web sign-in cookie (api/pages/session.py)
    ident: Identity = request.app.state.authenticator.identity(page_authorization(request))
    return ident


def record_iri(reg: Registry, ident: str) -> str:
    """`ident` is the record IRI's path under the base IRI (`dataset/x`) or a whole IRI (url-encoded)."""
    # The router has already percent-decoded the path.
    if ident.startswith(("http://", "https://", "urn:")):
        return ident
    # Clients and proxies may collapse the '//' of an encoded IRI in a path.
    for scheme in ("http:/", "https:/"):
        if ident.startswith(scheme) and not ident.startswith(scheme + "/"):
            return scheme + "/" + ident[len(scheme) :]
    return reg.settings.base_iri + ident.lstrip("/")
