"""Bearer JWT authentication: tokens verified against a JWKS (a real OIDC provider's, by URL, with its
issuer and audience) or, only in explicit dev mode (FAIRGRID_DEV_AUTH=1), against a local signing key
kept under $FAIRGRID_HOME/keys.

Roles come from the token's `roles` claim (a list), or `realm_access.roles` as Keycloak issues them.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from registry.config import HOME_HINT, Settings
from registry.errors import InputError, Unauthenticated, Unavailable
from registry.files import ensure_folder
from registry.identity import ANONYMOUS, Identity, Role, check_site_id, check_subject

DEV_ISSUER = "fairgrid-dev"
AUDIENCE = "fairgrid"
KID = "fairgrid-dev-1"


def _key_path(home: Path) -> Path:
    return home / "keys" / "dev-signing-key.pem"


def dev_private_key(home: Path) -> rsa.RSAPrivateKey:
    """The development signing key, created on first use (mode 600)."""
    path = _key_path(home)
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key
    ensure_folder(path.parent, "the development keys' folder", hint=HOME_HINT)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Write aside, then link into place: several workers may start at once, and the one that loses
    # the race must read the winner's whole key, never a half-written file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return dev_private_key(home)
    finally:
        tmp.unlink()
    return key


def dev_jwks(home: Path) -> dict[str, Any]:
    pub = dev_private_key(home).public_key()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(pub))
    jwk.update({"kid": KID, "use": "sig", "alg": "RS256"})
    return {"keys": [jwk]}


def dev_token(
    home: Path, subject: str, roles: list[Role], ttl_s: int = 8 * 3600, site: str | None = None
) -> str:
    """A token signed with the development key: accepted only by a server in dev mode."""
    check_subject(subject)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": DEV_ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "roles": [r.value for r in roles],
        "iat": now,
        "exp": now + ttl_s,
    }
    if site is not None:
        if Role.SITE_OPERATOR not in roles:
            raise InputError("a site is named only in site-operator tokens", hint="add --role site-operator")
        claims["site"] = check_site_id(site)
    return jwt.encode(claims, dev_private_key(home), algorithm="RS256", headers={"kid": KID})


@dataclass
class Authenticator:
    """Turns an Authorization header into an Identity (anonymous when there is none).

    Tokens are verified against the JWKS of `settings.auth` (issuer and audience checked), or, only
    when dev mode was asked for (FAIRGRID_DEV_AUTH=1), against the local development key. With
    neither, every token is refused: anonymous reads still work. Roles fairgrid does not know are
    dropped; a token left with no role reads only what anonymous callers read.
    """

    settings: Settings
    _client: jwt.PyJWKClient | None = field(default=None, init=False)
    _local: jwt.PyJWKSet | None = field(default=None, init=False)
    _verified: dict[str, tuple[Identity, float]] = field(default_factory=dict, init=False)

    @property
    def dev(self) -> bool:
        return self.settings.auth.dev and not self.settings.auth.jwks_url

    def _expected(self) -> tuple[str, str]:
        """(issuer, audience) every accepted token must carry."""
        auth = self.settings.auth
        if auth.jwks_url and auth.issuer and auth.audience:
            return auth.issuer, auth.audience
        if self.dev:
            return DEV_ISSUER, AUDIENCE
        raise Unauthenticated(
            "this server is not configured to accept sign-in tokens",
            hint="its operator must set FAIRGRID_JWKS_URL, FAIRGRID_JWT_ISSUER and FAIRGRID_JWT_AUDIENCE",
        )

    def _signing_key(self, token: str) -> Any:
        if self.settings.auth.jwks_url:
            if self._client is None:
                self._client = jwt.PyJWKClient(self.settings.auth.jwks_url, cache_keys=True, lifespan=300)
            return self._client.get_signing_key_from_jwt(token).key
        if self._local is None:
            self._local = jwt.PyJWKSet.from_dict(dev_jwks(self.settings.home))
        kid = jwt.get_unverified_header(token).get("kid")
        for k in self._local.keys:
            if k.key_id == kid:
                return k.key
        raise Unauthenticated("token signed with an unknown key")

    def identity(self, authorization: str | None) -> Identity:
        if not authorization:
            return ANONYMOUS
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        # A client sends the same token with every request: remember verified ones until they expire.
        hit = self._verified.get(token)
        if hit is not None and hit[1] > time.time():
            return hit[0]
        who, exp = self._verify(token.strip())
        if len(self._verified) > 10_000:
            self._verified.clear()
        self._verified[token] = (who, exp)
        return who

    def cached(self, authorization: str | None) -> Identity | None:
        """The identity without any work, when there is no token or it was verified before."""
        if not authorization:
            return ANONYMOUS
        hit = self._verified.get(authorization.partition(" ")[2])
        return hit[0] if hit is not None and hit[1] > time.time() else None

    def _verify(self, token: str) -> tuple[Identity, float]:
        issuer, audience = self._expected()
        try:
            claims = jwt.decode(
                token,
                self._signing_key(token),
                algorithms=["RS256", "ES256", "PS256"],
                audience=audience,
                issuer=issuer,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the token has expired") from exc
        except jwt.PyJWKClientConnectionError as exc:  # the provider is down, not the caller's fault
            raise Unavailable(
                f"cannot fetch the sign-in keys from {self.settings.auth.jwks_url}",
                hint="try again later; the operator should check FAIRGRID_JWKS_URL and the provider",
            ) from exc
        except (jwt.InvalidTokenError, jwt.PyJWKClientError) as exc:
            raise Unauthenticated(f"invalid token: {exc}") from exc
        return identity_from_claims(claims), float(claims["exp"])


_KNOWN_ROLES = {r.value for r in Role}


def identity_from_claims(claims: dict[str, Any]) -> Identity:
    """The caller a verified token names. Roles come from `roles` or Keycloak's `realm_access.roles`;
    unknown ones are dropped. `site` (the site a site-operator operates) must be a plain site id."""
    try:
        subject = check_subject(claims.get("sub"))
    except InputError as exc:
        raise Unauthenticated(f"invalid token: {exc.message}") from None
    if subject == ANONYMOUS.subject:  # would read as "not signed in" everywhere
        raise Unauthenticated("invalid token: the subject 'anonymous' is reserved")
    raw = claims.get("roles")
    if raw is None:
        realm = claims.get("realm_access")
        raw = realm.get("roles") if isinstance(realm, dict) else None
    if not isinstance(raw, list):
        raw = []
    roles = frozenset(Role(r) for r in raw if isinstance(r, str) and r in _KNOWN_ROLES)
    site = claims.get("site")
    if site is not None:
        if not isinstance(site, str):
            raise Unauthenticated("invalid token: the site claim must be a site id")
        try:
            site = check_site_id(site)
        except InputError as exc:
            raise Unauthenticated(f"invalid token: {exc.message}") from None
    return Identity(subject, roles, site)


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InputError(
            f"unknown role {value!r}", hint=f"use one of: {', '.join(r.value for r in Role)}"
        ) from None
