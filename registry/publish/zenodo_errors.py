"""The Zenodo client's errors: one tree under `ZenodoError`, each also a subclass of the registry error it
is (InputError, NotFound, Conflict, Unavailable), so `api/errors.py` maps them without knowing Zenodo; and
the reading of Zenodo's error bodies (`message`, `errors[{field, messages}]`)."""

from __future__ import annotations

from typing import Any

import httpx

from registry.errors import Conflict, FairgridError, InputError, NotFound, Unavailable

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class ZenodoError(FairgridError):
    """Base of everything the Zenodo client raises; `status` is Zenodo's HTTP status (None: no answer)."""

    code = "zenodo_error"
    status: int | None = None

    @property
    def field_errors(self) -> list[dict[str, Any]]:
        return list(self.details.get("errors", []))


class ZenodoRejected(ZenodoError, InputError):
    """Zenodo refused the request (400 and other 4xx): `errors` lists its field messages."""

    code = "zenodo_rejected"
    hint = "fix the listed fields (Zenodo's own messages) and publish again"


class ZenodoTokenRejected(ZenodoError, Unavailable):
    """401/403: the configured token is missing, wrong or lacks the deposit scopes. The caller of fairgrid
    cannot fix that, the operator can: so it is an unavailable backend, not the caller's permission."""

    code = "zenodo_token_rejected"
    hint = (
        "check FAIRGRID_ZENODO_TOKEN (or FAIRGRID_ZENODO_SANDBOX_TOKEN for the sandbox): a personal access "
        "token with the deposit:write and deposit:actions scopes, for the Zenodo instance you target"
    )


class ZenodoNotFound(ZenodoError, NotFound):
    code = "zenodo_not_found"
    hint = "the deposition does not exist or is published and not open for editing"


class ZenodoConflict(ZenodoError, Conflict):
    code = "zenodo_conflict"
    hint = "the deposition changed on Zenodo meanwhile; publish again to resume"


class ZenodoTooLarge(ZenodoError, InputError):
    code = "zenodo_too_large"
    hint = "the file is over Zenodo's size limit; publish a smaller package"


class ZenodoUnavailable(ZenodoError, Unavailable):
    """No answer, or still 429/5xx after every retry, or a transfer that arrived damaged."""

    code = "zenodo_unavailable"
    hint = "retry later; publishing again resumes the same deposition"


def error_for(status: int, message: str, errors: list[dict[str, Any]]) -> ZenodoError:
    cls: type[ZenodoError]
    if status in (401, 403):
        cls = ZenodoTokenRejected
    elif status == 404:
        cls = ZenodoNotFound
    elif status in (409, 412):
        cls = ZenodoConflict
    elif status == 413:
        cls = ZenodoTooLarge
    elif status in RETRY_STATUSES:
        cls = ZenodoUnavailable
    else:
        cls = ZenodoRejected
    exc = cls(
        message, details={"zenodo_status": status, "errors": errors} if errors else {"zenodo_status": status}
    )
    exc.status = status
    return exc


def errors_of(response: httpx.Response, secret: str) -> tuple[str, list[dict[str, Any]]]:
    """Zenodo's `message` and `errors[{field, messages}]` from an error body, kept short and plain, and
    with the token masked should a server ever echo it."""

    def plain(value: Any, limit: int) -> str:
        text = str(value)[:limit]
        return text.replace(secret, "***") if secret else text

    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or "error", []
    if not isinstance(body, dict):
        return response.reason_phrase or "error", []
    message = plain(body.get("message") or response.reason_phrase or "error", 500)
    errors: list[dict[str, Any]] = []
    items = body.get("errors")
    for item in items[:50] if isinstance(items, list) else []:
        if isinstance(item, dict):
            messages = item.get("messages") or item.get("message") or []
            if not isinstance(messages, list):
                messages = [messages]
            errors.append(
                {
                    "field": plain(item.get("field", ""), 200),
                    "messages": [plain(m, 300) for m in messages[:20]],
                }
            )
    return message, errors
