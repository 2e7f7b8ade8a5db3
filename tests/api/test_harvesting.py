"""Scheduled harvests in `fairgrid serve`: the lease holder harvests the configured sources at start-up."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient

from api import harvesting
from api.app import create_app
from api.auth import Authenticator
from registry.config import Settings
from registry.errors import FairgridError
from registry.identity import ANONYMOUS
from registry.locks import Lease
from registry.vocab import Kind
from registry.wiring import Registry, open_registry
from tests.harvest_server import Example, harvest_server
from tests.indexing import wait_until


def test_the_app_harvests_configured_sources_holding_the_lease(settings: Settings) -> None:
    with harvest_server() as srv:
        ex = Example(srv.base)
        srv.serve(ex.fdp())
        s = replace(settings, harvest_sources=(("fdp", srv.url("/fdp")),), harvest_interval_s=3600.0)
        with open_registry(s) as reg, TestClient(create_app(reg, Authenticator(s), sync_interval_s=0)):
            dataset = ex.of(Kind.DATASET)[0]

            def harvested() -> bool:
                try:
                    return reg.records.get(ANONYMOUS, dataset) is not None
                except FairgridError:
                    return False

            wait_until(harvested, "the scheduled harvest")
            assert not Lease(s.home / "harvest.lock").held()  # one worker harvests: the others wait


def test_no_schedule_without_sources_or_with_interval_zero(reg: Registry) -> None:
    assert harvesting.start(reg) is None
    reg.settings = replace(reg.settings, harvest_sources=(("a", "https://x.example/"),), harvest_interval_s=0)
    assert harvesting.start(reg) is None
