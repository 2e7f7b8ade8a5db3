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


def test_the_validator_uses_the_shapes_the_settings_name(tmp_path: Path) -> None:
    import shutil

    import pyoxigraph as ox

    from registry.validation.bundle import SHAPES_DIR
    from tests.conftest import CURATOR
    from tests.registry.services.test_records import dataset

    shapes = tmp_path / "shapes"
    shutil.copytree(SHAPES_DIR, shapes)
    with (shapes / "fairgrid.ttl").open("a") as f:  # a stricter local profile: every dataset has a version
        f.write(
            "\nfgshape:Local a sh:NodeShape ; sh:targetClass <http://www.w3.org/ns/dcat#Dataset> ;\n"
            "  sh:property fgshape:Local_version .\n"
            "fgshape:Local_version a sh:PropertyShape ; sh:path <http://www.w3.org/ns/dcat#version> ;\n"
            '  sh:name "version"@en ; sh:message "Local rule: a dataset must have a dcat:version."@en ;\n'
            "  sh:minCount 1 ; sh:severity sh:Violation .\n"
        )
    env = {"FAIRGRID_HOME": str(tmp_path / "home"), "FAIRGRID_SHAPES_DIR": str(shapes)}
    settings = Settings.from_env(env)
    assert settings.shapes_dir == shapes and settings.ontologies_dir is None
    with open_registry(settings) as reg, pytest.raises(InputError, match="SHACL violation"):
        reg.records.create(CURATOR, dataset(), ox.RdfFormat.TURTLE)
    with open_registry(Settings(home=tmp_path / "other")) as reg:  # the bundled shapes
        assert reg.records.create(CURATOR, dataset(), ox.RdfFormat.TURTLE)


def test_zenodo_settings_default_to_zenodo_and_hide_tokens() -> None:
    from registry.config import Secret

    default = Settings.from_env({}).zenodo
    assert (default.url, default.sandbox_url, default.token) == (
        "https://zenodo.org",
        "https://sandbox.zenodo.org",
        None,
    )
    env = {
        "FAIRGRID_ZENODO_URL": "http://127.0.0.1:18123/",
        "FAIRGRID_ZENODO_TOKEN": "tok-secret-1",
        "FAIRGRID_ZENODO_SANDBOX_TOKEN": "tok-secret-2",
        "FAIRGRID_ZENODO_COMMUNITY": "genomed4all",
    }
    settings = Settings.from_env(env)
    z = settings.zenodo
    assert z.url == "http://127.0.0.1:18123" and z.community == "genomed4all"
    assert z.target(False) == ("http://127.0.0.1:18123", Secret("tok-secret-1"))
    assert z.target(True)[1] is not None and z.target(True)[1].get() == "tok-secret-2"  # type: ignore[union-attr]
    for text in (repr(settings), str(settings), repr(z), f"{z.token}"):
        assert "tok-secret" not in text
    for bad in (
        "ftp://zenodo.org",
        "zenodo.org",
        "https://user:pw@zenodo.org",
        "https://zenodo.org/?access_token=x",
    ):
        with pytest.raises(InputError, match="FAIRGRID_ZENODO_URL") as refused:
            Settings.from_env({"FAIRGRID_ZENODO_URL": bad})
        assert "pw" not in str(refused.value) and "access_token=x" not in str(refused.value)


def test_gate_fork_server_setting() -> None:
    assert Settings.from_env({}).site.gate_fork_server
    assert not Settings.from_env({"FAIRGRID_GATE_FORK_SERVER": "0"}).site.gate_fork_server
    with pytest.raises(InputError, match="FAIRGRID_GATE_FORK_SERVER"):
        Settings.from_env({"FAIRGRID_GATE_FORK_SERVER": "maybe"})
