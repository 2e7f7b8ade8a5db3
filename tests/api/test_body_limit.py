"""Request bodies over the limit are refused with 413 as they arrive (api/body_limit.py): an anonymous
POST of 300 MB to /graphql raised the server's memory by 690 MB before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.body_limit import body_limit
from registry.identity import Role
from registry.wiring import Registry
from tests.api.rest.conftest import auth_for, client_for, loaded_registry

MAX_RECORD = 20_000
LIMIT = body_limit(MAX_RECORD)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    reg = loaded_registry(tmp_path_factory.mktemp("limit") / "home", max_record_bytes=MAX_RECORD)
    yield reg
    reg.close()


def _chunks(size: int) -> Iterator[bytes]:
    sent = 0
    while sent < size:
        yield b" " * 65536
        sent += 65536


@pytest.mark.parametrize(
    ("path", "ctype"),
    [
        ("/graphql", "application/json"),
        ("/records", "text/turtle"),
        ("/feasibility", "application/json"),
        ("/sparql", "application/sparql-query"),
    ],
)
@pytest.mark.parametrize("how", ["declared", "chunked"])
def test_a_body_over_the_limit_is_a_413_and_changes_nothing(
    small: Registry, path: str, ctype: str, how: str
) -> None:
    client = client_for(small)
    headers = {"Content-Type": ctype, **auth_for(small)(Role.CURATOR, Role.RESEARCHER)}
    before = small.store.dump()
    body = b" " * (LIMIT + 1) if how == "declared" else _chunks(LIMIT + 65536)
    r = client.post(path, content=body, headers=headers)
    assert r.status_code == 413, (path, r.status_code, r.text[:300])
    assert "over the limit" in r.text and "Traceback" not in r.text
    if path == "/graphql":  # as every request GraphQL refuses: an error document with a code
        assert r.json()["errors"][0]["extensions"]["status"] == 413
    assert small.store.dump() == before


def test_a_body_within_the_limit_is_read(small: Registry, tmp_path: Path) -> None:
    client = client_for(small)
    query = b'{"query": "{ search { totalCount } }"}'
    padded = query[:-1] + b" " * (LIMIT - len(query) - 1) + b"}"
    r = client.post("/graphql", content=padded, headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["data"]["search"]["totalCount"] > 0
