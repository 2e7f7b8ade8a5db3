"""Tests only: the local Zenodo (api/dev_zenodo) over real HTTP, a fresh one per test (`zenodo`), what it
holds and was asked (`zenodo_state`), and a hub home with the trained model set up for the `fairgrid publish`
CLI against it (`publish_cli`). A module using `publish_cli` imports `trained_template` too."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.dev_zenodo.server import Running, running
from registry.config import Settings
from tests.registry.publish.trained_model import Template, open_trained


@pytest.fixture
def zenodo(tmp_path: Path) -> Iterator[Running]:
    with running(tmp_path / "zenodo") as zen:
        yield zen


def zenodo_state(zen: Running) -> dict[str, Any]:
    """What the local Zenodo holds and was asked (its test-only `_dev/state`)."""
    return dict(httpx.get(f"{zen.url}/_dev/state", timeout=10).json())


@dataclass(frozen=True)
class PublishCli:
    settings: Settings  # the hub home's, for a test that opens it between commands
    env: dict[str, str]  # for CliRunner.invoke: the home, and the local Zenodo as the sandbox


@pytest.fixture
def publish_cli(trained_template: Template, tmp_path: Path, zenodo: Running) -> PublishCli:
    reg = open_trained(trained_template, tmp_path)
    reg.close()  # the CLI opens the home itself
    env = {
        "FAIRGRID_HOME": str(reg.settings.home),
        "FAIRGRID_ZENODO_SANDBOX_URL": zenodo.url,
        "FAIRGRID_ZENODO_SANDBOX_TOKEN": zenodo.token,
    }
    return PublishCli(reg.settings, env)
