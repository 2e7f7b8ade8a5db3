"""A site registers the dataset descriptions it derives from its data with a running hub (real HTTP)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from api.app import create_app
from api.auth import Authenticator, dev_token
from federation.site.describe import describe_site, to_turtle
from federation.site.home import SiteHome
from federation.site.hub import register_with_hub
from federation.site.store import SiteStore
from registry.config import Settings
from registry.errors import (
    Conflict,
    InputError,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)
from registry.identity import Role, local_operator
from registry.search.port import SearchQuery
from registry.validation.bundle import terminology_files
from registry.vocab import Kind
from registry.wiring import Registry, open_registry
from tests.conftest import DEV_AUTH, free_port


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[str, Registry]]:
    reg = open_registry(Settings(home=tmp_path / "hub", auth=DEV_AUTH))
    reg.importer.run(local_operator(), terminology_files())
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(reg, Authenticator(reg.settings)), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", reg
    server.should_exit = True
    thread.join(10)
    reg.close()


def _curator(reg: Registry) -> str:
    return dev_token(reg.settings.home, "site-t-operator", [Role.CURATOR])


def test_site_registers_and_updates_its_descriptions(
    hub: tuple[str, Registry], home: SiteHome, store: SiteStore, cohorts: dict[str, Path]
) -> None:
    url, reg = hub
    store.load([cohorts["scd"] / "site-1" / "fhir"])
    ttl = to_turtle(describe_site(home, store))
    first = register_with_hub(ttl, url, _curator(reg))
    datasets = reg.store.list_records(Kind.DATASET)
    assert len(datasets) == 1 and datasets[0].iri.endswith("site-t-scd")
    base = reg.settings.base_iri
    # HealthDCAT-AP: the site's HDAB and the dataset's federated distribution are records too
    assert sorted(first.created) == sorted(
        [
            datasets[0].iri,
            base + "site/site-t",
            base + "hdab/site-t",
            base + "distribution/site-t-scd-federated",
        ]
    )
    # the same description again: nothing new, no new revision
    again = register_with_hub(ttl, url, _curator(reg))
    assert again.created == again.updated == [] and len(again.unchanged) == 4
    assert [h.number for h in reg.store.history(datasets[0].iri)] == [1]
    # more patients: the next description is a new revision of the same record
    store.load([cohorts["scd"] / "site-2" / "fhir"])
    register_with_hub(to_turtle(describe_site(home, store)), url, _curator(reg))
    assert [h.number for h in reg.store.history(datasets[0].iri)] == [1, 2]
    hits = reg.search.search(local_operator(), SearchQuery(text="sickle"))
    assert datasets[0].iri in [h.iri for h in hits.hits]


def test_one_new_and_one_changed_record_register_together(
    hub: tuple[str, Registry], home: SiteHome, store: SiteStore, cohorts: dict[str, Path]
) -> None:
    url, reg = hub
    store.load([cohorts["scd"] / "site-1" / "fhir"])
    register_with_hub(to_turtle(describe_site(home, store)), url, _curator(reg))
    # more SCD patients change the SCD dataset; MDS patients add a new MDS dataset
    store.load([cohorts["scd"] / "site-2" / "fhir", cohorts["mds"] / "site-1" / "fhir"])
    result = register_with_hub(to_turtle(describe_site(home, store)), url, _curator(reg))
    base = reg.settings.base_iri
    scd, mds = (base + f"dataset/site-t-{uc}" for uc in ("scd", "mds"))
    assert (sorted(result.created), result.updated, sorted(result.unchanged)) == (
        [mds, base + "distribution/site-t-mds-federated"], [scd],
        [base + "distribution/site-t-scd-federated", base + "hdab/site-t", base + "site/site-t"],
    )  # fmt: skip
    assert [h.number for h in reg.store.history(scd)] == [1, 2]
    assert [h.number for h in reg.store.history(mds)] == [1]


def test_each_refusal_is_its_own_error(
    hub: tuple[str, Registry], home: SiteHome, store: SiteStore, cohorts: dict[str, Path]
) -> None:
    url, reg = hub
    store.load([cohorts["scd"] / "site-1" / "fhir"])
    ttl = to_turtle(describe_site(home, store))
    with pytest.raises(Unauthenticated) as no_token:
        register_with_hub(ttl, url)
    assert "curator token" in (no_token.value.hint or "") and "no token was sent" in no_token.value.message
    with_password = url.replace("://", "://curator:s3cret@", 1)
    with pytest.raises(InputError) as in_url:  # was a 401 (httpx sent Basic auth), the password printed
        register_with_hub(ttl, with_password, _curator(reg))
    assert "s3cret" not in in_url.value.message + (in_url.value.hint or "") and "--token" in (
        in_url.value.hint or ""
    )
    reader = dev_token(reg.settings.home, "someone", [Role.RESEARCHER])
    with pytest.raises(PermissionDenied) as forbidden:
        register_with_hub(ttl, url, reader)
    assert "HTTP 403" in forbidden.value.message
    assert reg.store.list_records(Kind.DATASET) == []  # refused: nothing registered
    register_with_hub(ttl, url, _curator(reg))
    scd = reg.settings.base_iri + "dataset/site-t-scd"
    reg.records.deprecate(local_operator(), scd, "withdrawn by the consortium")
    store.load([cohorts["scd"] / "site-2" / "fhir"])
    with pytest.raises(Conflict) as conflict:
        register_with_hub(to_turtle(describe_site(home, store)), url, _curator(reg))
    assert "HTTP 409" in conflict.value.message and "deprecated" in conflict.value.message
    base = reg.settings.base_iri
    assert sorted(conflict.value.details["registered"]) == [
        base + "distribution/site-t-scd-federated",
        base + "hdab/site-t",
        base + "site/site-t",
    ]


def test_a_description_the_hub_rejects_lists_its_violations(hub: tuple[str, Registry]) -> None:
    url, reg = hub
    bare = f"<{reg.settings.base_iri}dataset/site-t-bare> a <http://www.w3.org/ns/dcat#Dataset> ."
    with pytest.raises(ValidationFailed) as refused:
        register_with_hub(bare, url, _curator(reg))
    assert "HTTP 422" in refused.value.message and refused.value.violations
    assert reg.store.list_records(Kind.DATASET) == []


def test_unreachable_hub_says_what_to_do(home: SiteHome, store: SiteStore, cohorts: dict[str, Path]) -> None:
    store.load([cohorts["scd"] / "site-1" / "fhir"])
    with pytest.raises(Unavailable) as err:
        register_with_hub(to_turtle(describe_site(home, store)), f"http://127.0.0.1:{free_port()}", "t", 2)
    assert "--out" in (err.value.hint or "")
