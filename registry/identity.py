"""Who is calling. Services take an Identity first and check roles themselves."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import quote

from registry.errors import InputError, PermissionDenied, Unauthenticated
from registry.rdf import is_iri


class Role(StrEnum):
    RESEARCHER = "researcher"
    CURATOR = "curator"
    SITE_OPERATOR = "site-operator"
    CONSORTIUM_MEMBER = "consortium-member"
    EXTERNAL_SITE = "external-site"  # a partner network's machine credentials: feasibility counts, Beacon
    ADMIN = "admin"


# A site id as sites are named (federation/site/home.py makes the same rule for site homes).
SITE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}\Z")
# Token subjects as OIDC providers issue them (UUIDs, e-mail-like names, `provider|id`): printable,
# no spaces, bounded, so they can be logged, compared and turned into an agent IRI.
_SUBJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~@:+|=/-]{0,254}\Z")


def check_subject(value: object) -> str:
    """The token subject (`sub` claim) if it is a plain identifier; an InputError otherwise."""
    if not isinstance(value, str) or not _SUBJECT.match(value):
        raise InputError(
            f"token subject {str(value)[:80]!r} is not a valid identifier",
            hint="the `sub` claim must be letters, digits and ._~@:+|=/- (at most 255 characters)",
        )
    return value


def check_site_id(value: str) -> str:
    if not SITE_ID.match(value):
        raise InputError(
            f"site id {value[:80]!r} is not valid", hint="use lower-case letters, digits and '-', e.g. site-a"
        )
    return value


# The agent IRI fairgrid mints for a subject that is no IRI (Identity.agent_iri)
AGENT_IRI_PREFIX = "urn:fairgrid:agent:"


@dataclass(frozen=True)
class Identity:
    subject: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    # The site a site-operator token operates (its `site` claim); None for everyone else.
    site: str | None = None

    def has(self, *roles: Role) -> bool:
        return Role.ADMIN in self.roles or any(r in self.roles for r in roles)

    def require(self, *roles: Role, action: str) -> None:
        if not self.has(*roles) and self.subject == "anonymous":
            raise Unauthenticated(f"sign in to {action}")
        if not self.has(*roles):
            wanted = " or ".join(r.value for r in roles)
            raise PermissionDenied(f"{self.subject} may not {action}: needs role {wanted}")

    @property
    def is_anonymous(self) -> bool:
        return self.subject == ANONYMOUS.subject

    @property
    def agent_iri(self) -> str:
        # Only a subject that is a whole valid IRI is used as is (`https://x:abc` has a bad port).
        if self.subject.startswith(("http://", "https://", "urn:")) and is_iri(self.subject):
            return self.subject
        # `|` (as in `auth0|123`) is not allowed in an IRI: percent-encode what the IRI cannot hold.
        return AGENT_IRI_PREFIX + quote(_bytes(self.subject), safe="._~@:+=/-")


ANONYMOUS = Identity("anonymous", frozenset())


# The local operator running the CLI on their own home: full rights, attributed by OS user.
def _bytes(text: str) -> bytes:
    """UTF-8; an OS user name that is not UTF-8 reaches Python with lone surrogates in place of its
    bytes (quote() raised UnicodeEncodeError on every CLI write): those give back the bytes."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def local_operator(name: str = "local") -> Identity:
    return Identity(f"cli:{name}", frozenset({Role.ADMIN}))
