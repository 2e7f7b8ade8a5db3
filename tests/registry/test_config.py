"""Settings: read once from the environment, grouped, malformed values refused with the variable's name."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import Authenticator
from api.graphql import graphql_router
from registry.config import LimitSettings, Settings
from registry.errors import InputError
from registry.wiring import open_registry


def test_sections_from_the_environment() -> None:
    s = Settings.from_env(
        {
            "FAIRGRID_HOME": "/srv/fg",
            "FAIRGRID_PORT": "9090",
            "FAIRGRID_GRAPHQL_MAX_DEPTH": "4",
            "FAIRGRID_SPARQL_TIMEOUT_S": "2.5",
            "FAIRGRID_SPARQL_MAX_ROWS": "50",
            "FAIRGRID_JWKS_URL": "https://idp.example.org/certs",
            "FAIRGRID_JWT_ISSUER": "https://idp.example.org",
            "FAIRGRID_JWT_AUDIENCE": "fairgrid",
        }
    )
    assert s.home == Path("/srv/fg") and s.port == 9090
    assert (s.limits.graphql_max_depth, s.limits.sparql_timeout_s, s.limits.sparql_max_rows) == (4, 2.5, 50)
    assert s.auth.issuer == "https://idp.example.org" and not s.auth.dev
    assert Settings.from_env({}).limits == LimitSettings()


@pytest.mark.parametrize(
    "name, value",
    [
        ("FAIRGRID_PORT", "eighty"),
        ("FAIRGRID_MAX_RECORD_BYTES", "1e3x"),
        ("FAIRGRID_GRAPHQL_TIMEOUT_S", "soon"),
        ("FAIRGRID_SPARQL_MAX_ROWS", "-1"),
    ],
)
def test_malformed_numbers_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(InputError, match=name):
        Settings.from_env({name: value})


def test_graphql_and_sparql_limits_come_from_the_settings(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path / "home",
        limits=LimitSettings(graphql_max_depth=1, sparql_timeout_s=3, sparql_max_rows=7),
    )
    reg = open_registry(settings)
    try:
        app = FastAPI()
        app.include_router(graphql_router(lambda: reg, Authenticator(settings)))
        deep = '{ record(iri: "https://w3id.org/fairgrid/x") { ... on Dataset { distributions { iri } } } }'
        body = TestClient(app).post("/graphql", json={"query": deep}).json()
        assert [e["extensions"]["code"] for e in body["errors"]] == ["limit_exceeded"]
        full = create_app(reg, Authenticator(settings), sync_interval_s=0)
        assert full.state.sparql.timeout_s == 3 and full.state.sparql.max_rows == 7
    finally:
        reg.close()
