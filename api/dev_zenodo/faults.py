"""Injected failures, so clients' retries can be tested: N answers of 429 or 5xx on the requests that match.

A fault is `{"route": "/api/deposit/depositions/*/actions/publish", "method": "POST", "status": 429,
"count": 2, "retry_after": 1, "after": false}`. `route` is an fnmatch pattern on the path (`*` also
crosses `/`). With `after: true` the request is carried out first and only its answer is replaced: the
client sees a failure for a change that happened (a lost response), the case that makes retries create
duplicates. The same text form serves the CLI: `--fail "route=/api/files/*,status=503,count=2,method=PUT"`.
`--fail-rate R` fails each API request with probability R (503, before it is carried out; seeded).
`--rate-limit N` limits API requests to N per minute per client address, as Zenodo does (its documented
limit for signed-in users is 100 a minute): every API answer then carries X-RateLimit-Limit/-Remaining/-Reset
and the request over the limit gets 429 with Retry-After.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase
from typing import Any

RATE_LIMIT = 100  # Zenodo's documented limit for signed-in users: 100 requests per minute


class FaultError(ValueError):
    """A fault description that cannot be used."""


@dataclass
class Fault:
    route: str
    status: int = 503
    count: int = 1
    method: str = "*"
    retry_after: int | None = None
    after: bool = False

    def matches(self, method: str, path: str) -> bool:
        return self.count > 0 and self.method in ("*", method) and fnmatchcase(path, self.route)


def parse(raw: object) -> Fault:
    """A Fault from JSON (the admin endpoint) or from `key=value,...` text (the CLI); FaultError if wrong."""
    if isinstance(raw, str):
        items: dict[str, Any] = {}
        for part in raw.split(","):
            key, sep, value = part.partition("=")
            if not sep:
                raise FaultError(f"expected key=value, got {part!r}")
            items[key.strip()] = value.strip()
        raw = items
    if not isinstance(raw, dict):
        raise FaultError("a fault is a JSON object")
    unknown = set(raw) - {"route", "status", "count", "method", "retry_after", "after"}
    if unknown:
        raise FaultError(f"unknown fault keys: {', '.join(sorted(unknown))}")
    route = raw.get("route")
    if not isinstance(route, str) or not route.startswith("/"):
        raise FaultError("route must be a path pattern starting with /")
    status = _int(raw.get("status", 503), "status")
    if status != 429 and not 500 <= status <= 599:
        raise FaultError("status must be 429 or 5xx")
    count = _int(raw.get("count", 1), "count")
    retry = raw.get("retry_after")
    retry_after = None if retry in (None, "") else _int(retry, "retry_after")
    if status == 429 and retry_after is None:
        retry_after = 1
    method = str(raw.get("method", "*")).upper()
    if method not in ("*", "GET", "POST", "PUT", "DELETE"):
        raise FaultError("method must be GET, POST, PUT, DELETE or *")
    after = raw.get("after", False)
    if isinstance(after, str):
        after = after.lower() in ("1", "true", "yes")
    if not isinstance(after, bool):
        raise FaultError("after must be true or false")
    return Fault(route, status, count, method, retry_after, after)


def _int(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise FaultError(f"{name} must be a whole number")
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise FaultError(f"{name} must be a whole number") from None
    if number < 0 or number > 10**6:
        raise FaultError(f"{name} out of range")
    return number


class Faults:
    def __init__(self, rate: float = 0.0, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.rate = rate
        self._random = random.Random(seed)
        self.injected = 0

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def listed(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(f) for f in self._faults if f.count > 0]

    def take(self, method: str, path: str, *, after: bool) -> Fault | None:
        """The fault to answer this request with (one use of it), if any."""
        with self._lock:
            for fault in self._faults:
                if fault.after == after and fault.matches(method, path):
                    fault.count -= 1
                    self.injected += 1
                    return fault
            if not after and self.rate > 0 and path.startswith("/api/") and self._random.random() < self.rate:
                self.injected += 1
                return Fault(path, 503)
        return None


class RateLimit:
    """Fixed one-minute windows per client address (Zenodo's limiter counts per user or address)."""

    WINDOW = 60

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.time) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}

    def check(self, client: str) -> tuple[dict[str, str], Fault | None]:
        """The headers for this answer, and a 429 fault when the client is over its limit."""
        now = int(self._clock())
        start = now - now % self.WINDOW
        with self._lock:
            began, used = self._windows.get(client, (start, 0))
            if began != start:
                used = 0
            used += 1
            self._windows[client] = (start, used)
        reset = start + self.WINDOW
        out = {
            "X-RateLimit-Limit": str(self.per_minute),
            "X-RateLimit-Remaining": str(max(self.per_minute - used, 0)),
            "X-RateLimit-Reset": str(reset),
        }
        if used > self.per_minute:
            return out, Fault("/", 429, retry_after=max(reset - now, 1))
        return out, None


def headers(fault: Fault) -> dict[str, str]:
    out: dict[str, str] = {}
    if fault.retry_after is not None:
        out["Retry-After"] = str(fault.retry_after)
    if fault.status == 429:
        reset = int(time.time()) + (fault.retry_after or 0)
        out.update(
            {
                "X-RateLimit-Limit": str(RATE_LIMIT),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(reset),
            }
        )
    return out


def body(fault: Fault) -> dict[str, Any]:
    if fault.status == 429:
        return {
            "status": 429,
            "message": "Too Many Requests: rate limit exceeded (injected by the local Zenodo).",
        }
    return {"status": fault.status, "message": "Internal server error (injected by the local Zenodo)."}
