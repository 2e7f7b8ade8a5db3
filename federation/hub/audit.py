"""The hub's audit log of feasibility questions: who asked what, when, and how each site answered.

It holds the normalised query, each site's status and precision and the epsilon it spent, never a count:
raw counts never reach the hub, and even the disclosed ones are not kept here. One SQLite file in the
registry home, shared by the hub's worker processes. Training-job decisions share the `query` table
(federation/jobs/audit_entry.py); registry events (publications to Zenodo, through the registry's
AuditSink port, registry/audit.py) are in `event`. `entries` lists both in one shape.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from federation.auditlog import audit_select
from registry.errors import AuditUnavailable
from registry.identity import AGENT_IRI_PREFIX, Identity

_SCHEMA = """
CREATE TABLE IF NOT EXISTS query (id TEXT PRIMARY KEY, at REAL NOT NULL, user TEXT NOT NULL,
    source TEXT NOT NULL, query_key TEXT NOT NULL, query TEXT NOT NULL, sites TEXT NOT NULL,
    precision TEXT);
CREATE INDEX IF NOT EXISTS query_at ON query (at);
CREATE TABLE IF NOT EXISTS event (id TEXT PRIMARY KEY, at REAL NOT NULL, user TEXT NOT NULL,
    event TEXT NOT NULL, iri TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS event_at ON event (at);
"""
# Publications before they came here: a JSON line each in <home>/publish/audit.jsonl, next to this log
# (PublishService's former log); imported once when the log opens, the file then renamed *.imported
LEGACY_PUBLISH_LOG = Path("publish") / "audit.jsonl"
LEGACY_MAX_LINE = 64 * 1024  # characters; an entry was a few hundred
log = logging.getLogger("fairgrid.audit")


class HubAudit:
    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        try:  # a folder there, a file that is no SQLite database, no permission: said, not a traceback
            path.parent.mkdir(parents=True, exist_ok=True)
            self._con = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            try:
                self._con.execute("PRAGMA journal_mode=WAL")
                # WAL + NORMAL: no fsync per question; a killed process loses nothing, a power cut
                # the last entries
                self._con.execute("PRAGMA synchronous=NORMAL")
                self._con.executescript(_SCHEMA)
            except sqlite3.Error:
                self._con.close()
                raise
        except (sqlite3.Error, OSError) as exc:
            raise AuditUnavailable(f"cannot open the hub audit log {path}: {exc}") from exc
        self._import_legacy(path.parent / LEGACY_PUBLISH_LOG)

    def record(
        self,
        query_id: str,
        user: str,
        source: str,
        query_key: str,
        query: str,
        sites: list[dict[str, Any]],
        precision: str | None,
    ) -> None:
        """`sites`: one {site, status, precision, epsilon} per site asked (no counts)."""
        row = (query_id, time.time(), user, source, query_key, query, json.dumps(sites), precision)
        with self._lock:
            self._con.execute("INSERT INTO query VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)

    def record_event(self, user: str, event: str, iri: str, detail: Mapping[str, Any]) -> None:
        """registry/audit.py's AuditSink: one registry event (a publication: its DOI, revision, ...)."""
        try:  # ValueError: NaN, a lone surrogate (no UTF-8); TypeError: not JSON-able: still the port's error
            detail_json = json.dumps(dict(detail), allow_nan=False)
            row = (f"{event}-{uuid.uuid4().hex[:16]}", time.time(), user, event, iri, detail_json)
            with self._lock:
                self._con.execute("INSERT INTO event VALUES (?, ?, ?, ?, ?, ?)", row)
        except (sqlite3.Error, OSError, ValueError, TypeError, RecursionError) as exc:
            raise AuditUnavailable(f"the hub audit log did not take {event} of {iri} ({exc})") from exc

    def _import_legacy(self, legacy: Path) -> None:
        try:  # bytes: a line that is no UTF-8 is skipped like any other non-entry, not the whole file
            lines = legacy.read_bytes().splitlines()
        except FileNotFoundError:
            return
        except OSError as exc:  # the log opens all the same, the import waits
            log.warning("%s not imported: %s", legacy, exc)
            return
        rows = []
        for number, raw in enumerate(lines, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                log.warning("%s line %d: not UTF-8, not imported: %s", legacy, number, exc)
                continue
            if not line:
                continue
            try:
                if len(line) > LEGACY_MAX_LINE:
                    raise ValueError("too long")
                e = json.loads(line)
                at = datetime.fromisoformat(e.pop("at")).timestamp()
                datetime.fromtimestamp(at)  # a time `fairgrid audit` can print (years 1 to 9999)
                # the line's hash as id: a second process importing at the same time adds nothing
                event, iri, by = (_utf8(v) for v in (e.pop("event"), e.pop("iri"), e.pop("by", "unknown")))
                by = _legacy_user(by)
                id_ = f"{event}-{hashlib.sha256(line.encode()).hexdigest()[:16]}"
                rows.append((id_, at, by, event, iri, json.dumps(e, allow_nan=False)))
            except (ValueError, KeyError, TypeError, AttributeError, OverflowError, OSError, RecursionError):
                # UnicodeEncodeError is a ValueError; RecursionError: nested too deeply to read
                log.warning("%s line %d: not a publication entry, not imported: %.100s", legacy, number, line)
        with self._lock:
            self._con.executemany("INSERT OR IGNORE INTO event VALUES (?, ?, ?, ?, ?, ?)", rows)
        done = legacy.with_name(legacy.name + ".imported")
        if done.exists():  # an earlier import's file keeps the lines it could not take: not replaced
            done = done.with_name(f"{done.name}.{time.time_ns()}-{os.getpid()}")
        try:  # renamed once imported; importing it again would add nothing (the ids)
            legacy.replace(done)
        except FileNotFoundError:
            pass  # another process renamed it first
        except OSError as exc:
            log.warning("%s imported but not renamed: %s", legacy, exc)

    def entries(
        self, since: float | None = None, user: str | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """The oldest `limit` entries since `since`: questions and job decisions (`detail` None) and
        registry events (`source` the event, `query` the record IRI, no sites), in time order."""
        names = ("id", "at", "user", "source", "query_key", "query", "sites", "precision")
        sql, params = audit_select("query", names, since, user)
        ev_names = ("id", "at", "user", "event", "iri", "detail")
        ev_sql, ev_params = audit_select("event", ev_names, since, user)
        with self._lock:
            rows = self._con.execute(sql + " LIMIT ?", [*params, limit]).fetchall()
            events = self._con.execute(ev_sql + " LIMIT ?", [*ev_params, limit]).fetchall()
        out = [dict(zip(names, r, strict=True)) for r in rows]
        for e in out:
            e["sites"] = json.loads(e["sites"])
            e["detail"] = None
        for id_, at, who, event, iri, detail in events:
            out.append({"id": id_, "at": at, "user": who, "source": event, "query_key": iri, "query": iri,
                        "sites": [], "precision": None, "detail": json.loads(detail)})  # fmt: skip
        out.sort(key=lambda e: float(e["at"]))
        return out[:limit]

    def close(self) -> None:
        self._con.close()


def _legacy_user(by: str) -> str:
    """The user id today's entries hold (the token subject) for the former log's `by`, the caller's
    agent IRI: fairgrid's own `urn:fairgrid:agent:<subject>` maps back to the subject. Any other IRI
    (a subject that was an IRI itself, used as its own agent IRI) or an IRI that `agent_iri` would not
    have minted is kept as it is: no subject it could be traced back to."""
    if by.startswith(AGENT_IRI_PREFIX):
        subject = unquote(by.removeprefix(AGENT_IRI_PREFIX))
        if Identity(subject).agent_iri == by:  # only a round trip: '%41' or a non-subject stays an IRI
            return subject
    return by


def _utf8(value: Any) -> str:
    """A legacy entry's text as SQLite takes it: a lone surrogate (JSON's "\\ud800") raises ValueError."""
    text = str(value)
    text.encode("utf-8")
    return text
