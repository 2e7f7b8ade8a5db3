"""The publishing service tests' parts: the local Zenodo over real HTTP (tests/zenodo_env.py), a fresh one per
test, a hub holding a trained model whose settings point at it, and a curator's edit of that model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from api.dev_zenodo.server import Running
from registry.config import Secret, Settings, ZenodoSettings
from registry.identity import Identity, Role
from registry.vocab import DCAT
from registry.wiring import Registry
from tests.conftest import CURATOR, DEV_AUTH
from tests.registry.publish.trained_model import MODEL_IRI, Template, open_trained, trained_template
from tests.zenodo_env import publish_cli, zenodo

__all__ = ["publish_cli", "trained_template", "zenodo"]  # the fixtures, used here and by the tests
MEMBER = Identity("member-1", frozenset({Role.CONSORTIUM_MEMBER}))


@pytest.fixture
def hub(tmp_path: Path, zenodo: Running, trained_template: Template) -> Iterator[Registry]:
    zs = ZenodoSettings(url=zenodo.url, sandbox_url=zenodo.url, token=Secret(zenodo.token))
    reg = open_trained(trained_template, tmp_path, Settings(auth=DEV_AUTH, zenodo=zs))
    yield reg
    reg.close()


def edit_model(
    reg: Registry, *, version: str = "0.3.0", publish: bool = True, seen_by: Identity = CURATOR
) -> None:
    """A curator changes the model's version, on the record as `seen_by` reads it (a real edit, which tests
    make while files upload, or between two publications)."""
    rec = reg.records.get(seen_by, MODEL_IRI)
    assert rec.revision is not None
    predicate = ox.NamedNode(DCAT + "version")
    changed = [t for t in rec.triples if t.predicate != predicate] + [
        ox.Triple(rec.subject, predicate, ox.Literal(version))
    ]
    data = ox.serialize(changed, format=ox.RdfFormat.N_TRIPLES)
    assert data is not None
    reg.records.update(CURATOR, MODEL_IRI, data, ox.RdfFormat.N_TRIPLES, rec.revision.number, publish=publish)
