"""The loaded registries and clients that the REST, page and injection tests share (helpers in
tests/api/rest/conftest.py, which other packages import)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from registry.wiring import Registry
from tests.api.rest.conftest import Auth, auth_for, client_for, loaded_registry


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """Read-only tests share one loaded registry per module."""
    reg = loaded_registry(tmp_path_factory.mktemp("api") / "home")
    yield reg
    reg.close()


@pytest.fixture(scope="module")
def client(shared: Registry) -> TestClient:
    return client_for(shared)


@pytest.fixture(scope="module")
def auth(shared: Registry) -> Auth:
    return auth_for(shared)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Registry]:
    """Tests that write get their own registry."""
    reg = loaded_registry(tmp_path / "home")
    yield reg
    reg.close()
