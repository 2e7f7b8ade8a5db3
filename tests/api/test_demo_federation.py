"""`make demo` as a user runs it: the main job on embedded defaults, a governed training run on Flower, its
model published to the local Zenodo stand-in, then hub and three site agents as processes and one
federated question. One run serves both tests (a demo run takes most of a minute)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from api import demo
from registry.config import Settings
from registry.identity import ANONYMOUS, local_operator
from registry.search.port import SearchFilter, SearchQuery
from registry.vocab import Kind
from registry.wiring import open_registry
from tests.conftest import free_port


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    home = tmp_path_factory.mktemp("demo") / "home"
    env = {
        **os.environ,
        "FAIRGRID_HOME": str(home),
        "FAIRGRID_DEV_AUTH": "1",
        "FAIRGRID_PORT": str(free_port()),
    }
    run = subprocess.run([sys.executable, "-m", "api.demo", "--serve", "--once"], env=env, capture_output=True,
                         text=True, timeout=600)  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return home, run


def test_demo_serves_connects_the_sites_and_asks_them(
    served: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    home, run = served
    flat = " ".join(run.stdout.split())  # Rich wraps long lines
    assert "training job: completed, 2/2 rounds" in flat, run.stdout[-3000:]
    # truly federated: both sites with MDS patients trained; the SCD site was asked and did not
    for trained in ("demo-mds: trained, n=", "demo-mm: trained, n=", "demo-scd: did not train"):
        assert trained in flat, flat[-3000:]
    assert re.search(r"model https://w3id\.org/fairgrid/model/trained-\w+ registered", flat), flat[-3000:]
    assert re.search(r"DOI https://doi\.org/10\.5072/zenodo\.\d+", flat), flat[-3000:]
    table = run.stdout[run.stdout.index("Federated feasibility") :]
    for site in ("demo-mds", "demo-scd", "demo-mm"):
        assert site in table
    assert "NOT_CONNECTED" not in table and "TIMEOUT" not in table
    assert "total" in table
    # the agents stopped with the demo
    ps = subprocess.run(["pgrep", "-f", f"site serve --home {home.parent}"], capture_output=True, text=True)
    assert ps.stdout.strip() == ""


def test_demo_registers_everything(
    served: tuple[Path, subprocess.CompletedProcess[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home, run = served
    assert "rejected" in run.stdout and "graphql" in run.stdout.lower()
    assert "review queue (`fairgrid review`): 1 non-conformant record(s)" in " ".join(run.stdout.split())
    reg = open_registry(Settings(home=home))
    try:
        assert reg.store.count(Kind.TERMINOLOGY) == 3
        # the example catalogue + one per synthetic site's cohort (the cancer centre holds MM and MDS) + the
        # two of the harvested FDP export
        assert reg.store.count(Kind.DATASET) == 7 + 4 + 2
        assert reg.store.count(Kind.MODEL) >= 1  # the trained model, registered back
        # published metadata is public whatever the data's access rights: all 12, not 1 of 12; the
        # harvested dataset that violates the shapes is a draft, in the review queue and nowhere public
        datasets = SearchQuery(filters=SearchFilter(kinds=[Kind.DATASET.value]), first=0)
        assert reg.search.search(ANONYMOUS, datasets).total == 12
        (queued,) = reg.harvest.non_conformant(local_operator("test"), "fdp-paris")
        assert queued.iri == "https://fdp.hospital.example/dataset/transfusion-log"
        assert reg.store.pending() == []  # everything reached the index, before and after a re-run
    finally:
        reg.close()
    monkeypatch.setenv("FAIRGRID_HOME", str(home))
    assert demo.main([]) == 0  # re-running the main job is idempotent
    reg = open_registry(Settings(home=home))
    try:
        assert reg.store.count(Kind.DATASET) == 7 + 4 + 2
        assert reg.store.pending() == []  # everything reached the index
    finally:
        reg.close()
