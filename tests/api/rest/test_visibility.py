"""Who reads which metadata, across every read path: record lookup, landing page, catalogue, search and
trainedOn links, for anonymous callers, a token without roles, a researcher, a consortium member and a
curator.

The example catalogue's datasets are PUBLIC, RESTRICTED and NON_PUBLIC (access to the *data*): their
published metadata is public. One of them is then marked consortium-only (fg:metadataVisibility), and
its distribution follows it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api.auth import dev_token
from registry.identity import Role
from registry.wiring import Registry
from tests.api.rest.conftest import client_for, loaded_registry
from tests.visibility_marks import mark_visibility

BASE = "https://w3id.org/fairgrid/"
RESTRICTED = BASE + "dataset/mds-registry-hub-a"
NON_PUBLIC = BASE + "dataset/scd-registry-leiden"
HIDDEN = BASE + "dataset/mds-ngs-milan"  # NON_PUBLIC, then marked consortium-only
HIDDEN_PART = BASE + "distribution/mds-ngs-milan-federated-parquet"
MODEL = BASE + "model/mds-aml-progression"  # mldcat:trainedOn RESTRICTED and HIDDEN
HIDDEN_TITLE = "MDS targeted sequencing cohort"
RESTRICTED_TITLE = "MDS clinical registry"

# caller -> may read consortium-only metadata
CALLERS: dict[str, bool] = {
    "anonymous": False,
    "no-role": False,
    "researcher": False,
    "consortium-member": True,
    "curator": True,
}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, TestClient]]:
    reg = loaded_registry(Path(tmp_path_factory.mktemp("visibility")) / "home")
    mark_visibility(reg, HIDDEN)
    assert reg.search.sync().pending == 0
    with client_for(reg) as client:
        yield reg, client
    reg.close()


def headers(reg: Registry, caller: str, **extra: str) -> dict[str, str]:
    if caller == "anonymous":
        return dict(extra)
    roles = [] if caller == "no-role" else [Role(caller)]
    token = dev_token(reg.settings.home, f"{caller}-1", roles)
    return {"Authorization": f"Bearer {token}", **extra}


SEARCH = "{ search(filter: {kinds: [DATASET, DISTRIBUTION]}, first: 100) { totalCount hits { iri } } }"
TRAINED_ON = f'{{ record(iri: "{MODEL}") {{ ... on MachineLearningModel {{ trainedOn {{ iri }} }} }} }}'


def graphql(env: tuple[Registry, TestClient], caller: str, query: str) -> dict[str, Any]:
    reg, client = env
    r = client.post("/graphql", json={"query": query}, headers=headers(reg, caller))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def path(iri: str) -> str:
    return "/" + iri.removeprefix(BASE)


@pytest.mark.parametrize("caller", CALLERS)
def test_record_lookup(env: tuple[Registry, TestClient], caller: str) -> None:
    reg, client = env
    turtle = headers(reg, caller, Accept="text/turtle")
    for iri in (RESTRICTED, NON_PUBLIC, MODEL):
        assert client.get(path(iri), headers=turtle).status_code == 200, iri
    for iri in (HIDDEN, HIDDEN_PART):
        status = client.get(path(iri), headers=turtle).status_code
        expected = 200 if CALLERS[caller] else 401 if caller == "anonymous" else 403
        assert status == expected, (iri, status)
    if caller == "anonymous":  # asked to sign in, with a challenge
        r = client.get(path(HIDDEN))
        assert r.headers["www-authenticate"].startswith("Bearer") and r.json()["code"] == "unauthenticated"


@pytest.mark.parametrize("caller", CALLERS)
def test_landing_page_links(env: tuple[Registry, TestClient], caller: str) -> None:
    reg, client = env
    page = client.get(path(MODEL), headers=headers(reg, caller, Accept="text/html"))
    assert page.status_code == 200
    assert RESTRICTED_TITLE in page.text  # a linked RESTRICTED dataset is labelled for everyone
    assert (HIDDEN_TITLE in page.text) == CALLERS[caller]
    hidden = client.get(path(HIDDEN), headers=headers(reg, caller, Accept="text/html"))
    assert (hidden.status_code == 200) == CALLERS[caller]


@pytest.mark.parametrize("caller", CALLERS)
def test_catalogue(env: tuple[Registry, TestClient], caller: str) -> None:
    reg, client = env
    r = client.get(
        "/catalog?kind=dataset&size=100", headers=headers(reg, caller, Accept="application/n-triples")
    )
    assert r.status_code == 200
    g = list(ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES))
    listed = {q.object.value for q in g if q.predicate.value == "http://www.w3.org/ns/dcat#dataset"}
    assert {RESTRICTED, NON_PUBLIC} <= listed
    assert (HIDDEN in listed) == CALLERS[caller]
    assert int(r.headers["x-total-count"]) == len(listed) == (7 if CALLERS[caller] else 6)
    parts = client.get(
        "/catalog?kind=distribution&size=100", headers=headers(reg, caller, Accept="text/turtle")
    )
    assert (HIDDEN_PART in parts.text) == CALLERS[caller]


@pytest.mark.parametrize("caller", CALLERS)
def test_search(env: tuple[Registry, TestClient], caller: str) -> None:
    body = graphql(env, caller, SEARCH)
    found = {h["iri"] for h in body["data"]["search"]["hits"]}
    assert {RESTRICTED, NON_PUBLIC} <= found
    assert (HIDDEN in found) == CALLERS[caller] and (HIDDEN_PART in found) == CALLERS[caller]
    assert body["data"]["search"]["totalCount"] == len(found)
    text = graphql(env, caller, '{ search(text: "sequencing") { hits { iri } } }')
    assert (HIDDEN in {h["iri"] for h in text["data"]["search"]["hits"]}) == CALLERS[caller]


@pytest.mark.parametrize("caller", CALLERS)
def test_trained_on_links(env: tuple[Registry, TestClient], caller: str) -> None:
    body = graphql(env, caller, TRAINED_ON)
    linked = {d["iri"] for d in body["data"]["record"]["trainedOn"]}
    assert linked == ({RESTRICTED, HIDDEN} if CALLERS[caller] else {RESTRICTED})
