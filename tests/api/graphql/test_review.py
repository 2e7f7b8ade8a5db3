"""GraphQL `nonConformant(source)`: the curators' review queue of harvested drafts that violate the shapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth import Authenticator, dev_token
from api.graphql import graphql_router
from registry.config import Settings
from registry.identity import Role
from registry.services.harvest import HarvestSource
from registry.vocab import Kind
from registry.wiring import open_registry
from tests.conftest import CURATOR, DEV_AUTH
from tests.harvest_server import Example, harvest_server

QUERY = """query Q($source: String) { nonConformant(source: $source) {
  iri kind source revision violations { focusNode path constraint severity message } } }"""


def test_non_conformant_lists_the_source_drafts_for_curators_only(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", auth=DEV_AUTH)
    with harvest_server() as srv, open_registry(settings) as reg:
        ex = Example(srv.base)
        bad = ex.of(Kind.DATASET)[0]
        ex.untitle(bad)
        srv.serve(ex.paged())
        reg.harvest.harvest(CURATOR, HarvestSource("src", srv.url("/catalog?page=1")))
        app = FastAPI()
        app.include_router(graphql_router(lambda: reg, Authenticator(settings)))
        with TestClient(app) as client:

            def gql(source: str | None, *roles: Role) -> dict[str, Any]:
                token = dev_token(settings.home, "alice", list(roles))
                resp = client.post("/graphql", json={"query": QUERY, "variables": {"source": source}},
                                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip
                assert resp.status_code == 200, resp.text
                body: dict[str, Any] = resp.json()
                return body

            (item,) = gql("src", Role.CURATOR)["data"]["nonConformant"]
            assert item["iri"] == bad and item["kind"] == "DATASET" and item["source"] == "src"
            assert [v["path"] for v in item["violations"]] == ["http://purl.org/dc/terms/title"]
            assert gql("other", Role.CURATOR)["data"]["nonConformant"] == []
            assert len(gql(None, Role.CURATOR)["data"]["nonConformant"]) == 1
            refused = gql("src", Role.RESEARCHER)
            assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "forbidden"
