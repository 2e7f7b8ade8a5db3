"""Who is calling. Services take an Identity first and check roles themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from registry.errors import PermissionDenied, Unauthenticated


class Role(StrEnum):
    RESEARCHER = "researcher"
    CURATOR = "curator"
    SITE_OPERATOR = "site-operator"
    CONSORTIUM_MEMBER = "consortium-member"
    ADMIN = "admin"


@dataclass(frozen=True)
class Identity:
    subject: str
    roles: frozenset[Role] = field(default_factory=frozenset)

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
        if self.subject.startswith(("http://", "https://", "urn:")):
            return self.subject
        return f"urn:fairgrid:agent:{self.subject}"


ANONYMOUS = Identity("anonymous", frozenset())


# The local operator running the CLI on their own home: full rights, attributed by OS user.
def local_operator(name: str = "local") -> Identity:
    return Identity(f"cli:{name}", frozenset({Role.ADMIN}))
