"""`fairgrid publish` and GraphQL `publishRecordToZenodo` against the local Zenodo over real HTTP, and the DOI on
the record's landing page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.auth import Authenticator, dev_token
from api.cli.main import app as cli
from api.cli.main import me
from api.dev_zenodo.server import Running
from registry.config import Secret, Settings, ZenodoSettings
from registry.identity import Role
from registry.wiring import Registry
from tests.conftest import DEV_AUTH
from tests.registry.publish.trained_model import MODEL_IRI, Template, open_trained, trained_template
from tests.zenodo_env import PublishCli, publish_cli, zenodo

__all__ = ["publish_cli", "trained_template", "zenodo"]
MUTATION = """mutation($iri: String!, $target: PublishTarget!, $dry: Boolean!) {
  publishRecordToZenodo(iri: $iri, target: $target, dryRun: $dry) {
    iri dryRun doi conceptDoi recordUrl files revision payload writebackError auditWarning
  }
}"""


@pytest.fixture
def hub(tmp_path: Path, zenodo: Running, trained_template: Template) -> Iterator[Registry]:
    # the sandbox is the same local Zenodo here: ZENODO_SANDBOX is checked to reach it, ZENODO not to
    zs = ZenodoSettings(url="http://127.0.0.1:9", sandbox_url=zenodo.url, sandbox_token=Secret(zenodo.token))
    reg = open_trained(trained_template, tmp_path, Settings(auth=DEV_AUTH, zenodo=zs))
    yield reg
    reg.close()


def _gql(client: TestClient, token: str, iri: str, *, dry: bool, target: str = "ZENODO_SANDBOX") -> Any:
    body = {"query": MUTATION, "variables": {"iri": iri, "target": target, "dry": dry}}
    r = client.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    return r.json()


def test_graphql_publish_and_landing_page(hub: Registry, zenodo: Running) -> None:
    client = TestClient(create_app(hub, Authenticator(hub.settings), sync_interval_s=0))
    member = dev_token(hub.settings.home, "member-1", [Role.CONSORTIUM_MEMBER])
    researcher = dev_token(hub.settings.home, "researcher-1", [Role.RESEARCHER])

    refused = _gql(client, researcher, MODEL_IRI, dry=False)
    assert refused["errors"][0]["extensions"]["code"] == "forbidden"
    bad = _gql(client, member, "not an iri", dry=True)
    assert bad["errors"][0]["extensions"]["status"] == 400

    dry = _gql(client, member, MODEL_IRI, dry=True)["data"]["publishRecordToZenodo"]
    assert dry["dryRun"] and dry["doi"] is None
    assert dry["payload"]["metadata"]["metadata"]["upload_type"] == "software"
    assert dry["payload"]["target"] == zenodo.url

    done = _gql(client, member, MODEL_IRI, dry=False)["data"]["publishRecordToZenodo"]
    assert done["doi"].startswith("10.5072/") and done["revision"] == 2 and done["writebackError"] is None
    assert done["auditWarning"] is None
    assert done["recordUrl"].startswith(zenodo.url) and "model.safetensors" in done["files"]

    page = client.get("/model/test-fed-mds", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert f'href="https://doi.org/{done["doi"]}"' in page.text
    assert f'href="https://doi.org/{done["conceptDoi"]}"' in page.text
    assert "Published on Zenodo" in page.text


def test_cli_publish(publish_cli: PublishCli, zenodo: Running) -> None:
    env = publish_cli.env
    runner = CliRunner()
    dry = runner.invoke(cli, ["publish", MODEL_IRI, "--sandbox", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert '"upload_type": "software"' in dry.output

    done = runner.invoke(cli, ["publish", MODEL_IRI, "--sandbox"], env=env)
    assert done.exit_code == 0, done.output
    assert "https://doi.org/10.5072/" in done.output and "revision 2" in done.output
    assert zenodo.token not in done.output
    # the publication is in the hub's audit log, as `fairgrid audit` shows it
    shown = runner.invoke(cli, ["audit", "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    (entry,) = [e for e in json.loads(shown.stdout) if e["query"] == MODEL_IRI]
    assert (entry["user"], entry["source"], entry["detail"]["revision"]) == (me().subject, "published", 1)
    assert entry["detail"]["doi"].startswith("10.5072/") and entry["detail"]["doi"] in done.output
    assert entry["detail"]["doi_revision"] == 2 and entry["detail"]["target"] == zenodo.url
    assert entry["detail"]["doi"] in runner.invoke(cli, ["audit"], env=env).stdout

    wrong = runner.invoke(
        cli, ["publish", "https://w3id.org/fairgrid/dataset/mds-ngs-milan", "--sandbox"],
        env={**env, "FAIRGRID_ZENODO_SANDBOX_TOKEN": "wrong-token-7d1e"},
    )  # fmt: skip
    assert wrong.exit_code != 0 and "wrong-token-7d1e" not in wrong.output
    assert "FAIRGRID_ZENODO" in wrong.output  # says which setting to check

    unknown = runner.invoke(cli, ["publish", "https://w3id.org/fairgrid/model/none", "--sandbox"], env=env)
    assert unknown.exit_code == 1 and "no record" in unknown.output
