"""fairgrid serve --once, dev-token, reindex, index-sync."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.auth import Authenticator
from api.cli.main import app
from registry.config import Settings
from registry.identity import Role
from registry.wiring import open_registry
from tests.conftest import DEV_AUTH, EXAMPLE, free_port

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "home"
    monkeypatch.setenv("FAIRGRID_HOME", str(h))
    monkeypatch.delenv("FAIRGRID_SEARCH_URL", raising=False)
    monkeypatch.delenv("FAIRGRID_STORE_URL", raising=False)
    assert runner.invoke(app, ["init"]).exit_code == 0
    return h


def test_serve_once_checks_readiness_and_exits(home: Path) -> None:
    port = free_port()
    r = runner.invoke(app, ["serve", "--once", "--port", str(port)])
    assert r.exit_code == 0, r.output
    assert f"http://127.0.0.1:{port}/graphql" in r.output
    assert f"http://127.0.0.1:{port}/sparql" in r.output
    assert "readiness: 200" in r.output


def test_dev_token_verifies_with_the_roles_asked_for(home: Path) -> None:
    r = runner.invoke(app, ["dev-token", "--role", "curator", "--role", "researcher", "--subject", "ana"])
    assert r.exit_code == 0, r.output
    who = Authenticator(Settings(home=home, auth=DEV_AUTH)).identity("Bearer " + r.output.strip())
    assert who.subject == "ana" and who.roles == {Role.CURATOR, Role.RESEARCHER}
    bad = runner.invoke(app, ["dev-token", "--role", "wizard"])
    assert bad.exit_code == 1 and "unknown role" in bad.output


def test_reindex_and_index_sync(home: Path) -> None:
    assert runner.invoke(app, ["import", str(EXAMPLE)]).exit_code == 0
    sync = runner.invoke(app, ["index-sync"])
    assert sync.exit_code == 0 and "pending 0" in sync.output
    r = runner.invoke(app, ["reindex"])
    assert r.exit_code == 0, r.output
    reg = open_registry(Settings(home=home))
    try:
        n = reg.store.count()
        assert f"indexed {n} record(s)" in r.output
        assert reg.index.count() == n
    finally:
        reg.close()


def test_index_sync_names_the_records_left_out_and_exits_1(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from registry.services import search as service

    real = service.to_document
    monkeypatch.setattr(service, "to_document", lambda r, *a: replace(real(r, *a), unique_individuals=2**70))
    assert runner.invoke(app, ["import", str(EXAMPLE)]).exit_code == 0
    sync = runner.invoke(app, ["index-sync"])
    assert sync.exit_code == 1 and "pending 0" in sync.output, sync.output
    assert "left out of the index:" in sync.output and "Traceback" not in sync.output


def test_a_user_name_that_is_not_utf8_can_write(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # getpass reads LOGNAME=caf\xe9 as "caf\udce9": the agent IRI raised UnicodeEncodeError (a traceback)
    monkeypatch.setattr("getpass.getuser", lambda: "caf\udce9")
    r = runner.invoke(app, ["import", str(EXAMPLE)])
    assert r.exit_code == 0 and "Traceback" not in r.output, r.output


def test_serve_refuses_to_start_without_a_way_to_verify_tokens(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FAIRGRID_DEV_AUTH")
    r = runner.invoke(app, ["serve", "--once", "--port", str(free_port())])
    assert r.exit_code == 1 and "no way to verify sign-in tokens" in r.output
    assert "FAIRGRID_DEV_AUTH=1" in r.output and "Traceback" not in r.output
    monkeypatch.setenv("FAIRGRID_JWKS_URL", "https://idp.example.org/certs")
    r = runner.invoke(app, ["serve", "--once", "--port", str(free_port())])
    assert r.exit_code == 1 and "FAIRGRID_JWT_ISSUER and FAIRGRID_JWT_AUDIENCE" in r.output


def test_serve_says_when_dev_sign_in_is_on(home: Path) -> None:
    r = runner.invoke(app, ["serve", "--once", "--port", str(free_port())])
    assert r.exit_code == 0, r.output
    assert "DEVELOPMENT sign-in (FAIRGRID_DEV_AUTH=1)" in r.output


def test_dev_token_for_a_site_operator(home: Path) -> None:
    r = runner.invoke(app, ["dev-token", "--role", "site-operator", "--site", "milan-01", "--subject", "op"])
    assert r.exit_code == 0, r.output
    who = Authenticator(Settings(home=home, auth=DEV_AUTH)).identity("Bearer " + r.output.strip())
    assert who.site == "milan-01" and who.roles == {Role.SITE_OPERATOR}
    for args, why in (
        (["--role", "site-operator", "--site", "Milan 01"], "site id"),
        (["--role", "curator", "--site", "milan-01"], "site-operator"),
        (["--role", "curator", "--subject", "a b"], "not a valid identifier"),
    ):
        bad = runner.invoke(app, ["dev-token", *args])
        assert bad.exit_code == 1 and why in bad.output, bad.output
