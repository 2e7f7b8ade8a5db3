"""The publishing service tests' parts: the local Zenodo over real HTTP (tests/zenodo_env.py), a fresh one per
test, and a hub holding a trained model whose settings point at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.dev_zenodo.server import Running
from registry.config import Secret, Settings, ZenodoSettings
from registry.wiring import Registry
from tests.conftest import DEV_AUTH
from tests.registry.publish.trained_model import Template, open_trained, trained_template
from tests.zenodo_env import publish_cli, zenodo

__all__ = ["publish_cli", "trained_template", "zenodo"]  # the fixtures, used here and by the tests


@pytest.fixture
def hub(tmp_path: Path, zenodo: Running, trained_template: Template) -> Iterator[Registry]:
    zs = ZenodoSettings(url=zenodo.url, sandbox_url=zenodo.url, token=Secret(zenodo.token))
    reg = open_trained(trained_template, tmp_path, Settings(auth=DEV_AUTH, zenodo=zs))
    yield reg
    reg.close()
