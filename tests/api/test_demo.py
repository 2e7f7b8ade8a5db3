"""The example queries the demo prints work (the demo run itself: test_demo_federation.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from api import demo
from registry.config import Settings
from registry.wiring import open_registry


def test_the_printed_example_queries_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.auth import Authenticator

    monkeypatch.setenv("FAIRGRID_HOME", str(tmp_path / "home"))
    assert demo.main(["--no-sites"]) == 0
    reg = open_registry(Settings(home=tmp_path / "home"))
    try:
        client = TestClient(create_app(reg, Authenticator(reg.settings)))
        for query in demo.EXAMPLE_QUERIES:
            body = client.post("/graphql", json={"query": query}).json()
            assert "errors" not in body, body
        first = client.post("/graphql", json={"query": demo.EXAMPLE_QUERIES[0]}).json()
        assert first["data"]["search"]["totalCount"] >= 1  # anonymous: the public MDS data
    finally:
        reg.close()
