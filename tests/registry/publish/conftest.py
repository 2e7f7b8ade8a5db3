"""The local Zenodo (api/dev_zenodo) served over real HTTP on a free port, a fresh one per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.dev_zenodo.server import running
from registry.wiring import Registry
from tests.registry.publish.trained_model import Template, open_trained, trained_template

TOKEN = "test-token-5f1c0a9e"  # a value tests can search for in logs and messages


@dataclass
class LocalZenodo:
    url: str
    token: str

    def state(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/_dev/state", timeout=10).json())

    def fault(self, **fault: Any) -> None:
        httpx.post(f"{self.url}/_dev/faults", json=fault, timeout=10).raise_for_status()


@pytest.fixture
def local_zenodo(tmp_path: Path) -> Iterator[LocalZenodo]:
    data = tmp_path / "zenodo"
    data.mkdir()
    with running(data, [TOKEN]) as zen:
        yield LocalZenodo(zen.url, zen.token)


__all__ = ["trained_template"]  # the session fixture `trained` copies


@pytest.fixture
def trained(trained_template: Template, tmp_path: Path) -> Iterator[Registry]:
    """A registry with the example catalogue and the trained model (a copy of the session's)."""
    reg = open_trained(trained_template, tmp_path)
    yield reg
    reg.close()
