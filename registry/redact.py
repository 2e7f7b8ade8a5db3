"""Credentials out of messages and logs: store and index URLs may carry `user:password@` or a token in
their query string (FAIRGRID_STORE_URL, FAIRGRID_SEARCH_URL), and those URLs end up in error messages,
readiness reports and log lines. Everything fairgrid says passes through `redact` first."""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "***"
# scheme://user:password@ or scheme://token@ (the userinfo part of any URL)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#\s@'\"<>]+@")
# ?token=... &access_token=... ;api_key=... and the like, up to the next separator
_SECRET_PARAMS = (
    "access_token|refresh_token|id_token|token|api_key|apikey|api-key|key|password|passwd|pwd|secret|"
    "client_secret|auth|authorization|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token"
)
_PARAM = re.compile(rf"(?i)([?&;](?:{_SECRET_PARAMS})=)[^&#;\s'\"<>]+")


def redact(text: str) -> str:
    """`text` with URL credentials masked: http://***@host/?token=*** (the rest kept, for diagnosis)."""
    if "@" not in text and "=" not in text:
        return text  # the common case, without running the expressions
    return _PARAM.sub(rf"\g<1>{MASK}", _USERINFO.sub(rf"\g<1>{MASK}@", text))


def without_credentials(url: str) -> str:
    """`url` fit to publish (a harvested record's fg:harvestedFrom): the userinfo dropped, secret query
    parameters masked (http://host/?token=***); still an IRI."""
    return _PARAM.sub(rf"\g<1>{MASK}", _USERINFO.sub(r"\g<1>", url))


def redact_value(value: Any) -> Any:
    """Strings redacted inside the JSON-like values of error details (lists, dicts)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    return value


def _redact_arg(arg: Any) -> Any:
    if isinstance(arg, str):
        return redact(arg)
    if arg is None or isinstance(arg, int | float):
        return arg
    text = str(arg)  # an exception or a URL object: replaced by its text only when that held a secret
    masked = redact(text)
    return arg if masked == text else masked


def install_log_redaction() -> None:
    """Redact every log record this process makes (any logger: fairgrid's, httpx's, uvicorn's): its
    message, its arguments (kept as arguments, for formatters that read them) and its traceback.
    Idempotent; costs nothing for records no logger lets through (the factory runs after the level check)."""
    current = logging.getLogRecordFactory()
    if getattr(current, "fairgrid_redacts", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        try:
            if isinstance(record.msg, str):
                record.msg = redact(record.msg)
            if isinstance(record.args, tuple):
                record.args = tuple(_redact_arg(a) for a in record.args)
            elif isinstance(record.args, dict):
                record.args = {k: _redact_arg(v) for k, v in record.args.items()}
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
        except Exception:  # noqa: BLE001 - logging must never fail because of redaction
            pass
        return record

    factory.fairgrid_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
