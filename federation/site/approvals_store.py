"""The signed approvals and revocations a site holds, and their sync from the hub.

The documents are signed, so the hub and the transport need not be trusted for what they say; the risk
is what they do not say: a hub that withholds a revocation. So the store remembers when the last sync
succeeded, and the gate refuses every task once that is older than the allowed staleness (default 10
minutes): a revoked approval stops working within that time, or the site stops training altogether.

Revocations are kept forever (a later sync cannot un-revoke); approvals are replaced by the hub's
current set. The file is replaced atomically (write a temporary file, fsync, rename), so a gate reading
it while a sync writes sees the old or the new set, never half of one.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from federation.jobs.approvals import ApprovalError, verify_approval, verify_revocation
from registry.errors import InputError, Unavailable, UnreadableInput
from registry.files import write_atomic
from registry.locks import exclusive

log = logging.getLogger(__name__)

HELD_FILE = "approvals/held.json"
GOVERNANCE_KEY_FILE = "keys/governance.pub"  # the consortium governance key, pinned by the site operator
CLOCK_SLACK_S = 60.0  # a sync time this far ahead of the clock still counts (small adjustments)
# An approval or revocation is about a kilobyte: thousands of jobs fit; a larger answer is not the hub's.
MAX_ANSWER_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Held:
    approvals: tuple[dict[str, Any], ...] = ()
    revocations: tuple[dict[str, Any], ...] = ()
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # job IRI -> {"fab_hash", "cohort"}
    synced_at: float | None = None  # when the documents were last known complete (a sync, or set here)
    source: str = ""


class HeldFileDamaged(UnreadableInput):
    """The held file is JSON of another shape than the store writes (edited by hand, or another file)."""

    code = "approvals_file_damaged"
    hint = (
        "move the file aside and sync again (fairgrid site gate --hub URL fetches every approval and "
        "revocation anew), or hand the approvals over again"
    )


def _canon(doc: Any) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


class ApprovalsStore:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.path = home / HELD_FILE

    def read(self, *, strict: bool = False) -> Held:
        """The held documents; a file that cannot be read holds nothing. `strict` (the gate's start and
        checks, every write): such a file is HeldFileDamaged instead, naming it, and is left as it is, as
        replacing it would drop the revocations it may hold and let the gate trust the new set."""
        if not self.path.exists():
            return Held()
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            if strict:
                raise HeldFileDamaged(
                    f"{self.path} cannot be read as an approvals file ({type(exc).__name__}); it is left "
                    "as it is, so that the revocations it may hold are not dropped"
                ) from None
            # unreadable (or nested too deeply): hold nothing, so the gate refuses (and says why)
            return Held()
        if not isinstance(data, dict):
            raise HeldFileDamaged(f"{self.path} is not an approvals file: it holds {_json_kind(data)}, "
                                  "not an object")  # fmt: skip
        for name, kind in (("approvals", list), ("revocations", list), ("jobs", dict)):
            if not isinstance(data.get(name, kind()), kind):
                raise HeldFileDamaged(f"{self.path} is not an approvals file: {name!r} is "
                                      f"{_json_kind(data[name])}, not {_json_kind(kind())}")  # fmt: skip
        return Held(
            tuple(d for d in data.get("approvals", []) if isinstance(d, dict)),
            tuple(d for d in data.get("revocations", []) if isinstance(d, dict)),
            {str(k): v for k, v in data.get("jobs", {}).items() if isinstance(v, dict)},
            data.get("synced_at") if isinstance(data.get("synced_at"), int | float) else None,
            str(data.get("source", "")),
        )

    def put(
        self,
        approvals: list[dict[str, Any]],
        revocations: list[dict[str, Any]],
        *,
        jobs: dict[str, dict[str, Any]] | None = None,
        source: str = "local",
        now: float | None = None,
    ) -> Held:
        """Hold these documents (all approvals; revocations are added to those held) as of now."""
        with self._writing():
            return self._put(approvals, revocations, jobs=jobs, source=source, now=now)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        # read, merge, replace as one step: two writers at once (the gate's sync, an operator's add)
        # would each write what it had read, dropping the other's revocations
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with exclusive(self.path.with_name(self.path.name + ".lock"), what="the approvals file's lock"):
            yield

    def _put(
        self,
        approvals: list[dict[str, Any]],
        revocations: list[dict[str, Any]],
        *,
        jobs: dict[str, dict[str, Any]] | None,
        source: str,
        now: float | None,
    ) -> Held:
        old = self.read(strict=True)
        seen = {_canon(d) for d in old.revocations}
        revs = list(old.revocations) + [d for d in revocations if _canon(d) not in seen]
        held = Held(
            tuple(approvals), tuple(revs), dict(jobs if jobs is not None else old.jobs),
            time.time() if now is None else now, source,
        )  # fmt: skip
        self._write(held)
        return held

    def add(
        self, approvals: list[dict[str, Any]] | None = None, revocations: list[dict[str, Any]] | None = None
    ) -> Held:
        """Add documents to those held (an operator's manual hand-over, e.g. at an air-gapped site)."""
        with self._writing():
            old = self.read(strict=True)
            have = {_canon(d) for d in old.approvals}
            merged = list(old.approvals) + [d for d in approvals or [] if _canon(d) not in have]
            return self._put(
                merged, list(revocations or []), jobs=None, source=old.source or "local", now=None
            )

    def sync(
        self,
        hub_url: str,
        token: str,
        site: str,
        *,
        timeout_s: float = 10.0,
        http: httpx.Client | None = None,
    ) -> Held:
        """Replace the held approvals with the hub's current documents for `site` (`http`: the client)."""
        url = hub_url.rstrip("/") + "/federation/training/documents"
        try:
            with (http or httpx).stream("GET", url, params={"site": site}, timeout=timeout_s,
                                        headers={"Authorization": f"Bearer {token}"}) as r:  # fmt: skip
                if r.status_code != 200:
                    raise Unavailable(
                        f"the hub at {hub_url} refused the approvals sync (HTTP {r.status_code})"
                    )
                raw = _read_capped(r, hub_url)
        except httpx.HTTPError as exc:
            raise Unavailable(
                f"cannot reach the hub at {hub_url} to sync approvals: {type(exc).__name__}"
            ) from None
        try:
            body = json.loads(raw)
            jobs = body["jobs"]
            approvals = [d for j in jobs for d in j.get("approvals", [])]
            revocations = [d for j in jobs for d in j.get("revocations", [])]
            meta = {str(j["iri"]): {"fab_hash": j.get("fab_hash"), "cohort": j.get("cohort")} for j in jobs}
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            # RecursionError: JSON nested too deeply to read (a hostile hub); it would end the gate's loop
            raise InputError(f"the hub's approvals answer is malformed ({type(exc).__name__})") from None
        offered = body.get("governance_key")
        if isinstance(offered, str) and offered:
            self._pin_or_check(offered.strip(), hub_url)
        approvals, revocations = self._signed(site, approvals, revocations, hub_url)
        return self.put(approvals, revocations, jobs=meta, source=hub_url)

    def _signed(
        self, site: str, approvals: list[Any], revocations: list[Any], hub_url: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Only what the governance or this site's custodian key signed (approvals: for this site). The
        gate would ignore the rest anyway, but held it would cost every gate check a verification, and
        revocations are kept forever: a hub could grow the held file without bound."""
        from federation.signing import public_key
        from federation.site.keys import KEY_FILE, site_key

        keys: list[tuple[Any, Any]] = []
        gov = self.home / GOVERNANCE_KEY_FILE
        if gov.is_file():
            keys.append(("governance", public_key(gov.read_text("utf-8").strip())))
        if (self.home / KEY_FILE).is_file():
            keys.append(("custodian", site_key(self.home).public_key()))

        def approval(doc: Any) -> bool:
            for authority, key in keys:
                try:
                    return verify_approval(doc, key, authority).site == site
                except ApprovalError:
                    continue
            return False

        def revocation(doc: Any) -> bool:
            for authority, key in keys:
                try:
                    verify_revocation(doc, key, authority)
                    return True
                except ApprovalError:
                    continue
            return False

        kept_a = [d for d in approvals if approval(d)]
        kept_r = [d for d in revocations if revocation(d)]
        dropped = len(approvals) + len(revocations) - len(kept_a) - len(kept_r)
        if dropped:
            log.warning("approvals sync: %d documents from %s not signed for site %s, not held",
                        dropped, hub_url, site)  # fmt: skip
        return kept_a, kept_r

    def _pin_or_check(self, offered: str, hub_url: str) -> None:
        # trust on first use, as the site agent pins the hub's key: a different key later is refused
        path = self.home / GOVERNANCE_KEY_FILE
        if not path.exists():
            pin_governance_key(self.home, offered)
        elif path.read_text("utf-8").strip() != offered:
            raise InputError(
                f"the hub at {hub_url} presents another governance key than the one pinned at this site",
                hint=f"if the consortium really changed it, check with governance, then replace {path}",
            )

    def _write(self, held: Held) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = {
            "approvals": list(held.approvals), "revocations": list(held.revocations), "jobs": held.jobs,
            "synced_at": held.synced_at, "source": held.source,
        }  # fmt: skip
        write_atomic(self.path, json.dumps(data, sort_keys=True), private=True)


def _json_kind(value: Any) -> str:
    if value is None:
        return "JSON null"
    if isinstance(value, bool):
        return "a JSON boolean"
    if isinstance(value, int | float):
        return "a JSON number"
    names: dict[type, str] = {str: "string", list: "array", dict: "object"}
    return f"a JSON {names.get(type(value), type(value).__name__)}"


def _read_capped(r: httpx.Response, hub_url: str) -> bytes:
    chunks, size = [], 0
    for chunk in r.iter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise InputError(
                f"the hub at {hub_url} sent an approvals answer larger than {MAX_ANSWER_BYTES // 2**20} MiB",
                hint="a site's approvals are a few kilobytes each: check which hub this site syncs from",
            )
        chunks.append(chunk)
    return b"".join(chunks)


def pin_governance_key(home: Path, text: str) -> None:
    """Pin the consortium's governance public key at the site (what the gate verifies approvals with)."""
    from federation.signing import public_key

    public_key(text.strip())  # refuse what is not a key
    path = home / GOVERNANCE_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(text.strip() + "\n", encoding="utf-8")


def stale(held: Held, max_staleness_s: float, now: float | None = None) -> str | None:
    """Why the held documents cannot be trusted to be complete (None when they can)."""
    if max_staleness_s <= 0:
        return None
    if held.synced_at is None:
        return "no approvals were ever synced to this site"
    age = (time.time() if now is None else now) - held.synced_at
    if age < -CLOCK_SLACK_S:
        # the clock went back since (or the sync was noted ahead of time): how old it is cannot be told
        return (
            f"the last approvals sync is {-age:.0f} s in the future (the clock changed): "
            "revocations may be withheld until the next sync"
        )
    if age > max_staleness_s:
        return (
            f"the last approvals sync is {age:.0f} s old (more than {max_staleness_s:.0f} s): "
            "revocations may be withheld"
        )
    return None
