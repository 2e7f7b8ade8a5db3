"""The one place where fairgrid errors become HTTP responses and GraphQL error extensions."""

from __future__ import annotations

from typing import Any

from registry.errors import (
    Conflict,
    DatatypeError,
    FairgridError,
    InputError,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    RecordTooLarge,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)

# Most specific first: the first class in an error's MRO found here decides.
_STATUS: dict[type[FairgridError], int] = {
    DatatypeError: 400,  # a ValidationFailed (it lists SHACL's results too), but malformed input first
    ValidationFailed: 422,
    RecordTooLarge: 413,
    LimitExceeded: 400,
    InputError: 400,
    NotFound: 404,
    Conflict: 409,
    Unauthenticated: 401,
    PermissionDenied: 403,
    Unavailable: 503,
}


def http_status(exc: FairgridError) -> int:
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 500


def problem(exc: FairgridError) -> dict[str, Any]:
    """An RFC 9457 problem document, with fairgrid's code, hint and details."""
    status = http_status(exc)
    body: dict[str, Any] = {
        "type": f"https://w3id.org/fairgrid/problems/{exc.code}",
        "title": exc.code.replace("_", " "),
        "status": status,
        "detail": exc.message,
    }
    body.update(exc.to_dict())
    return body


def graphql_extensions(exc: FairgridError) -> dict[str, Any]:
    ext = exc.to_dict()
    ext.pop("message", None)
    ext["status"] = http_status(exc)
    return ext


def www_authenticate(exc: FairgridError) -> dict[str, str]:
    return {"WWW-Authenticate": 'Bearer realm="fairgrid"'} if isinstance(exc, Unauthenticated) else {}
