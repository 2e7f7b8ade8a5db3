"""Disclosure control at the site: what a true count becomes before it may leave, and the ledger behind it.

Order: quota (per user, per minute and day) -> privacy budget (sum of epsilons per user) -> noise -> rounding
-> threshold. Laplace noise (sensitivity 1) is drawn once per (normalised query, true count) and kept, so
repeating a question, or spelling it differently (one normal form), returns the same answer and spends
nothing more: averaging cannot wash the noise out. Without noise the threshold applies to the true count;
with noise, to the noisy one (post-processing keeps the epsilon guarantee).

The ledger is one SQLite file in the site home, so quotas, budgets and drawn noise survive restarts and are
shared by every process of the site. It never holds a raw count: the noise table is keyed by an HMAC of
(query, count) under the site's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from federation.auditlog import audit_select
from federation.site.policy import Policy

_SCHEMA = """
CREATE TABLE IF NOT EXISTS noise (cell TEXT PRIMARY KEY, value REAL NOT NULL);
CREATE TABLE IF NOT EXISTS request (user TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS request_user_at ON request (user, at);
CREATE TABLE IF NOT EXISTS spent (user TEXT PRIMARY KEY, epsilon REAL NOT NULL);
CREATE TABLE IF NOT EXISTS audit (at REAL NOT NULL, user TEXT NOT NULL, query_id TEXT NOT NULL,
    query TEXT NOT NULL, status TEXT NOT NULL, precision TEXT, released TEXT, epsilon REAL NOT NULL,
    reason TEXT);
"""


class Status(StrEnum):
    OK = "OK"
    REFUSED = "REFUSED"
    ERROR = "ERROR"


class Precision(StrEnum):
    EXACT = "EXACT"
    ROUNDED = "ROUNDED"
    NOISY = "NOISY"
    BELOW_THRESHOLD = "BELOW_THRESHOLD"  # the count is under `threshold`; the number is not given


@dataclass(frozen=True)
class Answer:
    """What leaves the site for one query."""

    status: Status
    count: int | None = None
    precision: Precision | None = None
    threshold: int | None = None  # with BELOW_THRESHOLD: the count is below this
    epsilon: float = 0.0  # spent by this answer
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "count": self.count,
            "precision": self.precision.value if self.precision else None,
            "threshold": self.threshold,
            "epsilon": self.epsilon,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Answer:
        return cls(
            Status(d["status"]),
            d.get("count"),
            Precision(d["precision"]) if d.get("precision") else None,
            d.get("threshold"),
            float(d.get("epsilon") or 0.0),
            d.get("reason"),
        )


def laplace(scale: float, rng: random.Random) -> float:
    """One draw of Laplace(0, scale) by inverting its distribution function."""
    u = rng.random() - 0.5
    return -scale * math.copysign(1.0, u) * math.log(1 - 2 * abs(u))


class Ledger:
    def __init__(self, path: Path, secret: str, rng: random.Random | None = None) -> None:
        self.path = path
        self._key = hashlib.sha256(f"fairgrid-noise:{secret}".encode()).digest()
        self._rng = rng or random.SystemRandom()
        # One connection per ledger, in autocommit mode so each step is its own BEGIN IMMEDIATE; WAL keeps
        # the site's other processes reading while one writes.
        self._con = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=NORMAL")
        self._con.executescript(_SCHEMA)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        # One short immediate transaction per step: check-and-spend is atomic across the site's processes.
        with self._lock:
            con = self._con
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def close(self) -> None:
        self._con.close()

    def _cell(self, query_id: str, true_count: int) -> str:
        return hmac.new(self._key, f"{query_id}:{true_count}".encode(), hashlib.sha256).hexdigest()

    def disclose(
        self, policy: Policy, user: str, query_id: str, true_count: int, now: float | None = None
    ) -> Answer:
        now = time.time() if now is None else now
        with self._tx() as con:
            refusal = self._quota(con, policy, user, now)
            if refusal is not None:
                return refusal
            con.execute("INSERT INTO request VALUES (?, ?)", (user, now))
            if policy.epsilon is None:
                return _release(policy, float(true_count), true_count)
            cell = self._cell(query_id, true_count)
            row = con.execute("SELECT value FROM noise WHERE cell = ?", (cell,)).fetchone()
            if row is not None:  # asked before: the same answer, nothing more spent
                return _release(policy, row[0], true_count)
            spent_row = con.execute("SELECT epsilon FROM spent WHERE user = ?", (user,)).fetchone()
            spent = spent_row[0] if spent_row else 0.0
            if policy.budget is not None and spent + policy.epsilon > policy.budget + 1e-12:
                return Answer(Status.REFUSED, reason=f"privacy budget spent ({spent:g} of {policy.budget:g})")
            value = true_count + laplace(1.0 / policy.epsilon, self._rng)
            con.execute("INSERT INTO noise VALUES (?, ?)", (cell, value))
            con.execute(
                "INSERT INTO spent VALUES (?, ?) ON CONFLICT (user) DO UPDATE SET epsilon = epsilon + ?",
                (user, policy.epsilon, policy.epsilon),
            )
            answer = _release(policy, value, true_count)
            return Answer(answer.status, answer.count, answer.precision, answer.threshold, policy.epsilon)

    @staticmethod
    def _quota(con: sqlite3.Connection, policy: Policy, user: str, now: float) -> Answer | None:
        for limit, span, name in ((policy.per_minute, 60, "minute"), (policy.per_day, 86400, "day")):
            if limit is None:
                continue
            (n,) = con.execute(
                "SELECT count(*) FROM request WHERE user = ? AND at > ?", (user, now - span)
            ).fetchone()
            if n >= limit:
                return Answer(Status.REFUSED, reason=f"quota reached: {limit} queries per {name}")
        return None

    def spent(self, user: str) -> float:
        with self._tx() as con:
            row = con.execute("SELECT epsilon FROM spent WHERE user = ?", (user,)).fetchone()
        return float(row[0]) if row else 0.0

    def clear_noise(self) -> None:
        """Forget drawn noise (benchmarks only: it lets a repeated query be evaluated afresh)."""
        with self._tx() as con:
            con.execute("DELETE FROM noise")

    def audit(self, user: str, query_id: str, query: str, answer: Answer, now: float | None = None) -> None:
        released = None if answer.count is None else str(answer.count)
        if answer.precision is Precision.BELOW_THRESHOLD:
            released = f"<{answer.threshold}"
        with self._tx() as con:
            con.execute(
                "INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    time.time() if now is None else now,
                    user,
                    query_id,
                    query,
                    answer.status.value,
                    answer.precision.value if answer.precision else None,
                    released,
                    answer.epsilon,
                    answer.reason,
                ),
            )

    def audit_log(self, since: float | None = None, user: str | None = None) -> list[dict[str, Any]]:
        names = ("at", "user", "query_id", "query", "status", "precision", "released", "epsilon", "reason")
        sql, params = audit_select("audit", names, since, user)
        with self._tx() as con:
            rows = con.execute(sql, params).fetchall()
        return [dict(zip(names, r, strict=True)) for r in rows]


def _release(policy: Policy, value: float, true_count: int) -> Answer:
    noisy = policy.epsilon is not None
    rounded = policy.rounding * round(value / policy.rounding) if policy.rounding > 1 else round(value)
    rounded = max(0, int(rounded))
    small = (rounded if noisy else true_count) < policy.threshold
    if small:
        return Answer(Status.OK, None, Precision.BELOW_THRESHOLD, policy.threshold)
    if noisy:
        return Answer(Status.OK, rounded, Precision.NOISY)
    return Answer(Status.OK, rounded, Precision.ROUNDED if policy.rounding > 1 else Precision.EXACT)
