"""The search service's outbox drain when the store is a server that goes down."""

from __future__ import annotations

from pathlib import Path

from registry.config import Settings
from registry.identity import local_operator
from registry.wiring import open_registry
from tests.conftest import EXAMPLE, OxigraphServer


def test_drain_reports_a_store_outage_instead_of_raising(tmp_path: Path) -> None:
    server = OxigraphServer(tmp_path / "store")
    server.start()
    try:
        reg = open_registry(Settings(home=tmp_path / "home", store_url=server.url + "/query"))
        reg.importer.run(local_operator(), [EXAMPLE])
    finally:
        server.stop()
    report = reg.search.sync()  # the API's background loop calls this every few seconds
    assert report.error is not None and "unreachable" in report.error
    assert (report.indexed, report.pending) == (0, -1)
    server.start()  # back: everything written before the outage is indexed
    try:
        assert reg.search.sync().pending == 0
        assert reg.index.count() > 0
    finally:
        server.stop()
        reg.close()
