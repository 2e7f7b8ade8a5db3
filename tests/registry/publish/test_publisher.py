"""The Publisher against the local Zenodo: publish, idempotency, new versions, resuming, lost answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.dev_zenodo.server import running
from registry.config import Secret, Settings
from registry.errors import InputError, UnreadableInput
from registry.publish.journal import METADATA_SET, PUBLISHED, Journal
from registry.publish.publisher import PackageFile, Published, Publisher, publisher_for
from registry.publish.zenodo import (
    ZenodoClient,
    ZenodoRejected,
    ZenodoTokenRejected,
    ZenodoUnavailable,
)
from tests.registry.publish.conftest import LocalZenodo
from tests.registry.publish.test_zenodo import META


def package(folder: Path, **contents: str) -> list[PackageFile]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, text in contents.items():
        path = folder / name.replace("_", ".")
        path.write_text(text)
        out.append(PackageFile(path.name, path))
    return out


def publisher(zenodo: LocalZenodo, home: Path) -> Publisher:
    z = ZenodoClient(zenodo.url, Secret(zenodo.token), sleep=lambda _s: None, max_retries=3)
    return Publisher(z, Journal.in_home(home))


def test_publish_then_the_same_key_answers_from_the_journal(
    local_zenodo: LocalZenodo, tmp_path: Path
) -> None:
    files = package(tmp_path / "pkg", model_safetensors="weights", metrics_json="{}")
    steps: list[str] = []
    done = publisher(local_zenodo, tmp_path / "home").publish(
        "https://w3id.org/fairgrid/model/m1#1", {**META, "version": "1"}, files, progress=steps.append
    )
    assert done.doi.startswith("10.5072/zenodo.") and done.concept_doi.startswith("10.5072/zenodo.")
    assert done.doi != done.concept_doi and done.version == "1"
    assert set(done.files) == {"model.safetensors", "metrics.json"}
    assert done.record_url.startswith(local_zenodo.url)
    assert any("uploading model.safetensors" in s for s in steps) and "publishing" in steps
    state = local_zenodo.state()
    assert (state["depositions"], state["published"]) == (1, 1)

    # no HTTP at all the second time (the local Zenodo logs every request it serves)
    seen = len(state["requests"])
    again = publisher(local_zenodo, tmp_path / "home").publish(
        "https://w3id.org/fairgrid/model/m1#1", META, files
    )
    assert again == done
    assert Published.from_dict(done.to_dict()) == done
    assert len(local_zenodo.state()["requests"]) == seen


def test_a_new_version_shares_the_concept_doi_and_drops_inherited_files(
    local_zenodo: LocalZenodo, tmp_path: Path
) -> None:
    pub = publisher(local_zenodo, tmp_path / "home")
    first = pub.publish("rec#1", {**META, "version": "1"}, package(tmp_path / "v1", a_txt="one", old_txt="x"))
    second = pub.publish(
        "rec#2",
        {**META, "version": "2"},
        package(tmp_path / "v2", a_txt="two", new_txt="y"),
        previous=first,
    )
    assert second.concept_doi == first.concept_doi and second.doi != first.doi
    assert second.deposition_id != first.deposition_id and second.version == "2"
    assert set(second.files) == {"a.txt", "new.txt"}  # old.txt, inherited from version 1, is gone
    state = local_zenodo.state()
    assert state["published"] == 2 and list(state["concepts"].values()) == [
        [first.deposition_id, second.deposition_id]
    ]
    record = pub.client.get_record(second.deposition_id)
    assert {f["key"]: f["size"] for f in record["files"]} == {"a.txt": 3, "new.txt": 1}


def test_a_refused_publish_resumes_the_same_deposition(local_zenodo: LocalZenodo, tmp_path: Path) -> None:
    files = package(tmp_path / "pkg", a_txt="aaa", b_txt="bbb")
    pub = publisher(local_zenodo, tmp_path / "home")
    incomplete = {k: v for k, v in META.items() if k != "creators"}
    with pytest.raises(ZenodoRejected) as refused:
        pub.publish("rec#1", incomplete, files)
    assert any("creators" in e["field"] for e in refused.value.field_errors)
    entry = pub.journal.get(pub.journal_key("rec#1"))
    assert entry is not None and entry.state == METADATA_SET and set(entry.files) == {"a.txt", "b.txt"}
    # what --dry-run says of it (Publisher.plan): the deposition the publish will resume
    plan = pub.plan("rec#1", None)
    assert (
        plan["action"].startswith(f"would resume deposition {entry.deposition_id},")
        and not plan["already_published"]
    )

    steps: list[str] = []
    done = pub.publish("rec#1", META, files, progress=steps.append)
    assert done.deposition_id == entry.deposition_id
    assert pub.plan("rec#1", None)["already_published"] == done.doi
    assert pub.plan("rec#2", done)["new_version_of"] == done.deposition_id
    assert not any(s.startswith("uploading") for s in steps)  # both files were already there
    assert sum("already on Zenodo" in s for s in steps) == 2
    state = local_zenodo.state()
    assert (state["depositions"], state["published"]) == (1, 1)


def test_a_changed_file_is_replaced_on_resume(local_zenodo: LocalZenodo, tmp_path: Path) -> None:
    pub = publisher(local_zenodo, tmp_path / "home")
    with pytest.raises(ZenodoRejected):
        pub.publish("rec#1", {}, package(tmp_path / "pkg", a_txt="first", gone_txt="g"))
    steps: list[str] = []
    done = pub.publish("rec#1", META, package(tmp_path / "pkg2", a_txt="second"), progress=steps.append)
    assert "removing a.txt from the draft" in steps and "removing gone.txt from the draft" in steps
    assert set(done.files) == {"a.txt"}
    assert pub.client.get_record(done.deposition_id)["files"][0]["size"] == len("second")


def test_a_lost_publish_answer_is_not_published_again(local_zenodo: LocalZenodo, tmp_path: Path) -> None:
    # Zenodo publishes, then every answer to publish is a 503 (the real one was lost)
    local_zenodo.fault(route="/api/deposit/depositions/*/actions/publish", status=503, count=10, after=True)
    pub = publisher(local_zenodo, tmp_path / "home")
    done = pub.publish("rec#1", META, package(tmp_path / "pkg", a_txt="a"))
    assert done.doi.startswith("10.5072/")
    entry = pub.journal.get(pub.journal_key("rec#1"))
    assert entry is not None and entry.state == PUBLISHED
    state = local_zenodo.state()
    assert (state["depositions"], state["published"]) == (1, 1)


def test_a_lost_create_answer_adopts_the_draft_it_made(local_zenodo: LocalZenodo, tmp_path: Path) -> None:
    # Zenodo creates the draft, and the answer is lost (a 500 instead): create is not resent
    local_zenodo.fault(route="/api/deposit/depositions", method="POST", status=500, count=1, after=True)
    pub = publisher(local_zenodo, tmp_path / "home")
    files = package(tmp_path / "pkg", a_txt="a")
    steps: list[str] = []
    done = pub.publish("rec#1", META, files, progress=steps.append)
    assert any(s.startswith("adopting draft") for s in steps)
    state = local_zenodo.state()
    assert (state["depositions"], state["published"]) == (1, 1)
    assert "notes" not in pub.client.get_record(done.deposition_id)["metadata"]  # the marker is gone
    # another key never adopts a draft of this one
    local_zenodo.fault(
        route="/api/deposit/depositions", method="POST", status=500, count=1
    )  # before: nothing made
    with pytest.raises(ZenodoUnavailable):
        pub.publish("rec#2", META, files)
    other = pub.publish("rec#2", META, files)
    assert other.deposition_id != done.deposition_id
    assert local_zenodo.state()["depositions"] == 2


def test_a_lost_new_version_answer_uses_the_draft_it_made(local_zenodo: LocalZenodo, tmp_path: Path) -> None:
    pub = publisher(local_zenodo, tmp_path / "home")
    first = pub.publish("rec#1", META, package(tmp_path / "v1", a_txt="one"))
    local_zenodo.fault(route="/api/deposit/depositions/*/actions/newversion", status=502, count=1, after=True)
    second = pub.publish("rec#2", META, package(tmp_path / "v2", a_txt="two"), previous=first)
    assert second.concept_doi == first.concept_doi and second.deposition_id != first.deposition_id
    state = local_zenodo.state()
    assert (state["depositions"], state["published"]) == (2, 2)


def test_the_same_key_on_another_zenodo_is_another_publication(
    local_zenodo: LocalZenodo, tmp_path: Path
) -> None:
    files = package(tmp_path / "pkg", a_txt="a")
    on_one = publisher(local_zenodo, tmp_path / "home").publish("rec#1", META, files)
    with running(tmp_path / "sandbox", [local_zenodo.token]) as sandbox:
        other = LocalZenodo(sandbox.url, sandbox.token)
        on_other = publisher(other, tmp_path / "home").publish("rec#1", META, files)
        assert other.state()["published"] == 1
    assert on_other.record_url.startswith(sandbox.url) and on_one.record_url.startswith(local_zenodo.url)


@pytest.mark.parametrize("seed", [1, 2])
def test_under_random_503s_retrying_publishes_each_version_once(tmp_path: Path, seed: int) -> None:
    with running(tmp_path / "zenodo", ["t"], fault_rate=0.3, seed=seed) as zen:
        zenodo = LocalZenodo(zen.url, zen.token)
        pub = Publisher(
            ZenodoClient(zen.url, zen.token, sleep=lambda _s: None, max_retries=8), Journal.in_home(tmp_path)
        )
        previous: Published | None = None
        for version in range(1, 4):
            files = package(tmp_path / f"v{version}", a_txt=f"version {version}")
            for _attempt in range(20):  # as a user would: publish again after each failure
                try:
                    previous = pub.publish(f"rec#{version}", META, files, previous=previous)
                    break
                except ZenodoUnavailable:
                    continue
            else:
                pytest.fail("never published")
        state = zenodo.state()
        assert state["injected"] > 0
        assert (state["depositions"], state["published"], len(state["concepts"])) == (3, 3, 1)


def test_payload_is_the_exact_body_and_the_file_list(local_zenodo: LocalZenodo, tmp_path: Path) -> None:
    pub = publisher(local_zenodo, tmp_path / "home")
    meta: dict[str, Any] = {
        **META,
        "related_identifiers": [{"identifier": "x", "relation": "isSupplementTo"}],
    }
    body = pub.payload(meta, package(tmp_path / "pkg", a_txt="abc"))
    assert body == {
        "metadata": {"metadata": meta},
        "files": [{"name": "a.txt", "size": 3, "md5": "900150983cd24fb0d6963f7d28e17f72"}],
    }
    assert local_zenodo.state()["depositions"] == 0


def test_publisher_for_the_settings_targets(local_zenodo: LocalZenodo, tmp_path: Path) -> None:
    env = {"FAIRGRID_HOME": str(tmp_path / "home"), "FAIRGRID_ZENODO_SANDBOX_URL": local_zenodo.url}
    dry = publisher_for(Settings.from_env(env), sandbox=True)  # no token: a dry run still works
    files = package(tmp_path / "pkg", a_txt="a")
    assert dry.payload(META, files)["files"][0]["name"] == "a.txt"
    with pytest.raises(ZenodoTokenRejected):
        dry.publish("rec#1", META, files)
    live = publisher_for(
        Settings.from_env({**env, "FAIRGRID_ZENODO_SANDBOX_TOKEN": local_zenodo.token}), sandbox=True
    )
    assert live.client.base_url == local_zenodo.url and live.journal.path.is_relative_to(tmp_path / "home")
    assert live.publish("rec#1", META, files).doi.startswith("10.5072/")
    assert publisher_for(Settings.from_env(env), sandbox=False).client.base_url == "https://zenodo.org"


def test_bad_input_writes_nothing(local_zenodo: LocalZenodo, tmp_path: Path) -> None:
    pub = publisher(local_zenodo, tmp_path / "home")
    for name in ("", "..", "a/b", "a\\b", "x\ny", "é" * 200):
        with pytest.raises(InputError):
            PackageFile(name, tmp_path)
    with pytest.raises(UnreadableInput):
        pub.publish("k", META, [PackageFile("missing.bin", tmp_path / "missing.bin")])
    files = package(tmp_path / "pkg", a_txt="a")
    with pytest.raises(InputError):
        pub.publish("k", META, [*files, *files])
    with pytest.raises(InputError):
        pub.publish("k", META, [])
    with pytest.raises(InputError):
        pub.publish("", META, files)
    for bad in ({"title": object()}, {"version": float("nan")}, ["not", "an", "object"]):
        with pytest.raises(InputError):
            pub.publish("k", bad, files)  # type: ignore[arg-type]
    assert pub.journal.get(pub.journal_key("k")) is None and local_zenodo.state()["depositions"] == 0


class _FilesNotObjects(httpx.BaseTransport):
    """The real local Zenodo, except that the publish action's answer lists files that are no objects."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if not request.url.path.endswith("/actions/publish"):
            return response
        body = json.loads(response.read())
        return httpx.Response(response.status_code, json={**body, "files": [1, "x", None]})


def test_a_published_deposition_whose_files_are_no_objects_is_read_from_the_file_list(
    local_zenodo: LocalZenodo, tmp_path: Path
) -> None:
    # the publish answer's `files` went straight into Published: f.get on 1 raised AttributeError after
    # Zenodo had published, and the journal never noted it
    files = package(tmp_path / "pkg", model_safetensors="weights", metrics_json="{}")
    z = ZenodoClient(local_zenodo.url, Secret(local_zenodo.token), sleep=lambda _s: None,
                     transport=_FilesNotObjects())  # fmt: skip
    done = Publisher(z, Journal.in_home(tmp_path / "home")).publish("k#1", META, files)
    assert set(done.files) == {"model.safetensors", "metrics.json"}
    assert Journal.in_home(tmp_path / "home").get(f"{local_zenodo.url} k#1").published is not None  # type: ignore[union-attr]


class _OddParts(httpx.BaseTransport):
    """The real local Zenodo, except that the publish answer's links, metadata and file links are no
    objects (a proxy, a broken Zenodo)."""

    def __init__(self, odd: dict[str, Any]) -> None:
        self.inner, self.odd, self.published = httpx.HTTPTransport(), odd, False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if self.published and request.url.path.endswith("/files") and "file_links" in self.odd:
            listed = json.loads(response.read())  # the file list, read again after the publish
            return httpx.Response(response.status_code, json=[{**f, "links": "x"} for f in listed])
        if not request.url.path.endswith("/actions/publish"):
            return response
        self.published = True
        body = json.loads(response.read())
        if "file_links" in self.odd:
            return httpx.Response(response.status_code, json={**body, "files": []})
        return httpx.Response(response.status_code, json={**body, **self.odd})


@pytest.mark.parametrize(
    "odd", [{"links": "x"}, {"metadata": [1]}, {"file_links": "x"}], ids=["links", "metadata", "file links"]
)
def test_a_published_deposition_with_odd_parts_is_still_journaled(
    local_zenodo: LocalZenodo, tmp_path: Path, odd: dict[str, Any]
) -> None:
    # _published called .get on each part: AttributeError after Zenodo had published, a 500 for GraphQL
    # and a traceback for the CLI, the journal never noting the publication
    files = package(tmp_path / "pkg", model_safetensors="weights", metrics_json="{}")
    z = ZenodoClient(local_zenodo.url, Secret(local_zenodo.token), sleep=lambda _s: None,
                     transport=_OddParts(odd))  # fmt: skip
    done = Publisher(z, Journal.in_home(tmp_path / "home")).publish("k#1", META, files)
    assert done.doi and done.concept_doi
    assert Journal.in_home(tmp_path / "home").get(f"{local_zenodo.url} k#1").published == done.to_dict()  # type: ignore[union-attr]
