"""The local Zenodo (api/dev_zenodo) served over real HTTP on a free port, a fresh one per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.dev_zenodo.server import Running
from registry.wiring import Registry
from tests.registry.publish.trained_model import Template, open_trained, trained_template
from tests.zenodo_env import local_zenodo_fixture, zenodo_state

TOKEN = "test-token-5f1c0a9e"  # a value tests can search for in logs and messages


@dataclass
class LocalZenodo:
    url: str
    token: str

    def state(self) -> dict[str, Any]:
        return zenodo_state(self)

    def fault(self, **fault: Any) -> None:
        httpx.post(f"{self.url}/_dev/faults", json=fault, timeout=10).raise_for_status()


served_zenodo = local_zenodo_fixture("served_zenodo", [TOKEN])


@pytest.fixture
def local_zenodo(served_zenodo: Running) -> LocalZenodo:
    return LocalZenodo(served_zenodo.url, served_zenodo.token)


__all__ = ["trained_template"]  # the session fixture `trained` copies


@pytest.fixture
def trained(trained_template: Template, tmp_path: Path) -> Iterator[Registry]:
    """A registry with the example catalogue and the trained model (a copy of the session's)."""
    reg = open_trained(trained_template, tmp_path)
    yield reg
    reg.close()
