"""The audit port: a service whose action others rely on (a publication to Zenodo) leaves one entry per event.

The adapter is the hub's audit log (federation/hub/audit.py `HubAudit.record_event`), chosen where the
services are built (api/federation.py). registry/ knows only this Protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class AuditSink(Protocol):
    def record_event(self, user: str, event: str, iri: str, detail: Mapping[str, Any]) -> None:
        """One entry: who (the token subject), what happened (`published`, ...), to which record, and
        JSON-able facts. Raises registry.errors.AuditUnavailable when the entry could not be kept."""
        ...
