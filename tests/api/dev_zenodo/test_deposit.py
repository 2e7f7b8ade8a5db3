"""The deposit life cycle over real HTTP: create, PUT, bucket upload, publish, edit/discard, delete, records."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from api.dev_zenodo.server import Running, running
from tests.api.dev_zenodo.conftest import META, OTHER, TOKEN, new, published
from tests.zenodo_env import zenodo_state as state


def test_create_is_an_unsubmitted_draft_with_a_reserved_test_doi(client: httpx.Client) -> None:
    dep = new(client)
    assert dep["state"] == "unsubmitted" and dep["submitted"] is False
    assert dep["metadata"]["prereserve_doi"] == {"doi": f"10.5072/zenodo.{dep['id']}", "recid": dep["id"]}
    assert isinstance(dep["conceptrecid"], str) and int(dep["conceptrecid"]) != dep["id"]
    for link in (
        "self",
        "html",
        "bucket",
        "publish",
        "edit",
        "discard",
        "newversion",
        "files",
        "latest_draft",
    ):
        assert dep["links"][link].startswith(client.base_url.scheme + "://")
    assert dep["links"]["latest_draft"] == dep["links"]["self"]
    assert "doi" not in dep and dep["files"] == []


def test_create_with_metadata_and_get(client: httpx.Client) -> None:
    dep = new(client, META)
    got = client.get(dep["links"]["self"]).json()
    assert got["metadata"]["title"] == META["title"] and got["title"] == META["title"]


def test_put_replaces_all_metadata(client: httpx.Client) -> None:
    dep = new(client, {**META, "keywords": ["MDS"], "notes": "n"})
    r = client.put(dep["links"]["self"], json={"metadata": {"title": "Only a title"}})
    assert r.status_code == 200
    meta = r.json()["metadata"]
    assert set(meta) == {"title", "prereserve_doi"}


def test_upload_answers_md5_and_size_and_lists_files(client: httpx.Client) -> None:
    dep = new(client)
    data = b"weights" * 10
    r = client.put(f"{dep['links']['bucket']}/model.safetensors", content=data)
    assert r.status_code == 201
    body = r.json()
    md5 = hashlib.md5(data).hexdigest()
    assert (
        body["checksum"] == f"md5:{md5}" and body["size"] == len(data) and body["key"] == "model.safetensors"
    )
    files = client.get(dep["links"]["files"]).json()
    assert [(f["filename"], f["filesize"], f["checksum"]) for f in files] == [("model.safetensors", 70, md5)]
    assert client.get(files[0]["links"]["download"]).content == data
    # A second PUT of the same name replaces the file.
    client.put(f"{dep['links']['bucket']}/model.safetensors", content=b"v2")
    assert [f["filesize"] for f in client.get(dep["links"]["files"]).json()] == [2]


def test_delete_file_by_id_and_by_bucket_key(client: httpx.Client) -> None:
    dep = new(client)
    client.put(f"{dep['links']['bucket']}/a.txt", content=b"a")
    client.put(f"{dep['links']['bucket']}/b.txt", content=b"b")
    first = client.get(dep["links"]["files"]).json()[0]
    assert client.delete(first["links"]["self"]).status_code == 204
    assert client.delete(f"{dep['links']['bucket']}/b.txt").status_code == 204
    assert client.get(dep["links"]["files"]).json() == []
    assert client.delete(f"{dep['links']['bucket']}/b.txt").status_code == 404


def test_over_the_size_limit_is_413_and_stores_nothing(client: httpx.Client, zenodo: Running) -> None:
    dep = new(client)
    r = client.put(f"{dep['links']['bucket']}/big.bin", content=b"x" * 1025)
    assert r.status_code == 413 and r.json()["status"] == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming too
        yield b"x" * 1000
        yield b"x" * 1000

    assert client.put(f"{dep['links']['bucket']}/big.bin", content=chunks()).status_code == 413
    assert state(zenodo)["files"] == 0


def test_bad_file_names_are_refused(client: httpx.Client, zenodo: Running) -> None:
    dep = new(client)
    # A decoded '/' makes the path another route: 404, as on Zenodo (a key is one path segment).
    assert client.put(f"{dep['links']['bucket']}/a%2Fb", content=b"x").status_code == 404
    assert client.put(f"{dep['links']['bucket']}/%2E%2E", content=b"x").status_code == 400
    assert client.put(f"{dep['links']['bucket']}/a%00b", content=b"x").status_code == 400
    assert client.put(f"{dep['links']['bucket']}/{'a' * 256}", content=b"x").status_code == 400
    assert state(zenodo)["files"] == 0


def test_publish_mints_doi_and_concept_doi(client: httpx.Client) -> None:
    dep = published(client)
    assert dep["state"] == "done" and dep["submitted"] is True
    assert dep["doi"] == f"10.5072/zenodo.{dep['id']}"
    assert dep["conceptdoi"] == f"10.5072/zenodo.{dep['conceptrecid']}"
    assert dep["record_id"] == dep["id"]
    assert dep["links"]["record"].endswith(f"/api/records/{dep['id']}")
    assert dep["links"]["html"].endswith(f"/records/{dep['id']}")
    # Zenodo's defaults are filled in when publishing.
    assert dep["metadata"]["access_right"] == "open" and dep["metadata"]["license"] == "cc-zero"
    assert len(dep["metadata"]["publication_date"]) == 10


def test_publish_without_files_or_required_fields_is_400_with_field_errors(client: httpx.Client) -> None:
    dep = new(client)
    r = client.post(dep["links"]["publish"])
    assert r.status_code == 400
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"metadata.upload_type", "metadata.title", "metadata.description", "metadata.creators",
                      "files.enabled"}  # fmt: skip
    assert all(e["messages"] for e in r.json()["errors"])
    assert client.get(dep["links"]["self"]).json()["state"] == "unsubmitted"


def test_published_deposition_refuses_put_delete_publish_with_404(client: httpx.Client) -> None:
    dep = published(client)
    assert client.put(dep["links"]["self"], json={"metadata": META}).status_code == 404
    assert client.delete(dep["links"]["self"]).status_code == 404
    assert client.post(dep["links"]["publish"]).status_code == 404
    assert client.put(f"{dep['links']['bucket']}/new.txt", content=b"x").status_code == 403
    assert client.get(dep["links"]["self"]).json()["state"] == "done"


def test_edit_then_publish_changes_metadata_not_doi(client: httpx.Client) -> None:
    dep = published(client)
    r = client.post(dep["links"]["edit"])
    assert r.status_code == 201 and r.json()["state"] == "inprogress"
    assert (
        client.put(dep["links"]["self"], json={"metadata": {**META, "title": "Renamed"}}).status_code == 200
    )
    assert client.put(dep["links"]["self"], json={"metadata": {**META, "title": "Renamed", "doi": "10.1/x"}})
    after = client.post(dep["links"]["publish"]).json()
    assert after["state"] == "done" and after["doi"] == dep["doi"] and after["metadata"]["title"] == "Renamed"
    assert after["metadata"]["doi"] == dep["doi"]  # a published record's DOI does not change


def test_discard_ends_an_edit_and_deletes_a_fresh_draft(client: httpx.Client) -> None:
    dep = published(client)
    client.post(dep["links"]["edit"])
    client.put(dep["links"]["self"], json={"metadata": {**META, "title": "Draft title"}})
    r = client.post(dep["links"]["discard"])
    assert (
        r.status_code == 201
        and r.json()["state"] == "done"
        and r.json()["metadata"]["title"] == META["title"]
    )
    fresh = new(client)
    assert client.post(fresh["links"]["discard"]).status_code == 204
    assert client.get(fresh["links"]["self"]).status_code == 404


def test_delete_unpublished_is_204(client: httpx.Client, zenodo: Running) -> None:
    dep = new(client)
    client.put(f"{dep['links']['bucket']}/a.txt", content=b"a")
    assert client.delete(dep["links"]["self"]).status_code == 204
    assert client.get(dep["links"]["self"]).status_code == 404
    assert state(zenodo)["depositions"] == 0 and state(zenodo)["files"] == 0


def test_public_record_json_page_and_download(client: httpx.Client, zenodo: Running) -> None:
    dep = published(client, {"card.md": b"# <script>x</script>"})
    anon = httpx.Client(base_url=zenodo.url)
    rec = anon.get(f"/api/records/{dep['id']}").json()
    assert rec["doi"] == dep["doi"] and rec["conceptdoi"] == dep["conceptdoi"]
    assert rec["files"][0]["checksum"] == "md5:" + hashlib.md5(b"# <script>x</script>").hexdigest()
    assert anon.get(rec["files"][0]["links"]["self"]).content == b"# <script>x</script>"
    page = anon.get(f"/records/{dep['id']}").text
    assert dep["doi"] in page and "LOCAL STAND-IN" in page
    draft = new(client, {**META, "title": "Secret draft"})
    assert anon.get(f"/api/records/{draft['id']}").status_code == 404
    draft_page = anon.get(draft["links"]["html"])
    assert (
        draft_page.status_code == 200 and "Secret" not in draft_page.text and "unsubmitted" in draft_page.text
    )


def test_title_is_escaped_on_the_page(client: httpx.Client, zenodo: Running) -> None:
    dep = new(client, {**META, "title": "<b>bold</b>"})
    client.put(f"{dep['links']['bucket']}/a.txt", content=b"a")
    client.post(dep["links"]["publish"])
    page = httpx.get(f"{zenodo.url}/records/{dep['id']}").text
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page


def test_anonymous_403_wrong_token_401_other_owner_403(zenodo: Running, client: httpx.Client) -> None:
    dep = new(client)
    assert httpx.post(f"{zenodo.url}/api/deposit/depositions", json={}).status_code == 403
    assert httpx.get(dep["links"]["self"]).status_code == 403
    bad = httpx.get(dep["links"]["self"], headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and "nope" not in bad.text
    other = httpx.get(dep["links"]["self"], headers={"Authorization": f"Bearer {OTHER}"})
    assert other.status_code == 403
    # Zenodo also takes the token as a query parameter.
    assert httpx.get(dep["links"]["self"], params={"access_token": TOKEN}).status_code == 200
    assert state(zenodo)["depositions"] == 1


def test_list_shows_only_my_depositions(zenodo: Running, client: httpx.Client) -> None:
    new(client)
    httpx.post(f"{zenodo.url}/api/deposit/depositions", json={}, headers={"Authorization": f"Bearer {OTHER}"})
    assert len(client.get("/api/deposit/depositions").json()) == 1


def test_unknown_routes_and_ids_are_json_404(client: httpx.Client) -> None:
    for path in ("/api/deposit/depositions/999999", "/api/deposit/depositions/abc", "/api/nothing"):
        r = client.get(path)
        assert r.status_code == 404 and r.json()["status"] == 404
    assert client.post("/api/deposit/depositions/1/actions/explode").status_code == 404


def test_state_survives_a_restart(tmp_path: Path) -> None:
    with running(tmp_path, [TOKEN]) as z:
        c = httpx.Client(base_url=z.url, headers={"Authorization": f"Bearer {TOKEN}"})
        dep = published(c)
    with running(tmp_path, [TOKEN]) as z:
        c = httpx.Client(base_url=z.url, headers={"Authorization": f"Bearer {TOKEN}"})
        again = c.get(f"/api/deposit/depositions/{dep['id']}").json()
        assert again["doi"] == dep["doi"] and again["state"] == "done"
        assert new(c)["id"] > dep["id"]  # ids keep counting


def test_delete_of_a_published_record_in_edit_ends_the_edit(client: httpx.Client, zenodo: Running) -> None:
    dep = published(client)
    client.post(dep["links"]["edit"])
    client.put(dep["links"]["self"], json={"metadata": {**META, "title": "Draft title"}})
    assert client.delete(dep["links"]["self"]).status_code == 204
    kept = client.get(dep["links"]["self"]).json()
    assert kept["state"] == "done" and kept["metadata"]["title"] == META["title"]
    assert state(zenodo)["published"] == 1


def test_racing_publishes_publish_once_and_racing_creates_get_distinct_ids(
    client: httpx.Client, zenodo: Running
) -> None:
    dep = new(client, META)
    client.put(f"{dep['links']['bucket']}/a.txt", content=b"a")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(lambda _: httpx.post(dep["links"]["publish"], headers=headers).status_code, range(8))
        )
        ids = list(pool.map(lambda _: new(client)["id"], range(8)))
    assert sorted(codes) == [202] + [404] * 7
    assert len(set(ids)) == 8 and state(zenodo)["published"] == 1
