"""Registering a site's dataset descriptions with the hub's REST API, one record per request.

Each record is sent on its own (POST; PUT with If-Match when the hub already has it), so a description
that mixes new, changed and unchanged records registers all of them. The hub's answer decides the error:
401 Unauthenticated, 403 PermissionDenied, 409 Conflict, 4xx InputError (422 with its violations),
anything else or no answer Unavailable.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import httpx
import pyoxigraph as ox

from registry.config import Settings
from registry.errors import (
    Conflict,
    FairgridError,
    InputError,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
    Violation,
)
from registry.io.split import Draft, split

NT = "application/n-triples"
TOKEN_HINT = "a curator token is needed (--token or FAIRGRID_TOKEN; `fairgrid dev-token --role curator`)"


@dataclass
class HubRegistration:
    """What the hub did with each record (IRIs, in the order they were sent)."""

    hub: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def done(self) -> list[str]:
        return [*self.created, *self.updated, *self.unchanged]


def register_with_hub(
    turtle: str, hub: str, token: str | None = None, timeout: float = 10.0, settings: Settings | None = None
) -> HubRegistration:
    """Send every record of the site's description to the hub; the first refusal stops and is raised."""
    if urllib.parse.urlsplit(hub).username is not None:
        # httpx would send the userinfo as Basic auth in place of the bearer token (a 401), and every
        # message naming the hub would print the password
        raise InputError(
            "the hub URL carries a user name or password; the hub signs sites in with a bearer token",
            hint="give the hub's plain URL with --hub and the curator token with --token or FAIRGRID_TOKEN",
        )
    drafts = _records(turtle, settings or Settings.from_env())
    base = hub.rstrip("/")
    headers = {"Content-Type": NT}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    result = HubRegistration(base)
    try:
        with httpx.Client(timeout=timeout, headers=headers) as client:
            for draft in drafts:
                _send(client, base, draft, result, has_token=bool(token))
    except httpx.HTTPError as exc:
        raise Unavailable(
            f"the hub at {base} is unreachable ({exc.__class__.__name__}: {exc})" + _so_far(result),
            hint="check --hub, or write a file with --out and register it with `fairgrid import FILE`",
        ) from exc
    return result


def _records(turtle: str, settings: Settings) -> list[Draft]:
    try:
        triples = [quad.triple for quad in ox.parse(turtle.encode("utf-8"), format=ox.RdfFormat.TURTLE)]
    except SyntaxError as exc:  # our own output did not parse: a bug, not the user's fault
        raise InputError(f"the site description is not valid Turtle: {exc}") from exc
    drafts = split(triples, base_iri=settings.base_iri, allowed=settings.all_allowed_bases).drafts
    # Records the others point at (the site, their publisher) go first, so each later record's
    # references resolve at the hub when it is validated on its own.
    pointed_at = {
        triple.object.value
        for draft in drafts
        for triple in draft.triples
        if isinstance(triple.object, ox.NamedNode)
    }
    return sorted(drafts, key=lambda draft: (draft.iri not in pointed_at, draft.iri))


def _send(client: httpx.Client, base: str, draft: Draft, result: HubRegistration, has_token: bool) -> None:
    body = ox.serialize(draft.triples, format=ox.RdfFormat.N_TRIPLES)
    created = client.post(f"{base}/records", content=body)
    if created.status_code == 201:
        (result.created if _json(created).get("records") else result.unchanged).append(draft.iri)
        return
    if created.status_code != 409:
        raise _refused(created, base, draft.iri, result, has_token)
    # The hub has this record already: update it on top of its current revision.
    url = f"{base}/records/{urllib.parse.quote(draft.iri, safe='')}"
    current = client.get(url, headers={"Accept": "text/turtle"})
    if current.status_code != 200:
        raise _refused(current, base, draft.iri, result, has_token)
    etag = current.headers.get("ETag", "")
    updated = client.put(url, content=body, headers={"If-Match": etag})
    if updated.status_code != 200:
        raise _refused(updated, base, draft.iri, result, has_token)
    revision = _json(updated).get("revision")
    (result.unchanged if f'"{revision}"' == etag else result.updated).append(draft.iri)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _so_far(result: HubRegistration) -> str:
    done = result.done
    return f"; {len(done)} record(s) registered before it: {', '.join(done)}" if done else ""


def _refused(
    response: httpx.Response, base: str, iri: str, result: HubRegistration, has_token: bool
) -> FairgridError:
    status = response.status_code
    problem = _json(response)
    said = str(problem.get("detail") or response.text[:300]).strip()
    message = f"the hub at {base} refused {iri}: HTTP {status} {said}{_so_far(result)}"
    details = {"status": status, "registered": result.done}
    if status == 401:
        text = message if has_token else f"{message} (no token was sent)"
        return Unauthenticated(text, hint=TOKEN_HINT, details=details)
    if status == 403:
        return PermissionDenied(
            message,
            hint="the token's roles do not allow registering records: use a curator token",
            details=details,
        )
    if status == 409:
        return Conflict(message, hint=str(problem.get("hint") or "see the hub's message"), details=details)
    if status == 422 and isinstance(problem.get("violations"), list):
        return ValidationFailed(message, [_violation(item) for item in problem["violations"]])
    if 400 <= status < 500:
        return InputError(message, hint=str(problem.get("hint") or "see the hub's message"), details=details)
    return Unavailable(message, hint="retry later; the hub could not take the records now", details=details)


def _violation(item: Any) -> Violation:
    data = item if isinstance(item, dict) else {}
    return Violation(
        focus_node=str(data.get("focusNode", "")),
        path=data.get("path"),
        constraint=str(data.get("constraint", "")),
        severity=str(data.get("severity", "")),
        message=str(data.get("message", "")),
        value=data.get("value"),
        shape=data.get("shape"),
    )
