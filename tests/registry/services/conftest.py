"""The publishing service tests' parts: the local Zenodo over real HTTP, a fresh one per test, and a hub
holding a trained model whose settings point at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.dev_zenodo.server import Running, running
from registry.config import Secret, Settings, ZenodoSettings
from registry.wiring import Registry
from tests.conftest import DEV_AUTH
from tests.registry.publish.trained_model import Template, open_trained, trained_template

__all__ = ["trained_template"]  # the session fixture, used by `hub`


@pytest.fixture
def zenodo(tmp_path: Path) -> Iterator[Running]:
    with running(tmp_path / "zenodo") as zen:
        yield zen


@pytest.fixture
def hub(tmp_path: Path, zenodo: Running, trained_template: Template) -> Iterator[Registry]:
    zs = ZenodoSettings(url=zenodo.url, sandbox_url=zenodo.url, token=Secret(zenodo.token))
    reg = open_trained(trained_template, tmp_path, Settings(auth=DEV_AUTH, zenodo=zs))
    yield reg
    reg.close()


def zenodo_state(zen: Running) -> dict[str, Any]:
    """What the local Zenodo holds and was asked (its test-only `_dev/state`)."""
    return dict(httpx.get(f"{zen.url}/_dev/state", timeout=10).json())
