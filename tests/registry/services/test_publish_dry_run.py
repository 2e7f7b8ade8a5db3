"""`publish --dry-run` of a record published before says what the real publish would do with it: the same
lookup (the record's DOI, else the journal's newest publication) names the deposition it follows."""

from __future__ import annotations

from typer.testing import CliRunner

from api.cli.main import app as cli
from api.dev_zenodo.server import Running
from api.federation import publish_service
from registry.wiring import Registry, open_registry
from tests.conftest import CURATOR
from tests.registry.publish.trained_model import MODEL_IRI, Template
from tests.registry.services.conftest import MEMBER, edit_model
from tests.zenodo_env import PublishCli, zenodo_state


def test_after_a_failed_write_back_the_dry_run_names_the_version_it_follows(
    hub: Registry, zenodo: Running
) -> None:
    # the record holds no DOI (its write-back was refused), the journal does: the real publish makes a new
    # version of that deposition, and the dry run said it would make a new, unrelated one
    def meanwhile(message: str) -> None:
        if message == "publishing":
            edit_model(hub, publish=False)

    first = publish_service(hub).publish(MEMBER, MODEL_IRI, progress=meanwhile).published
    assert first is not None
    hub.records.publish(CURATOR, MODEL_IRI)
    dry = publish_service(hub).publish(MEMBER, MODEL_IRI, dry_run=True).payload
    assert dry is not None and dry["new_version_of"] == first.deposition_id
    assert dry["concept_doi"] == first.concept_doi and dry["already_published"] is None
    assert f"a new version of deposition {first.deposition_id}" in dry["action"]
    assert zenodo_state(zenodo)["published"] == 1  # the dry run sent nothing
    later = publish_service(hub).publish(MEMBER, MODEL_IRI).published
    assert later is not None and later.concept_doi == first.concept_doi
    assert list(zenodo_state(zenodo)["concepts"].values()) == [[first.deposition_id, later.deposition_id]]


def test_the_dry_run_of_a_published_revision_says_it_sends_nothing(hub: Registry, zenodo: Running) -> None:
    # the revision that only wrote the DOI back is not new content: the real publish answers from the
    # journal and sends nothing; the dry run said it would make a new version
    pub = publish_service(hub).publish(MEMBER, MODEL_IRI).published
    assert pub is not None
    dry = publish_service(hub).publish(MEMBER, MODEL_IRI, dry_run=True).payload
    assert dry is not None and dry["already_published"] == pub.doi and dry["new_version_of"] is None
    assert "nothing" in dry["action"] and pub.doi in dry["action"]
    again = publish_service(hub).publish(MEMBER, MODEL_IRI).published
    assert again == pub and zenodo_state(zenodo)["published"] == 1


def test_cli_dry_run_says_it_would_make_a_new_version(
    publish_cli: PublishCli, trained_template: Template, zenodo: Running
) -> None:
    env = publish_cli.env
    runner = CliRunner()
    fresh = runner.invoke(cli, ["publish", MODEL_IRI, "--sandbox", "--dry-run"], env=env)
    assert fresh.exit_code == 0, fresh.output
    assert "would create a new deposition" in fresh.stderr
    assert runner.invoke(cli, ["publish", MODEL_IRI, "--sandbox"], env=env).exit_code == 0
    with open_registry(publish_cli.settings) as again:  # a new content revision, published
        again.__dict__["validator"] = trained_template.validator
        edit_model(again, publish=True)
    dry = runner.invoke(cli, ["publish", MODEL_IRI, "--sandbox", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    (dep,) = [d for ds in zenodo_state(zenodo)["concepts"].values() for d in ds]
    assert f"would create a new version of deposition {dep}" in dry.stderr
    assert '"upload_type": "software"' in dry.stdout
