"""Tests only: the local Zenodo (api/dev_zenodo) over real HTTP, a fresh one per test (`zenodo`, or one of
other tokens and limits from `local_zenodo_fixture`), what it holds and was asked (`zenodo_state`), and a hub
home with the trained model set up for the `fairgrid publish` CLI against it (`publish_cli`). A module using
`publish_cli` imports `trained_template` too."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest

from api.dev_zenodo.server import Running, running
from registry.config import Settings
from tests.registry.publish.trained_model import Template, open_trained


def local_zenodo_fixture(
    name: str, tokens: Sequence[str] = (), folder: str = "zenodo", **limits: object
) -> Any:
    """A fixture `name`: a fresh local Zenodo per test, its data in tmp_path/folder ("" for tmp_path itself),
    answering `tokens` (one random token when none), with these options of `running` (max_file_bytes=...)."""

    @pytest.fixture(name=name)
    def served(tmp_path: Path) -> Iterator[Running]:
        data = tmp_path / folder
        data.mkdir(exist_ok=True)
        with running(data, tokens, **limits) as zen:
            yield zen

    return served


zenodo = local_zenodo_fixture("zenodo")


class Served(Protocol):
    url: str


def zenodo_state(zen: Served) -> dict[str, Any]:
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
