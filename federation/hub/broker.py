"""The hub's end of the site connections: who is connected, fan-out of one question, answers by deadline.

Sites dial out to the hub and keep one connection each (`Link`); the broker never dials a site. A question
goes to every asked site at once and the broker waits until all have answered or the deadline passes,
whichever comes first; what has not arrived by then is TIMEOUT, and a late answer is dropped and logged.
A site that disconnects while a question is open is ERROR for that question. Every request is signed with
the hub's key; every answer must carry a valid signature of the site's own key (held in its registry
record) or it is dropped as forged.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from federation.signing import ProtocolError, ReplayGuard, open_envelope, public_key, public_text, seal
from registry.errors import PermissionDenied

log = logging.getLogger("fairgrid.federation")
MAX_REASON = 500  # characters of a site's reason passed on


class SiteStatus(StrEnum):
    OK = "OK"
    TIMEOUT = "TIMEOUT"
    ERROR = "ERROR"
    REFUSED = "REFUSED"
    NOT_CONNECTED = "NOT_CONNECTED"


@dataclass(frozen=True)
class SiteReply:
    site: str
    status: SiteStatus
    answer: dict[str, Any] | None = None  # the site's disclosed answer (federation.site.disclosure.Answer)
    reason: str | None = None


class Link(Protocol):
    """One site's open connection (a WebSocket in the API; anything that sends text in tests)."""

    async def send_text(self, data: str) -> None: ...


@dataclass
class _Session:
    site: str
    link: Link
    key: Ed25519PublicKey
    pending: dict[str, asyncio.Future[SiteReply]] = field(default_factory=dict)


class Broker:
    def __init__(self, key: Ed25519PrivateKey, site_key: Callable[[str], str | None]) -> None:
        """`site_key(site_id)`: the site's registered public key (base64), None when it has none."""
        self._key = key
        self._site_key = site_key
        self._sessions: dict[str, _Session] = {}
        self._guard = ReplayGuard()

    @property
    def public_key(self) -> str:
        return public_text(self._key)

    def connected(self) -> set[str]:
        return set(self._sessions)

    def welcome(self, site: str, hello: Any) -> Ed25519PublicKey:
        """Check a site's signed hello against its registered key; the key to verify its answers with."""
        registered = self._site_key(site)
        if not registered:
            raise PermissionDenied(
                f"site {site} has no public key in its registry record",
                hint="register the site's description (fairgrid site describe --hub ...) first",
            )
        key = public_key(registered)
        body = open_envelope(hello, key, self._guard)
        if body.get("type") != "hello" or body.get("site") != site:
            raise ProtocolError("the hello names another site")
        return key

    def attach(self, site: str, link: Link, key: Ed25519PublicKey) -> None:
        old = self._sessions.get(site)
        if old is not None:
            self._fail_pending(old, "the site reconnected")
        self._sessions[site] = _Session(site, link, key)
        log.info("site %s connected", site)

    def detach(self, site: str, link: Link) -> None:
        session = self._sessions.get(site)
        if session is not None and session.link is link:
            del self._sessions[site]
            self._fail_pending(session, "the site disconnected")
            log.info("site %s disconnected", site)

    def cut_off(self, site: str, link: Link, why: str) -> None:
        """`site` sent what the hub will not read (too large): every question open with it is ERROR."""
        session = self._sessions.get(site)
        if session is not None and session.link is link:
            self._fail_pending(session, why)

    @staticmethod
    def _fail_pending(session: _Session, why: str) -> None:
        for fut in session.pending.values():
            if not fut.done():
                fut.set_result(SiteReply(session.site, SiteStatus.ERROR, reason=why))
        session.pending.clear()

    def receive(self, site: str, msg: Any) -> None:
        """An answer from `site`: resolve its question, or drop it (forged, replayed, late, unknown)."""
        session = self._sessions.get(site)
        if session is None:
            return
        try:
            body = open_envelope(msg, session.key, self._guard)
        except ProtocolError as exc:
            log.warning("dropped a message from site %s: %s", site, exc.message)
            return
        if body.get("type") != "answer" or body.get("site") != site:
            log.warning("dropped a message from site %s: not an answer of its own", site)
            return
        fut = session.pending.pop(str(body.get("id")), None)
        if fut is None or fut.done():
            log.info("late answer from site %s to %s dropped", site, body.get("id"))
            return
        checked = checked_answer(body.get("answer"))
        if isinstance(checked, str):
            log.warning("malformed answer from site %s to %s: %s", site, body.get("id"), checked)
            fut.set_result(SiteReply(site, SiteStatus.ERROR, reason=f"malformed answer: {checked}"))
            return
        status = {"OK": SiteStatus.OK, "REFUSED": SiteStatus.REFUSED}.get(checked["status"], SiteStatus.ERROR)
        fut.set_result(SiteReply(site, status, checked, checked["reason"]))

    @staticmethod
    async def _send(session: _Session, qid: str, text: str, fut: asyncio.Future[SiteReply]) -> None:
        try:
            await session.link.send_text(text)
        except Exception as exc:  # the connection broke under us: this site only
            session.pending.pop(qid, None)
            if not fut.done():
                fut.set_result(
                    SiteReply(session.site, SiteStatus.ERROR, reason=f"send failed: {type(exc).__name__}")
                )

    async def ask(
        self, sites: list[str], user: str, criteria: dict[str, Any], deadline_s: float
    ) -> dict[str, SiteReply]:
        """Each site's reply by the deadline; sites without a connection are NOT_CONNECTED at once."""
        loop = asyncio.get_running_loop()
        qid = uuid.uuid4().hex
        waiting: dict[str, asyncio.Future[SiteReply]] = {}
        sends: list[asyncio.Task[None]] = []
        out: dict[str, SiteReply] = {}
        for site in sites:
            session = self._sessions.get(site)
            if session is None:
                out[site] = SiteReply(site, SiteStatus.NOT_CONNECTED)
                continue
            fut: asyncio.Future[SiteReply] = loop.create_future()
            session.pending[qid] = fut
            waiting[site] = fut
            body: dict[str, Any] = {"type": "feasibility", "id": qid, "site": site, "user": user}
            body.update(criteria=criteria, deadline=time.time() + deadline_s)
            # every site at once, and within the deadline: a site that stops reading its socket blocks a
            # send (backpressure), which must hold up neither the others nor the question
            sends.append(asyncio.create_task(self._send(session, qid, _dumps(seal(body, self._key)), fut)))
        try:
            if waiting:
                await asyncio.wait(waiting.values(), timeout=max(0.0, deadline_s))
        finally:
            for task in sends:
                task.cancel()
        for site, fut in waiting.items():
            if fut.done():
                out[site] = fut.result()
            else:
                session = self._sessions.get(site)
                if session is not None:
                    session.pending.pop(qid, None)
                fut.cancel()
                out[site] = SiteReply(site, SiteStatus.TIMEOUT, reason=f"no answer within {deadline_s:g} s")
        return {s: out[s] for s in sites}


MAX_COUNT = 2**53  # above any real cohort, and what JSON readers hold exactly


def _whole(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value < MAX_COUNT


def checked_answer(answer: Any) -> dict[str, Any] | str:
    """A site's answer reduced to the disclosed fields (federation.site.disclosure.Answer), or why it is
    malformed: a site that is broken or hostile cannot break the total, slip a count under its own
    threshold past it, or pass anything else (patient-level data) through the hub."""
    if not isinstance(answer, dict):
        return "not an object"
    status, precision = answer.get("status"), answer.get("precision")
    count, threshold = answer.get("count"), answer.get("threshold")
    epsilon, reason = answer.get("epsilon") or 0.0, answer.get("reason")
    if status not in ("OK", "REFUSED", "ERROR"):
        return "status is not OK, REFUSED or ERROR"
    if not isinstance(epsilon, int | float) or isinstance(epsilon, bool) or not 0 <= epsilon < float("inf"):
        return "epsilon is not a finite number >= 0"
    if reason is not None and not isinstance(reason, str):
        return "reason is not text"
    out: dict[str, Any] = {"status": status, "count": None, "precision": None, "threshold": None}
    out.update(epsilon=float(epsilon), reason=None if reason is None else reason[:MAX_REASON])
    if status != "OK":
        return out
    if precision == "BELOW_THRESHOLD":
        if count is not None or not _whole(threshold, 1):
            return "below the threshold, with a count or without a whole threshold from 1 to 2^53 - 1"
        out.update(precision=precision, threshold=threshold)
    elif precision in ("EXACT", "ROUNDED", "NOISY"):
        if not _whole(count, 0):
            return "count is not a whole number from 0 to 2^53 - 1"
        out.update(precision=precision, count=count)
    else:
        return "precision is not EXACT, ROUNDED, NOISY or BELOW_THRESHOLD"
    return out


def _dumps(obj: Any) -> str:
    import json

    return json.dumps(obj, separators=(",", ":"))
