"""The one place where fairgrid errors become HTTP responses and GraphQL error extensions."""

from __future__ import annotations

import re
from collections.abc import Sequence
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


# Messages quote what they refuse, and a value can be as long as a request line or a body allows: a
# 5,000-character IRI came back twice in its 404. A word longer than any IRI a person would read (200
# characters) is shown by its first 60 and its length.
_LONG_WORD = re.compile(r"\S{201,}")


def short_words(text: str) -> str:
    """`text` with each word over 200 characters cut to its first 60 and its length."""
    if len(text) <= 200:
        return text
    return _LONG_WORD.sub(lambda m: f"{m.group()[:60]}... ({len(m.group()):,} characters)", text)


def problem(exc: FairgridError) -> dict[str, Any]:
    """An RFC 9457 problem document, with fairgrid's code, hint and details."""
    status = http_status(exc)
    message = short_words(exc.message)
    body: dict[str, Any] = {
        "type": f"https://w3id.org/fairgrid/problems/{exc.code}",
        "title": exc.code.replace("_", " "),
        "status": status,
        "detail": message,
    }
    body.update(exc.to_dict())
    body["message"] = message
    return body


def graphql_extensions(exc: FairgridError) -> dict[str, Any]:
    ext = exc.to_dict()
    ext.pop("message", None)
    ext["status"] = http_status(exc)
    return ext


def www_authenticate(exc: FairgridError) -> dict[str, str]:
    return {"WWW-Authenticate": 'Bearer realm="fairgrid"'} if isinstance(exc, Unauthenticated) else {}


# --- requests the framework refuses before fairgrid code runs ------------------------------------

REQUEST_HINT = "fix what `errors` names (the routes and their parameters are described at /docs)"
_LOCATIONS = {"query": "query parameter", "path": "path segment", "header": "header", "body": "body"}


def request_problem(status: int, code: str, detail: str, hint: str, **extra: Any) -> dict[str, Any]:
    """A problem document for a refusal that is no FairgridError (no route, wrong method, a parameter
    FastAPI's validation refuses), shaped like `problem`'s."""
    return {
        "type": f"https://w3id.org/fairgrid/problems/{code}",
        "title": code.replace("_", " "),
        "status": status,
        "detail": detail,
        "code": code,
        "message": detail,
        "hint": hint,
        **extra,
    }


def _message(e: Any) -> str:
    """The error's message; for JSON that does not parse, with the reason (which holds no input)."""
    msg = str(e.get("msg", ""))
    why = (e.get("ctx") or {}).get("error") if e.get("type") == "json_invalid" else None
    return f"{msg}: {why}" if isinstance(why, str) and why else msg


def validation_problem(errors: Sequence[Any]) -> dict[str, Any]:
    """FastAPI's validation errors as a 422 problem: where and what, never the input itself (it can
    be the whole body, or a secret sent in the wrong field)."""
    found = [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": _message(e),
            "type": str(e.get("type", "")),
        }
        for e in errors
    ]
    parts = []
    for e in found[:5]:
        where, *rest = e["loc"] or ["request"]
        name = ".".join(rest) or where
        parts.append(f"{_LOCATIONS.get(where, where)} {name!r}: {e['msg']}")
    more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
    detail = "; ".join(parts) + more if parts else "the request is not valid"
    return request_problem(422, "invalid_request", detail, REQUEST_HINT, errors=found)


VALIDATION_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "ValidationProblem",
    "description": "RFC 9457 problem document: a parameter or body the request validation refused",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code", "hint", "errors"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "message": {"type": "string"},
        "hint": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}


def document_validation_problems(spec: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with FastAPI's 422 responses described as what is sent: the problem
    document above as application/problem+json."""
    schemas = spec.get("components", {}).get("schemas", {})
    if "HTTPValidationError" not in schemas:
        return spec
    schemas["HTTPValidationError"] = VALIDATION_PROBLEM_SCHEMA
    schemas.pop("ValidationError", None)
    ref = {"$ref": "#/components/schemas/HTTPValidationError"}
    for operations in spec.get("paths", {}).values():
        for op in operations.values():
            r422 = op.get("responses", {}).get("422") if isinstance(op, dict) else None
            if r422 is not None:
                r422["content"] = {"application/problem+json": {"schema": ref}}
    return spec
