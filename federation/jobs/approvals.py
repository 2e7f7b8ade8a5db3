"""Approval and revocation documents: Ed25519 over the canonical JSON of the document's body.

Who signs what, so that a site can verify everything offline:
- a governance approval is signed by the hub's governance key (`keys/governance-ed25519.pem` in the
  registry home; not the hub's protocol key, so a key that signs queries cannot grant training);
- a custodian approval is signed by the site's own key (`federation/site/keys.py`) at the site, by its
  custodian; the hub only stores it after checking it against the Site record's fg:signingKey, so the hub
  can never approve on a site's behalf;
- a revocation is signed by the key that signed the approval it revokes.
Each document names one job, one FAB hash, one site, the purpose, the allowed run configuration and an
expiry; an approval for site A says nothing about site B.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from federation.signing import canonical, load_or_create_key
from registry.errors import InputError
from registry.identity import check_site_id

GOVERNANCE_KEY_FILE = "keys/governance-ed25519.pem"
APPROVAL = "fairgrid-training-approval/1"
REVOCATION = "fairgrid-approval-revocation/1"
FAB_HASH = re.compile(r"[0-9a-f]{64}\Z")
Authority = Literal["governance", "custodian"]


class ApprovalError(InputError):
    code = "bad_approval"
    hint = "an approval must be signed by the governance key or the site's own key and name one site"


def governance_key(registry_home: Path) -> Ed25519PrivateKey:
    return load_or_create_key(registry_home / GOVERNANCE_KEY_FILE)


def check_fab_hash(value: object) -> str:
    if not isinstance(value, str) or not FAB_HASH.match(value):
        raise ApprovalError(
            f"FAB hash {str(value)[:80]!r} is not a sha256 hex digest",
            hint="give sha256 of the FAB file as 64 lower-case hex digits",
        )
    return value


@dataclass(frozen=True)
class Approval:
    approval_id: str
    authority: Authority
    job: str
    fab_hash: str
    site: str
    purpose: str
    run_config: dict[str, Any]
    expires: float  # POSIX seconds
    signer: str  # the subject who approved (for the audit trail; the key is what counts)

    def body(self) -> dict[str, Any]:
        return {
            "type": APPROVAL,
            "approval_id": self.approval_id,
            "authority": self.authority,
            "job": self.job,
            "fab_hash": self.fab_hash,
            "site": self.site,
            "purpose": self.purpose,
            "run_config": self.run_config,
            "expires": self.expires,
            "signer": self.signer,
        }


@dataclass(frozen=True)
class Revocation:
    approval_id: str
    authority: Authority
    revoked_at: float
    reason: str

    def body(self) -> dict[str, Any]:
        return {
            "type": REVOCATION,
            "approval_id": self.approval_id,
            "authority": self.authority,
            "revoked_at": self.revoked_at,
            "reason": self.reason,
        }


def new_approval_id() -> str:
    return "appr-" + secrets.token_hex(12)


def sign(body: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    return {"body": body, "sig": base64.b64encode(key.sign(canonical(body))).decode("ascii")}


def sign_approval(approval: Approval, key: Ed25519PrivateKey) -> dict[str, Any]:
    return sign(approval.body(), key)


def sign_revocation(revocation: Revocation, key: Ed25519PrivateKey) -> dict[str, Any]:
    return sign(revocation.body(), key)


def _verified_body(doc: Any, key: Ed25519PublicKey) -> dict[str, Any]:
    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("body"), dict)
        or not isinstance(doc.get("sig"), str)
    ):
        raise ApprovalError("not a signed document ({'body': {...}, 'sig': '...'})")
    try:
        key.verify(base64.b64decode(doc["sig"], validate=True), canonical(doc["body"]))
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise ApprovalError(
            "bad signature: the document is forged, altered or signed by another key"
        ) from exc
    except RecursionError:  # nested deeper than JSON can be written: never a signed document
        raise ApprovalError("the document is nested too deeply to be a signed document") from None
    return dict(doc["body"])


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ApprovalError(f"document field {name!r} must be non-empty text")
    return value


def _time(body: dict[str, Any], name: str) -> float:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ApprovalError(f"document field {name!r} must be a time (POSIX seconds)")
    return float(value)


def _authority(body: dict[str, Any]) -> Authority:
    value = body.get("authority")
    if value == "governance":
        return "governance"
    if value == "custodian":
        return "custodian"
    raise ApprovalError("document field 'authority' must be 'governance' or 'custodian'")


def approval_from_body(body: dict[str, Any]) -> Approval:
    """The approval a (verified) body describes; ApprovalError when it is not a well-formed one."""
    if body.get("type") != APPROVAL:
        raise ApprovalError(f"not an approval document (type {str(body.get('type'))[:60]!r})")
    run_config = body.get("run_config")
    if not isinstance(run_config, dict):
        raise ApprovalError("document field 'run_config' must be an object")
    try:
        site = check_site_id(_text(body, "site"))
    except InputError as exc:
        raise ApprovalError(exc.message) from exc
    return Approval(
        approval_id=_text(body, "approval_id"),
        authority=_authority(body),
        job=_text(body, "job"),
        fab_hash=check_fab_hash(body.get("fab_hash")),
        site=site,
        purpose=_text(body, "purpose"),
        run_config=run_config,
        expires=_time(body, "expires"),
        signer=_text(body, "signer"),
    )


def verify_approval(doc: Any, key: Ed25519PublicKey, authority: Authority) -> Approval:
    """The approval in `doc` if `key` signed it and it claims `authority`; ApprovalError otherwise."""
    approval = approval_from_body(_verified_body(doc, key))
    if approval.authority != authority:
        raise ApprovalError(f"a {approval.authority} approval where a {authority} approval was expected")
    return approval


def verify_revocation(doc: Any, key: Ed25519PublicKey, authority: Authority) -> Revocation:
    body = _verified_body(doc, key)
    if body.get("type") != REVOCATION:
        raise ApprovalError("not a revocation document")
    revocation = Revocation(
        approval_id=_text(body, "approval_id"),
        authority=_authority(body),
        revoked_at=_time(body, "revoked_at"),
        reason=str(body.get("reason", ""))[:500],
    )
    if revocation.authority != authority:
        raise ApprovalError(f"a {revocation.authority} revocation where a {authority} one was expected")
    return revocation


def within(requested: dict[str, Any], allowed: dict[str, Any]) -> str | None:
    """Why `requested` exceeds `allowed` (None when it does not).

    Every requested setting must be allowed and every allowed one requested; `rounds`, `epsilon` and
    `local_epochs` are upper bounds (fewer rounds, or a smaller epsilon, which is more private, stay
    within); everything else must match.
    """
    # a setting the approval fixes may not be left out (a run without its privacy settings is not "within")
    for name in sorted(allowed):
        if name not in requested:
            return f"run configuration lacks the approved {name!r}"
    for name, value in sorted(requested.items()):
        if name not in allowed:
            return f"run configuration {name!r} was not approved"
        bound = allowed[name]
        if name in UPPER_BOUNDS:
            if not _number(value) or not _number(bound) or value > bound:
                return f"run configuration {name}={value!r} exceeds the approved {bound!r}"
        elif value != bound:
            return f"run configuration {name}={value!r} differs from the approved {bound!r}"
    return None


UPPER_BOUNDS = frozenset({"rounds", "epsilon", "local_epochs"})


def _number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
