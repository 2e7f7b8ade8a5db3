"""A registry with the example catalogue, served by the app through Starlette's TestClient (the shared
fixtures are in tests/api/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import Authenticator, dev_token
from registry.config import Settings
from registry.identity import Role, local_operator
from registry.validation.bundle import terminology_files
from registry.wiring import Registry, open_registry
from tests.conftest import DEV_AUTH, EXAMPLE

Auth = Callable[..., dict[str, str]]
PUBLIC_DATASET = "dataset/consortium-aggregate-statistics"
RESTRICTED_DATASET = "dataset/mds-registry-hub-a"


def loaded_registry(home: Path, **settings: object) -> Registry:
    reg = open_registry(Settings(home=home, auth=DEV_AUTH, **settings))  # type: ignore[arg-type]
    reg.importer.run(local_operator(), [*terminology_files(), EXAMPLE])
    reg.search.sync()
    return reg


def client_for(reg: Registry, **kw: object) -> TestClient:
    return TestClient(create_app(reg, Authenticator(reg.settings), sync_interval_s=0, **kw))  # type: ignore[arg-type]


def auth_for(reg: Registry) -> Auth:
    def auth(*roles: Role, subject: str = "tester", **extra: str) -> dict[str, str]:
        token = dev_token(reg.settings.home, subject, list(roles))
        return {"Authorization": f"Bearer {token}", **extra}

    return auth
