"""The one exception tree of fairgrid.

Services raise these; the CLI and `api/` map them to exit codes, HTTP statuses and GraphQL
extensions in one place each. Every error carries a short `hint` saying what to do next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry.redact import redact, redact_value


class FairgridError(Exception):
    """Base of every error fairgrid raises on purpose."""

    code = "error"
    hint = ""

    def __init__(self, message: str, *, hint: str | None = None, details: dict[str, Any] | None = None):
        # messages often name a store or index URL: its credentials never reach a caller or a log
        message = redact(message)
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = redact(hint)
        self.details: dict[str, Any] = redact_value(details) if details else {}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        out.update(self.details)
        return out


# --- the caller sent something wrong -------------------------------------------------------------


class InputError(FairgridError):
    """The input cannot be accepted as given."""

    code = "bad_input"


class RdfSyntaxError(InputError):
    """RDF that does not parse; names the source and line."""

    code = "rdf_syntax"
    hint = "fix the syntax at the reported line and try again"

    def __init__(
        self, message: str, *, source: str = "<input>", line: int | None = None, hint: str | None = None
    ):
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}", hint=hint, details={"source": source, "line": line})
        self.source = source
        self.line = line


class UnreadableInput(InputError):
    """Input that cannot be read at all: a missing file or folder, undecodable bytes, no site home there."""

    code = "unreadable"
    hint = "check the path and that the file can be read"


@dataclass(frozen=True)
class Violation:
    """One SHACL validation result, in plain terms."""

    focus_node: str
    path: str | None
    constraint: str
    severity: str
    message: str
    value: str | None = None
    shape: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "focusNode": self.focus_node,
            "path": self.path,
            "constraint": self.constraint,
            "severity": self.severity,
            "message": self.message,
            "value": self.value,
            "shape": self.shape,
        }


class ValidationFailed(InputError):
    """The record violates its SHACL shapes; nothing was stored."""

    code = "shacl_violation"
    hint = "fix every listed violation (focus node, path, rule) and submit again"

    def __init__(self, message: str, violations: list[Violation], warnings: list[Violation] | None = None):
        super().__init__(message, details={"violations": [v.to_dict() for v in violations]})
        self.violations = violations
        self.warnings = warnings or []


class InvalidIri(InputError):
    """A value given as an IRI (a record, a revision's agent, a filter) that is not one."""

    code = "invalid_iri"
    hint = "send an absolute IRI (percent-encode spaces, quotes and angle brackets)"


class IriNotAllowed(InputError):
    code = "iri_not_allowed"
    hint = (
        "use an IRI under one of the allowed bases or a blank node to have one minted; to keep a "
        "publisher's own IRIs, add its base to FAIRGRID_ALLOWED_BASES or harvest it as a source"
    )


class RecordTooLarge(InputError):
    code = "record_too_large"
    hint = "split the input or raise FAIRGRID_MAX_RECORD_BYTES"


class NoTypedSubject(InputError):
    code = "no_typed_subject"
    hint = "give the record an rdf:type of a known kind (dcat:Dataset, dcat:Catalog, ...)"


class DatatypeError(ValidationFailed):
    """Literals not in their datatype's lexical form; `violations` lists them first, then the SHACL
    violations of the same record, so one round shows every problem."""

    code = "bad_datatype"
    hint = (
        "write each literal in the lexical form its datatype requires (e.g. 2024-01-31 for xsd:date) "
        "and fix every other listed violation"
    )

    def __init__(
        self,
        message: str,
        violations: list[Violation],
        warnings: list[Violation] | None = None,
        literals: list[str] | None = None,
    ):
        super().__init__(message, violations, warnings)
        self.details["literals"] = literals or []


# --- state conflicts ------------------------------------------------------------------------------


class NotFound(FairgridError):
    code = "not_found"
    hint = "check the IRI (or revision number); `fairgrid history IRI` lists revisions"


class Conflict(FairgridError):
    code = "conflict"


class StaleRevision(Conflict):
    code = "stale_revision"
    hint = "fetch the latest revision, re-apply your change on it and submit with that base revision"


class AlreadyExists(Conflict):
    code = "already_exists"
    hint = "update the existing record with its current revision instead of creating it"


class Deprecated(Conflict):
    code = "deprecated"
    hint = "the record is deprecated; register a new record instead"


# --- who may do what -------------------------------------------------------------------------------


class Unauthenticated(FairgridError):
    code = "unauthenticated"
    hint = "send a valid bearer token (`fairgrid dev-token --role ROLE` in development)"


class PermissionDenied(FairgridError):
    code = "forbidden"
    hint = "ask an admin for a role that allows this operation"


# --- the system cannot serve right now ------------------------------------------------------------


class Unavailable(FairgridError):
    """A backend (store, index, site) is down or timed out; retry later."""

    code = "unavailable"
    hint = "retry later; check that the backing service is running"


class AuditUnavailable(Unavailable):
    """An audit log did not take an entry (registry/audit.py AuditSink); services warn, never fail on it."""

    code = "audit_unavailable"
    hint = "check the audit log's file and disk (the hub's audit.sqlite in the registry home)"


class LimitExceeded(InputError):
    code = "limit_exceeded"
    hint = "narrow the request (fewer fields, smaller page, simpler query)"
