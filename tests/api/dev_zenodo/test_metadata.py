"""Metadata checks on create and PUT: unknown keys and wrong types are 400 with field errors, and change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.dev_zenodo.server import Running, running
from tests.api.dev_zenodo.conftest import META, OTHER, TOKEN, new


@pytest.fixture(scope="module")
def zenodo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """One server for this module: these tests look only at their own depositions."""
    with running(tmp_path_factory.mktemp("zenodo"), [TOKEN, OTHER]) as z:
        yield z


FULL: dict[str, Any] = {
    **META,
    "upload_type": "publication",
    "publication_type": "report",
    "publication_date": "2026-11-30",
    "access_right": "open",
    "license": "cc-by-4.0",
    "keywords": ["myelodysplastic syndromes"],
    "version": "1.0.0",
    "notes": "n",
    "language": "eng",
    "related_identifiers": [
        {"identifier": "https://w3id.org/fairgrid/dataset/x", "relation": "isSupplementTo", "scheme": "url"},
        {"identifier": "10.5072/zenodo.1", "relation": "isDerivedFrom", "resource_type": "dataset"},
    ],
    "grants": [{"id": "10.13039/501100000780::101017549"}],
    "communities": [{"identifier": "genomed4all"}],
    "contributors": [{"name": "Roe, R", "type": "DataCurator"}],
    "subjects": [{"term": "MDS", "identifier": "http://id.who.int/icd/entity/1", "scheme": "url"}],
}


def test_every_documented_field_is_accepted(client: httpx.Client) -> None:
    dep = new(client)
    r = client.put(dep["links"]["self"], json={"metadata": FULL})
    assert r.status_code == 200, r.text
    client.put(f"{dep['links']['bucket']}/a.txt", content=b"a")
    assert client.post(dep["links"]["publish"]).status_code == 202


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"colour": "blue"}, "metadata.colour"),
        ({"upload_type": "spreadsheet"}, "metadata.upload_type"),
        ({"publication_date": "30/11/2026"}, "metadata.publication_date"),
        ({"publication_date": "2026-02-30"}, "metadata.publication_date"),
        ({"title": 7}, "metadata.title"),
        ({"creators": "Doe"}, "metadata.creators"),
        ({"creators": [{"affiliation": "A"}]}, "metadata.creators.0.name"),
        ({"creators": [{"name": "A", "email": "a@b"}]}, "metadata.creators.0.email"),
        ({"creators": [{"name": "A", "orcid": "1234"}]}, "metadata.creators.0.orcid"),
        ({"access_right": "public"}, "metadata.access_right"),
        ({"keywords": "a, b"}, "metadata.keywords"),
        ({"related_identifiers": [{"identifier": "x", "relation": "isFriendOf"}]},
         "metadata.related_identifiers.0.relation"),
        ({"related_identifiers": [{"identifier": "x"}]}, "metadata.related_identifiers.0.relation"),
        ({"related_identifiers": [{"identifier": "x", "relation": "cites", "resource_type": "book"}]},
         "metadata.related_identifiers.0.resource_type"),
        ({"grants": [{"code": "1"}]}, "metadata.grants.0.id"),
        ({"grants": [{"id": "101017549"}]}, "metadata.grants.0.id"),
        ({"communities": ["genomed4all"]}, "metadata.communities.0"),
        ({"contributors": [{"name": "A", "type": "Friend"}]}, "metadata.contributors.0.type"),
        ({"license": "cc by <4>"}, "metadata.license"),
    ],
)  # fmt: skip
def test_bad_metadata_is_400_naming_the_field(
    client: httpx.Client, change: dict[str, Any], field: str
) -> None:
    dep = new(client, META)
    r = client.put(dep["links"]["self"], json={"metadata": {**META, **change}})
    assert r.status_code == 400
    body = r.json()
    assert body["status"] == 400 and field in [e["field"] for e in body["errors"]]
    assert all(isinstance(e["messages"], list) and e["messages"] for e in body["errors"])
    assert client.get(dep["links"]["self"]).json()["metadata"]["title"] == META["title"]  # unchanged


def test_bad_metadata_on_create_creates_nothing(client: httpx.Client) -> None:
    before = len(client.get("/api/deposit/depositions").json())
    r = client.post("/api/deposit/depositions", json={"metadata": {"nonsense": 1}})
    assert r.status_code == 400
    assert len(client.get("/api/deposit/depositions").json()) == before


@pytest.mark.parametrize(
    "body", [b"{not json", b"[1, 2]", b'"text"', b'{"metadata": [1]}', b'{"metadata": null}']
)
def test_malformed_bodies_are_4xx(client: httpx.Client, body: bytes) -> None:
    dep = new(client)
    r = client.put(dep["links"]["self"], content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["status"] == 400


def test_wrong_content_type_is_415(client: httpx.Client) -> None:
    r = client.post("/api/deposit/depositions", content=b"metadata=1", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


@pytest.mark.parametrize(
    ("meta", "field"),
    [
        ({**META, "upload_type": "publication"}, "metadata.publication_type"),
        ({**META, "upload_type": "image"}, "metadata.image_type"),
        ({**META, "access_right": "embargoed"}, "metadata.embargo_date"),
        ({**META, "access_right": "restricted"}, "metadata.access_conditions"),
    ],
)
def test_publish_needs_the_fields_the_type_requires(
    client: httpx.Client, meta: dict[str, Any], field: str
) -> None:
    dep = new(client, meta)
    client.put(f"{dep['links']['bucket']}/a.txt", content=b"a")
    r = client.post(dep["links"]["publish"])
    assert r.status_code == 400 and [e["field"] for e in r.json()["errors"]] == [field]


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"metadata": {"title": "\\ud800"}}', b"\xff\xfe", b"{}" * 3],
)
def test_hostile_bodies_are_400_not_500(client: httpx.Client, body: bytes) -> None:
    r = client.post("/api/deposit/depositions", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["status"] == 400


@pytest.mark.parametrize(
    "path", ["/api/deposit/depositions/" + "9" * 40, "/api/records/" + "9" * 40, "/records/0"]
)
def test_ids_out_of_range_are_404(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 404
