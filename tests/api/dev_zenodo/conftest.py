"""The local Zenodo served from a thread on a free port, and an httpx client signed in to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.dev_zenodo.server import Running
from tests.zenodo_env import local_zenodo_fixture

TOKEN = "test-token-one"
OTHER = "test-token-two"
META: dict[str, Any] = {
    "upload_type": "dataset",
    "title": "MDS cohort description",
    "description": "<p>Counts only.</p>",
    "creators": [{"name": "Doe, Jane", "affiliation": "Site A", "orcid": "0000-0002-1825-0097"}],
}


zenodo = local_zenodo_fixture("zenodo", [TOKEN, OTHER], folder="", max_file_bytes=1024)


@pytest.fixture
def client(zenodo: Running) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=zenodo.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as c:
        yield c


def new(client: httpx.Client, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    r = client.post("/api/deposit/depositions", json={} if metadata is None else {"metadata": metadata})
    assert r.status_code == 201, r.text
    return dict(r.json())


def published(
    client: httpx.Client, files: dict[str, bytes] | None = None, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    dep = new(client, {**META, **(extra or {})})
    for name, data in (files or {"a.txt": b"hello"}).items():
        assert client.put(f"{dep['links']['bucket']}/{name}", content=data).status_code == 201
    r = client.post(dep["links"]["publish"])
    assert r.status_code == 202, r.text
    return dict(r.json())
