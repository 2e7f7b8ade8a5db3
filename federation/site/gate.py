"""The site gate's decision: may this task's app run here? Pure and offline, plus an audit trail.

A task is allowed only with a valid governance approval AND this site's custodian approval for the
task's FAB hash, neither expired nor revoked, and a run configuration within both. The hub cannot be
trusted to enforce this (the SuperLink's Control API has no authentication), so the site decides alone,
from the documents it holds and the public keys pinned at the site.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation.jobs.approvals import (
    Approval,
    ApprovalError,
    Authority,
    verify_approval,
    verify_revocation,
    within,
)

AUDIT_FILE = "audit/gate.jsonl"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    approvals: tuple[str, ...] = ()  # the approval ids the decision rests on (allowed) or looked at


@dataclass(frozen=True)
class GateKeys:
    governance: Ed25519PublicKey
    custodian: Ed25519PublicKey  # this site's own key


@dataclass
class Gate:
    site: str
    keys: GateKeys
    audit: Callable[[dict[str, Any]], None] = field(default=lambda entry: None)

    def check(
        self,
        fab_hash: str,
        run_config: dict[str, Any],
        approvals: Sequence[Any],
        revocations: Sequence[Any] = (),
        *,
        now: float | None = None,
        task: str = "-",
    ) -> Decision:
        at = time.time() if now is None else now
        decision = decide(self.site, self.keys, fab_hash, run_config, approvals, revocations, at)
        self.audit(
            {
                "at": at,
                "site": self.site,
                "task": task,
                "fab_hash": str(fab_hash)[:64],
                "allowed": decision.allowed,
                "reason": decision.reason,
                "approvals": list(decision.approvals),
            }
        )
        return decision


def decide(
    site: str,
    keys: GateKeys,
    fab_hash: str,
    run_config: dict[str, Any],
    approvals: Sequence[Any],
    revocations: Sequence[Any],
    now: float,
) -> Decision:
    revoked = _revoked(keys, revocations)
    reasons: list[str] = []
    found: dict[Authority, Approval] = {}
    for authority in ("governance", "custodian"):
        key = keys.governance if authority == "governance" else keys.custodian
        ok, why = _best(authority, key, site, fab_hash, run_config, approvals, revoked, now)
        if ok is None:
            reasons.append(why)
        else:
            found[authority] = ok
    if reasons:
        return Decision(False, "; ".join(reasons), tuple(a.approval_id for a in found.values()))
    gov, cust = found["governance"], found["custodian"]
    if gov.job != cust.job:
        return Decision(False, "the governance and custodian approvals are for different jobs")
    return Decision(True, f"approved for job {gov.job}", (gov.approval_id, cust.approval_id))


def _revoked(keys: GateKeys, revocations: Sequence[Any]) -> set[tuple[Authority, str]]:
    # A revocation counts only when signed by the authority whose approval it names; others are ignored
    # (an unsigned "revocation" could otherwise only ever refuse, but it must not be a way to inject data).
    out: set[tuple[Authority, str]] = set()
    for doc in revocations:
        for authority, key in (("governance", keys.governance), ("custodian", keys.custodian)):
            try:
                r = verify_revocation(doc, key, authority)  # type: ignore[arg-type]
            except ApprovalError:
                continue
            out.add((r.authority, r.approval_id))
    return out


def _best(
    authority: Authority,
    key: Ed25519PublicKey,
    site: str,
    fab_hash: str,
    run_config: dict[str, Any],
    approvals: Sequence[Any],
    revoked: set[tuple[Authority, str]],
    now: float,
) -> tuple[Approval | None, str]:
    """A usable approval of `authority`, or None and why the nearest candidate failed."""
    why = f"no {authority} approval signed by the {authority} key"
    for doc in approvals:
        try:
            a = verify_approval(doc, key, authority)
        except ApprovalError:
            continue
        if a.fab_hash != fab_hash:
            why = f"no {authority} approval for this app (FAB hash {fab_hash[:12]}...)"
            continue
        if a.site != site:
            why = f"the {authority} approval is for site {a.site}, not {site}"
            continue
        if (authority, a.approval_id) in revoked:
            why = f"the {authority} approval {a.approval_id} was revoked"
            continue
        if a.expires <= now:
            why = f"the {authority} approval {a.approval_id} expired"
            continue
        exceeds = within(run_config, a.run_config)
        if exceeds is not None:
            why = f"{exceeds} ({authority} approval {a.approval_id})"
            continue
        return a, ""
    return None, why


def audit_file(home: Path) -> Callable[[dict[str, Any]], None]:
    """An audit sink appending one JSON line per decision to the site's gate audit log."""
    path = home / AUDIT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)

    def write(entry: dict[str, Any]) -> None:
        line = json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n"
        fd = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600
        )  # one write per line: no interleaving
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)

    return write


def read_audit(home: Path) -> list[dict[str, Any]]:
    path = home / AUDIT_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
