"""Bearer tokens: the JWKS path checks issuer and audience, dev tokens only in explicit dev mode, roles
fairgrid does not know are dropped, subjects and site claims are checked."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from api.auth import Authenticator, dev_token
from registry.config import AuthSettings, Settings
from registry.errors import InputError, Unauthenticated, Unavailable
from registry.identity import Role

ISSUER = "https://idp.example.org/realms/consortium"
AUDIENCE = "fairgrid-hub"


class Jwks:
    """A real HTTP server on localhost publishing one RSA key, as an OIDC provider does."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": "idp-1", "use": "sig", "alg": "RS256"})
        body = json.dumps({"keys": [jwk]}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/certs"

    def token(self, **claims: Any) -> str:
        now = int(time.time())
        base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "ana", "roles": ["curator"], "exp": now + 600}
        base.update(claims)
        payload = {k: v for k, v in base.items() if v is not None}
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": "idp-1"})


@pytest.fixture(scope="module")
def idp() -> Iterator[Jwks]:
    server = Jwks()
    yield server
    server.server.shutdown()


def bearer(token: str) -> str:
    return f"Bearer {token}"


def test_without_jwks_or_dev_mode_dev_tokens_are_refused(tmp_path: Path) -> None:
    token = dev_token(tmp_path, "mallory", [Role.ADMIN])
    auth = Authenticator(Settings(home=tmp_path))  # neither a JWKS nor FAIRGRID_DEV_AUTH
    with pytest.raises(Unauthenticated, match="not configured to accept sign-in tokens"):
        auth.identity(bearer(token))
    assert auth.identity(None).is_anonymous  # anonymous reads still work
    dev = Authenticator(Settings(home=tmp_path, auth=AuthSettings(dev=True)))
    assert dev.identity(bearer(token)).roles == {Role.ADMIN}


def test_jwks_checks_issuer_and_audience(tmp_path: Path, idp: Jwks) -> None:
    auth = Authenticator(
        Settings(home=tmp_path, auth=AuthSettings(jwks_url=idp.url, issuer=ISSUER, audience=AUDIENCE))
    )
    who = auth.identity(bearer(idp.token()))
    assert who.subject == "ana" and who.roles == {Role.CURATOR}
    for claims, why in (
        ({"iss": "https://evil.example.org"}, "(?i)issuer"),
        ({"iss": None}, "iss"),
        ({"aud": "another-app"}, "(?i)audience"),
        ({"aud": None}, "aud"),
    ):
        with pytest.raises(Unauthenticated, match=why):
            auth.identity(bearer(idp.token(**claims)))
    # a dev token is not accepted by a server that trusts an OIDC provider
    with pytest.raises(Unauthenticated):
        auth.identity(bearer(dev_token(tmp_path, "mallory", [Role.ADMIN])))


def test_jwks_without_issuer_accepts_no_token(tmp_path: Path, idp: Jwks) -> None:
    settings = AuthSettings(jwks_url=idp.url, audience=AUDIENCE)
    with pytest.raises(InputError, match="FAIRGRID_JWT_ISSUER"):
        settings.check()
    auth = Authenticator(Settings(home=tmp_path, auth=settings))
    with pytest.raises(Unauthenticated):
        auth.identity(bearer(idp.token(iss="https://anyone.example.org")))


def test_auth_settings_refused_at_start() -> None:
    with pytest.raises(InputError, match="no way to verify"):
        AuthSettings().check()
    with pytest.raises(InputError, match="FAIRGRID_JWT_AUDIENCE"):
        AuthSettings(jwks_url="https://idp/certs", issuer=ISSUER).check()
    with pytest.raises(InputError, match="both set"):
        AuthSettings(jwks_url="https://idp/certs", issuer=ISSUER, audience=AUDIENCE, dev=True).check()
    AuthSettings(jwks_url="https://idp/certs", issuer=ISSUER, audience=AUDIENCE).check()
    AuthSettings(dev=True).check()
    assert Settings.from_env({"FAIRGRID_DEV_AUTH": "1"}).auth.dev
    assert not Settings.from_env({}).auth.dev


def test_unknown_roles_are_dropped(tmp_path: Path, idp: Jwks) -> None:
    auth = Authenticator(
        Settings(home=tmp_path, auth=AuthSettings(jwks_url=idp.url, issuer=ISSUER, audience=AUDIENCE))
    )
    who = auth.identity(bearer(idp.token(sub="bob", roles=["offline_access", "uma_authorization"])))
    assert who.subject == "bob" and who.roles == frozenset()
    keycloak = auth.identity(bearer(idp.token(sub="kc", roles=None, realm_access={"roles": ["researcher"]})))
    assert keycloak.roles == {Role.RESEARCHER}
    odd = auth.identity(bearer(idp.token(sub="odd", roles="curator")))  # not a list: no roles
    assert odd.roles == frozenset()


@pytest.mark.parametrize("sub", ["", "a b", "x" * 300, "anonymous", "<script>", "bad\nline"])
def test_bad_subjects_are_refused(tmp_path: Path, idp: Jwks, sub: str) -> None:
    auth = Authenticator(
        Settings(home=tmp_path, auth=AuthSettings(jwks_url=idp.url, issuer=ISSUER, audience=AUDIENCE))
    )
    with pytest.raises(Unauthenticated):
        auth.identity(bearer(idp.token(sub=sub)))


def test_site_claim(tmp_path: Path, idp: Jwks) -> None:
    auth = Authenticator(
        Settings(home=tmp_path, auth=AuthSettings(jwks_url=idp.url, issuer=ISSUER, audience=AUDIENCE))
    )
    op = auth.identity(bearer(idp.token(sub="op", roles=["site-operator"], site="milan-01")))
    assert op.site == "milan-01" and op.roles == {Role.SITE_OPERATOR}
    assert auth.identity(bearer(idp.token(sub="plain"))).site is None
    for bad in ("Milan 01", "../x", 7):
        with pytest.raises(Unauthenticated, match="site"):
            auth.identity(bearer(idp.token(sub="op2", roles=["site-operator"], site=bad)))
    # the agent IRI of any accepted subject is a valid IRI
    assert auth.identity(bearer(idp.token(sub="auth0|123"))).agent_iri == "urn:fairgrid:agent:auth0%7C123"


def test_an_unreachable_provider_is_unavailable_not_a_bad_token(tmp_path: Path, idp: Jwks) -> None:
    from tests.conftest import free_port

    down = f"http://127.0.0.1:{free_port()}/certs"  # nothing listens there
    auth = Authenticator(
        Settings(home=tmp_path, auth=AuthSettings(jwks_url=down, issuer=ISSUER, audience=AUDIENCE))
    )
    with pytest.raises(Unavailable, match="cannot fetch the sign-in keys"):
        auth.identity(bearer(idp.token()))
