"""New versions: only from published depositions, one open draft per concept, inherited files, shared concept DOI."""

from __future__ import annotations

import httpx

from api.dev_zenodo.server import Running
from tests.api.dev_zenodo.conftest import META, new, published
from tests.zenodo_env import zenodo_state as state


def test_newversion_only_from_published(client: httpx.Client) -> None:
    dep = new(client, META)
    r = client.post(dep["links"]["newversion"])
    assert r.status_code == 400 and r.json()["status"] == 400


def test_newversion_makes_a_draft_that_inherits_files_and_metadata(client: httpx.Client) -> None:
    v1 = published(client, {"model.bin": b"v1"}, {"version": "1"})
    r = client.post(v1["links"]["newversion"])
    assert r.status_code == 201
    draft_url = r.json()["links"]["latest_draft"]
    draft = client.get(draft_url).json()
    assert draft["id"] != v1["id"] and draft["state"] == "unsubmitted"
    assert draft["conceptrecid"] == v1["conceptrecid"]
    assert draft["metadata"]["title"] == META["title"] and "doi" not in draft["metadata"]
    # zenodo-rdm leaves out what each version sets for itself.
    assert "publication_date" not in draft["metadata"] and "version" not in draft["metadata"]
    assert draft["metadata"]["prereserve_doi"]["doi"] == f"10.5072/zenodo.{draft['id']}"
    assert [f["filename"] for f in draft["files"]] == ["model.bin"]
    # The published version now points at its open draft.
    assert client.get(v1["links"]["self"]).json()["links"]["latest_draft"] == draft_url


def test_newversion_with_an_open_draft_that_has_files_is_refused(
    client: httpx.Client, zenodo: Running
) -> None:
    v1 = published(client)
    client.post(v1["links"]["newversion"])
    r = client.post(v1["links"]["newversion"])
    assert r.status_code == 400
    assert r.json()["errors"] == [{"field": "files.enabled", "messages": ["Please remove all files first."]}]
    assert state(zenodo)["depositions"] == 2


def test_newversion_with_an_emptied_open_draft_reuses_it(client: httpx.Client, zenodo: Running) -> None:
    v1 = published(client)
    draft = client.get(client.post(v1["links"]["newversion"]).json()["links"]["latest_draft"]).json()
    for f in draft["files"]:
        assert client.delete(f["links"]["self"]).status_code == 204
    again = client.post(v1["links"]["newversion"])
    assert again.status_code == 201 and again.json()["id"] == draft["id"]
    assert state(zenodo)["depositions"] == 2


def test_second_version_shares_the_concept_doi(client: httpx.Client, zenodo: Running) -> None:
    v1 = published(client, {"model.bin": b"v1"})
    draft = client.get(client.post(v1["links"]["newversion"]).json()["links"]["latest_draft"]).json()
    for f in draft["files"]:
        client.delete(f["links"]["self"])
    client.put(f"{draft['links']['bucket']}/model.bin", content=b"v2")
    client.put(draft["links"]["self"], json={"metadata": {**META, "version": "2"}})
    v2 = client.post(draft["links"]["publish"]).json()
    assert v2["conceptdoi"] == v1["conceptdoi"] and v2["doi"] != v1["doi"]
    assert v2["doi"] == f"10.5072/zenodo.{v2['id']}"
    rec1 = httpx.get(f"{zenodo.url}/api/records/{v1['id']}").json()
    rec2 = httpx.get(f"{zenodo.url}/api/records/{v2['id']}").json()
    assert rec1["metadata"]["relations"]["version"][0]["is_last"] is False
    assert rec2["metadata"]["relations"]["version"][0]["index"] == 1
    assert rec1["links"]["latest"] == rec2["links"]["self"]
    assert httpx.get(rec1["files"][0]["links"]["self"]).content == b"v1"  # old version keeps its files
    listing = httpx.get(rec1["links"]["files"]).json()
    assert [e["key"] for e in listing["entries"]] == ["model.bin"]
    found = httpx.get(rec1["links"]["versions"]).json()["hits"]
    assert found["total"] == 2 and [h["id"] for h in found["hits"]] == [v2["id"], v1["id"]]
    assert state(zenodo)["concepts"] == {v1["conceptrecid"]: [v1["id"], v2["id"]]}
