"""The main job on embedded defaults runs end to end (what `make demo` runs before serving)."""

from __future__ import annotations

from pathlib import Path

import pytest

from api import demo
from registry.config import Settings
from registry.identity import ANONYMOUS, local_operator
from registry.search.port import SearchFilter, SearchQuery
from registry.vocab import Kind
from registry.wiring import open_registry


def test_demo_registers_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FAIRGRID_HOME", str(tmp_path / "home"))
    assert demo.main([]) == 0
    out = capsys.readouterr().out
    assert "rejected" in out and "graphql" in out.lower()
    reg = open_registry(Settings(home=tmp_path / "home"))
    try:
        assert reg.store.count(Kind.TERMINOLOGY) == 3
        # the example catalogue + one per synthetic site's cohort (the cancer centre holds MM and MDS) + the
        # two of the harvested FDP export
        assert reg.store.count(Kind.DATASET) == 7 + 4 + 2
        assert reg.store.pending() == []  # everything reached the index
        # published metadata is public whatever the data's access rights: all 12, not 1 of 12; the
        # harvested dataset that violates the shapes is a draft, in the review queue and nowhere public
        datasets = SearchQuery(filters=SearchFilter(kinds=[Kind.DATASET.value]), first=0)
        assert reg.search.search(ANONYMOUS, datasets).total == 12
        (queued,) = reg.harvest.non_conformant(local_operator("test"), "fdp-paris")
        assert queued.iri == "https://fdp.hospital.example/dataset/transfusion-log"
        assert "review queue (`fairgrid review`): 1 non-conformant record(s)" in out
    finally:
        reg.close()
    assert demo.main([]) == 0  # re-running is idempotent


def test_the_printed_example_queries_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.auth import Authenticator

    monkeypatch.setenv("FAIRGRID_HOME", str(tmp_path / "home"))
    assert demo.main(["--no-sites"]) == 0
    reg = open_registry(Settings(home=tmp_path / "home"))
    try:
        client = TestClient(create_app(reg, Authenticator(reg.settings)))
        for query in demo.EXAMPLE_QUERIES:
            body = client.post("/graphql", json={"query": query}).json()
            assert "errors" not in body, body
        first = client.post("/graphql", json={"query": demo.EXAMPLE_QUERIES[0]}).json()
        assert first["data"]["search"]["totalCount"] >= 1  # anonymous: the public MDS data
    finally:
        reg.close()
