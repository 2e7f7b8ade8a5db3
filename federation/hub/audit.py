"""The hub's audit log of feasibility questions: who asked what, when, and how each site answered.

It holds the normalised query, each site's status and precision and the epsilon it spent, never a count:
raw counts never reach the hub, and even the disclosed ones are not kept here. One SQLite file in the
registry home, shared by the hub's worker processes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from federation.auditlog import audit_select

_SCHEMA = """
CREATE TABLE IF NOT EXISTS query (id TEXT PRIMARY KEY, at REAL NOT NULL, user TEXT NOT NULL,
    source TEXT NOT NULL, query_key TEXT NOT NULL, query TEXT NOT NULL, sites TEXT NOT NULL,
    precision TEXT);
CREATE INDEX IF NOT EXISTS query_at ON query (at);
"""


class HubAudit:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        self._con.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: no fsync per question; a killed process loses nothing, a power cut the last entries
        self._con.execute("PRAGMA synchronous=NORMAL")
        self._con.executescript(_SCHEMA)

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

    def entries(
        self, since: float | None = None, user: str | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        names = ("id", "at", "user", "source", "query_key", "query", "sites", "precision")
        sql, params = audit_select("query", names, since, user)
        with self._lock:
            rows = self._con.execute(sql + " LIMIT ?", [*params, limit]).fetchall()
        out = [dict(zip(names, r, strict=True)) for r in rows]
        for e in out:
            e["sites"] = json.loads(e["sites"])
        return out

    def close(self) -> None:
        self._con.close()
